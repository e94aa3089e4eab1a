"""The demo's asks stand on ties recorded before them, and their referrals are spread over the stages."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import numpy as np

from referly.ingest.demo import DemoContext, generate_records, volumes_for
from referly.referrals.models import Referral

UNTIL = date(2026, 11, 1)


def _table(frames: list[Any], model: type, kind: str | None = None) -> dict[str, Any]:
    """The first frame of ``model`` (with ``kind``: of contact-to-contact ties of that kind)."""
    for frame in frames:
        if frame.model is model and (
            kind is None or (frame.columns.get("kind") == kind and "to_contact_id" in frame.columns)
        ):
            return dict(frame.columns)
    raise AssertionError(f"no {model.__name__} frame")


def test_most_asks_stand_on_a_tie_recorded_before_them_and_every_waiting_stage_is_there() -> None:
    from referly.crm.models import Connection, Contact

    frames, _ = generate_records(DemoContext(volumes_for("tiny"), 3, UNTIL))
    referrals = _table(frames, Referral)
    contacts = _table(frames, Contact)
    first = {}
    for contact, account in zip(contacts["id"].tolist(), contacts["account_id"].tolist(), strict=True):
        first.setdefault(int(account), int(contact))
    declared = _table(frames, Connection, "declared")
    since = dict(
        zip(
            zip(declared["from_contact_id"], declared["to_contact_id"], strict=True),
            np.array(declared["since"], dtype="datetime64[D]"),
            strict=True,
        )
    )
    stages = Counter(referrals["stage"])
    assert stages["requested"] >= 1 and stages["identified"] >= 1 and stages["declined"] >= 1
    on_a_tie = 0
    for referrer, target, created in zip(
        referrals["referrer_contact_id"], referrals["target_account_id"], referrals["created_at"], strict=True
    ):
        pair = tuple(sorted((int(referrer), first[int(target)])))
        recorded = since.get(pair)
        on_a_tie += recorded is not None and recorded < created.astype("datetime64[D]")
    assert on_a_tie >= 0.7 * len(referrals["id"])
