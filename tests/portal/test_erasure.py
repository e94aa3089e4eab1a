"""A declined or unanswered consent leaves nothing of the person's address: not in a row, not in the file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import on_postgres
from tests.privacy.test_privacy import everything_in_the_database

SCRIPT = textwrap.dedent(
    """
    import sys
    import django
    from datetime import timedelta
    from django.db import transaction
    from django.utils import timezone

    django.setup()
    from referly.database import open_database
    open_database()
    from referly.portal import links, services
    from referly.privacy.services import after_commit_cleanup
    from tests.factories import make_account, make_contact, make_teammate

    now = timezone.now()
    with transaction.atomic():
        owner = make_teammate("Olive Owner", email="olive@northbeam.example")
        client = make_account("Acme", domain="acme.example", lifecycle="client", owner=owner)
        sponsor = make_contact(client, first_name="Jane", last_name="Roe", email="jane@acme.example")
        link, _ = links.create_sponsor_link(sponsor, 30, now, owner, "en")
    for name, email in (("Dan Decline", "dan.decline@elsewhere.example"), ("Sam Silent", "sam.silent@quiet.example")):
        with transaction.atomic():
            form = {"name": name, "email": email, "company": email.split("@")[1].split(".")[0].title() + " Ltd"}
            services.recommend(link, form, now, lambda send: None)
    with transaction.atomic():
        from referly.portal.models import OptIn
        services.decline(OptIn.objects.get(email="dan.decline@elsewhere.example"), now)
    with transaction.atomic():
        services.expire(now + timedelta(days=15))
    after_commit_cleanup()
    """
)


@pytest.mark.skipif(on_postgres(), reason="the bytes of a SQLite file; the PostgreSQL run checks every row below")
def test_on_sqlite_the_declined_and_expired_addresses_are_gone_from_the_file(tmp_path: Path) -> None:
    db = tmp_path / "portal.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REFERLY_", "DJANGO_"))}
    env |= {"REFERLY_DB": str(db), "DJANGO_SETTINGS_MODULE": "referly.settings", "PYTHONPATH": str(Path.cwd())}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    files = b"".join(p.read_bytes() for p in tmp_path.glob("portal.db*"))
    assert b"jane@acme.example" in files, "the sponsor is kept: the scan sees addresses"
    for gone in (b"dan.decline@elsewhere.example", b"sam.silent@quiet.example", b"Dan Decline", b"Sam Silent"):
        assert gone not in files, gone


@pytest.mark.django_db
def test_no_row_keeps_a_declined_or_expired_address(django_capture_on_commit_callbacks: object) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from referly.portal import links, services
    from referly.portal.models import OptIn
    from tests.factories import make_account, make_contact, make_teammate

    now = timezone.now()
    owner = make_teammate("Olive Owner", email="olive@northbeam.example")
    client = make_account("Acme", domain="acme.example", lifecycle="client", owner=owner)
    sponsor = make_contact(client, first_name="Jane", last_name="Roe", email="jane@acme.example")
    link, _ = links.create_sponsor_link(sponsor, 30, now, owner, "en")
    for name, email in (("Dan Decline", "dan.decline@elsewhere.example"), ("Sam Silent", "sam.silent@quiet.example")):
        company = email.split("@")[1].split(".")[0].title() + " Ltd"
        services.recommend(link, {"name": name, "email": email, "company": company}, now, lambda send: None)
    assert "dan.decline@elsewhere.example" in everything_in_the_database()
    services.decline(OptIn.objects.get(email="dan.decline@elsewhere.example"), now)
    services.expire(now + timedelta(days=15))
    after = everything_in_the_database()
    for gone in ("dan.decline@elsewhere.example", "sam.silent@quiet.example", "dan decline", "sam silent"):
        assert gone not in after, gone
