"""Every router of the API and its prefix under /api/v1."""

from __future__ import annotations

from ninja import Router

from referly.api import actions

ALL: list[tuple[str, Router]] = [
    ("/actions", actions.router),
]
