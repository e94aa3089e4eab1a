"""Contacts: the people at accounts, with their role toward us and their consent flags."""

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from referly.access.roles import Permission
from referly.api.auth import actor
from referly.api.schemas import MAX_ID, READ, READ_ONE, Paged, ShortText, path_id
from referly.crm.models import Contact, ContactRole, Seniority
from referly.errors import NotFound

router = Router(tags=["contacts"])


class ContactOut(Schema):
    id: int
    account_id: int
    name: str
    first_name: str
    last_name: str
    email: str | None
    title: str
    seniority: str
    role: str
    do_not_contact: bool
    opted_out_of_asks: bool
    source_system: str
    external_id: str | None


class ContactFilters(Schema):
    account_id: int | None = Field(None, ge=1, le=MAX_ID)
    role: ContactRole | None = None
    seniority: Seniority | None = None
    email: ShortText | None = None
    q: ShortText | None = Field(None, description="Part of the name, e-mail or title.")


def readable(request: HttpRequest) -> QuerySet[Contact]:
    actor(request).require(Permission.READ)
    return Contact.objects.all()


@router.get("", response={200: list[ContactOut], **READ}, summary="List contacts")
@paginate(Paged)
def list_contacts(request: HttpRequest, filters: Query[ContactFilters]) -> QuerySet[Contact]:
    found = readable(request)
    if filters.account_id:
        found = found.filter(account_id=filters.account_id)
    if filters.role:
        found = found.filter(role=filters.role)
    if filters.seniority:
        found = found.filter(seniority=filters.seniority)
    if filters.email:
        found = found.filter(email=filters.email.strip().lower())
    q = (filters.q or "").strip()
    if q:
        found = found.filter(
            Q(first_name__icontains=q) | Q(last_name__icontains=q) | Q(email__icontains=q) | Q(title__icontains=q)
        )
    return found.order_by("last_name", "first_name", "id")


@router.get("/{contact_id}", response={200: ContactOut, **READ_ONE}, summary="One contact")
def get_contact(request: HttpRequest, contact_id: int = path_id()) -> Contact:
    found = readable(request).filter(pk=contact_id).first()
    if found is None:
        raise NotFound(f"No contact with id {contact_id}")
    return found
