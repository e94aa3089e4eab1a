"""Labels the pages show for stored codes, translated: the models' own choice labels, and the pages' own."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from referly.capture.models import Security, SourceKind
from referly.capture.rules import Skip
from referly.referrals.models import Attribution, Channel, ReferralStage

STAGES = tuple(ReferralStage.values)
STAGE_LABELS = dict(ReferralStage.choices)
CREDIT_LABELS = dict(Attribution.choices)
CHANNEL_LABELS = dict(Channel.choices)
# The scripts a rep can copy (the channel each records is outreach.scripts.REFERRAL_CHANNEL).
SCRIPT_LABELS = {
    "email": _("E-mail"),
    "linkedin": _("LinkedIn note"),
    "talking-points": _("Call talking points"),  # shown inside "Script (…)": no brackets of its own
}
LANGUAGE_LABELS = {"en": "English", "fr": "Français"}
SCOPE_LABELS = {"mine": _("Mine"), "team": _("My team"), "everyone": _("Everyone")}
ROLE_LABELS = {"admin": _("Admin"), "manager": _("Manager"), "member": _("Member"), "viewer": _("Viewer")}
SOURCE_KIND_LABELS = {SourceKind.IMAP.value: _("IMAP mailbox"), SourceKind.CALDAV.value: _("CalDAV calendar")}
SECURITY_LABELS = {
    Security.TLS.value: _("TLS (usually port 993)"),
    Security.STARTTLS.value: _("STARTTLS (usually port 143)"),
}
# Why a capture skipped a whole message or meeting (the summary counts under these words).
SKIP_LABELS = {
    Skip.BULK.value: _("mailing list or bulk"),
    Skip.ROBOT.value: _("robot sender"),
    Skip.INTERNAL.value: _("internal only"),
    Skip.NOT_OURS.value: _("none of us in it"),
}
