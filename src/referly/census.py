"""How many records of each kind the system of record holds."""

from __future__ import annotations

from django.db import models


def domain_models() -> list[type[models.Model]]:
    """Every domain table, parents first."""
    from referly.crm import models as crm
    from referly.referrals import models as referrals
    from referly.reports import models as reports

    return [
        crm.Teammate,
        crm.Account,
        crm.Contact,
        crm.Employment,
        crm.Connection,
        crm.Interaction,
        crm.Signal,
        crm.Opportunity,
        crm.OpportunityStageChange,
        referrals.Referral,
        referrals.ReferralTransition,
        referrals.Ask,
        reports.Review,
        crm.Merge,
    ]


def record_counts() -> dict[str, int]:
    """Rows per table, keyed by the model's plural name (e.g. 'interactions')."""
    return {str(m._meta.verbose_name_plural): m._default_manager.count() for m in domain_models()}


def holds_records() -> bool:
    return any(m._default_manager.exists() for m in domain_models())
