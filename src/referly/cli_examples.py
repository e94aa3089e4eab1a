"""An example for every command's ``--help``: what a user types first, copied from the guide."""

from __future__ import annotations

from collections.abc import Iterator

import click

EXAMPLES: dict[str, tuple[str, ...]] = {
    "actions": ("referly actions --limit 10", "referly actions --owner ana@ourco.example --json"),
    "ask list": ("referly ask list --contact jane@client.example",),
    "ask log": ("referly ask log jane@client.example --kind referral --by ana@ourco.example",),
    "ask outcome": ("referly ask outcome 42 declined",),
    "ask send": ("referly ask send 31 --lang fr --edit", "referly ask send --referral 12 --yes --now"),
    "audit export": ("referly audit export --kind login. --since 2026-01-01 --out logins.csv",),
    "audit list": (
        "referly audit list --kind export. --limit 20",
        "referly audit list --actor ana@ourco.example --json",
    ),
    "audit prune": ("referly audit prune", "referly audit prune --days 400"),
    "backup": ("referly backup --out referly-2026-12-07.db", "referly backup --out /backups/referly.dump --force"),
    "capture calendar": ("referly capture calendar ~/Downloads/calendar.ics --dry-run",),
    "capture linkedin": ("referly capture linkedin Connections.csv --teammate ana@ourco.example",),
    "capture mail": (
        "referly capture mail ~/Takeout/Mail/All.mbox --mailbox-owner ana@ourco.example --dry-run",
        "referly capture mail ~/Maildir --create-accounts",
    ),
    "doctor": ("referly doctor", "referly doctor --json"),
    "dedupe list": ("referly dedupe list --kind contacts",),
    "dedupe merge": ("referly dedupe merge contacts 12 57 --reason 'same person, two addresses'",),
    "demo": ("referly demo", "referly demo --no-serve --db /tmp/demo.sqlite3"),
    "demo-data": ("referly demo-data --scale smb --seed 7 --out demo-files/",),
    "evaluate paths": (
        "referly evaluate paths --events emails.csv --source from --target to --time at --cutoff 2001-06-01",
        "referly evaluate paths --events messages.csv --mapping mapping.toml --horizon 60 --json",
    ),
    "evaluate ranking": ("referly evaluate ranking --from 2025-01-01 --to 2025-12-31 --json",),
    "evaluate ties": (
        "referly evaluate ties --events emails.csv --cutoff 2001-06-01 --horizon 90",
        "referly evaluate ties --events emails.csv --source from --target to --time at --tune --apply",
    ),
    "export crm": ("referly export crm --preset hubspot --out writeback/",),
    "export tables": ("referly export tables --format parquet --out tables/",),
    "export-person": ("referly export-person jane@client.example --out jane.json",),
    "forget": ("referly forget jane@client.example --yes",),
    "fx import": ("referly fx import eurofxref-hist.csv", "referly fx import rates.csv --json"),
    "fx list": ("referly fx list",),
    "icp suggest": ("referly icp suggest", "referly icp suggest --min-deals 50 --apply --by ana@ourco.example"),
    "import": (
        "referly import hubspot-export.zip --preset hubspot",
        "referly import deals deals.csv --mapping my-crm.toml --dry-run",
    ),
    "init": ("referly init", "REFERLY_DATABASE_URL=postgresql://referly@db/referly referly init"),
    "job add": ("referly job add score",),
    "job list": ("referly job list --state failed",),
    "outbox list": ("referly outbox list --state failed", "referly outbox list --json"),
    "outbox settle": ("referly outbox settle 12 sent --by ana@ourco.example", "referly outbox settle 12 queue"),
    "outbox show": ("referly outbox show 7",),
    "plan": ("referly plan --goal-share 0.2 --json",),
    "portal expire": ("referly portal expire",),
    "portal link": ("referly portal link jane@client.example --lang fr --days 14",),
    "portal revoke": ("referly portal revoke jane@client.example",),
    "referral advance": ("referly referral advance 7 introduced --note 'intro sent by Jane'",),
    "referral create": ("referly referral create --action 31", "referly referral create --action 31 --lang fr"),
    "referral list": ("referly referral list --stage requested --owner ana@ourco.example",),
    "referral refresh": ("referly referral refresh --silence 21",),
    "referral show": ("referly referral show 7 --json",),
    "report": ("referly report --month 2026-11 --format html --out november.html",),
    "restore": ("referly restore referly-2026-12-07.db --yes", "referly restore referly-2026-12-07.db --db fresh.db"),
    "review": ("referly review --month 2026-11 --decision 'ask three more sponsors in logistics'",),
    "score": ("referly score", "referly score --as-of 2026-11-30"),
    "script": ("referly script 31 --channel email --lang fr",),
    "serve": ("referly serve --port 8000 --open",),
    "source add caldav": (
        "referly source add caldav --url https://cal.ourco.example/ana/work/ --user ana --password-stdin"
        " --owner ana@ourco.example",
    ),
    "source add imap": (
        "referly source add imap --host imap.ourco.example --user ana --password-stdin --owner ana@ourco.example",
    ),
    "source list": ("referly source list --json",),
    "source remove": ("referly source remove 2",),
    "source sync": ("referly source sync", "referly source sync 2 --json"),
    "user create": (
        "referly user create ana@ourco.example --role admin --name 'Ana Lopez'",
        "referly user create ana@ourco.example --role member --teammate 'Ana Lopez'",
    ),
    "user link": ("referly user link ana@ourco.example --teammate 'Ana Lopez'",),
    "user list": ("referly user list",),
    "user revoke": ("referly user revoke 3",),
    "user token": (
        "referly user token ana@ourco.example --name 'BI export'",
        "referly user token ana@ourco.example --name 'CRM sync' --scope write --expires-in 1y",
    ),
    "user tokens": ("referly user tokens ana@ourco.example", "referly user tokens ana@ourco.example --json"),
    "user reset-2fa": ("referly user reset-2fa ana@ourco.example",),
    "webhook add": ("referly webhook add https://hooks.ourco.example/referly --events referral.won",),
    "webhook list": ("referly webhook list",),
    "webhook log": ("referly webhook log 1 --limit 20",),
    "webhook redeliver": ("referly webhook redeliver 15",),
    "webhook remove": ("referly webhook remove 1",),
    "webhook test": ("referly webhook test 1",),
    "worker": ("referly worker", "referly worker --once"),
}


def commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    """Every leaf command under ``group``, with its path as typed ("source add imap")."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


def add_examples(group: click.Group) -> None:
    """Give each command an "Examples" block at the end of its ``--help`` (click keeps it unwrapped)."""
    for path, command in commands(group):
        lines = EXAMPLES.get(path)
        if lines and not command.epilog:
            command.epilog = "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)
