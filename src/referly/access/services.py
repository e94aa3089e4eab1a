"""Users, their roles and tokens, and the ``Actor`` every page and API call acts as.

Services never commit: the command or request around them does.
"""

from __future__ import annotations

import difflib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from referly.access.models import ApiToken, Member
from referly.access.roles import SEES_EVERYONE, Permission, Role, Scope, allows
from referly.access.token_expiry import DEFAULT_LIFETIME, is_expired, parse_lifetime
from referly.audit.trail import record
from referly.crm.models import Teammate
from referly.errors import Conflict, InvalidInput, NotFound, NotPermitted, ReferlyError

TOKEN_PREFIX = "rly_"
# A token's last use is written at most this often, so reading the API is not a write per request.
LAST_USED_GRANULARITY = timedelta(minutes=5)
Owned = TypeVar("Owned", bound=Model)  # a record with an ``owner`` teammate: a referral, a next best action
_DEFAULT = parse_lifetime(DEFAULT_LIFETIME)


class TokenExpired(ReferlyError):
    """A known token past its expiry date: the API answers 401 and says when it expired."""

    exit_code = 5
    http_status = 401
    kind = "not_authenticated"


@dataclass(frozen=True)
class Actor:
    """Who is acting, with which role and scope, and whose actions and referrals are in their view."""

    user_id: int
    email: str
    role: Role
    scope: Scope
    teammate_id: int | None
    team: frozenset[int] | None  # teammate ids in view; None: everyone's

    def may(self, permission: Permission) -> bool:
        return allows(self.role, permission, self.scope)

    def require(self, permission: Permission) -> None:
        if not self.may(permission):
            what = "a read-only token" if self.scope is Scope.READ and self.role is not Role.VIEWER else self.role
            raise NotPermitted(f"Not permitted: {what} cannot {permission.value}")

    def sees(self, owner_id: int | None) -> bool:
        """Is a referral or action owned by ``owner_id`` in this actor's view?"""
        return self.team is None or (owner_id is not None and owner_id in self.team)

    def in_view(self, found: QuerySet[Owned]) -> QuerySet[Owned]:
        """The referrals or actions of ``found`` in this actor's view (the same rule as ``sees``)."""
        return found if self.team is None else found.filter(owner_id__in=self.team)

    def teammate(self) -> Teammate | None:
        """The teammate record of the person acting, for the audit trail."""
        return None if self.teammate_id is None else Teammate.objects.filter(pk=self.teammate_id).first()

    def acts_for(self, owner_id: int | None) -> bool:
        return self.may(Permission.ACT) and (
            self.role is Role.ADMIN or (owner_id is not None and self.team is not None and owner_id in self.team)
        )


def role_of(user: User) -> Role:
    if user.is_superuser:
        return Role.ADMIN
    member = Member.objects.filter(user_id=user.pk).values_list("role", flat=True).first()
    return Role(member) if member else Role.VIEWER


def team_of(teammate_id: int) -> frozenset[int]:
    """The teammate and everyone who reports to them, directly or through others."""
    team = {teammate_id}
    frontier = {teammate_id}
    while frontier:
        frontier = set(Teammate.objects.filter(manager_id__in=frontier).values_list("pk", flat=True)) - team
        team |= frontier
    return frozenset(team)


def actor_for(user: User, scope: Scope = Scope.WRITE) -> Actor:
    role = role_of(user)
    teammate_id = Teammate.objects.filter(user_id=user.pk).values_list("pk", flat=True).first()
    if role in SEES_EVERYONE:
        team: frozenset[int] | None = None
    elif teammate_id is None:
        team = frozenset()
    elif role is Role.MANAGER:
        team = team_of(teammate_id)
    else:
        team = frozenset({teammate_id})
    return Actor(user.pk, user.email, role, scope, teammate_id, team)


def create_user(
    email: str, role: str, *, password: str | None = None, name: str = "", teammate: str | None = None
) -> tuple[User, str]:
    """A login for ``email`` with ``role``, linked to a teammate: the one ``teammate`` names (a name or an
    e-mail), else the one with this e-mail, else a new one called ``name``.

    Returns the user and its password: the one given, or a generated one to hand over once."""
    email = checked_email(email)
    if role not in Role.__members__.values():
        raise InvalidInput(
            f"The role {role!r} is not one of {', '.join(r.value for r in Role)}", field="role", code="unknown_role"
        )
    if User.objects.filter(username=email).exists():
        raise Conflict(f"A user {email} already exists")
    linked = find_teammate(teammate) if teammate else Teammate.objects.filter(email=email).first()
    if linked is None:
        wanted = name.strip() or email.split("@")[0].replace(".", " ").title()
        namesakes = Teammate.objects.filter(name__iexact=wanted, user__isnull=True).exists()
        if namesakes:
            raise Conflict(
                f"A teammate named {wanted} already exists without a login: link the login to them with "
                f'--teammate "{wanted}", or give another --name',
                field="teammate",
                code="teammate_exists",
            )
    elif linked.user_id is not None:
        raise Conflict(f"The teammate {linked.name} already has a login", field="teammate", code="teammate_linked")
    chosen = password if password is not None else secrets.token_urlsafe(12)
    user = User(username=email, email=email, is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN)
    try:
        validate_password(chosen, user)
    except ValidationError as exc:
        raise InvalidInput(
            "The password is refused: " + " ".join(exc.messages), field="password", code="weak_password"
        ) from None
    user.set_password(chosen)
    user.save()
    Member.objects.create(user=user, role=role)
    if linked is None:
        from referly.crm.services import add_record

        linked = add_record(Teammate(name=wanted, email=email))
    link_login(user, linked)
    return user, chosen


def checked_email(email: str) -> str:
    """``email`` in lower case, or ``InvalidInput`` when it is not an e-mail address."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(f"{email!r} is not an e-mail address", field="email", code="invalid_email") from None
    return email


def find_teammate(reference: str) -> Teammate:
    """The one teammate whose e-mail or name (any case, any spacing) is ``reference``."""
    wanted = " ".join(reference.split())
    if "@" in wanted:
        found = list(Teammate.objects.filter(email=wanted.lower()))
    else:
        found = list(Teammate.objects.filter(name__iexact=wanted))
    if len(found) == 1:
        return found[0]
    if found:
        listed = "; ".join(f"{t.name} <{t.email or 'no e-mail'}> (id {t.pk})" for t in found)
        raise Conflict(
            f"{len(found)} teammates are named {wanted}: {listed}. Name one by its e-mail (set one first if "
            "it has none)",
            field="teammate",
            code="teammate_ambiguous",
        )
    names = list(Teammate.objects.values_list("name", flat=True))
    close = difflib.get_close_matches(wanted, names, n=5, cutoff=0.6)
    close += [n for n in names if wanted.lower() in n.lower() and n not in close][: 5 - len(close)]
    hint = f"; close names: {', '.join(close)}" if close else ""
    raise NotFound(f"No teammate is named {wanted}{hint}", field="teammate", code="teammate_not_found")


def link_login(user: User, teammate: Teammate) -> Teammate:
    """Make ``teammate`` the person ``user`` logs in as (their "Mine" view), and give the teammate the
    login's e-mail when they have none. A login stands for one teammate: an earlier link is undone."""
    if teammate.user_id is not None and teammate.user_id != user.pk:
        holder = User.objects.filter(pk=teammate.user_id).values_list("username", flat=True).first()
        raise Conflict(
            f"The teammate {teammate.name} already has the login {holder}", field="teammate", code="teammate_linked"
        )
    Teammate.objects.filter(user_id=user.pk).exclude(pk=teammate.pk).update(user=None)
    changes: dict[str, object] = {"user": user}
    if not teammate.email and not Teammate.objects.filter(email=user.email).exclude(pk=teammate.pk).exists():
        changes["email"] = user.email
    Teammate.objects.filter(pk=teammate.pk).update(**changes)
    teammate.refresh_from_db()
    return teammate


def set_teammate_email(teammate_id: int, email: str) -> Teammate:
    """Give a teammate an e-mail (needed to log in and to be named in imports), or none when empty."""
    teammate = Teammate.objects.filter(pk=teammate_id).first()
    if teammate is None:
        raise NotFound(f"No teammate with id {teammate_id}")
    address = checked_email(email) if email.strip() else None
    if address is not None:
        holder = Teammate.objects.filter(email=address).exclude(pk=teammate.pk).first()
        if holder is not None:
            raise Conflict(
                f"{holder.name} already has the e-mail {address}", field="email", code="teammate_email_taken"
            )
    Teammate.objects.filter(pk=teammate.pk).update(email=address)
    teammate.refresh_from_db()
    return teammate


def user_by_email(email: str) -> User:
    user = User.objects.filter(username=email.strip().lower()).first()
    if user is None:
        raise NotFound(f"No user {email} (create one with `referly user create`)")
    return user


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(
    user: User,
    name: str,
    scope: str,
    now: datetime,
    lifetime: timedelta | None = _DEFAULT,
    *,
    by: str = "",
    request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:
    """A new personal token living ``lifetime`` (None: until revoked); the raw value is returned once and never
    stored. ``by`` says who issued it, for the audit trail, when it is not the request's user."""
    if scope not in Scope.__members__.values():
        raise InvalidInput(f"The scope {scope!r} is not one of read, write", field="scope", code="unknown_scope")
    if not name.strip():
        raise InvalidInput("A token needs a name, e.g. the tool that will use it", field="name", code="name_required")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        prefix=raw[:10],
        digest=_digest(raw),
        scope=scope,
        created_at=now,
        expires_at=None if lifetime is None else now + lifetime,
    )
    record(
        "token.created",
        request=request,
        user=None if by else user,
        actor_label=by,
        subject=f"token {token.pk} ({token.name}) of {user.username}",
        detail={
            "token": token.pk,
            "scope": scope,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
        mentions=[user.email],
    )
    return token, raw


def revoke_token(
    token_id: int, actor: Actor, now: datetime, *, by: str = "", request: HttpRequest | None = None
) -> ApiToken:
    token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None or (token.user_id != actor.user_id and actor.role is not Role.ADMIN):
        raise NotFound(f"No token with id {token_id}")
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token_id).update(revoked_at=now)
        token.refresh_from_db()
        record(
            "token.revoked",
            request=request,
            actor_label=by or actor.email,
            subject=f"token {token.pk} ({token.name}) of {token.user.username}",
            detail={"token": token.pk},
            mentions=[token.user.email],
        )
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """The tokens of ``user`` not revoked, newest first (expired ones included: they are still listed)."""
    return list(ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at"))


def token_actor(raw: str, now: datetime) -> Actor | None:
    """The actor a raw token stands for, or None when it is unknown, revoked or its user inactive.

    A known token past its expiry raises ``TokenExpired``, so its holder learns why it stopped working."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=_digest(raw), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    expiry = token.expires_at
    if expiry is not None and is_expired(expiry, now):
        raise TokenExpired(f"token expired on {expiry:%Y-%m-%d}", code="token_expired")
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return actor_for(token.user, Scope(token.scope))


def require_act_for(actor: Actor, owner_id: int | None, what: str) -> None:
    """Refuse unless ``actor`` may act on a record owned by ``owner_id``."""
    actor.require(Permission.ACT)
    if not actor.acts_for(owner_id):
        raise NotPermitted(f"Not permitted: {what} belongs to someone outside your team")


def change_role(user_id: int, role: str) -> User:
    """Give ``user_id`` the ``role``; refuses to leave the installation without an active admin."""
    if role not in Role.__members__.values():
        raise InvalidInput(
            f"The role {role!r} is not one of {', '.join(r.value for r in Role)}", field="role", code="unknown_role"
        )
    user = User.objects.select_for_update().filter(pk=user_id).first()  # two admins demoting each other
    if user is None:
        raise NotFound(f"No user with id {user_id}")
    admins = User.objects.filter(is_active=True, is_superuser=True).exclude(pk=user.pk)
    if role != Role.ADMIN and user.is_superuser and not admins.exists():
        raise Conflict(f"{user.username} is the only admin: make someone else admin first")
    admin = role == Role.ADMIN
    User.objects.filter(pk=user.pk).update(is_superuser=admin, is_staff=admin)
    Member.objects.update_or_create(user=user, defaults={"role": role})
    user.refresh_from_db()
    return user
