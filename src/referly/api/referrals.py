"""Referrals: create one (explicitly or from a next best action), move it through its stages, read its trail.

Members see and act on their own referrals, managers on their team's; a referral outside the caller's view
answers 404, exactly as one that does not exist, so ids cannot be probed.
"""

from datetime import datetime
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
from referly.errors import InvalidInput
from referly.referrals import queries, services
from referly.referrals.models import Channel, Referral, ReferralStage
from referly.scoring.queries import visible_action

router = Router(tags=["referrals"])


def _name(person: Any) -> str | None:
    return None if person is None else str(person.name)


class ReferralOut(Schema):
    id: int
    stage: str
    version: int
    attribution: str = Field(..., description="pending, sourced, influenced, suspected or duplicate")
    credit_note: str = Field(..., description="Why the credit rules gave this attribution.")
    referrer_contact_id: int
    referrer: str
    referrer_account_id: int
    referrer_account: str
    target_account_id: int
    target_account: str
    target_contact_id: int | None
    target_contact: str | None
    owner_id: int
    owner: str
    channel: str
    script_key: str
    opportunity_id: int | None
    duplicate_of_id: int | None
    consent_confirmed_at: datetime | None
    created_at: datetime
    stage_changed_at: datetime

    @staticmethod
    def resolve_referrer(obj: Referral) -> str:
        return obj.referrer_contact.name

    @staticmethod
    def resolve_referrer_account(obj: Referral) -> str:
        return obj.referrer_account.name

    @staticmethod
    def resolve_target_account(obj: Referral) -> str:
        return obj.target_account.name

    @staticmethod
    def resolve_target_contact(obj: Referral) -> str | None:
        return _name(obj.target_contact)

    @staticmethod
    def resolve_owner(obj: Referral) -> str:
        return obj.owner.name


class TransitionOut(Schema):
    from_stage: str | None
    to_stage: str
    at: datetime
    actor_id: int | None
    actor: str | None
    note: str
    draft: str = Field(..., description="The thank-you draft for the referrer, when the stage calls for one.")

    @staticmethod
    def resolve_from_stage(obj: Any) -> str | None:
        return obj.from_stage or None

    @staticmethod
    def resolve_actor(obj: Any) -> str | None:
        return _name(obj.actor)


class ReferralDetail(ReferralOut):
    transitions: list[TransitionOut]

    @staticmethod
    def resolve_transitions(obj: Referral) -> list[Any]:
        return list(obj.transitions.select_related("actor").order_by("at", "id"))


class ReferralFilters(Schema):
    stage: ReferralStage | None = None
    owner: ShortText | None = Field(None, description="The owner's e-mail.")
    referrer: ShortText | None = Field(None, description="The referrer's e-mail.")
    target_account_id: int | None = Field(None, ge=1, le=MAX_ID)


class ReferralIn(Schema):
    """Either ``action_id``, or ``referrer``, ``target_account`` (and ``owner``, by default you)."""

    action_id: int | None = Field(None, ge=1, le=MAX_ID, description="A next best action in your view.")
    referrer: ShortText | None = Field(None, description="The referrer's e-mail (a contact at a client).")
    target_account: ShortText | None = Field(None, description="The target account's domain.")
    target_contact: ShortText | None = Field(None, description="The person to be introduced, by work e-mail.")
    target_name: ShortText | None = Field(None, description="Their name, to record a new person.")
    target_title: ShortText = Field("", description="Their role, for a new person.")
    owner: ShortText | None = Field(None, description="The owner's e-mail; default: you.")
    channel: Channel | None = Field(None, description="Default: the action's, or email.")
    lang: Literal["en", "fr"] = "en"


class TransitionIn(Schema):
    stage: ReferralStage
    note: Text = ""
    expected_version: int | None = Field(None, ge=1, le=MAX_ID, description="The version you read: 409 if it moved.")
    consent: bool = Field(False, description="The referrer confirmed the person agreed to be introduced.")
    override_reason: Text = Field("", description="Why you ask despite a cap or cool-down (recorded).")


def detail(referral_id: int) -> dict[str, Any]:
    return ReferralDetail.from_orm(queries.visible(None, referral_id)).model_dump(mode="json")


@router.get("", response={200: list[ReferralOut], **READ}, summary="List referrals in your view")
@paginate(Paged)
def list_referrals(request: HttpRequest, filters: Query[ReferralFilters]) -> QuerySet[Referral]:
    return queries.filtered(
        queries.in_view(actor(request)),
        stage=filters.stage,
        owner=filters.owner,
        referrer=filters.referrer,
        target_account_id=filters.target_account_id,
    )


@router.get("/{referral_id}", response={200: ReferralDetail, **READ_ONE}, summary="One referral with its trail")
def get_referral(request: HttpRequest, referral_id: int = path_id()) -> Referral:
    return queries.visible(actor(request), referral_id)


@router.post("", response={201: ReferralDetail, **WRITE}, summary="Register a referral")
def create_referral(
    request: HttpRequest, body: ReferralIn, idempotency_key: str | None = idempotency.Key
) -> HttpResponse:
    """From a next best action (``action_id``) or from an explicit referrer and target, as
    ``referly referral create`` does; refused for a referrer or target who must not be contacted."""
    who = actor(request)
    who.require(Permission.ACT)
    explicit = (body.referrer, body.target_account)
    if (body.action_id is None) == (not any(explicit)):
        raise InvalidInput("Give either action_id, or referrer and target_account")
    if body.action_id is None and not all(explicit):
        raise InvalidInput("An explicit referral needs referrer and target_account")

    def run() -> tuple[int, Any]:
        now = timezone.now()
        if body.action_id is not None:
            action = visible_action(who, body.action_id)
            require_act_for(who, action.owner_id, "this action")
            made = services.create_from_action(action.pk, who.teammate(), now, body.channel, body.lang)
        else:
            made = _create_explicit(who, body, now)
        return 201, detail(made.pk)

    return idempotency.once(request, idempotency_key, body.model_dump(mode="json"), run)


def _create_explicit(who: Actor, body: ReferralIn, now: datetime) -> Referral:
    me = who.teammate()
    owner = services.teammate_by_email(body.owner) or me
    if owner is None:
        raise InvalidInput("You are not a teammate: name the owner by e-mail", field="owner", code="owner_required")
    require_act_for(who, owner.pk, "a referral owned by " + owner.name)
    return services.create_explicit(
        body.referrer or "",
        body.target_account or "",
        body.target_contact,
        body.target_name,
        body.target_title,
        owner,
        now=now,
        actor=me,
        channel=body.channel,
        lang=body.lang,
    )


@router.post(
    "/{referral_id}/transitions", response={200: ReferralDetail, **WRITE}, summary="Move a referral to a stage"
)
def transition(
    request: HttpRequest,
    body: TransitionIn,
    referral_id: int = path_id(),
    idempotency_key: str | None = idempotency.Key,
) -> HttpResponse:
    """Forbidden moves and stale versions answer 409 with the reason; a cap or cool-down on asking the
    referrer answers 403 unless ``override_reason`` says why."""
    who = actor(request)
    found = queries.visible(who, referral_id)
    require_act_for(who, found.owner_id, "this referral")

    def run() -> tuple[int, Any]:
        services.advance(
            referral_id,
            body.stage,
            actor=who.teammate(),
            now=timezone.now(),
            note=body.note,
            expected_version=body.expected_version,
            consent=body.consent,
            override_reason=body.override_reason,
        )
        return 200, detail(referral_id)

    return idempotency.once(request, idempotency_key, body.model_dump(mode="json"), run)
