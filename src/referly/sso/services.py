"""A person the provider vouches for becomes a Referly login: found or created by verified e-mail, linked to
the teammate with that e-mail, given the role their groups map to. Never commits: the callback does."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth.models import User
from django.http import HttpRequest

from referly.access.roles import Role
from referly.access.services import change_role, create_user, link_login, role_of
from referly.audit.trail import record
from referly.crm.models import Teammate
from referly.errors import Conflict, ReferlyError
from referly.sso.groups import claim_value, groups_in, role_for
from referly.sso.options import SignOnOptions
from referly.sso.refusals import Refused, refused


def verified_email(claims: Mapping[str, object], verified_claim: str = "email_verified") -> str:
    """The person's e-mail in lower case, refused unless the provider says it verified it (``verified_claim``)."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise refused("no_email")
    email = email.strip().lower()
    verified = claims.get(verified_claim)
    # A few providers send the claim as a string; anything but true (missing included) is unverified.
    if verified is not True and not (isinstance(verified, str) and verified.strip().lower() == "true"):
        raise refused("unverified_email", email=email)
    return email


def sign_in(claims: Mapping[str, object], options: SignOnOptions, request: HttpRequest | None = None) -> User:
    """The login for the person ``claims`` describe, its role set from their groups at every sign-in.

    A provider that sends no role claim at all (Google) leaves roles to Referly: a new person gets the
    default role (or is refused without one), a known login keeps the role an admin gave it."""
    email = verified_email(claims, options.verified_claim)
    value = claim_value(claims, options.role_claim)
    groups = groups_in(value)
    role = role_for(groups, options.roles, options.default_role)
    try:
        user = User.objects.select_for_update().filter(username=email).first()
        created = user is None
        if user is not None and not user.is_active:
            raise refused("inactive", email=email)
        if role is None and (created or value is not None):
            raise refused("no_role", email=email, detail=", ".join(groups) or None)
        if user is None:
            user = _new_login(email, role or Role.VIEWER, _name(claims))
        else:
            if value is not None and role is not None:
                _set_role(user, role, request)
            _link_teammate(user)
        role = role_of(user)
    except Refused:
        raise
    except ReferlyError as exc:  # e.g. the teammate with this e-mail already has another login
        raise Refused(exc.message, code=exc.code, email=email) from None
    record(
        "sso.login",
        request=request,
        user=user,
        subject=email,
        detail={"provider": options.name, "role": role.value, "created": created, "groups": groups[:20]},
    )
    return user


def _name(claims: Mapping[str, object]) -> str:
    name = claims.get("name")
    return name.strip() if isinstance(name, str) else ""


def _new_login(email: str, role: Role, name: str) -> User:
    """A login without a password (the provider vouches for it), linked to the teammate with ``email`` or to
    a new one: a teammate is never chosen by name alone, so a namesake gets the e-mail beside the name."""
    try:
        user, _password = create_user(email, role.value, name=name)
    except Conflict as exc:
        if exc.code != "teammate_exists":
            raise
        user, _password = create_user(email, role.value, name=f"{name or email.split('@')[0]} ({email})")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def _set_role(user: User, role: Role, request: HttpRequest | None) -> None:
    before = role_of(user)
    if before is role:
        return
    change_role(user.pk, role.value)
    record(
        "role.changed",
        request=request,
        user=user,
        subject=user.username,
        detail={"from": before.value, "to": role.value, "by": "single sign-on"},
    )


def _link_teammate(user: User) -> None:
    """A login made before its teammate was imported: link them now, as ``referly user create`` would have."""
    if Teammate.objects.filter(user=user).exists():
        return
    teammate = Teammate.objects.filter(email=user.username, user__isnull=True).first()
    if teammate is not None:
        link_login(user, teammate)
