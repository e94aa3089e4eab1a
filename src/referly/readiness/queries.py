"""The counts the readiness checks read, gathered from the system of record in a few queries."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection
from django.db.models import Q

from referly.capture.models import Source, SourceKind
from referly.crm.lifecycle import Lifecycle
from referly.crm.models import Account, Connection, Contact, Interaction, Opportunity, Signal, Teammate
from referly.crm.models.activity import InteractionKind, SignalKind
from referly.readiness.checks import Counts
from referly.referrals.models import Referral, ReferralTransition
from referly.scoring.config import load_settings
from referly.scoring.queries import latest_run
from referly.scoring.store import lifecycle_sql

RISKS = (SignalKind.SUPPORT_ESCALATION, SignalKind.CHURN_RISK)


def gather(today: date) -> Counts:
    """Every count the checks need, as of ``today`` (for the moments open now)."""
    settings = load_settings()
    teammates = Teammate.objects.filter(is_active=True)
    run = latest_run()
    by_lifecycle = _by_lifecycle()
    won = Opportunity.objects.filter(stage="won")
    return Counts(
        teammates=teammates.count(),
        teammates_without_email=tuple(
            teammates.filter(Q(email__isnull=True) | Q(email="")).order_by("name").values_list("name", flat=True)
        ),
        accounts=Account.objects.count(),
        clients_recorded=by_lifecycle["recorded_clients"],
        clients_from_deals=by_lifecycle["clients"] - by_lifecycle["recorded_clients"],
        prospects=by_lifecycle["prospects"],
        contacts=Contact.objects.count(),
        contacts_at_clients=by_lifecycle["client_contacts"],
        contacts_at_prospects=by_lifecycle["prospect_contacts"],
        deals=Opportunity.objects.count(),
        won_deals=won.count(),
        won_deals_with_account=won.filter(account__isnull=False).count(),
        interactions=Interaction.objects.exclude(kind=InteractionKind.CRM_ACTIVITY).count(),
        crm_activity=Interaction.objects.filter(kind=InteractionKind.CRM_ACTIVITY).count(),
        client_contacts_touched=by_lifecycle["client_contacts_touched"],
        mailboxes=Source.objects.filter(kind=SourceKind.IMAP).count(),
        calendars=Source.objects.filter(kind=SourceKind.CALDAV).count(),
        nps_answers=Signal.objects.filter(kind=SignalKind.NPS).count(),
        risk_signals=Signal.objects.filter(kind__in=RISKS).count(),
        moment_signals=Signal.objects.filter(kind__in=[_signal_kind(r.kind) for r in settings.moments]).count(),
        open_moments=sum(_open(r.kind, r.days, r.min_score, today) for r in settings.moments),
        connections=Connection.objects.count(),
        client_prospect_ties=by_lifecycle["ties"],
        icp_criteria=len(settings.icp.criteria),
        accounts_described=Account.objects.filter(
            ~Q(industry="") | Q(employees__isnull=False) | Q(annual_revenue__isnull=False) | ~Q(country="")
        ).count(),
        referrals=Referral.objects.count(),
        asks_tracked=ReferralTransition.objects.filter(to_stage="requested").values("referral").distinct().count(),
        asks_introduced=ReferralTransition.objects.filter(
            to_stage="introduced", referral__transitions__to_stage="requested"
        )
        .values("referral")
        .distinct()
        .count(),
        run=None if run is None else {str(k): int(v) for k, v in dict(run.counts).items() if isinstance(v, int)},
    )


def _signal_kind(rule: str) -> str:
    return SignalKind.NPS if rule == "nps_promoter" else rule


def _open(rule: str, days: int, min_score: int, today: date) -> int:
    found = Signal.objects.filter(
        kind=_signal_kind(rule), occurred_on__lte=today, occurred_on__gt=today - timedelta(days=days)
    )
    if rule == "nps_promoter":
        found = found.filter(nps_score__gte=min_score)
    return found.count()


def _by_lifecycle() -> dict[str, int]:
    """Accounts and contacts by the lifecycle scoring reads (``scoring.store.lifecycle_sql``), and the ties and
    touches a warm path can use."""
    client, prospect = Lifecycle.CLIENT.value, Lifecycle.PROSPECT.value
    sql = f"""
        WITH acc AS (SELECT a.id, a.lifecycle AS recorded, {lifecycle_sql("a")} AS lifecycle FROM crm_account a),
        person AS (SELECT c.id, acc.lifecycle FROM crm_contact c JOIN acc ON acc.id = c.account_id)
        SELECT
            (SELECT count(*) FROM acc WHERE recorded = '{client}'),
            (SELECT count(*) FROM acc WHERE lifecycle = '{client}'),
            (SELECT count(*) FROM acc WHERE lifecycle = '{prospect}'),
            (SELECT count(*) FROM person WHERE lifecycle = '{client}'),
            (SELECT count(*) FROM person WHERE lifecycle = '{prospect}'),
            (SELECT count(*) FROM (SELECT DISTINCT i.contact_id FROM crm_interaction i
                                   JOIN person p ON p.id = i.contact_id WHERE p.lifecycle = '{client}') touched),
            (SELECT count(*) FROM crm_connection t JOIN person f ON f.id = t.from_contact_id
                                                   JOIN person o ON o.id = t.to_contact_id
             WHERE f.lifecycle IN ('{client}', '{prospect}') AND o.lifecycle IN ('{client}', '{prospect}')
               AND f.lifecycle <> o.lifecycle)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    names = (
        "recorded_clients",
        "clients",
        "prospects",
        "client_contacts",
        "prospect_contacts",
        "client_contacts_touched",
        "ties",
    )
    return {name: int(value or 0) for name, value in zip(names, row or (), strict=False)}
