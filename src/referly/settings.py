"""Django settings. Configure Referly with the REFERLY_* variables declared in ``referly.config``."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import django_stubs_ext

from referly import config
from referly.database import database_settings

django_stubs_ext.monkeypatch()  # lets admin and querysets take type parameters at run time

BASE_DIR = Path(__file__).resolve().parent

DATABASES: dict[str, dict[str, Any]] = {"default": database_settings()}


def _secret_key() -> str:
    configured = config.SECRET_KEY.value()
    if configured:
        return configured
    # A stable key per installation, so sessions survive restarts without any setup.
    sqlite_path = DATABASES["default"].get("NAME")
    folder = Path(str(sqlite_path)).parent if DATABASES["default"]["ENGINE"].endswith("sqlite3") else Path.cwd()
    key_file = folder / ".referly-secret-key"
    try:
        if key_file.exists():
            return key_file.read_text().strip()
        key = secrets.token_urlsafe(50)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key
    except OSError:
        return secrets.token_urlsafe(50)


SECRET_KEY = _secret_key()
DEBUG = config.DEBUG.on()
ALLOWED_HOSTS = config.ALLOWED_HOSTS.items()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "referly.crm",
    "referly.referrals",
    "referly.reports",
    "referly.scoring",
    "referly.jobs",
    "referly.audit",
    "referly.access",
    "referly.connect",
    "referly.portal",
    "referly.capture",
    "referly.outbox",
    "referly.notices",
    "referly.web",
    "referly.api",
    "referly.sso",
    "ninja",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

# The portal's rate limits are counted in the database, so that every server process shares them.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "referly_shared_cache"},
}
RATELIMIT_USE_CACHE = "shared"
RATELIMIT_VIEW = "referly.portal.views.too_many"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "referly.web.security.ContentSecurityPolicy",
    "referly.api.limits.ApiRateLimits",  # 429 with Retry-After past the API's limits (REFERLY_API_*_PER_MINUTE)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the second step was passed
    "referly.web.second_factor.SecondFactorRequired",  # REFERLY_REQUIRE_2FA: enrol before any other page
    "django.contrib.messages.middleware.MessageMiddleware",
    "referly.sso.passwords.PasswordsOff",  # REFERLY_PASSWORD_LOGIN=0: a posted password is refused
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",  # a limited request gets RATELIMIT_VIEW's page (429)
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses logins after repeated failures (see AXES_* below)
    "django.contrib.auth.backends.ModelBackend",
    "referly.sso.backend.SignOn",  # answers only the OpenID provider's callback, when REFERLY_OIDC_ISSUER is set
]
if config.PASSWORD_LOGIN.value().strip() == "0":  # no password is checked anywhere, the admin's login included
    AUTHENTICATION_BACKENDS.remove("django.contrib.auth.backends.ModelBackend")
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:today"
LOGOUT_REDIRECT_URL = "web:login"

ROOT_URLCONF = "referly.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "referly.sso.passwords.login_choices",
            ],
        },
    },
]

WSGI_APPLICATION = "referly.wsgi.application"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
TIME_ZONE = config.TIME_ZONE.value()
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
WHITENOISE_USE_FINDERS = True  # static files are served from the installed apps: no collectstatic step
WHITENOISE_AUTOREFRESH = DEBUG
LOCALE_PATHS = [BASE_DIR / "web" / "locale"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
# A bulk push (5,000 signals or 10,000 interactions) is a few MB of JSON (Django's default stops at 2.5 MB);
# uploaded files are not counted here (they spill to a temporary file past 2.5 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 32 * 1024 * 1024

# Behind HTTPS (a reverse proxy that sets X-Forwarded-Proto): cookies only over HTTPS, and HSTS.
HTTPS = config.HTTPS.on()
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
CSRF_TRUSTED_ORIGINS = config.TRUSTED_ORIGINS.items()
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# The API's rate limits, per minute, counted in the shared cache like the portal's (referly.api.limits).
API_FAILURES_PER_MINUTE = config.API_FAILURES_PER_MINUTE.count("requests")
API_TOKEN_PER_MINUTE = config.API_TOKEN_PER_MINUTE.count("requests")
API_ADDRESS_PER_MINUTE = config.API_ADDRESS_PER_MINUTE.count("requests")
# The OpenAPI document and its page: to logins only, unless opened.
API_SCHEMA_PUBLIC = config.API_SCHEMA_PUBLIC.on()
# Django's admin site, at a path of the installation's choosing; none when empty.
ADMIN_PATH = config.ADMIN_PATH.value().strip().strip("/")

# Login rate limiting: after AXES_FAILURE_LIMIT failures for one user name from one address, that pair
# is locked out for AXES_COOLOFF_TIME hours.
AXES_FAILURE_LIMIT = int(config.LOGIN_FAILURES.value())
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "referly.kit.client.client_ip"

# The second factor: authenticator apps show "Referly"; a wrong code doubles the wait before the next try.
OTP_TOTP_ISSUER = "Referly"
OTP_TOTP_SYNC = False  # a code 30 s early or late is accepted; no drift is learned, so none can be misled
REQUIRE_2FA = config.REQUIRE_2FA.value().strip().lower()
