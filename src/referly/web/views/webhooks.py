"""Settings → Webhooks (admins): subscriptions, their secret shown once, the delivery log, test and redeliver."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from referly.access.roles import Permission
from referly.audit.trail import record
from referly.connect import services
from referly.connect.models import EventType, Subscription, SubscriptionKind
from referly.errors import ReferlyError
from referly.web.pages import page


@page(Permission.ADMINISTER)
def webhooks(request: HttpRequest) -> HttpResponse:
    return webhooks_view(request)


def webhooks_view(
    request: HttpRequest,
    error: str = "",
    error_field: str = "",
    values: dict[str, object] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "web/webhooks.html",
        {
            "section": "settings",
            "subscriptions": list(Subscription.objects.all()),
            "deliveries": list(services.recent(limit=50)),
            "events": [(e.value, e.label) for e in services.EMITTED],
            "kinds": SubscriptionKind.choices,
            "error": error,
            "error_field": error_field,
            "values": values
            or {"events": [EventType.REFERRAL_STAGE_CHANGED.value], "kind": "standard", "language": "en"},
        },
        status=status,
    )


@require_POST
@page(Permission.ADMINISTER)
def add(request: HttpRequest) -> HttpResponse:
    values: dict[str, object] = {
        "url": request.POST.get("url", ""),
        "events": request.POST.getlist("events"),
        "kind": request.POST.get("kind", "standard"),
        "language": request.POST.get("language", "en"),
    }
    try:
        with transaction.atomic():
            made = services.subscribe(
                str(values["url"]),
                services.parse_events(request.POST.getlist("events")),
                str(values["kind"]),
                str(values["language"]),
                timezone.now(),
            )
            host = urlsplit(made.url).hostname or ""  # not the whole URL: a chat webhook's path is its secret
            events = {"events": made.events}
            record("webhook.added", request=request, subject=f"webhook {made.pk} to {host}", detail=events)
    except ReferlyError as exc:
        return webhooks_view(request, exc.sentence, exc.field or "url", values, status=exc.http_status)
    if made.kind == SubscriptionKind.STANDARD:
        messages.success(
            request,
            _("Webhook %(id)s added. Its signing secret, shown this once: %(secret)s")
            % {"id": made.pk, "secret": made.secret},
        )
    else:
        messages.success(request, _("Webhook %(id)s added.") % {"id": made.pk})
    return redirect(reverse("web:webhooks"))


@require_POST
@page(Permission.ADMINISTER)
def remove(request: HttpRequest, subscription_id: int) -> HttpResponse:
    with transaction.atomic():
        services.unsubscribe(subscription_id)
        record("webhook.removed", request=request, subject=f"webhook {subscription_id}")
    messages.success(request, _("Webhook %(id)s removed.") % {"id": subscription_id})
    return redirect(reverse("web:webhooks"))


@require_POST
@page(Permission.ADMINISTER)
def test(request: HttpRequest, subscription_id: int) -> HttpResponse:
    with transaction.atomic():
        services.queue_test(subscription_id, timezone.now())
        record("webhook.tested", request=request, subject=f"webhook {subscription_id}")
    messages.success(request, _("A test event is queued: the worker sends it within a minute."))
    return redirect(reverse("web:webhooks") + "#deliveries")


@require_POST
@page(Permission.ADMINISTER)
def redeliver(request: HttpRequest, delivery_id: int) -> HttpResponse:
    with transaction.atomic():
        again = services.redeliver(delivery_id, timezone.now())
        record("webhook.redelivered", request=request, subject=f"delivery {delivery_id} ({again.event_type})")
    messages.success(request, _("Delivery %(id)s is queued again, with the same id.") % {"id": delivery_id})
    return redirect(reverse("web:webhooks") + "#deliveries")
