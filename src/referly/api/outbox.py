"""The outbox: the messages sent for you (or your team), each with its history, and sending an ask.

A message outside the caller's view answers 404, as one that does not exist. Sending queues the ask in the
same transaction as the ledger entry and the referral's move to ``requested``; the worker hands it to the SMTP
server after the commit. Send the same ``Idempotency-Key`` again to get the first answer, not a second ask.
"""

from datetime import date, datetime
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from referly.access.roles import Permission
from referly.access.services import Actor, require_act_for
from referly.api import idempotency
from referly.api.auth import actor
from referly.api.schemas import MAX_ID, READ, READ_ONE, WRITE, Paged, ShortText, Text, path_id
from referly.errors import InvalidInput, NotFound
from referly.outbox import services
from referly.outbox.models import MessageState, OutboxMessage
from referly.referrals import queries as referral_queries
from referly.referrals.models import Referral
from referly.scoring.queries import visible_action

router = Router(tags=["outbox"])


class ChangeOut(Schema):
    from_state: str | None
    to_state: str
    at: datetime
    note: str

    @staticmethod
    def resolve_from_state(obj: Any) -> str | None:
        return obj.from_state or None


class MessageOut(Schema):
    id: int
    kind: str = Field(..., description="ask or follow_up")
    state: str = Field(..., description="queued, sending, sent, replied, auto_reply, bounced, no_reply, failed, ...")
    owner_id: int
    referral_id: int | None
    contact_id: int | None
    follow_up_of_id: int | None
    language: str
    channel: str
    from_address: str
    reply_to: str
    to_name: str
    to_address: str
    subject: str
    message_id: str
    attempts: int
    last_error: str = Field(..., description="The server's sentence at the last failed try.")
    created_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None
    answer_line: str = Field(..., description="The first line of the reply: its text is not stored.")
    bounce: str
    follow_up_due: date | None = None
    approved_at: datetime | None


class MessageDetail(MessageOut):
    text: str
    changes: list[ChangeOut]

    @staticmethod
    def resolve_changes(obj: OutboxMessage) -> list[Any]:
        return list(obj.changes.order_by("at", "id"))


class MessageFilters(Schema):
    state: MessageState | None = None
    referral_id: int | None = Field(None, ge=1, le=MAX_ID)


class SendIn(Schema):
    """Either ``action_id`` (a next best action in your view) or ``referral_id`` (a referral not asked yet)."""

    action_id: int | None = Field(None, ge=1, le=MAX_ID)
    referral_id: int | None = Field(None, ge=1, le=MAX_ID)
    channel: Literal["email"] = "email"
    lang: Literal["en", "fr"] | None = Field(None, description="Default: the script's language (English).")
    subject: ShortText | None = Field(None, description="Default: the rendered script's subject.")
    text: Text | None = Field(None, description="Default: the rendered script's text.")
    override_reason: Text = Field("", description="Why you ask despite a cap or cool-down (recorded).")


def in_view(who: Actor) -> QuerySet[OutboxMessage]:
    who.require(Permission.READ)
    return who.in_view(OutboxMessage.objects.all())


def visible(who: Actor, message_id: int) -> OutboxMessage:
    found = in_view(who).filter(pk=message_id).first()
    if found is None:
        raise NotFound(f"No message {message_id}", code="message_not_found")
    return found


def _dump(message_id: int) -> dict[str, Any]:
    found = OutboxMessage.objects.get(pk=message_id)
    dumped: dict[str, Any] = MessageDetail.from_orm(found).model_dump(mode="json")
    return dumped


@router.get("", response={200: list[MessageOut], **READ}, summary="List the outbox messages in your view")
@paginate(Paged)
def list_messages(request: HttpRequest, filters: Query[MessageFilters]) -> QuerySet[OutboxMessage]:
    found = in_view(actor(request))
    if filters.state is not None:
        found = found.filter(state=filters.state)
    if filters.referral_id is not None:
        found = found.filter(referral_id=filters.referral_id)
    return found


@router.get("/{message_id}", response={200: MessageDetail, **READ_ONE}, summary="One message with its history")
def get_message(request: HttpRequest, message_id: int = path_id()) -> OutboxMessage:
    return visible(actor(request), message_id)


@router.post("", response={201: MessageDetail, **WRITE}, summary="Send an ask (queue it for delivery)")
def send(request: HttpRequest, body: SendIn, idempotency_key: str | None = idempotency.Key) -> HttpResponse:
    """Gates, caps and consent are checked at send time: a refusal answers 403 with the reason."""
    who = actor(request)
    who.require(Permission.ACT)
    if (body.action_id is None) == (body.referral_id is None):
        raise InvalidInput("Give either action_id or referral_id", field="action_id")
    referral: Referral | None = None
    owner_id: int
    if body.action_id is not None:
        action = visible_action(who, body.action_id, latest=False)
        owner_id = action.owner_id
    else:
        referral = referral_queries.visible(who, body.referral_id or 0)
        owner_id = referral.owner_id
    require_act_for(who, owner_id, "this ask")

    def run() -> tuple[int, Any]:
        source: Referral | int = (
            Referral.objects.select_for_update().get(pk=referral.pk) if referral is not None else body.action_id or 0
        )
        made = services.queue_ask(
            source,
            channel=body.channel,
            language=body.lang,
            subject=body.subject,
            text=body.text,
            now=timezone.now(),
            edited_by=who.teammate(),
            override_reason=body.override_reason,
        )
        return 201, _dump(made.pk)

    return idempotency.once(request, idempotency_key, body.model_dump(mode="json"), run)
