"""Webhook signing secrets are sealed at rest: no row and no byte of a SQLite file holds one in clear, those
stored before are sealed by the migration, and a new secret key makes them unreadable, said in one sentence."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from referly.connect import services
from referly.connect.models import Delivery, Subscription
from referly.connect.sending import deliver_webhooks
from referly.connect.signing import PREFIX
from referly.errors import Unavailable
from tests.conftest import on_postgres, scratch_settings
from tests.connect.receiver import receiving
from tests.privacy.test_privacy import everything_in_the_database

SETUP = textwrap.dedent(
    """
    import django
    django.setup()
    from referly.database import open_database
    open_database()
    from django.db import connection, transaction
    from django.core.management import call_command
    from django.utils import timezone
    from referly.connect import services
    from referly.connect.models import Subscription
    """
)

NEW = SETUP + textwrap.dedent(
    """
    with transaction.atomic():
        made = services.subscribe("http://127.0.0.1:9/hooks/north", ["referral.won"], "standard", "en", timezone.now())
    print(made.secret)
    """
)

OLD = "whsec_" + base64.b64encode(b"a secret kept in clear before it was sealed").decode()
MIGRATED = SETUP + textwrap.dedent(
    f"""
    call_command("migrate", "connect", "0001", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO connect_subscription (url, kind, events, secret, language, active, disabled_reason, "
            "failures_in_a_row, created_at) VALUES ('http://127.0.0.1:9/hooks/north', 'standard', '[]', %s, 'en', "
            "%s, '', 0, '2026-12-01 10:00:00')",
            [{OLD!r}, True],
        )
    call_command("migrate", "connect", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM connect_subscription")
        rows = repr(cursor.fetchall())
    print("in clear" if {OLD!r}.removeprefix("whsec_") in rows else "sealed", Subscription.objects.get().secret)
    """
)


def run(script: str, folder: Path, database: dict[str, str] | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REFERLY_", "DJANGO_"))}
    env |= (database or {"REFERLY_DB": str(folder / "hooks.db")}) | {
        "DJANGO_SETTINGS_MODULE": "referly.settings",
        "PYTHONPATH": str(Path.cwd()),
        "REFERLY_WEBHOOK_ALLOW_PRIVATE": "1",
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def in_the_file(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.glob("hooks.db*"))


def forms_of(secret: str) -> list[bytes]:
    """The secret as written, its key's base64 without the prefix, and the raw key bytes."""
    key = secret.removeprefix(PREFIX)
    return [secret.encode(), key.encode(), base64.b64decode(key)]


@pytest.fixture(autouse=True)
def private_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERLY_WEBHOOK_ALLOW_PRIVATE", "1")  # nothing resolves here but loopback


sqlite_only = pytest.mark.skipif(on_postgres(), reason="the bytes of a SQLite file; every row is read below")


@sqlite_only
def test_on_sqlite_a_new_webhooks_secret_is_nowhere_in_the_file(tmp_path: Path) -> None:
    secret = run(NEW, tmp_path)
    assert secret.startswith(PREFIX)
    files = in_the_file(tmp_path)
    assert b"http://127.0.0.1:9/hooks/north" in files, "the scan sees the subscription's row"
    for form in forms_of(secret):
        assert form not in files


def test_the_migration_seals_the_secrets_stored_before(tmp_path: Path) -> None:
    for database in scratch_settings(tmp_path, "h8_sealing" if on_postgres() else "hooks"):
        said = run(MIGRATED, tmp_path, database)
        assert said == f"sealed {OLD}", "no row holds it in clear; the same secret reads through the sealed column"


@sqlite_only
def test_on_sqlite_the_migration_leaves_no_copy_in_the_file(tmp_path: Path) -> None:
    assert run(MIGRATED, tmp_path) == f"sealed {OLD}"
    files = in_the_file(tmp_path)
    assert b"http://127.0.0.1:9/hooks/north" in files
    for form in forms_of(OLD):
        assert form not in files, "the old column's bytes are overwritten, not only unlinked"


@pytest.mark.django_db
def test_no_row_holds_a_signing_secret_in_clear() -> None:
    made = services.subscribe("http://127.0.0.1:9/hooks/north", ["referral.won"], "standard", "en", timezone.now())
    secret = Subscription.objects.get(pk=made.pk).secret
    assert secret == made.secret and secret.startswith(PREFIX)
    everything = everything_in_the_database()
    assert secret.lower() not in everything and secret.removeprefix(PREFIX).lower() not in everything
    assert Subscription.objects.get().sealed_secret.lower() in everything, "what is stored is the sealed form"


@pytest.mark.django_db
def test_a_new_secret_key_makes_the_secret_unreadable_in_one_sentence(settings: Any) -> None:
    made = services.subscribe("http://127.0.0.1:9/hooks/north", ["referral.won"], "standard", "en", timezone.now())
    settings.SECRET_KEY = "another secret key, long enough to pass every check of production mode"
    with pytest.raises(Unavailable, match=r"signing secret cannot be decrypted \(the secret key changed"):
        Subscription.objects.get(pk=made.pk).secret  # noqa: B018


@pytest.mark.django_db
def test_after_a_new_secret_key_each_try_fails_with_that_sentence_and_nothing_is_sent(settings: Any) -> None:
    with receiving() as receiver:
        made = services.subscribe(receiver.url, ["referral.won"], "standard", "en", timezone.now())
        services.queue_test(made.pk, timezone.now())
        settings.SECRET_KEY = "another secret key, long enough to pass every check of production mode"
        tally = deliver_webhooks(timezone.now)
        assert (tally["delivered"], tally["retry"]) == (0, 1), "the worker goes on: a failed try, tried again"
        assert receiver.received == [], "nothing unsigned leaves"
    [attempt] = Delivery.objects.get().log.all()
    assert attempt.status is None and "signing secret cannot be decrypted" in attempt.error
