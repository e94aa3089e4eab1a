"""Every command's --help ends with examples, and every example is a command line the command accepts."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from referly.cli import main
from referly.cli_examples import EXAMPLES, commands

PATHS = [path for path, _ in commands(main)]


@pytest.mark.parametrize("path", PATHS)
def test_every_help_shows_an_example(path: str) -> None:
    result = CliRunner().invoke(main, [*path.split(), "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output or "Example:" in result.output, f"referly {path} --help has no example"
    assert f"referly {path}" in result.output


@pytest.mark.parametrize(("path", "line"), [(p, line) for p, lines in EXAMPLES.items() for line in lines])
def test_every_example_parses(path: str, line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    words = shlex.split(line)
    words = words[next(i for i, w in enumerate(words) if w == "referly") + 1 :]
    assert " ".join(words[: len(path.split())]) == path, f"{line} is not an example of referly {path}"
    group: click.Command = main
    ctx = click.Context(main, info_name="referly")
    while isinstance(group, click.Group):
        name = words.pop(0)
        found = group.get_command(ctx, name)
        assert found is not None, f"{line}: no command {name!r}"
        group = found
    for word in words:  # the example's input files, as the user would have them
        if Path(word).suffix in {".csv", ".mbox", ".ics"} and "/" not in word:
            (tmp_path / word).touch()
    monkeypatch.chdir(tmp_path)
    group.make_context(f"referly {path}", words)  # raises on an unknown option or a wrong value


def test_no_example_for_a_command_that_does_not_exist() -> None:
    assert set(EXAMPLES) <= set(PATHS)
