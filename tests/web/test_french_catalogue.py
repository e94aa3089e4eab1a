"""Every sentence the Setup, Team, Exchange rates, Import and Board pages can show has its French translation."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils.translation import trans_real

SOURCE = Path(__file__).resolve().parents[2] / "src" / "referly"
CHECKED = (
    "readiness/checks.py",
    "scoring/left_out.py",
    "web/views/setup.py",
    "web/views/team.py",
    "web/views/rates.py",
    "web/views/imports.py",
    "web/templates/web/setup.html",
    "web/templates/web/_readiness_line.html",
    "web/templates/web/team.html",
    "web/templates/web/rates.html",
    "web/templates/web/import.html",
    "web/templates/web/board.html",
    "web/templates/web/_board_cards.html",
    "web/templates/web/_pack.html",
)
SINGULAR = {"_", "gettext", "gettext_lazy", "gettext_noop"}
PLURAL = {"ngettext", "ngettext_lazy"}
TRANSLATE = re.compile(r"""{%\s*translate\s+"((?:[^"\\]|\\.)*)"\s*%}""")
BLOCK = re.compile(
    r"{%\s*blocktranslate(?P<options>[^%]*)%}(?P<one>.*?)(?:{%\s*plural\s*%}(?P<many>.*?))?{%\s*endblocktranslate\s*%}",
    re.S,
)
VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")

Msgid = tuple[str, str | None]  # singular, plural


def _from_python(text: str) -> Iterator[Msgid]:
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if name in SINGULAR and texts:
                yield texts[0], None
            elif name in PLURAL and len(texts) >= 2:
                yield texts[0], texts[1]
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2:  # left_out's (one, many) pairs
            pair = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(pair) == 2 and "%(n)s" in pair[0]:
                yield pair[0], pair[1]


def _from_template(text: str) -> Iterator[Msgid]:
    for match in TRANSLATE.finditer(text):
        yield match.group(1).replace('\\"', '"'), None
    for match in BLOCK.finditer(text):
        trimmed = "trimmed" in match.group("options")

        def msgid(body: str | None, trimmed: bool = trimmed) -> str | None:
            if body is None:
                return None
            body = VARIABLE.sub(r"%(\1)s", body.replace("%", "%%"))
            return " ".join(x.strip() for x in body.strip().splitlines() if x.strip()) if trimmed else body

        one = msgid(match.group("one"))
        assert one is not None
        yield one, msgid(match.group("many"))


@pytest.mark.parametrize("path", CHECKED)
def test_every_sentence_has_its_french(path: str) -> None:
    text = (SOURCE / path).read_text(encoding="utf-8")
    found = _from_python(text) if path.endswith(".py") else _from_template(text)
    catalogue = trans_real.translation("fr")._catalog  # type: ignore[attr-defined]
    missing = [
        one
        for one, many in found
        if not (catalogue.get(one) if many is None else catalogue.get((one, 0)) and catalogue.get((one, 1)))
    ]
    assert not missing, f"no French in django.po for: {missing}"
