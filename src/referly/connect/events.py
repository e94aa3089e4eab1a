"""What a receiver gets: the event bodies (version 1) and the chat message for each. Pure.

A standard body is ``{"type", "version", "timestamp", "data"}``; docs/connect.md documents each ``data``.
A chat body is a Slack-compatible incoming-webhook message: ``{"text", "blocks"}`` with a section and a
context block, which Slack, Mattermost and Rocket.Chat all show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

VERSION = 1


@dataclass(frozen=True)
class ReferralMove:
    """A referral entering a stage (``from_stage`` empty when it was created), as a receiver may see it."""

    referral_id: int
    from_stage: str
    to_stage: str
    at: datetime
    referrer_account: str
    referrer_contact: str
    target_account: str
    owner_name: str
    owner_email: str
    channel: str
    attribution: str
    actor_email: str

    def data(self) -> dict[str, Any]:
        return {
            "referral_id": self.referral_id,
            "from_stage": self.from_stage or None,
            "stage": self.to_stage,
            "at": self.at.isoformat(),
            "referrer": {"account": self.referrer_account, "contact": self.referrer_contact},
            "target_account": self.target_account,
            "owner": {"name": self.owner_name, "email": self.owner_email},
            "channel": self.channel,
            "attribution": self.attribution,
            "moved_by": self.actor_email or None,
        }


def move_types(move: ReferralMove) -> list[str]:
    """The event types one move raises: created, or stage changed (and won when it is the won stage)."""
    if not move.from_stage:
        return ["referral.created"]
    return ["referral.stage_changed", *(["referral.won"] if move.to_stage == "won" else [])]


def body(event_type: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": event_type, "version": VERSION, "timestamp": at.isoformat(), "data": data}


_SENTENCES = {
    "en": {
        "referral.created": "New referral: {referrer} ({contact}) → {target}, owner {owner}",
        "referral.stage_changed": "{referrer} → {target}: {stage} (was {was}), owner {owner}",
        "referral.won": "Won: {target}, referred by {contact} at {referrer}. Say thank you!",
        "webhook.test": "Referly test message: this channel will receive referral news.",
        "next": "next: {next}",
        "ask.sent": "{asked_by} asked {contact} ({account}) for a {kind}",
        "ask.replied": "{contact} ({account}) answered the {kind} ask: {outcome}",
        "credit.assigned": "Credit: the referral {referrer} → {target} is {attribution}",
        "action.created": "New scoring run: {actions} next best actions. Top: {top}",
        "someone": "Someone",
        "none": "none",
    },
    "fr": {
        "referral.created": "Nouvelle recommandation : {referrer} ({contact}) → {target}, suivie par {owner}",
        "referral.stage_changed": "{referrer} → {target} : {stage} (avant : {was}), suivie par {owner}",
        "referral.won": "Gagné : {target}, recommandé par {contact} de {referrer}. Pensez à remercier !",
        "webhook.test": "Message de test de Referly : ce canal recevra les nouvelles des recommandations.",
        "next": "étape suivante : {next}",
        "ask.sent": "{asked_by} a sollicité {contact} ({account}) : {kind}",
        "ask.replied": "{contact} ({account}) a répondu ({kind}) : {outcome}",
        "credit.assigned": "Crédit : la recommandation {referrer} → {target} est {attribution}",
        "action.created": "Nouveau calcul : {actions} prochaines actions. En tête : {top}",
        "someone": "Quelqu'un",
        "none": "aucune",
    },
}
STAGE_WORDS = {
    "en": {
        "identified": "identified",
        "requested": "requested",
        "introduced": "introduced",
        "meeting": "meeting",
        "opportunity": "opportunity",
        "won": "won",
        "lost": "lost",
        "declined": "declined",
        "no_response": "no response",
        "withdrawn": "withdrawn",
    },
    "fr": {
        "identified": "identifiée",
        "requested": "demandée",
        "introduced": "mise en relation",
        "meeting": "rendez-vous",
        "opportunity": "opportunité",
        "won": "gagnée",
        "lost": "perdue",
        "declined": "refusée",
        "no_response": "sans réponse",
        "withdrawn": "retirée",
    },
}

# The stage a team works towards after each one; closed stages have none.
_NEXT = {
    "identified": "requested",
    "requested": "introduced",
    "introduced": "meeting",
    "meeting": "opportunity",
    "opportunity": "won",
}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def chat_message(event_type: str, data: dict[str, Any], language: str) -> dict[str, Any]:
    """The Slack-compatible message for an event, in ``language`` (en or fr; anything else reads en).

    Codes (ask kinds, outcomes, credit types) are shown as stored: they are the API's words too.
    """
    language = language if language in _SENTENCES else "en"
    words, stages = _SENTENCES[language], STAGE_WORDS[language]
    if event_type in ("webhook.test", "ask.sent", "ask.replied", "credit.assigned", "action.created"):
        text = words[event_type].format(
            asked_by=data.get("asked_by") or words["someone"],
            contact=data.get("contact"),
            account=data.get("account"),
            kind=str(data.get("kind", "")).replace("_", " "),
            outcome=str(data.get("outcome", "")).replace("_", " "),
            referrer=data.get("referrer_account"),
            target=data.get("target_account"),
            attribution=data.get("attribution"),
            actions=data.get("actions"),
            top=", ".join(f"{a['sponsor']} → {a['target_account']}" for a in data.get("top", [])[:3]) or words["none"],
        )
        return {"text": text, "blocks": [_section(text)]}
    stage = str(data.get("stage") or "")
    text = words[event_type].format(
        referrer=data["referrer"]["account"],
        contact=data["referrer"]["contact"],
        target=data["target_account"],
        owner=data["owner"]["name"],
        stage=stages.get(stage, stage),
        was=stages.get(str(data.get("from_stage") or ""), str(data.get("from_stage") or "")),
    )
    blocks: list[dict[str, Any]] = [_section(text)]
    if stage in _NEXT:
        upcoming = words["next"].format(next=stages[_NEXT[stage]])
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": upcoming}]})
        text = f"{text}; {upcoming}"
    return {"text": text, "blocks": blocks}
