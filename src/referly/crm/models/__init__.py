"""The CRM records, one module per domain line."""

from referly.crm.lifecycle import Lifecycle
from referly.crm.models.accounts import Account
from referly.crm.models.activity import Interaction, InteractionKind, Signal, SignalKind
from referly.crm.models.audit import ForgottenAddress, Merge, address_digest, person_digest
from referly.crm.models.network import Connection, ConnectionKind, Employment
from referly.crm.models.people import Contact, ContactRole, Seniority
from referly.crm.models.pipeline import (
    Opportunity,
    OpportunitySource,
    OpportunityStage,
    OpportunityStageChange,
)
from referly.crm.models.team import Teammate, TeammateRole

__all__ = [
    "Account",
    "Connection",
    "ConnectionKind",
    "Contact",
    "ContactRole",
    "Employment",
    "ForgottenAddress",
    "Interaction",
    "InteractionKind",
    "Lifecycle",
    "Merge",
    "Opportunity",
    "OpportunitySource",
    "OpportunityStage",
    "OpportunityStageChange",
    "Seniority",
    "Signal",
    "SignalKind",
    "Teammate",
    "TeammateRole",
    "address_digest",
    "person_digest",
]
