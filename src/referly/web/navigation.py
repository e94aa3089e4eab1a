"""Moving between pages: where to go back to after a form, and pages of long lists."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from referly.kit.kept_counts import KeptCountPaginator
from referly.scoring.models import ScoreRun


def back_to(request: HttpRequest, fallback: str) -> str:
    """The ``next`` field of a form when it points inside this site, else ``fallback``."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()):
        return wanted
    return fallback


def page_of(request: HttpRequest, items: Any, size: int) -> Page[Any]:
    """The page of ``items`` the ``page`` parameter asks for (the first or last one when out of range)."""
    return Paginator(items, size).get_page(request.GET.get("page"))


def page_of_run(request: HttpRequest, items: Any, size: int, run: ScoreRun) -> Page[Any]:
    """``page_of`` a list of ``run``'s results: its total is counted once per process until a new run."""
    return KeptCountPaginator(items, size, run_key(run)).get_page(request.GET.get("page"))


def run_key(run: ScoreRun) -> str:
    """What names a scoring run in a cache key: its id, and its start (ids of a rolled-back run come back)."""
    return f"run-{run.pk}-{run.started_at.timestamp()}"


def query_without_page(request: HttpRequest) -> str:
    """The current query string without ``page``, for the links to other pages."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
