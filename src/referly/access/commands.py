"""`referly user create|link|list|token|tokens|revoke|reset-2fa`: logins, the teammates they stand for, roles, API
tokens and the second factor."""

from __future__ import annotations

import json
import sys

import click
from rich.table import Table

from referly.terminal import console, database_option

ROLES = ("admin", "manager", "member", "viewer")  # Role's values (a test checks): click needs them before Django


@click.group()
def user() -> None:
    """Logins for the dashboard and the API, their roles and tokens."""


@user.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may see and do.")
@click.option(
    "--teammate",
    metavar="NAME|EMAIL",
    default=None,
    help="The existing teammate this login is (e.g. an owner imported by name). Default: the teammate with EMAIL.",
)
@click.option("--name", default="", help="The new teammate's name, when no teammate is this person yet.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of generating one.")
@database_option
def create(email: str, role: str, teammate: str | None, name: str, password_stdin: bool) -> None:
    """Create a login for EMAIL with a role, as an existing teammate or a new one; prints a generated password once."""
    from referly.database import open_database

    open_database()
    from django.db import transaction

    from referly.access.services import create_user
    from referly.crm.models import Teammate

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with transaction.atomic():
        known = Teammate.objects.filter(email=email.strip().lower()).exists() or teammate is not None
        created, chosen = create_user(email, role, password=password, name=name, teammate=teammate)
        linked = Teammate.objects.get(user=created)
        from referly.audit.trail import command_line, record

        record("admin.login_created", actor_label=command_line(), subject=created.username, detail={"role": role})
    how = "linked to the teammate" if known else "as the new teammate"
    console.print(f"Created {created.username} as {role}, {how} {linked.name}.", highlight=False)
    if password is None:
        console.print(f"Password (shown once): [bold]{chosen}[/]", highlight=False)


@user.command("link")
@click.argument("email")
@click.option("--teammate", metavar="NAME|EMAIL", required=True, help="The teammate this login is.")
@database_option
def link(email: str, teammate: str) -> None:
    """Link the login EMAIL to an existing teammate: their actions and referrals become the login's "Mine"."""
    from referly.database import open_database

    open_database()
    from django.db import transaction

    from referly.access.services import find_teammate, link_login, user_by_email

    with transaction.atomic():
        linked = link_login(user_by_email(email), find_teammate(teammate))
    console.print(f"{email.strip().lower()} now logs in as {linked.name}.", highlight=False)


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@database_option
def list_users(as_json: bool) -> None:
    """Every login, its role, whether it is active and whether two-factor sign-in is on."""
    from referly.database import open_database

    open_database()
    from django.contrib.auth.models import User

    from referly.access.second_factor import is_enrolled
    from referly.access.services import role_of

    rows: list[dict[str, str | bool | None]] = [
        {
            "email": u.username,
            "teammate": getattr(getattr(u, "teammate", None), "name", None),
            "role": role_of(u).value,
            "active": u.is_active,
            "last_login": u.last_login.isoformat() if u.last_login else None,
            "two_factor": is_enrolled(u),
        }
        for u in User.objects.select_related("teammate").order_by("username")
    ]
    if as_json:
        click.echo(json.dumps(rows, default=str, indent=2))
        return
    table = Table("E-mail", "Teammate", "Role", "Active", "Last login", "Two-factor")
    for row in rows:
        table.add_row(
            str(row["email"]),
            str(row["teammate"] or "none"),
            str(row["role"]),
            "yes" if row["active"] else "no",
            str(row["last_login"] or "never"),
            "on" if row["two_factor"] else "off",
        )
    console.print(table)


@user.command("token")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. the CRM sync.")
@click.option("--scope", type=click.Choice(("read", "write")), default="read", show_default=True)
@click.option(
    "--expires-in",
    default="90d",
    show_default=True,
    metavar="LIFETIME",
    help="How long the token works: a number and d, w, m or y (30d, 12w, 6m, 1y), or never.",
)
@database_option
def token(email: str, name: str, scope: str, expires_in: str) -> None:
    """Issue a personal API token for EMAIL; it is shown once, then only its digest is kept."""
    from referly.access.token_expiry import parse_lifetime

    lifetime = parse_lifetime(expires_in)
    from referly.database import open_database

    open_database()
    from django.db import transaction
    from django.utils import timezone

    from referly.access.services import issue_token, user_by_email
    from referly.audit.trail import command_line

    with transaction.atomic():
        issued, raw = issue_token(user_by_email(email), name, scope, timezone.now(), lifetime, by=command_line())
    console.print(f"Token {issued.pk} ({scope}) for {email}. Send it as `Authorization: Bearer TOKEN`.")
    if issued.expires_at is None:
        console.print("It never expires: revoke it (`referly user revoke ID`) when its tool no longer needs it.")
    else:
        console.print(f"It expires on {issued.expires_at:%Y-%m-%d}: issue a new one before then.")
    console.print(f"Token (shown once): [bold]{raw}[/]", highlight=False)


@user.command("tokens")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@database_option
def tokens(email: str, as_json: bool) -> None:
    """The API tokens of EMAIL not revoked, with their last use and expiry, and what deserves a look."""
    from referly.database import open_database

    open_database()
    from django.utils import timezone

    from referly.access.services import tokens_of, user_by_email
    from referly.access.token_expiry import health_warnings, token_health

    now = timezone.now()
    listed = [
        (t, health_warnings(token_health(t.created_at, t.last_used_at, t.expires_at, now), t.expires_at))
        for t in tokens_of(user_by_email(email))
    ]
    if as_json:
        rows = [
            {
                "id": t.pk,
                "name": t.name,
                "prefix": t.prefix,
                "scope": t.scope,
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "warnings": warnings,
            }
            for t, warnings in listed
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    if not listed:
        console.print(f"{email} has no API token in use.", highlight=False)
        return
    table = Table("Id", "Name", "Scope", "Last used", "Expires", "Look at")
    for t, warnings in listed:
        table.add_row(
            str(t.pk),
            f"{t.name} ({t.prefix}…)",
            t.scope,
            f"{t.last_used_at:%Y-%m-%d}" if t.last_used_at else "never",
            f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "never",
            "; ".join(warnings),
        )
    console.print(table)


@user.command("reset-2fa")
@click.argument("email")
@database_option
def reset_2fa(email: str) -> None:
    """Turn two-factor sign-in off for EMAIL (a lost phone): their password alone logs them in until they enrol."""
    from referly.database import open_database

    open_database()
    from django.db import transaction

    from referly.access.second_factor import reset
    from referly.access.services import user_by_email
    from referly.audit.trail import command_line

    with transaction.atomic():
        had = reset(user_by_email(email), by=command_line())
    if had:
        console.print(
            f"Two-factor sign-in is off for {email}: their authenticator and recovery codes no longer work.",
            highlight=False,
        )
    else:
        console.print(f"{email} had no two-factor sign-in: nothing changed.", highlight=False)


@user.command("revoke")
@click.argument("token_id", type=int)
@database_option
def revoke(token_id: int) -> None:
    """Revoke the API token TOKEN_ID: it stops working at once."""
    from referly.database import open_database

    open_database()
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from referly.access.models import ApiToken
    from referly.access.roles import Role, Scope
    from referly.access.services import Actor, revoke_token
    from referly.audit.trail import command_line
    from referly.errors import NotFound

    owner = ApiToken.objects.filter(pk=token_id).values_list("user_id", flat=True).first()
    if owner is None:
        raise NotFound(f"No token with id {token_id}")
    admin = Actor(owner, User.objects.get(pk=owner).email, Role.ADMIN, Scope.WRITE, None, None)
    with transaction.atomic():
        revoked = revoke_token(token_id, admin, timezone.now(), by=command_line())
    console.print(f"Token {revoked.pk} ({revoked.name}) revoked at {revoked.revoked_at:%Y-%m-%d %H:%M}.")
