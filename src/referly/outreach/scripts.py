"""Rendering ask scripts. Templates are plain-text Django templates users can edit and add.

A template is looked up, most specific first, as ``{lang}/{channel}.{moment}.txt`` then
``{lang}/{channel}.txt``, in the folder named by REFERLY_TEMPLATES (if set) and then in the
templates shipped with Referly. ``{lang}/words.toml`` holds the phrases for moments, ties and stages.
A placeholder the context cannot fill is an error naming it, never a hole in the text: templates
test a value with ``{% if %}`` and change their wording when it is missing.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from referly import config
from referly.errors import InvalidInput

CHANNELS = ("email", "linkedin", "talking-points", "follow-up", "thank-you")
LANGUAGES = ("en", "fr")
MOMENTS = (
    "measured_success",
    "renewal",
    "expansion",
    "case_study",
    "testimonial",
    "webinar",
    "onboarding_completed",
    "nps_promoter",
)
MISSING = "\x00missing:%s\x00"
# The script a referral's channel asks for: a call or a meeting gets talking points.
SCRIPT_CHANNEL = {
    "email": "email",
    "linkedin": "linkedin",
    "call": "talking-points",
    "in_person": "talking-points",
    "portal": "email",  # the sponsor offered it on their page; the owner follows up by e-mail
}
# The other way: the channel a referral asked with a script records (the first one: talking points are a call).
REFERRAL_CHANNEL = {script: channel for channel, script in reversed(SCRIPT_CHANNEL.items())}


@dataclass(frozen=True)
class Script:
    key: str  # channel/moment/lang, recorded on the referral so outcomes can be reported per template
    template: str  # the file it came from
    subject: str
    body: str

    def text(self) -> str:
        return f"Subject: {self.subject}\n\n{self.body}" if self.subject else self.body


def template_folders() -> list[Path]:
    bundled = Path(str(resources.files("referly.outreach").joinpath("templates")))
    custom = config.TEMPLATES.value()
    return [Path(custom).expanduser(), bundled] if custom else [bundled]


def script_key(channel: str, moment: str | None, lang: str) -> str:
    return f"{channel}/{moment or 'none'}/{lang}"


def read_script_key(key: str) -> tuple[str | None, str]:
    """The moment (None when none) and the language of a recorded script key; English when unreadable."""
    parts = key.split("/")
    if len(parts) != 3:
        return None, "en"
    moment, lang = parts[1], parts[2]
    return (None if moment == "none" else moment), (lang if lang in LANGUAGES else "en")


def render(channel: str, lang: str, context: dict[str, Any], folders: list[Path] | None = None) -> Script:
    """The script for ``channel`` in ``lang``, filled from ``context`` (see outreach.context)."""
    if channel not in CHANNELS:
        raise InvalidInput(
            f"The channel {channel!r} is not one of {', '.join(CHANNELS)}", field="channel", code="unknown_channel"
        )
    if lang not in LANGUAGES:
        raise InvalidInput(
            f"The language {lang!r} is not one of {', '.join(LANGUAGES)}", field="lang", code="unknown_language"
        )
    folders = folders if folders is not None else template_folders()
    moment = context.get("moment") or None
    path = _find(folders, lang, channel, moment)
    words = _words(tuple(folders), lang)
    filled = dict(context)
    filled["moment_phrase"] = _phrase(words, "moments", moment, filled, path)
    filled["connection"] = _phrase(words, "ties", filled.get("tie_kind") or "other", filled, path, "other")
    filled["stage_phrase"] = _phrase(words, "stages", filled.get("stage"), filled, path)
    text = _fill(path.read_text(encoding="utf-8"), filled, path)
    subject, body = "", text
    first, _, rest = text.partition("\n")
    if first.startswith("Subject:"):
        subject, body = first.removeprefix("Subject:").strip(), rest.strip() + "\n"
    return Script(script_key(channel, moment, lang), str(path), subject, body)


def _find(folders: list[Path], lang: str, channel: str, moment: str | None) -> Path:
    names = ([f"{channel}.{moment}.txt"] if moment else []) + [f"{channel}.txt"]
    for name in names:
        for folder in folders:
            if (folder / lang / name).is_file():
                return folder / lang / name
    raise InvalidInput(f"No template {lang}/{channel}.txt in {', '.join(str(f) for f in folders)}")


@lru_cache(maxsize=8)
def _words(folders: tuple[Path, ...], lang: str) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for folder in reversed(folders):  # the user's phrases override the shipped ones
        path = folder / lang / "words.toml"
        if path.is_file():
            try:
                for section, phrases in tomllib.loads(path.read_text(encoding="utf-8")).items():
                    merged.setdefault(section, {}).update({str(k): str(v) for k, v in phrases.items()})
            except tomllib.TOMLDecodeError as exc:
                raise InvalidInput(f"{path}: {exc}") from None
    return merged


def _phrase(
    words: dict[str, dict[str, str]],
    section: str,
    key: str | None,
    context: dict[str, Any],
    path: Path,
    fallback: str | None = None,
) -> str:
    if not key:
        return ""
    phrases = words.get(section, {})
    template = phrases.get(key) or (phrases.get(fallback) if fallback else None)
    return _fill(template, context, path).strip() if template else ""


def _fill(source: str, context: dict[str, Any], path: Path) -> str:
    from django.template import Context, TemplateSyntaxError

    engine = _engine()
    try:
        text = engine.from_string(source).render(Context(context, autoescape=False))
    except TemplateSyntaxError as exc:
        raise InvalidInput(f"{path}: {exc}") from None
    holes = re.findall("\x00missing:(.*?)\x00", text)
    if holes:
        raise InvalidInput(f"{path}: nothing to fill {{{{ {holes[0]} }}}} with (test it with {{% if %}})")
    text = re.sub(r"(?<!\.)\.\.(?!\.)", ".", re.sub(r"[ \t]+\n", "\n", text))
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


@lru_cache(maxsize=1)
def _engine() -> Any:
    from django.template import Engine

    return Engine(string_if_invalid=MISSING, autoescape=False)
