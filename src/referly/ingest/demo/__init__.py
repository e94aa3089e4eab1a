"""A realistic synthetic B2B company, reproducible from a seed.

``generate`` builds every table in memory (numpy columns); ``load`` writes them in
dependency order with the bulk writer. The caller owns the transaction, so an interrupted
load leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable

from referly.crm.services import refresh_former_colleagues
from referly.ingest.demo.context import DemoContext
from referly.ingest.demo.deals import generate_pipeline, pipeline_frames
from referly.ingest.demo.firmographics import generate_market, generate_team
from referly.ingest.demo.frame import Frame
from referly.ingest.demo.people import generate_people
from referly.ingest.demo.referrals import generate_referrals
from referly.ingest.demo.signals import generate_signals
from referly.ingest.demo.ties import generate_ties
from referly.ingest.demo.touches import TouchPlan, plan_touches, touches_frame
from referly.ingest.demo.volumes import SCALES, Volumes, volumes_for
from referly.kit.bulk import insert_rows, reset_sequences

__all__ = ["SCALES", "DemoContext", "Frame", "Volumes", "generate", "load", "volumes_for"]

Progress = Callable[[str, int], None]


def generate_records(ctx: DemoContext) -> tuple[list[Frame], TouchPlan]:
    """Every table but the interactions, parents before children, and the plan the interactions come from.

    Each part draws from its own random stream, so the interactions can be drawn afterwards (all at
    once, or streamed in blocks at the enterprise scale) and come out the same.
    """
    team, teammates = generate_team(ctx)
    market, accounts = generate_market(ctx, team)
    people, contacts, employment = generate_people(ctx, market)
    signals = generate_signals(ctx, market, people, employment)
    pipeline = generate_pipeline(ctx, market)
    plan = plan_touches(ctx, market, team, people)
    referral_frames, referral_ties = generate_referrals(ctx, market, team, people, pipeline, plan, signals)
    opportunities, history = pipeline_frames(ctx, market, pipeline)
    ties = generate_ties(ctx, market, team, people)
    frames = [teammates, accounts, contacts, employment, *ties, *referral_ties, signals, opportunities, history]
    frames += referral_frames
    for frame in frames:
        frame.check()
    return frames, plan


def generate(ctx: DemoContext) -> list[Frame]:
    """Every table of the demo company, parents before children."""
    frames, plan = generate_records(ctx)
    return [*frames, touches_frame(ctx, plan)]


def load(ctx: DemoContext, frames: list[Frame], on_progress: Progress | None = None) -> None:
    """Write the frames, then derive former-colleague ties from the employment histories."""
    for frame in frames:
        insert_rows(frame.model, frame.columns, stamped_at=ctx.now, on_progress=_reporter(frame, on_progress))
    refresh_former_colleagues(ctx.until, stamped_at=ctx.now)
    reset_sequences(*{frame.model for frame in frames})
    from referly.referrals.services import recompute_credit

    recompute_credit()  # the credit rules, with their reasons, over the demo's referral history


def _reporter(frame: Frame, on_progress: Progress | None) -> Callable[[int], None] | None:
    if on_progress is None:
        return None
    label = str(frame.model._meta.verbose_name_plural)
    return lambda rows: on_progress(label, rows)


def planned_rows(frames: list[Frame]) -> int:
    return sum(len(f) for f in frames)
