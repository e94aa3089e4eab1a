"""docs/connect.md's receiver, run as written against a real delivery: the example a reader copies works."""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from referly.connect import services
from referly.connect.sending import deliver_webhooks
from referly.referrals import services as referrals
from tests.factories import make_account, make_contact, make_teammate

pytestmark = pytest.mark.django_db
DOC = Path(__file__).resolve().parents[2] / "docs" / "connect.md"


def receiver_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    after = text[text.index("A receiver in") :]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)  # type: ignore[union-attr]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_documented_receiver_verifies_and_dedupes_a_real_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERLY_WEBHOOK_ALLOW_PRIVATE", "1")
    code = receiver_example()
    lines = [line for line in code.splitlines() if line.strip()]
    assert len(lines) == 17, "the docs say 17 lines"
    port = free_port()
    made = services.subscribe(f"http://127.0.0.1:{port}/", ["referral.stage_changed"], "standard", "en", timezone.now())
    namespace: dict[str, Any] = {}
    code = code.replace('"whsec_..."', repr(made.secret)).replace("8900", str(port))
    threading.Thread(target=exec, args=(code, namespace), daemon=True).start()
    for _ in range(100):
        if "Receiver" in namespace and namespace.get("seen") is not None:
            break
        time.sleep(0.05)
    time.sleep(0.2)  # the server binds after the class is defined
    owner = make_teammate("Sam Lee", email="sam@northbeam.example")
    client = make_account("Acme", domain="acme.example", lifecycle="client")
    sponsor = make_contact(client, first_name="Jane", last_name="Roe", email="jane@acme.example")
    target = make_account("Globex", domain="globex.example")
    referral = referrals.create(sponsor, target.pk, None, owner, now=timezone.now(), actor=owner)
    referrals.advance(referral.pk, "requested", actor=owner, now=timezone.now())
    assert deliver_webhooks(timezone.now)["delivered"] == 1
    delivery = made.deliveries.get()
    services.redeliver(delivery.pk, timezone.now())
    assert deliver_webhooks(timezone.now)["delivered"] == 1, "the same id, accepted again"
    assert namespace["seen"] == {delivery.message_id}


def test_the_documented_chat_message_is_the_one_sent() -> None:
    """docs/connect.md shows the Slack-compatible message of a stage change; this is what chat_message writes."""
    import json

    from referly.connect.events import chat_message

    text = DOC.read_text(encoding="utf-8")
    after = text[text.index("The message for a stage change, as sent") :]
    documented = json.loads(re.search(r"```json\n(.*?)```", after, re.S).group(1))  # type: ignore[union-attr]
    data = {
        "referral_id": 42,
        "from_stage": "identified",
        "stage": "requested",
        "referrer": {"account": "Acme", "contact": "Jane Roe"},
        "target_account": "Globex",
        "owner": {"name": "Sam Lee", "email": "sam@northbeam.example"},
    }
    assert chat_message("referral.stage_changed", data, "en") == documented
    french = chat_message("referral.stage_changed", data, "fr")
    assert "Acme → Globex : demandée (avant : identifiée), suivie par Sam Lee" in french["text"]
    assert "étape suivante : mise en relation" in french["text"]
