"""Idempotency keys: a create sent again with the same ``Idempotency-Key`` is answered, not done, twice.

The first request with a key runs and its answer is stored with a fingerprint of the request; a repeat
with the same fingerprint gets the stored answer, a repeat with another body a 409. Failed requests store
nothing, so a client may retry them. The stored answer and the write share one transaction: either both
are kept or neither.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja.params import functions as params

from referly.api.auth import actor, api
from referly.api.models import IdempotentRequest
from referly.errors import Conflict

KEY_HEADER = "Idempotency-Key"
Key = params.Header(
    None,
    alias=KEY_HEADER,
    min_length=1,
    max_length=255,
    description="Send the same key again to get the first answer instead of a second write.",
)
Answer = tuple[int, Any]


def fingerprint(request: HttpRequest, payload: Any) -> str:
    canonical = json.dumps([request.method, request.path, payload], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def once(request: HttpRequest, key: str | None, payload: Any, run: Callable[[], Answer]) -> HttpResponse:
    """Run ``run`` (which answers a status and a JSON-ready body) in one transaction, or replay the answer
    stored under ``key`` for the same payload."""
    status, body = _once(request, key, payload, run)
    return api.create_response(request, body, status=status)


def _once(request: HttpRequest, key: str | None, payload: Any, run: Callable[[], Answer]) -> Answer:
    if not key:
        with transaction.atomic():
            return run()
    user_id = actor(request).user_id
    mine = fingerprint(request, payload)
    with transaction.atomic():
        stored = IdempotentRequest.objects.select_for_update().filter(user_id=user_id, key=key).first()
        if stored is not None:
            if stored.fingerprint != mine:
                raise Conflict(f"The {KEY_HEADER} {key!r} was used for another request; use a new key")
            return stored.status, stored.body
        status, body = run()
        try:
            with transaction.atomic():
                IdempotentRequest.objects.create(
                    user_id=user_id, key=key, fingerprint=mine, status=status, body=body, created_at=timezone.now()
                )
        except IntegrityError:  # the same key sent twice at once: the other request won
            raise Conflict(f"A request with the {KEY_HEADER} {key!r} is being processed; retry it shortly") from None
        return status, body
