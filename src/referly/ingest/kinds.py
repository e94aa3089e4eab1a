"""What each importable kind of record is made of: its fields, their types, and how rows are matched."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from referly.crm.models import (
    Account,
    Connection,
    ConnectionKind,
    Contact,
    ContactRole,
    Interaction,
    InteractionKind,
    Lifecycle,
    Opportunity,
    OpportunitySource,
    OpportunityStage,
    Seniority,
    Signal,
    SignalKind,
    Teammate,
    TeammateRole,
)
from referly.referrals.models import Channel, Referral, ReferralStage


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str  # text, int, decimal, fraction, bool, date, datetime, email, domain, country, choice, ref
    required: bool = False
    choices: tuple[str, ...] = ()
    ref: str = ""  # the kind a reference points to
    max_length: int | None = None
    future: bool = False  # dates: may lie in the future
    negative: bool = False  # numbers: may be negative
    # False: read from the file but not a column of the record (a contact's CRM activity dates become touches)
    stored: bool = True


@dataclass(frozen=True)
class KindSpec:
    name: str
    model: type[models.Model]
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def references(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.type == "ref" and f.stored)

    @property
    def unstored(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if not f.stored)


def _values(choices: type[models.Choices]) -> tuple[str, ...]:
    return tuple(str(v) for v in choices.values)


def T(name: str, length: int = 255, required: bool = False) -> FieldSpec:
    return FieldSpec(name, "text", required=required, max_length=length)


def C(name: str, choices: type[models.Choices], required: bool = False) -> FieldSpec:
    return FieldSpec(name, "choice", required=required, choices=_values(choices))


def R(name: str, kind: str, required: bool = False) -> FieldSpec:
    return FieldSpec(name, "ref", required=required, ref=kind)


EXTERNAL_ID = T("external_id", 128)
INTERACTION_KINDS = {k.name.lower(): k.value for k in InteractionKind}

KINDS: dict[str, KindSpec] = {
    spec.name: spec
    for spec in [
        KindSpec(
            "teammates",
            Teammate,
            (
                EXTERNAL_ID,
                T("name", 200, True),
                FieldSpec("email", "email"),
                C("role", TeammateRole),
                R("manager", "teammates"),
                T("team", 100),
                FieldSpec("is_active", "bool"),
            ),
        ),
        KindSpec(
            "accounts",
            Account,
            (
                EXTERNAL_ID,
                T("name", 255, True),
                FieldSpec("domain", "domain"),
                T("industry", 100),
                FieldSpec("employees", "int"),
                FieldSpec("annual_revenue", "decimal"),
                FieldSpec("country", "country"),
                C("lifecycle", Lifecycle),
                FieldSpec("client_since", "date"),
                FieldSpec("churned_on", "date"),
                R("owner", "teammates"),
            ),
        ),
        KindSpec(
            "contacts",
            Contact,
            (
                EXTERNAL_ID,
                R("account", "accounts", True),
                T("name", 200),
                T("first_name", 100),
                T("last_name", 100),
                FieldSpec("email", "email"),
                T("phone", 40),
                T("title", 200),
                C("seniority", Seniority),
                C("role", ContactRole),
                FieldSpec("do_not_contact", "bool"),
                FieldSpec("opted_out_of_asks", "bool"),
                # The CRM's own activity log, as its exports summarise it: each date becomes one touch
                # (crm_activity) between the contact and its owner, else its account's owner.
                FieldSpec("owner", "ref", ref="teammates", stored=False),
                FieldSpec("last_activity_at", "datetime", stored=False),
                FieldSpec("last_contacted_at", "datetime", stored=False),
                FieldSpec("activity_count", "int", stored=False),
            ),
        ),
        KindSpec(
            "interactions",
            Interaction,
            (
                R("teammate", "teammates", True),
                R("contact", "contacts", True),
                FieldSpec("kind", "choice", True, tuple(INTERACTION_KINDS)),
                FieldSpec("occurred_at", "datetime", True),
            ),
        ),
        KindSpec(
            "signals",
            Signal,
            (
                EXTERNAL_ID,
                R("account", "accounts", True),
                R("contact", "contacts"),
                C("kind", SignalKind, True),
                FieldSpec("occurred_on", "date", True),
                FieldSpec("nps_score", "int"),
                FieldSpec("value", "decimal", negative=True),
                T("unit", 24),
                T("metric", 120),
                T("detail", 2000),
                FieldSpec("resolved_on", "date"),
            ),
        ),
        KindSpec(
            "connections",
            Connection,
            (
                EXTERNAL_ID,
                R("from_contact", "contacts", True),
                R("to_contact", "contacts"),
                R("teammate", "teammates"),
                C("kind", ConnectionKind, True),
                FieldSpec("confidence", "fraction"),
                T("provenance", 255),
                FieldSpec("since", "date"),
            ),
        ),
        KindSpec(
            "opportunities",
            Opportunity,
            (
                EXTERNAL_ID,
                R("account", "accounts"),
                T("name", 255),
                FieldSpec("amount", "decimal"),
                T("currency", 3),
                C("stage", OpportunityStage),
                FieldSpec("source", "source"),
                T("source_detail", 120),
                T("product", 120),
                R("owner", "teammates"),
                FieldSpec("created_on", "date"),
                FieldSpec("closed_on", "date", future=True),
                FieldSpec("expected_close_on", "date", future=True),
                R("referring_contact", "contacts"),
                R("referring_account", "accounts"),
            ),
        ),
        KindSpec(
            "referrals",
            Referral,
            (
                R("referrer_contact", "contacts", True),
                R("referrer_account", "accounts"),
                R("target_account", "accounts", True),
                R("target_contact", "contacts"),
                R("owner", "teammates", True),
                C("channel", Channel),
                C("stage", ReferralStage),
                FieldSpec("created_at", "datetime", True),
                R("opportunity", "opportunities"),
            ),
        ),
    ]
}
ORDER = [
    "teammates",
    "accounts",
    "contacts",
    "opportunities",
    "signals",
    "connections",
    "interactions",
    "referrals",
]
SOURCES = _values(OpportunitySource)


def kind_spec(name: str) -> KindSpec:
    try:
        return KINDS[name]
    except KeyError:
        from referly.errors import InvalidInput

        raise InvalidInput(f"Unknown kind {name!r}: choose one of {', '.join(ORDER)}") from None
