"""Labels the pages show for stored codes (stages, credit, channels), translated."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from referly.referrals.models import ReferralStage

STAGES = tuple(ReferralStage.values)
STAGE_LABELS = {
    "identified": _("Identified"),
    "requested": _("Requested"),
    "introduced": _("Introduced"),
    "meeting": _("Meeting"),
    "opportunity": _("Opportunity"),
    "won": _("Won"),
    "lost": _("Lost"),
    "declined": _("Declined"),
    "no_response": _("No response"),
    "withdrawn": _("Withdrawn"),
}
CREDIT_LABELS = {
    "pending": _("Not yet credited"),
    "sourced": _("Sourced"),
    "influenced": _("Influenced"),
    "suspected": _("Suspected"),
    "duplicate": _("Duplicate"),
}
# The scripts a rep can copy, and the referral channel each one records.
SCRIPT_LABELS = {
    "email": _("E-mail"),
    "linkedin": _("LinkedIn note"),
    "talking-points": _("Talking points (call)"),
}
REFERRAL_CHANNEL_OF_SCRIPT = {"email": "email", "linkedin": "linkedin", "talking-points": "call"}
CHANNEL_LABELS = {
    "email": _("E-mail"),
    "linkedin": _("LinkedIn"),
    "call": _("Call"),
    "in_person": _("In person"),
}
LANGUAGE_LABELS = {"en": "English", "fr": "Français"}
SCOPE_LABELS = {"mine": _("Mine"), "team": _("My team"), "everyone": _("Everyone")}
ROLE_LABELS = {"admin": _("Admin"), "manager": _("Manager"), "member": _("Member"), "viewer": _("Viewer")}
