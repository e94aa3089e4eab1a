"""Notifications: what needs you (replies, follow-ups to approve, moments, new top actions, stage changes,
credits); mark them read. Everyone sees only their own."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from referly.access.roles import Permission, Scope
from referly.access.services import Actor
from referly.api.auth import actor
from referly.api.schemas import READ, WRITE, Paged, path_id
from referly.errors import NotPermitted
from referly.notices.models import Notice
from referly.notices.queries import mine, my_notice
from referly.notices.services import mark_read

router = Router(tags=["notifications"])


class NoticeOut(Schema):
    id: int
    kind: str = Field(..., description="reply, follow_up, bounce, send_failed, moment, action, stage or credit")
    text: str
    url: str = Field(..., description="The page it is about, a path inside the app.")
    created_at: datetime
    read_at: datetime | None
    mailed_at: datetime | None = Field(..., description="When a daily digest carried it.")


class NoticeFilters(Schema):
    unread: bool = Field(False, description="Only the notifications not read yet.")


class ReadOut(Schema):
    marked: int = Field(..., description="How many notifications were marked read now.")


@router.get("", response={200: list[NoticeOut], **READ}, summary="List your notifications, newest first")
@paginate(Paged)
def list_notices(request: HttpRequest, filters: Query[NoticeFilters]) -> QuerySet[Notice]:
    who = actor(request)
    who.require(Permission.READ)
    found = mine(who)
    return found.filter(read_at__isnull=True) if filters.unread else found


def writer(request: HttpRequest) -> Actor:
    """The caller, when their token may write: marking read is a write, refused to a read-only token."""
    who = actor(request)
    who.require(Permission.READ)
    if who.scope is Scope.READ:
        raise NotPermitted("Not permitted: a read-only token cannot mark notifications read")
    return who


@router.post("/{notice_id}/read", response={200: NoticeOut, **WRITE}, summary="Mark one notification read")
def read_one(request: HttpRequest, notice_id: int = path_id()) -> Any:
    who = writer(request)
    notice = my_notice(who, notice_id)
    mark_read(mine(who).filter(pk=notice.pk), timezone.now())
    return my_notice(who, notice_id)


@router.post("/read", response={200: ReadOut, **WRITE}, summary="Mark all your notifications read")
def read_all(request: HttpRequest) -> dict[str, int]:
    who = writer(request)
    return {"marked": mark_read(mine(who), timezone.now())}
