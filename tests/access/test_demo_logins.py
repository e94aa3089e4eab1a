"""The demo's logins are the teammates whose work they show."""

from __future__ import annotations

import re

from tests.conftest import RunCli
from tests.jobs.scratch import query

LOGIN = re.compile(r"log in as (\S+) / referly-demo\s+\((\w+): (.+)\)")


def test_each_demo_login_is_the_teammate_of_its_name_and_owns_the_work_it_shows(
    run_referly: RunCli, scratch_database: dict[str, str]
) -> None:
    where = ["--db", scratch_database["REFERLY_DB"]] if "REFERLY_DB" in scratch_database else []
    built = run_referly("demo", "--scale", "tiny", "--no-serve", *where, env=scratch_database)
    assert built.returncode == 0, built.stderr
    logins = LOGIN.findall(built.stdout)
    assert [role for _, role, _ in logins] == ["member", "manager", "admin"], built.stdout
    owners = dict(query(scratch_database, "SELECT owner_id, COUNT(*) FROM scoring_nextbestaction GROUP BY owner_id"))
    top_owner = query(scratch_database, "SELECT owner_id FROM scoring_nextbestaction ORDER BY rank LIMIT 1")[0][0]
    for email, role, said in logins:
        rows = query(
            scratch_database,
            "SELECT t.id, t.name, t.manager_id FROM crm_teammate t JOIN auth_user u ON u.id = t.user_id"
            f" WHERE u.username = '{email}' AND t.email = '{email}'",
        )
        assert len(rows) == 1, f"{email} is not linked to the teammate with its e-mail"
        teammate_id, name, _ = rows[0]
        if role == "admin":
            assert "everyone's" in said
            continue
        assert said.startswith(name), f"{email} is announced as {said!r} but logs in as {name}"
        if role == "member":
            assert teammate_id == top_owner and owners[teammate_id] > 0
        else:
            reports = query(scratch_database, f"SELECT id FROM crm_teammate WHERE manager_id = {teammate_id}")
            team = {r[0] for r in reports}
            assert top_owner in team and sum(owners.get(t, 0) for t in team | {teammate_id}) > 0
