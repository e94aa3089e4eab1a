from __future__ import annotations

from django.contrib import admin

from referly.census import domain_models


def test_every_domain_record_has_an_admin_page() -> None:
    missing = [m.__name__ for m in domain_models() if not admin.site.is_registered(m)]
    assert missing == []
