"""`referly portal link|revoke|expire`: a sponsor's private page, from the command line."""

from __future__ import annotations

import click

from referly.terminal import console, database_option


@click.group()
def portal() -> None:
    """The sponsor's own page: a private link where a client says whom they can introduce.

    \b
    Example:
      referly portal link jane.roe@acme.example --days 30
    """


@portal.command("link")
@click.argument("email", required=False)
@click.option("--action", "action_id", type=int, help="The sponsor of this next best action, and its ask e-mail.")
@click.option("--days", type=int, default=30, show_default=True, help="How long the link works (1 to 365).")
@click.option("--lang", type=click.Choice(["en", "fr"]), default=None, help="Default: from the client's country.")
@click.option("--by", "by_email", help="The teammate sending it (a teammate's e-mail); default: the account owner.")
@database_option
def link(email: str | None, action_id: int | None, days: int, lang: str | None, by_email: str | None) -> None:
    """Make the private link of the sponsor EMAIL (their earlier link stops working) and print it.

    With --action ID instead: the link of that action's sponsor, then the ask e-mail with it ({{ portal_link }}).
    """
    from referly.database import open_database
    from referly.errors import InvalidInput

    if (email is None) == (action_id is None):
        raise InvalidInput("Give either the sponsor's EMAIL or --action ID", field="email")
    open_database()
    from django.db import transaction
    from django.utils import timezone

    from referly.outreach import context
    from referly.outreach.scripts import render
    from referly.portal.links import create_sponsor_link
    from referly.referrals.services import contact_by_email, teammate_by_email
    from referly.scoring.queries import visible_action

    with transaction.atomic():
        action = visible_action(None, action_id) if action_id is not None else None
        sponsor = action.sponsor if action is not None else contact_by_email(email or "")
        by = teammate_by_email(by_email) or (action.owner if action is not None else None)
        made, url = create_sponsor_link(sponsor, days, timezone.now(), by, lang)
    until = f"{made.expires_at:%Y-%m-%d}"
    console.print(f"Sponsor link for {sponsor.name}, until {until} ({made.language}):", markup=False)
    console.print(url, markup=False, highlight=False, soft_wrap=True)
    if action is not None:
        written = render("email", made.language, {**context.for_action(action.pk), "portal_link": url})
        console.print("")
        console.print(written.text(), markup=False, highlight=False, soft_wrap=True)


@portal.command("revoke")
@click.argument("email")
@database_option
def revoke(email: str) -> None:
    """Stop the sponsor EMAIL's link at once."""
    from referly.database import open_database

    open_database()
    from django.db import transaction
    from django.utils import timezone

    from referly.portal.links import revoke_sponsor_links
    from referly.referrals.services import contact_by_email

    with transaction.atomic():
        count = revoke_sponsor_links(contact_by_email(email), timezone.now())
    console.print(f"{count} link(s) revoked." if count else "No live link to revoke.")


@portal.command("expire")
@database_option
def expire() -> None:
    """Close the consent requests unanswered for 14 days and erase their addresses (the worker does it daily)."""
    from referly.database import open_database

    open_database()
    from django.db import transaction
    from django.utils import timezone

    from referly.portal.services import expire as run

    with transaction.atomic():
        done = run(timezone.now())
    console.print(f"{done} unanswered consent request(s) closed, their addresses erased.")
