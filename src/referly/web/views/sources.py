"""Settings → Mailboxes and calendars (admins): the sources Referly captures touches from, added, synced now, removed.

A source's password goes from the form to the service and is never shown again: not in the list, not back in
a form that failed. "Sync now" runs the sync in the request (it commits batch by batch on its own, so it runs
outside any transaction here); it suits small mailboxes, as the page says.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from referly.access.roles import Permission
from referly.audit.trail import record
from referly.capture import sources as capture
from referly.capture.models import Security, Source, SourceKind
from referly.capture.summary import Summary
from referly.crm.models import Teammate
from referly.errors import InvalidInput, NotFound, ReferlyError
from referly.web import wording
from referly.web.pages import actor, page

# The form fields, named as the services' arguments, with the labels an error message names them by.
IMAP_FIELDS = {
    "host": gettext_lazy("Server"),
    "port": gettext_lazy("Port"),
    "security": gettext_lazy("Security"),
    "username": gettext_lazy("User name"),
    "password": gettext_lazy("Password"),
    "folders": gettext_lazy("Folders"),
    "owner_email": gettext_lazy("Whose mailbox"),
    "ca_file": gettext_lazy("CA file"),
}
CALDAV_FIELDS = {
    "url": gettext_lazy("Calendar address"),
    "username": gettext_lazy("User name"),
    "password": gettext_lazy("Password"),
    "owner_email": gettext_lazy("Whose calendar"),
}
# The services name a few fields as the command line does; the form's names are their arguments' names.
FORM_FIELD = {"user": "username", "owner": "owner_email", "folder": "folders"}
REASONS_SHOWN = 3


@page(Permission.ADMINISTER)
def sources(request: HttpRequest) -> HttpResponse:
    return sources_view(request)


def sources_view(
    request: HttpRequest,
    failed: str = "",
    error: ReferlyError | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page; after a refused form, ``failed`` names that form (imap or caldav), shown again with its values."""
    owners = list(Teammate.objects.exclude(email=None).exclude(email="").filter(is_active=True).order_by("name"))
    mine = actor(request).teammate_id
    default_owner = next((t.email for t in owners if t.pk == mine), "")
    fields = IMAP_FIELDS if failed == "imap" else CALDAV_FIELDS
    named = FORM_FIELD.get(error.field or "", error.field or "") if error is not None else ""
    field = named if named in fields else ""
    blank = {"security": Security.TLS.value, "owner_email": default_owner}
    return render(
        request,
        "web/sources.html",
        {
            "section": "settings",
            "sources": [listed(s) for s in Source.objects.select_related("owner").order_by("id")],
            "owners": owners,
            "securities": list(wording.SECURITY_LABELS.items()),
            "failed": failed,
            "error": error.sentence if error is not None else "",
            "error_field": field,
            "error_label": fields.get(field, ""),
            "imap": values if failed == "imap" and values else blank,
            "caldav": values if failed == "caldav" and values else blank,
        },
        status=status,
    )


def listed(source: Source) -> dict[str, Any]:
    """What the list shows of a source: never its secret nor its token command."""
    counts = source.last_counts or {}
    if source.kind == SourceKind.IMAP:
        where = f"{source.username} @ {source.host}:{source.port_in_use}"
        detail = ", ".join(source.folders) if source.folders else _("INBOX and Sent")
    else:
        where, detail = f"{source.username} @ {source.url}", ""
    return {
        "source": source,
        "kind": wording.SOURCE_KIND_LABELS.get(source.kind, source.kind),
        "where": where,
        "detail": detail,
        "security": source.security.upper() if source.kind == SourceKind.IMAP else "",  # TLS or STARTTLS
        "read": counts.get("read"),
        "added": counts.get("added"),
    }


@require_POST
@page(Permission.ADMINISTER)
def add_imap(request: HttpRequest) -> HttpResponse:
    post = request.POST
    values: dict[str, Any] = {
        name: post.get(name, "").strip() for name in IMAP_FIELDS if name != "password"
    }  # the password is never shown again
    try:
        port = whole_number(values["port"], "port")
        with transaction.atomic():
            made = capture.add_imap_source(
                host=values["host"],
                port=port,
                security=values["security"],
                username=values["username"],
                password=post.get("password", "") or None,
                token_command="",
                folders=[f.strip() for f in values["folders"].split(",") if f.strip()],
                owner_email=values["owner_email"],
                ca_file=values["ca_file"],
                now=timezone.now(),
            )
            record("settings.source_added", request=request, subject=f"mailbox {made.pk}: {made.where}")
    except ReferlyError as exc:
        return sources_view(request, "imap", exc, values, status=exc.http_status)
    messages.success(request, _("Mailbox %(where)s added: sync it now, or let the nightly sync read it.") % where(made))
    return redirect(reverse("web:sources") + f"#source-{made.pk}")


@require_POST
@page(Permission.ADMINISTER)
def add_caldav(request: HttpRequest) -> HttpResponse:
    post = request.POST
    values: dict[str, Any] = {name: post.get(name, "").strip() for name in CALDAV_FIELDS if name != "password"}
    try:
        with transaction.atomic():
            made = capture.add_caldav_source(
                url=values["url"],
                username=values["username"],
                password=post.get("password", "") or None,
                token_command="",
                owner_email=values["owner_email"],
                ca_file="",
                now=timezone.now(),
            )
            record("settings.source_added", request=request, subject=f"calendar {made.pk}: {made.where}")
    except ReferlyError as exc:
        return sources_view(request, "caldav", exc, values, status=exc.http_status)
    messages.success(
        request, _("Calendar %(where)s added: sync it now, or let the nightly sync read it.") % where(made)
    )
    return redirect(reverse("web:sources") + f"#source-{made.pk}")


@require_POST
@page(Permission.ADMINISTER)
def sync(request: HttpRequest, source_id: int) -> HttpResponse:
    source = stored(source_id)
    try:
        summary = capture.sync_source(source, timezone.now())  # outside a transaction: it commits per batch
    except ReferlyError as exc:
        messages.error(request, _("Not synced: %(why)s") % {"why": exc.sentence})
    else:
        messages.success(request, sync_sentence(source.kind, summary))
    return redirect(reverse("web:sources") + f"#source-{source.pk}")


@require_POST
@page(Permission.ADMINISTER)
def remove(request: HttpRequest, source_id: int) -> HttpResponse:
    source = stored(source_id)
    with transaction.atomic():
        capture.remove_source(source.pk)
        record("settings.source_removed", request=request, subject=f"{source.kind} {source.pk}: {source.where}")
    messages.success(request, _("%(where)s removed: it is no longer synced.") % where(source))
    return redirect(reverse("web:sources"))


def stored(source_id: int) -> Source:
    found = Source.objects.select_related("owner").filter(pk=source_id).first()
    if found is None:
        raise NotFound(_("No mailbox or calendar %(id)s.") % {"id": source_id})
    return found


def where(source: Source) -> dict[str, str]:
    return {"where": f"{source.username} ({source.where})"}


def whole_number(text: str, field: str) -> int | None:
    """The port typed in the form: empty is None (the service picks the usual one)."""
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(_("Type the port as a whole number, such as 993."), field=field) from None


def sync_sentence(kind: str, summary: Summary) -> str:
    """'Read 12 messages: 9 interactions added, 3 skipped (mailing list or bulk).' and what else happened."""
    n = summary.read
    if kind == SourceKind.CALDAV:
        read = ngettext("Read %(n)s event", "Read %(n)s events", n) % {"n": n}
    else:
        read = ngettext("Read %(n)s message", "Read %(n)s messages", n) % {"n": n}
    parts = [ngettext("%(n)s interaction added", "%(n)s interactions added", summary.added) % {"n": summary.added}]
    skipped = sum(summary.skipped.values())
    if skipped:
        reasons = summary.skipped.most_common()
        if len(reasons) == 1:
            why = str(wording.SKIP_LABELS.get(reasons[0][0], reasons[0][0]))
        else:
            why = ", ".join(f"{wording.SKIP_LABELS.get(r, r)}: {c}" for r, c in reasons[:REASONS_SHOWN])
        parts.append(
            ngettext("%(n)s skipped (%(why)s)", "%(n)s skipped (%(why)s)", skipped) % {"n": skipped, "why": why}
        )
    if summary.duplicates:
        parts.append(ngettext("%(n)s duplicate", "%(n)s duplicates", summary.duplicates) % {"n": summary.duplicates})
    if summary.errors:
        failed = len(summary.errors)
        parts.append(ngettext("%(n)s could not be read", "%(n)s could not be read", failed) % {"n": failed})
    sentence = _("%(read)s: %(outcome)s.") % {"read": read, "outcome": ", ".join(parts)}
    created = summary.people.get("created", 0)
    if created:
        sentence += " " + ngettext(
            "%(n)s new person at a known account is now a contact.",
            "%(n)s new people at known accounts are now contacts.",
            created,
        ) % {"n": created}
    if summary.unknown_domains:
        top = ", ".join(d for d, _count in summary.unknown_domains.most_common(REASONS_SHOWN))
        sentence += " " + _("People at companies that are no account were left out: %(domains)s.") % {"domains": top}
    return sentence
