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
