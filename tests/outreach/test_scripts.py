"""Ask scripts: every channel, moment and language renders whole; a missing value changes the wording."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from referly.errors import InvalidInput
from referly.outreach.scripts import CHANNELS, LANGUAGES, MOMENTS, render

RESULT = "cut onboarding time by 35%"


def context(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sponsor_name": "Chloé Martin",
        "sponsor_first_name": "Chloé",
        "sponsor_account": "Brightpath",
        "target_name": "Omar Haddad",
        "target_first_name": "Omar",
        "target_title": "VP Operations",
        "target_account": "Lumen Freight",
        "target_industry": "Logistics",
        "same_industry": True,
        "owner_name": "Alice Martin",
        "our_company": "Northbeam",
        "moment": "",
        "tie_kind": "former_colleagues",
        "shared_employer": "Globex",
        "result": RESULT,
        "stage": "",
    }
    return base | changes


CASES = list(itertools.product(CHANNELS, ("", *MOMENTS), LANGUAGES))


@pytest.mark.parametrize(("channel", "moment", "lang"), CASES)
def test_every_script_renders_whole_with_and_without_a_measured_result(channel: str, moment: str, lang: str) -> None:
    stage = "won" if channel == "thank-you" else ""
    full = render(channel, lang, context(moment=moment, stage=stage))
    bare = render(channel, lang, context(moment=moment, stage=stage, result="", target_title="", shared_employer=""))
    for script in (full, bare):
        text = script.text()
        assert "{" not in text and "}" not in text and "None" not in text and "\x00" not in text
        for line in text.splitlines():  # a hole would leave doubled spaces or a stranded comma or period
            assert "  " not in line and " ," not in line and not line.endswith(" ."), line
        assert "Omar" in text
        assert script.key == f"{channel}/{moment or 'none'}/{lang}"
    if channel in ("email", "linkedin", "talking-points"):
        assert RESULT in full.text() and RESULT not in bare.text()
        assert "()" not in bare.text()  # the wording changed; no empty hole where the result was


def test_the_moment_and_the_tie_are_put_in_words_in_each_language() -> None:
    en = render("email", "en", context(moment="renewal")).text()
    fr = render("email", "fr", context(moment="renewal")).text()
    assert "Subject: Congratulations on your renewal" in en and "worked with Omar Haddad at Globex" in en
    assert "Subject: Félicitations pour votre renouvellement" in fr and "travaillé avec Omar Haddad chez Globex" in fr


def test_the_thank_you_says_what_happened() -> None:
    assert "Lumen Freight has just become a client" in render("thank-you", "en", context(stage="won")).body
    assert "a abouti" in render("thank-you", "fr", context(stage="introduced")).body


def test_a_user_template_wins_over_the_shipped_one_and_a_hole_in_it_is_named(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "email.renewal.txt").write_text("Subject: Renewed!\n\nHi {{ sponsor_first_name }}.\n")
    shipped = Path(__file__).resolve().parents[2] / "src" / "referly" / "outreach" / "templates"
    folders = [tmp_path, shipped]
    assert render("email", "en", context(moment="renewal"), folders).text() == "Subject: Renewed!\n\nHi Chloé.\n"
    assert "Congratulations" in render("email", "en", context(moment="case_study"), folders).subject
    (tmp_path / "en" / "email.txt").write_text("Hi {{ sponsor_nickname }}\n")
    with pytest.raises(InvalidInput, match="sponsor_nickname"):
        render("email", "en", context(), folders)


def test_unknown_channels_and_languages_are_refused() -> None:
    with pytest.raises(InvalidInput, match="channel"):
        render("fax", "en", context())
    with pytest.raises(InvalidInput, match="lang"):
        render("email", "de", context())


@pytest.mark.django_db
def test_no_script_for_a_sponsor_marked_do_not_contact_after_scoring(cli: Any) -> None:
    import json

    from referly.crm.models import Contact
    from referly.scoring.models import NextBestAction

    assert cli("demo-data", "--scale", "tiny", "--seed", "3", "--until", "2026-11-01").exit_code == 0
    assert cli("score", "--as-of", "2026-11-01").exit_code == 0
    top = json.loads(cli("actions", "--json", "--limit", "1").output)[0]
    assert cli("script", str(top["id"])).exit_code == 0
    sponsor = NextBestAction.objects.get(pk=top["id"]).sponsor_id
    Contact.objects.filter(pk=sponsor).update(do_not_contact=True)
    refused = cli("script", str(top["id"]))
    assert refused.exit_code == 5 and "do-not-contact" in refused.output
