"""The analyst tables, declared once: each table's name, meaning, columns (Arrow type, meaning) and SQL.

``TABLES`` is what ``referly export tables``, the API's ``/tables`` and the Reports page's download
write and describe; docs/connect-tables.md documents every column (a test checks it). The building,
pseudonymising and writing are in ``referly.connect.tables``.

A column marked ``personal`` (a person's name, e-mail, phone or title) becomes a pseudonym without
personal data; one marked ``free_text`` (notes, drafts, explanations naming people) becomes NULL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

Personal = Literal["name", "email", "phone", "title"]

ID = pa.int64()
INT = pa.int64()
TEXT = pa.string()
WHEN = pa.timestamp("us", tz="UTC")
DAY = pa.date32()
FLAG = pa.bool_()
SCORE = pa.float64()
REVENUE = pa.decimal128(18, 2)
AMOUNT = pa.decimal128(16, 2)


@dataclass(frozen=True)
class Column:
    """One column: its name, Arrow type, meaning and the SQL that reads it (the name itself by default)."""

    name: str
    type: pa.DataType
    meaning: str
    sql: str = ""
    personal: Personal | None = None
    """A person's name, e-mail, phone or title: replaced by a pseudonym without personal data."""
    free_text: bool = False
    """Free text written by people (notes, drafts, explanations naming people): NULL without personal data."""

    @property
    def select(self) -> str:
        return self.sql or self.name


@dataclass(frozen=True)
class TableSpec:
    """One exported table: its name, what one row is, its columns and where its rows come from."""

    name: str
    meaning: str
    columns: tuple[Column, ...]
    source: str
    """The FROM clause (with joins); ``{run}`` stands for the latest score run's id."""
    order_by: str
    where: str = ""

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, c.type, metadata={"description": c.meaning}) for c in self.columns],
            metadata={"description": self.meaning},
        )


def _text(column: str) -> str:
    """A JSON or decimal column as its text (PostgreSQL would hand JSON back parsed, decimals as Decimal)."""
    return f"CAST({column} AS TEXT)"


def _ext(table: str) -> tuple[Column, ...]:
    return (
        Column(
            "source_system",
            TEXT,
            "The system the record mirrors, e.g. hubspot; empty when none.",
            f"{table}.source_system",
        ),
        Column("external_id", TEXT, "Its id in that system; null when none.", f"{table}.external_id"),
        Column("created_at", WHEN, "When Referly first stored the record (UTC).", f"{table}.created_at"),
        Column("updated_at", WHEN, "When Referly last changed the record (UTC).", f"{table}.updated_at"),
    )


TEAMMATES = TableSpec(
    "teammates",
    "One row per teammate: someone on our side who owns accounts, deals, referrals and asks.",
    (
        Column("id", ID, "Teammate id; *_id and owner_id columns elsewhere refer to it."),
        Column("name", TEXT, "Full name.", personal="name"),
        Column("email", TEXT, "Work e-mail; null when unknown.", personal="email"),
        Column("role", TEXT, "ae, csm, am, sdr, marketer, manager or other."),
        Column("team", TEXT, "Region, office or squad; empty when none."),
        Column("manager_id", ID, "Their manager's teammate id; null when none."),
        Column("is_active", FLAG, "Still on the team."),
        *_ext("crm_teammate"),
    ),
    "crm_teammate",
    "crm_teammate.id",
)

ACCOUNTS = TableSpec(
    "accounts",
    "One row per account: a company that is a client, prospect, partner or churned.",
    (
        Column("id", ID, "Account id.", "crm_account.id"),
        Column("name", TEXT, "Company name."),
        Column("domain", TEXT, "Web domain, lower case; null when unknown."),
        Column("industry", TEXT, "Industry; empty when unknown."),
        Column("employees", INT, "Head count; null when unknown."),
        Column("annual_revenue", REVENUE, "Annual revenue; null when unknown.", _text("annual_revenue")),
        Column("country", TEXT, "ISO 3166-1 alpha-2 country code; empty when unknown."),
        Column("lifecycle", TEXT, "client, prospect, partner or churned."),
        Column("client_since", DAY, "First day as a client; null when never one."),
        Column("churned_on", DAY, "Day it stopped being a client; null when it has not."),
        Column("owner_id", ID, "The teammate who owns the account (teammates.id); null when none."),
        Column("custom", TEXT, "Extra attributes the ICP may weigh, as a JSON object.", _text("custom")),
        *_ext("crm_account"),
    ),
    "crm_account",
    "crm_account.id",
)

CONTACTS = TableSpec(
    "contacts",
    "One row per contact: a person at an account. Erased people keep their row, without personal data.",
    (
        Column("id", ID, "Contact id.", "crm_contact.id"),
        Column("account_id", ID, "Their account (accounts.id)."),
        Column("first_name", TEXT, "First name; empty when unknown or erased.", personal="name"),
        Column("last_name", TEXT, "Last name; empty when unknown or erased.", personal="name"),
        Column("email", TEXT, "Work e-mail, lower case; null when unknown or erased.", personal="email"),
        Column("phone", TEXT, "Phone; empty when unknown.", personal="phone"),
        Column("title", TEXT, "Job title; empty when unknown.", personal="title"),
        Column("seniority", TEXT, "executive, vp, director, manager, individual or unknown."),
        Column("role", TEXT, "Their part toward us: executive_sponsor, champion, user, gatekeeper or other."),
        Column("do_not_contact", FLAG, "Never contact this person, for any reason."),
        Column("opted_out_of_asks", FLAG, "Never ask this person for referrals."),
        Column("erased_at", WHEN, "When their personal data was erased (referly forget); null when it was not."),
        *_ext("crm_contact"),
    ),
    "crm_contact",
    "crm_contact.id",
)

REFERRALS = TableSpec(
    "referrals",
    "One row per referral: an introduction from a referrer at one account to a target account.",
    (
        Column("id", ID, "Referral id."),
        Column("referrer_contact_id", ID, "The person who refers (contacts.id)."),
        Column("referrer_account_id", ID, "Their account (accounts.id)."),
        Column("target_account_id", ID, "The account introduced to (accounts.id)."),
        Column("target_contact_id", ID, "The person introduced to (contacts.id); null when not named yet."),
        Column("owner_id", ID, "The teammate who owns the referral (teammates.id)."),
        Column("channel", TEXT, "How the ask is made: email, linkedin, call or in_person."),
        Column("script_key", TEXT, "The ask template used, e.g. email/renewal/en; empty when none."),
        Column(
            "stage",
            TEXT,
            "identified, requested, introduced, meeting, opportunity, won, lost, declined, no_response or withdrawn.",
        ),
        Column("attribution", TEXT, "pending, sourced, influenced, suspected or duplicate (see credits)."),
        Column("opportunity_id", ID, "The deal it led to (opportunities.id); null when none."),
        Column("duplicate_of_id", ID, "The earlier referral this one duplicates (referrals.id); null when none."),
        Column("consent_confirmed_at", WHEN, "When the referrer confirmed the person agreed to be introduced."),
        Column("version", INT, "Bumped by every change."),
        Column("created_at", WHEN, "When it was registered (UTC)."),
        Column("stage_changed_at", WHEN, "When it entered its current stage (UTC)."),
    ),
    "referrals_referral",
    "id",
)

STAGE_HISTORY = TableSpec(
    "referral_stage_history",
    "One row per stage a referral entered: when, from which stage, by whom and why.",
    (
        Column("id", ID, "Transition id."),
        Column("referral_id", ID, "The referral (referrals.id)."),
        Column("from_stage", TEXT, "The stage it left; null at creation.", "NULLIF(from_stage, '')"),
        Column("to_stage", TEXT, "The stage it entered."),
        Column("entered_at", WHEN, "When it entered to_stage (UTC).", "at"),
        Column("actor_id", ID, "The teammate who moved it (teammates.id); null when unknown."),
        Column("note", TEXT, "Why, as written by the actor.", free_text=True),
        Column("draft", TEXT, "The thank-you draft for the referrer, if any.", free_text=True),
    ),
    "referrals_referraltransition",
    "referral_id, at, id",
)

ASKS = TableSpec(
    "asks",
    "One row per ask: a request made of a client contact (the ledger caps and cool-downs count over).",
    (
        Column("id", ID, "Ask id."),
        Column("contact_id", ID, "The person asked (contacts.id)."),
        Column("account_id", ID, "Their account (accounts.id)."),
        Column("asked_by_id", ID, "The teammate who asked (teammates.id); null when unknown."),
        Column("kind", TEXT, "referral, reference_call, case_study or review."),
        Column("asked_at", WHEN, "When (UTC)."),
        Column("outcome", TEXT, "pending, accepted, declined or no_response."),
        Column("outcome_at", WHEN, "When the outcome was known; null while pending."),
        Column("referral_id", ID, "The referral it belongs to (referrals.id); null when none."),
        Column("override_reason", TEXT, "Why a cap or cool-down was overridden; empty when none was.", free_text=True),
    ),
    "referrals_ask",
    "id",
)

CREDITS = TableSpec(
    "credits",
    "One row per referral: the credit the rules gave it and the deal it is credited with.",
    (
        Column("referral_id", ID, "The referral (referrals.id).", "r.id"),
        Column("referrer_contact_id", ID, "Who referred (contacts.id).", "r.referrer_contact_id"),
        Column("referrer_account_id", ID, "Their account (accounts.id).", "r.referrer_account_id"),
        Column("target_account_id", ID, "The account introduced to (accounts.id).", "r.target_account_id"),
        Column("owner_id", ID, "The referral's owner (teammates.id).", "r.owner_id"),
        Column("stage", TEXT, "The referral's stage.", "r.stage"),
        Column(
            "attribution",
            TEXT,
            "pending (not yet credited), sourced, influenced, suspected or duplicate.",
            "r.attribution",
        ),
        Column("credit_note", TEXT, "Why the credit rules gave this attribution.", "r.credit_note", free_text=True),
        Column(
            "duplicate_of_id", ID, "The referral it duplicates (referrals.id); null when none.", "r.duplicate_of_id"
        ),
        Column("opportunity_id", ID, "The credited deal (opportunities.id); null when none.", "o.id"),
        Column("opportunity_stage", TEXT, "The deal's stage; null when no deal.", "o.stage"),
        Column("opportunity_amount", AMOUNT, "The deal's amount; null when none or unknown.", _text("o.amount")),
        Column("opportunity_currency", TEXT, "The amount's ISO 4217 currency.", "o.currency"),
        Column("opportunity_created_on", DAY, "When the deal was opened.", "o.created_on"),
        Column("opportunity_closed_on", DAY, "When the deal was won or lost; null while open.", "o.closed_on"),
    ),
    "referrals_referral r LEFT JOIN crm_opportunity o ON o.id = r.opportunity_id",
    "r.id",
)

OPPORTUNITIES = TableSpec(
    "opportunities",
    "One row per deal; a referral-sourced deal names the contact and account that referred it.",
    (
        Column("id", ID, "Deal id.", "crm_opportunity.id"),
        Column("account_id", ID, "The buying account (accounts.id); null when not tied to one yet."),
        Column("name", TEXT, "Deal name."),
        Column("amount", AMOUNT, "Amount; null when unknown.", _text("amount")),
        Column("currency", TEXT, "The amount's ISO 4217 currency."),
        Column("stage", TEXT, "prospecting, qualification, proposal, negotiation, won or lost."),
        Column("source", TEXT, "referral, outbound, inbound, partner, event or other."),
        Column("source_detail", TEXT, "The source as the CRM spelled it."),
        Column("product", TEXT, "Product; empty when unknown."),
        Column("owner_id", ID, "The teammate who owns it (teammates.id); null when none."),
        Column("created_on", DAY, "When it was opened."),
        Column("closed_on", DAY, "When it was won or lost; null while open."),
        Column("expected_close_on", DAY, "When an open deal should close."),
        Column("referring_contact_id", ID, "Who referred it (contacts.id); null when not referred."),
        Column("referring_account_id", ID, "Their account (accounts.id); null when not referred."),
        *_ext("crm_opportunity"),
    ),
    "crm_opportunity",
    "crm_opportunity.id",
)

SPONSOR_SCORES = TableSpec(
    "sponsor_scores",
    "One row per client contact scored by the latest score run: how good a referrer they are now.",
    (
        Column("run_id", ID, "The score run.", "s.run_id"),
        Column("run_as_of", WHEN, "The time the run scored as of (UTC).", "run.as_of"),
        Column("contact_id", ID, "The contact (contacts.id).", "s.contact_id"),
        Column("account_id", ID, "Their account (accounts.id).", "s.account_id"),
        Column("score", SCORE, "Sponsor score, 0-100.", "s.score"),
        Column("gated", FLAG, "Must not be asked now (see gates).", "s.gated"),
        Column("gates", TEXT, "Why not now, as a JSON list of reasons.", _text("s.gates")),
        Column(
            "components", TEXT, "Each component (0-1) and the risk penalty, as a JSON object.", _text("s.components")
        ),
    ),
    "scoring_sponsorscore s JOIN scoring_scorerun run ON run.id = s.run_id",
    "s.score DESC, s.contact_id",
    "s.run_id = {run}",
)

NEXT_BEST_ACTIONS = TableSpec(
    "next_best_actions",
    "One row per next best action of the latest score run: who could introduce whom, now, by rank.",
    (
        Column("id", ID, "Action id (referly referral create --action ID).", "a.id"),
        Column("run_id", ID, "The score run.", "a.run_id"),
        Column("run_as_of", WHEN, "The time the run scored as of (UTC).", "run.as_of"),
        Column("rank", INT, "1 is the best.", "a.rank"),
        Column("sponsor_id", ID, "The contact who could introduce (contacts.id).", "a.sponsor_id"),
        Column("sponsor_account_id", ID, "Their account (accounts.id).", "a.sponsor_account_id"),
        Column("owner_id", ID, "The teammate who should ask (teammates.id).", "a.owner_id"),
        Column("target_account_id", ID, "The account to be introduced to (accounts.id).", "a.target_account_id"),
        Column("target_contact_id", ID, "The person to be introduced to (contacts.id).", "a.target_contact_id"),
        Column("score", SCORE, "Action score, 0-1: higher is better.", "a.score"),
        Column("channel", TEXT, "Suggested channel: email, linkedin or call.", "a.channel"),
        Column("explanation", TEXT, "Why, in words (it names the people).", "a.explanation", free_text=True),
        Column("components", TEXT, "The figures behind the score, as a JSON object.", _text("a.components")),
    ),
    "scoring_nextbestaction a JOIN scoring_scorerun run ON run.id = a.run_id",
    "a.rank, a.id",
    "a.run_id = {run}",
)

TABLES: tuple[TableSpec, ...] = (
    TEAMMATES,
    ACCOUNTS,
    CONTACTS,
    REFERRALS,
    STAGE_HISTORY,
    ASKS,
    CREDITS,
    OPPORTUNITIES,
    SPONSOR_SCORES,
    NEXT_BEST_ACTIONS,
)
"""Every exported table, in the order they are written and documented."""
