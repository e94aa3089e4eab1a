"""What each kind of job does. A handler takes the moment the job started and returns what it did.

Handlers run inside the job's transaction, opened by the worker: they never commit (except the kinds in
``COMMITS_ITS_OWN_WORK``, run outside it). An expected failure is a ``ReferlyError``; anything else is a
bug, kept with its traceback in the job's record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from referly.jobs.models import JobKind


@dataclass(frozen=True)
class Outcome:
    """What a job did: one line for people, figures for machines, and whether someone should act on it."""

    summary: str
    figures: dict[str, Any] = field(default_factory=dict)
    notice: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"summary": self.summary, "notice": self.notice, **self.figures}


Handler = Callable[[datetime], Outcome]


def run_scoring(now: datetime) -> Outcome:
    """The scoring run `referly score` makes, as of the moment it runs."""
    from referly.scoring.services import score_database

    run = score_database(None, [])  # inside the worker's transaction
    counts = {str(k): int(v) for k, v in dict(run.counts).items()}
    return Outcome(
        f"scoring run {run.pk} as of {run.as_of:%Y-%m-%d %H:%M} UTC: {counts.get('actions', 0):,} next best "
        f"actions, {counts.get('sponsors', 0):,} possible sponsors",
        {"run": run.pk, "counts": counts},
    )


def refresh_referrals(now: datetime) -> Outcome:
    """The daily sweep of `referly referral refresh`: silence, deals closed in the CRM, credit; and the audit
    events past REFERLY_AUDIT_DAYS deleted."""
    from referly.audit.trail import prune
    from referly.portal.services import expire
    from referly.referrals.services import refresh

    unanswered = expire(now)  # first: their referrals fall to no response with the right note
    done = {**refresh(now), "consent_expired": unanswered, "audit_events_pruned": prune(now)}
    return Outcome(
        f"{done['no_response']} referral(s) moved to no_response, {done['followed_deals']} followed their deal, "
        f"{done['credit_changes']} credit change(s), {unanswered} unanswered consent request(s) closed, "
        f"{done['audit_events_pruned']} audit event(s) past retention deleted",
        dict(done),
    )


def remind_review(now: datetime) -> Outcome:
    from referly.reports.review import latest_review

    return review_reminder(latest_review(), now)


def review_reminder(latest: tuple[date, datetime] | None, now: datetime) -> Outcome:
    """Whether the monthly referral review is due (the rule of ``referly.reports.review.staleness``)."""
    from referly.reports.review import staleness

    if latest is None:
        return Outcome(
            "no review yet: time for the first monthly referral review",
            {"last_review": None, "days_ago": None, "due": True},
            notice=True,
        )
    month, created_at = latest
    days = (now - created_at).days
    due = staleness(latest, now).due
    text = f"last review {month:%Y-%m}, {days} day{'' if days == 1 else 's'} ago"
    text += ": the monthly referral review is due" if due else ": up to date"
    return Outcome(text, {"last_review": f"{month:%Y-%m}", "days_ago": days, "due": due}, notice=due)


def sync_sources(now: datetime) -> Outcome:
    """The daily `referly source sync`: every mailbox and calendar, each one's result named. Commits per batch
    (the worker runs it outside the job's transaction). Failed when every source failed."""
    from referly.capture.sources import sync_all
    from referly.errors import Unavailable

    results = sync_all(now)
    done = [
        {"id": s.pk, "where": s.where, "error": r}
        if isinstance(r, str)
        else {"id": s.pk, "where": s.where, "read": r.read, "added": r.added, "errors": len(r.errors)}
        for s, r in results
    ]
    said = [
        f"source {d['id']} ({d['where']}) failed: {d['error']}"
        if "error" in d
        else f"source {d['id']} ({d['where']}): {d['read']:,} read, {d['added']:,} added"
        + (f", {d['errors']:,} error(s)" if d["errors"] else "")
        for d in done
    ]
    failed = sum("error" in d for d in done)
    if results and failed == len(results):
        raise Unavailable(f"every source failed: {'; '.join(said)}")
    if not results:
        return Outcome("no mailbox or calendar to sync (`referly source add` adds one)", {"sources": []})
    added = sum(r.added for _, r in results if not isinstance(r, str))
    return Outcome(
        f"{len(results) - failed} of {len(results)} source(s) synced, {added:,} interaction(s) added: "
        + "; ".join(said),
        {"sources": done, "added": added, "failed": failed},
        notice=bool(failed),
    )


HANDLERS: Mapping[str, Handler] = {
    JobKind.SCORE: run_scoring,
    JobKind.REFERRAL_REFRESH: refresh_referrals,
    JobKind.REVIEW_REMINDER: remind_review,
    JobKind.SOURCE_SYNC: sync_sources,
}

# Kinds whose handler commits its own work as it goes (a sync commits per batch, so a stopped one resumes):
# the worker runs them outside the job's transaction, and only marking the job done is atomic.
COMMITS_ITS_OWN_WORK: frozenset[str] = frozenset({JobKind.SOURCE_SYNC})
