"""Every sentence of single sign-on has its French, and a refusal is said in the browser's language."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.utils.translation import trans_real

from tests.sso.identity_provider import OpenIdProvider
from tests.web.test_french_catalogue import _from_python, _from_template

SOURCE = Path(__file__).resolve().parents[2] / "src" / "referly"
CHECKED = ("sso/refusals.py", "sso/passwords.py", "sso/templates/sso/refused.html")


@pytest.mark.parametrize("path", CHECKED)
def test_every_sentence_has_its_french(path: str) -> None:
    text = (SOURCE / path).read_text(encoding="utf-8")
    found = list(_from_python(text) if path.endswith(".py") else _from_template(text))
    catalogue = trans_real.translation("fr")._catalog  # type: ignore[attr-defined]
    assert found
    assert [one for one, _many in found if not catalogue.get(one)] == []


def test_the_sign_in_button_has_its_french() -> None:
    assert trans_real.translation("fr")._catalog.get("Sign in with %(provider)s")  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_a_refusal_is_said_in_french_to_a_french_browser(sign_on: OpenIdProvider) -> None:
    page = Client(headers={"accept-language": "fr"}).get("/sso/callback/?code=x&state=never-started")
    assert page.status_code == 403
    text = page.content.decode()
    assert "Connexion refusée" in text and "Retour à la page de connexion" in text
