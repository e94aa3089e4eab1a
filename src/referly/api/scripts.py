"""Ask scripts: the message for a next best action, or the follow-up or thank-you for a referral."""

from pathlib import PurePath
from typing import Literal, get_args

from django.http import HttpRequest
from ninja import Query, Router, Schema

from referly.api.auth import actor
from referly.api.schemas import READ_ONE, path_id
from referly.outreach import context
from referly.outreach.scripts import CHANNELS, LANGUAGES, Script, render
from referly.referrals import drafts, queries
from referly.scoring.queries import visible_action

router = Router(tags=["scripts"])


ChannelName = Literal["email", "linkedin", "talking-points", "follow-up", "thank-you"]
Language = Literal["en", "fr"]
assert set(get_args(ChannelName)) == set(CHANNELS) and set(get_args(Language)) == set(LANGUAGES)


class ScriptOptions(Schema):
    channel: ChannelName = "email"
    lang: Language = "en"


class ScriptOut(Schema):
    key: str
    template: str
    subject: str
    body: str
    text: str


def _out(found: Script) -> ScriptOut:
    where = PurePath(found.template)  # the language folder and file name, not the server's paths
    return ScriptOut(
        key=found.key,
        template=f"{where.parent.name}/{where.name}",
        subject=found.subject,
        body=found.body,
        text=found.text(),
    )


@router.get("/actions/{action_id}/script", response={200: ScriptOut, **READ_ONE}, summary="The ask for an action")
def action_script(request: HttpRequest, options: Query[ScriptOptions], action_id: int = path_id()) -> ScriptOut:
    action = visible_action(actor(request), action_id)
    return _out(render(options.channel, options.lang, context.for_loaded_action(action)))


@router.get("/referrals/{referral_id}/script", response={200: ScriptOut, **READ_ONE}, summary="A script for a referral")
def referral_script(request: HttpRequest, options: Query[ScriptOptions], referral_id: int = path_id()) -> ScriptOut:
    referral = queries.visible(actor(request), referral_id)
    return _out(render(options.channel, options.lang, drafts.script_context(referral)))
