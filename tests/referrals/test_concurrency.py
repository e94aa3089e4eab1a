"""Two people advance the same referral at the same moment, from two processes: one wins, one is told."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import RunCli


def test_two_concurrent_writers_one_conflict_and_no_lost_update(
    run_referly: RunCli, scratch_database: dict[str, str], tmp_path: Path
) -> None:
    env = scratch_database
    for step in (
        ["demo-data", "--scale", "tiny", "--seed", "3", "--until", "2026-11-01"],
        ["score", "--as-of", "2026-11-01"],
        ["referral", "create", "--action", "1"],
    ):
        done = run_referly(*step, env=env)
        assert done.returncode == 0, done.stderr
    listed = json.loads(run_referly("referral", "list", "--json", "--limit", "1", env=env).stdout)
    rid = str(listed[0]["id"])
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("REFERLY_", "DJANGO_"))} | env
    for version, stage in ((1, ["requested"]), (2, ["introduced", "--consent"])):
        writers = [
            subprocess.Popen(
                [sys.executable, "-m", "referly", "referral", "advance", rid, *stage, "--version", str(version),
                 "--note", f"writer {n}"],
                cwd=tmp_path, env=clean, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
            for n in (1, 2)
        ]  # fmt: skip
        outcomes = [(w.wait(timeout=120), w.stdout.read() if w.stdout else "") for w in writers]
        codes = sorted(code for code, _ in outcomes)
        assert codes == [0, 4], outcomes
        loser = next(text for code, text in outcomes if code == 4)
        assert f"you had version {version}, it is now {version + 1}" in loser
        winner = next(text for code, text in outcomes if code == 0)
        shown = json.loads(run_referly("referral", "show", rid, "--json", env=env).stdout)
        assert shown["version"] == version + 1
        assert [t["to"] for t in shown["transitions"]][-1] == stage[0]
        assert len(shown["transitions"]) == version + 1  # exactly one transition per race
        assert f"now {stage[0]}" in winner and shown["transitions"][-1]["note"] in ("writer 1", "writer 2")
