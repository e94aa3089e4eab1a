"""Every REFERLY_* environment variable, declared once with its default and its meaning.

Nothing else reads the environment: code asks a ``Setting`` for its value, typed (``on``, ``items``,
``path``, ``count``). ``settings.py`` (Django's settings) and the docs both read this list, so a
setting cannot exist without being documented (a test checks docs/settings.md against it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from referly.errors import Unavailable


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str

    def value(self) -> str:
        return os.environ.get(self.name, self.default)

    def on(self) -> bool:
        """A switch: on when set to 1."""
        return self.value().strip() == "1"

    def items(self) -> list[str]:
        """A comma-separated list, without blanks."""
        return [item.strip() for item in self.value().split(",") if item.strip()]

    def path(self) -> Path | None:
        """A file or folder, or None when the setting is empty."""
        text = self.value().strip()
        return Path(text).expanduser() if text else None

    def count(self, unit: str) -> int:
        """A whole number of ``unit`` (days, minutes, attempts), at least 1; ``Unavailable`` otherwise."""
        try:
            value = int(self.value())
        except ValueError:
            raise Unavailable(f"{self.name} must be a whole number of {unit}, not {self.value()!r}") from None
        if value < 1:
            raise Unavailable(f"{self.name} must be at least 1")
        return value


DATABASE_URL = Setting(
    "REFERLY_DATABASE_URL",
    "",
    "Database URL, e.g. postgresql://user@host:5432/referly. Empty: the SQLite file REFERLY_DB.",
)
DB = Setting("REFERLY_DB", "referly.db", "Path of the SQLite database file used when no URL is set.")
SECRET_KEY = Setting(
    "REFERLY_SECRET_KEY",
    "",
    "Key that signs sessions and tokens. Empty: a random key kept in a file beside the SQLite database.",
)
DEBUG = Setting("REFERLY_DEBUG", "0", "1 shows Django's debug pages. Never in production.")
ALLOWED_HOSTS = Setting(
    "REFERLY_ALLOWED_HOSTS", "127.0.0.1,localhost", "Comma-separated host names the web app answers to."
)
HTTPS = Setting(
    "REFERLY_HTTPS",
    "0",
    "1 when the app is served over HTTPS (behind a proxy setting X-Forwarded-Proto): secure cookies and HSTS.",
)
TRUSTED_ORIGINS = Setting(
    "REFERLY_TRUSTED_ORIGINS", "", "Comma-separated origins allowed to post forms, e.g. https://referly.example.com."
)
LOGIN_FAILURES = Setting(
    "REFERLY_LOGIN_FAILURES", "5", "Failed logins for one user name from one address before a 15-minute lockout."
)
API_FAILURES_PER_MINUTE = Setting(
    "REFERLY_API_FAILURES_PER_MINUTE",
    "20",
    "API requests refused as not authenticated (401) from one address in a minute before it gets 429 until then.",
)
API_TOKEN_PER_MINUTE = Setting("REFERLY_API_TOKEN_PER_MINUTE", "600", "API requests one token may make in a minute.")
API_ADDRESS_PER_MINUTE = Setting(
    "REFERLY_API_ADDRESS_PER_MINUTE", "300", "API requests without a token one address may make in a minute."
)
API_SCHEMA_PUBLIC = Setting(
    "REFERLY_API_SCHEMA_PUBLIC", "0", "1 serves /api/v1/openapi.json and /api/v1/docs to anyone, not only to logins."
)
ADMIN_PATH = Setting(
    "REFERLY_ADMIN_PATH",
    "",
    "Where Django's admin is served, e.g. manage-7Hk2/ (hard to guess). Empty: no admin site at all.",
)
TIME_ZONE = Setting("REFERLY_TIME_ZONE", "UTC", "Time zone used to display dates and cut months.")
DATASETS = Setting(
    "REFERLY_DATASETS",
    "../shared/datasets",
    "Folder of the public datasets used by tests and examples (relative to the current folder).",
)

SCORING = Setting("REFERLY_SCORING", "", "A TOML file overriding the scoring settings (defaults.toml lists them).")
TEMPLATES = Setting(
    "REFERLY_TEMPLATES",
    "",
    "A folder of ask-script templates ({lang}/{channel}.txt, {lang}/words.toml) searched before the shipped ones.",
)
COMPANY_NAME = Setting(
    "REFERLY_COMPANY_NAME", "", "Our company's name in ask scripts. Empty: taken from the owner's e-mail domain."
)
NO_RESPONSE_DAYS = Setting(
    "REFERLY_NO_RESPONSE_DAYS", "21", "Days of silence after an ask before a requested referral becomes no_response."
)
ATTRIBUTION_DAYS = Setting(
    "REFERLY_ATTRIBUTION_DAYS", "90", "Attribution window: how long a referral holds its target against duplicates."
)
JOB_LEASE_MINUTES = Setting(
    "REFERLY_JOB_LEASE_MINUTES",
    "60",
    "Minutes (a fraction allowed) a worker holds a job it runs; after that the job is presumed lost and queued again.",
)
JOB_MAX_ATTEMPTS = Setting(
    "REFERLY_JOB_MAX_ATTEMPTS", "3", "Attempts at a job whose worker stopped answering before the job is failed."
)
EVENTS_ENGINE = Setting(
    "REFERLY_EVENTS_ENGINE",
    "duckdb",
    "Where event files given to `referly score --events/--folder` are reduced: duckdb (in this process) or spark.",
)
SPARK_MASTER = Setting(
    "REFERLY_SPARK_MASTER", "local[*]", "The Spark master the reduction runs on when REFERLY_EVENTS_ENGINE=spark."
)

REFERRAL_GOAL_SHARE = Setting(
    "REFERLY_REFERRAL_GOAL_SHARE", "0.40", "The referral channel's goal: this share of new pipeline (0 to 1)."
)
REFERRAL_GOAL_MONTHS = Setting(
    "REFERLY_REFERRAL_GOAL_MONTHS", "18", "Months from the first monthly review to reach the referral goal share."
)
BASE_CURRENCY = Setting(
    "REFERLY_BASE_CURRENCY",
    "EUR",
    "Currency report amounts are converted to, at the exchange rates imported with `referly fx import`.",
)
CHROMIUM = Setting(
    "REFERLY_CHROMIUM", "", "Chromium executable that prints PDF reports. Empty: chromium (or Chrome) found on PATH."
)
WEBHOOK_ALLOW_PRIVATE = Setting(
    "REFERLY_WEBHOOK_ALLOW_PRIVATE",
    "0",
    "1 lets webhooks go to loopback, link-local and private addresses (receivers on your own network).",
)
WEBHOOK_TIMEOUT = Setting(
    "REFERLY_WEBHOOK_TIMEOUT", "10", "Seconds a webhook receiver has to answer before the try counts as failed."
)
SMTP_URL = Setting(
    "REFERLY_SMTP_URL",
    "",
    "The SMTP server for messages Referly sends: smtp://user:password@host:587 (STARTTLS) or smtps://host:465.",
)
SMTP_PASSWORD = Setting("REFERLY_SMTP_PASSWORD", "", "The SMTP password, when it is not in REFERLY_SMTP_URL.")
SMTP_CA_FILE = Setting("REFERLY_SMTP_CA_FILE", "", "A CA file to trust for the SMTP server's certificate.")
MAIL_FROM = Setting("REFERLY_MAIL_FROM", "referly@localhost", "The address messages from Referly are sent from.")
SMTP_PASSWORD_FILE = Setting(
    "REFERLY_SMTP_PASSWORD_FILE", "", "A file holding the SMTP password (its first line), e.g. a mounted secret."
)
ASK_FROM = Setting(
    "REFERLY_ASK_FROM",
    "",
    "Empty: asks go from their owner's own address. An address (e.g. referrals@ourco.example): asks go from it, "
    "with the owner in Reply-To.",
)
SMTP_HOURLY_LIMIT = Setting(
    "REFERLY_SMTP_HOURLY_LIMIT", "50", "Messages one owner may send per hour; the rest wait for the next hour."
)
SMTP_MAX_ATTEMPTS = Setting(
    "REFERLY_SMTP_MAX_ATTEMPTS", "5", "Tries of a message before it is marked failed and its owner is told."
)
FOLLOW_UP_DAYS = Setting(
    "REFERLY_FOLLOW_UP_DAYS", "5", "Working days without a reply after which a follow-up is proposed to the owner."
)
BASE_URL = Setting(
    "REFERLY_BASE_URL", "http://127.0.0.1:8000", "The address people reach Referly at, for links in messages."
)
TEAM_DOMAINS = Setting(
    "REFERLY_TEAM_DOMAINS",
    "",
    "Comma-separated mail domains of our own team, e.g. example.com: captured mail and meetings with only "
    "these addresses (and teammates' own) are internal. Empty: the domains of the teammates' e-mails.",
)
CAPTURE_BLOCKLIST = Setting(
    "REFERLY_CAPTURE_BLOCKLIST",
    "",
    "Comma-separated addresses or domains never captured from mail, calendars or LinkedIn (personal, legal, "
    "HR), e.g. counsel@lawfirm.example,hr.example.com.",
)
SOURCE_CA_FILE = Setting(
    "REFERLY_SOURCE_CA_FILE",
    "",
    "A CA file to trust for the certificates of IMAP and CalDAV sources (self-signed servers); a source's own "
    "--ca-file wins.",
)
AUDIT_DAYS = Setting(
    "REFERLY_AUDIT_DAYS",
    "400",
    "Days the audit trail keeps an event; `referly audit prune` and the daily refresh delete older ones.",
)

REQUIRE_2FA = Setting(
    "REFERLY_REQUIRE_2FA",
    "off",
    "Who must sign in with a second factor (an authenticator code): off, admins or everyone. Those without one "
    "are sent to enrol before any other page.",
)

PASSWORD_LOGIN = Setting(
    "REFERLY_PASSWORD_LOGIN",
    "1",
    "0 switches local passwords off: the login page offers only single sign-on and a posted password is refused.",
)
OIDC_ISSUER = Setting(
    "REFERLY_OIDC_ISSUER",
    "",
    "The OpenID provider's issuer URL for single sign-on, e.g. https://login.example.com/realms/acme (its endpoints "
    "are read from ISSUER/.well-known/openid-configuration). Empty: single sign-on is off.",
)
OIDC_CLIENT_ID = Setting(
    "REFERLY_OIDC_CLIENT_ID", "", "The client id Referly is registered with at the OpenID provider."
)
OIDC_CLIENT_SECRET = Setting("REFERLY_OIDC_CLIENT_SECRET", "", "The client secret given by the OpenID provider.")
OIDC_CLIENT_SECRET_FILE = Setting(
    "REFERLY_OIDC_CLIENT_SECRET_FILE",
    "",
    "A file holding the OpenID client secret (its first line), e.g. a mounted secret.",
)
OIDC_SCOPES = Setting(
    "REFERLY_OIDC_SCOPES",
    "openid email profile",
    "Scopes asked of the OpenID provider, space-separated; add the one that releases the role claim (e.g. groups).",
)
OIDC_NAME = Setting("REFERLY_OIDC_NAME", "SSO", 'The provider\'s name on the login page: "Sign in with NAME".')
OIDC_ROLE_CLAIM = Setting(
    "REFERLY_OIDC_ROLE_CLAIM",
    "groups",
    "The claim holding the person's groups or roles, e.g. groups, roles or realm_access.roles (a dotted path).",
)
OIDC_ROLES = Setting(
    "REFERLY_OIDC_ROLES",
    "",
    "Groups mapped to Referly roles, e.g. referly-admins=admin,sales-leads=manager,sales=member; the highest wins.",
)
OIDC_DEFAULT_ROLE = Setting(
    "REFERLY_OIDC_DEFAULT_ROLE",
    "",
    "The role of a person in no mapped group: admin, manager, member or viewer. Empty: such a person is refused.",
)
OIDC_VERIFIED_CLAIM = Setting(
    "REFERLY_OIDC_VERIFIED_CLAIM",
    "email_verified",
    "The claim that must be true for the e-mail to count as verified (Microsoft Entra ID: xms_edov).",
)
OIDC_CLOCK_SKEW = Setting(
    "REFERLY_OIDC_CLOCK_SKEW",
    "60",
    "Seconds of clock difference with the OpenID provider tolerated when checking an ID token's dates.",
)

ALL: tuple[Setting, ...] = (
    DATABASE_URL,
    DB,
    SECRET_KEY,
    DEBUG,
    ALLOWED_HOSTS,
    HTTPS,
    TRUSTED_ORIGINS,
    LOGIN_FAILURES,
    API_FAILURES_PER_MINUTE,
    API_TOKEN_PER_MINUTE,
    API_ADDRESS_PER_MINUTE,
    API_SCHEMA_PUBLIC,
    ADMIN_PATH,
    REQUIRE_2FA,
    TIME_ZONE,
    DATASETS,
    SCORING,
    TEMPLATES,
    COMPANY_NAME,
    NO_RESPONSE_DAYS,
    ATTRIBUTION_DAYS,
    EVENTS_ENGINE,
    SPARK_MASTER,
    JOB_LEASE_MINUTES,
    JOB_MAX_ATTEMPTS,
    REFERRAL_GOAL_SHARE,
    REFERRAL_GOAL_MONTHS,
    BASE_CURRENCY,
    CHROMIUM,
    WEBHOOK_ALLOW_PRIVATE,
    WEBHOOK_TIMEOUT,
    SMTP_URL,
    SMTP_PASSWORD,
    SMTP_CA_FILE,
    MAIL_FROM,
    SMTP_PASSWORD_FILE,
    ASK_FROM,
    SMTP_HOURLY_LIMIT,
    SMTP_MAX_ATTEMPTS,
    FOLLOW_UP_DAYS,
    BASE_URL,
    TEAM_DOMAINS,
    CAPTURE_BLOCKLIST,
    SOURCE_CA_FILE,
    AUDIT_DAYS,
    PASSWORD_LOGIN,
    OIDC_ISSUER,
    OIDC_CLIENT_ID,
    OIDC_CLIENT_SECRET,
    OIDC_CLIENT_SECRET_FILE,
    OIDC_SCOPES,
    OIDC_NAME,
    OIDC_ROLE_CLAIM,
    OIDC_ROLES,
    OIDC_DEFAULT_ROLE,
    OIDC_VERIFIED_CLAIM,
    OIDC_CLOCK_SKEW,
)


def datasets_dir() -> Path:
    return Path(DATASETS.value()).expanduser().resolve()
