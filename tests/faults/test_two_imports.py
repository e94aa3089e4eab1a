"""Two imports of the same export started at the same moment: the database ends as after one import."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import on_postgres
from tests.faults.conftest import Undisturbed, lock_waiters, referly, wait_until
from tests.faults.records import holdings
from tests.jobs.scratch import start_referly, writes_held


def test_two_imports_of_one_export_at_once_end_as_one_import(
    scratch: dict[str, str], small_export: Path, undisturbed: Undisturbed, tmp_path: Path
) -> None:
    env = scratch
    assert referly("init", env=env, cwd=tmp_path).returncode == 0
    expected = undisturbed(small_export)

    # On PostgreSQL both wait at one gate (writes to the teammates held) so their transactions overlap for sure;
    # SQLite lets one writer in at a time whatever the test does, so there they simply start together.
    with writes_held(env, "crm_teammate") if on_postgres() else _nothing():
        imports = [start_referly("import", str(small_export), "--json", env=env, cwd=tmp_path) for _ in range(2)]
        if on_postgres():
            wait_until(lambda: lock_waiters(env) >= 2, "both imports to wait at the gate")
    said = [process.communicate(timeout=600)[0] for process in imports]

    for process, out in zip(imports, said, strict=True):
        assert process.returncode == 0, out
        assert "Traceback" not in out, out
    created = [_created(out) for out in said]
    # One import wrote everything; the other found every row already there and wrote nothing.
    assert sorted(created, key=sum) == [[0, 0, 0, 0], list(expected.counts.values())], created
    assert holdings(env) == expected
    print(f"\ntwo imports at once: {expected.rows:,} rows compared, 0 lost, 0 doubled")


def _created(out: str) -> list[int]:
    summary = json.loads(out[out.index("{") :])
    return [
        f["created"]
        for f in sorted(
            summary["files"], key=lambda f: ["teammates", "accounts", "contacts", "interactions"].index(f["kind"])
        )
    ]


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
