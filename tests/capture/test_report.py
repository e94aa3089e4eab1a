"""The capture summary a person reads: what came back for the messages Referly sent is on it."""

from __future__ import annotations

from rich.console import Console

from referly.capture.report import table
from referly.capture.summary import Summary


def test_the_summary_lists_replies_and_bounces_of_sent_messages() -> None:
    summary = Summary()
    summary.read = 12
    summary.outbox.update({"reply": 2, "bounce_hard": 1, "unrelated: a bounce for a message we never sent": 1})
    console = Console(width=120, record=True)
    console.print(table(summary, "messages", dry_run=False))
    text = console.export_text()
    assert "sent messages: reply" in text and "sent messages: bounce hard" in text
    assert "sent messages: unrelated: a bounce for a message we never sent" in text
