"""Every address Referly answers: the API, the portal, the dashboard, and the admin where REFERLY_ADMIN_PATH says."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from referly.api.main import api


def site_patterns(admin_path: str) -> list[URLPattern | URLResolver]:
    """The site's routes; the admin only at ``admin_path`` (e.g. ``manage-7Hk2``), none when it is empty."""
    admin_site = [path(f"{admin_path.strip('/')}/", admin.site.urls)] if admin_path.strip("/") else []
    return [
        *admin_site,
        path("api/v1/", api.urls),
        path("i18n/", include("django.conf.urls.i18n")),
        path("sso/", include("referly.sso.urls")),
        path("", include("referly.portal.urls")),
        path("", include("referly.web.urls")),
    ]


urlpatterns = site_patterns(settings.ADMIN_PATH)
handler500 = "referly.web.unavailable.server_error"  # 503 with Retry-After while the database is out of reach
