"""Every router of the API and its prefix under /api/v1."""

from __future__ import annotations

from ninja import Router

from referly.api import (
    accounts,
    actions,
    contacts,
    imports,
    interactions,
    metrics,
    notices,
    opportunities,
    outbox,
    referrals,
    scripts,
    signals,
    tables,
    webhooks,
)

ALL: list[tuple[str, Router]] = [
    ("/actions", actions.router),
    ("/accounts", accounts.router),
    ("/contacts", contacts.router),
    ("/signals", signals.router),
    ("/interactions", interactions.router),
    ("/opportunities", opportunities.router),
    ("/referrals", referrals.router),
    ("", scripts.router),
    ("/metrics", metrics.router),
    ("/imports", imports.router),
    ("/webhooks", webhooks.router),
    ("/tables", tables.router),
    ("/outbox", outbox.router),
    ("/notifications", notices.router),
]
