"""The sentences of notices and digests, in English and French (a teammate's language)."""

from __future__ import annotations

from referly.connect.events import STAGE_WORDS
from referly.scoring.actions import MOMENT_WORDS

LANGUAGES = ("en", "fr")

SENTENCES: dict[str, dict[str, str]] = {
    "en": {
        "reply": "{person} replied to your ask: “{line}”",
        "follow_up": "A follow-up to {person} is ready: approve it or discard it",
        "moment": "{sponsor} ({account}) is in a good moment to ask: {moment}, {days} days left",
        "action": "New top action: ask {sponsor} ({account}) for an introduction to {target}",
        "stage": "Referral {id} ({target}) moved from {before} to {after}",
        "credit": "Referral {id} ({target}) is credited as {attribution}",
    },
    "fr": {
        "reply": "{person} a répondu à votre demande : « {line} »",
        "follow_up": "Une relance à {person} est prête : approuvez-la ou abandonnez-la",
        "moment": "{sponsor} ({account}) est dans un bon moment pour être sollicité(e) : {moment}, encore {days} jours",
        "action": "Nouvelle action prioritaire : demander à {sponsor} ({account}) une introduction auprès de {target}",
        "stage": "La recommandation {id} ({target}) est passée de {before} à {after}",
        "credit": "La recommandation {id} ({target}) est créditée comme {attribution}",
    },
}

SECTIONS: dict[str, dict[str, str]] = {
    "en": {
        "reply": "Replies waiting",
        "follow_up": "Follow-ups to approve",
        "bounce": "Addresses that bounced",
        "send_failed": "Messages not sent",
        "moment": "Moments opening this week",
        "action": "New top actions",
        "stage": "Referral stage changes",
        "credit": "Credits",
    },
    "fr": {
        "reply": "Réponses en attente",
        "follow_up": "Relances à approuver",
        "bounce": "Adresses en échec",
        "send_failed": "Messages non envoyés",
        "moment": "Moments qui s’ouvrent cette semaine",
        "action": "Nouvelles actions prioritaires",
        "stage": "Changements d’étape des recommandations",
        "credit": "Crédits",
    },
}

DIGEST: dict[str, dict[str, str]] = {
    "en": {
        "subject_one": "Referly: 1 thing needs you today",
        "subject_many": "Referly: {n} things need you today",
        "hello": "Hello {name},",
        "intro": "Here is what needs you today.",
        "open": "Open",
        "all": "All your notifications",
        "settings": "Turn this digest off or change its hour in Settings",
    },
    "fr": {
        "subject_one": "Referly : 1 élément vous attend aujourd’hui",
        "subject_many": "Referly : {n} éléments vous attendent aujourd’hui",
        "hello": "Bonjour {name},",
        "intro": "Voici ce qui vous attend aujourd’hui.",
        "open": "Ouvrir",
        "all": "Toutes vos notifications",
        "settings": "Désactiver ce résumé ou changer son heure dans les Paramètres",
    },
}

# A referral stage and a credit as the digest names them (the webhooks' and chat messages' words for stages).
STAGES: dict[str, dict[str, str]] = {
    "en": {**STAGE_WORDS["en"], "sourced": "sourced", "influenced": "influenced"},
    "fr": {**STAGE_WORDS["fr"], "sourced": "source", "influenced": "influence"},
}


def language_of(wanted: str) -> str:
    return wanted if wanted in LANGUAGES else "en"


def sentence(language: str, kind: str, **values: object) -> str:
    return SENTENCES[language_of(language)][kind].format(**values)


def stage_word(language: str, stage: str) -> str:
    return STAGES.get(language, {}).get(stage, stage.replace("_", " "))


MOMENTS: dict[str, dict[str, str]] = {
    "en": MOMENT_WORDS,
    "fr": {
        "measured_success": "un résultat mesuré",
        "renewal": "un renouvellement",
        "expansion": "une extension",
        "case_study": "une étude de cas",
        "testimonial": "un témoignage",
        "webinar": "un webinaire",
        "onboarding_completed": "une mise en route réussie",
        "nps_promoter": "une réponse NPS de promoteur",
    },
}


def moment_word(language: str, moment: str) -> str:
    return MOMENTS[language_of(language)].get(moment, moment.replace("_", " "))
