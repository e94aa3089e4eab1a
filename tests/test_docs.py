"""The docs keep up with the code."""

from __future__ import annotations

from referly import config
from tests.conftest import ROOT


def test_every_setting_is_documented() -> None:
    documented = (ROOT / "docs" / "settings.md").read_text()
    missing = [s.name for s in config.ALL if f"`{s.name}`" not in documented]
    assert missing == []


def test_the_readme_quickstart_has_the_demo_and_the_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "referly demo" in readme
    assert "bash scripts/test" in readme
    assert "bash scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_every_screenshot_the_docs_show_exists() -> None:
    import re

    for doc in (ROOT / "README.md", ROOT / "docs" / "web.md"):
        text = doc.read_text()
        shots = re.findall(r"\((?:docs/)?(screenshots/[\w.-]+\.png)\)", text)
        assert shots, f"{doc.name} shows no screenshot"
        missing = [s for s in shots if not (ROOT / "docs" / s).is_file()]
        assert missing == [], f"{doc.name} links to missing screenshots"
