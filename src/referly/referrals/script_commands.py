"""`referly script ACTION_ID | --referral ID`: a ready-to-send ask, follow-up or thank-you."""

from __future__ import annotations

import click

from referly.outreach.scripts import CHANNELS, LANGUAGES
from referly.terminal import database_option


@click.command("script")
@click.argument("action_id", type=int, required=False)
@click.option("--channel", type=click.Choice(CHANNELS), default="email", show_default=True)
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True)
@click.option("--referral", "referral_id", type=int, help="Write for a referral instead (follow-up, thank-you).")
@database_option
def script(action_id: int | None, channel: str, lang: str, referral_id: int | None) -> None:
    """Print the ask for a next best action (or a referral), ready to copy and send."""
    from referly.database import open_database
    from referly.errors import InvalidInput

    if (action_id is None) == (referral_id is None):
        raise InvalidInput("Give either an ACTION_ID (see `referly actions`) or --referral ID")
    open_database()
    from referly.outreach import context
    from referly.outreach.scripts import render
    from referly.referrals import drafts, queries

    if action_id is not None:
        filled = context.for_action(action_id)
    else:
        filled = drafts.script_context(queries.visible(None, referral_id or 0))
    written = render(channel, lang, filled)
    click.echo(written.text(), nl=False)
    click.echo(f"\n[template {written.key}]", err=True)
