"""Property-based tests of the whole API against its own OpenAPI document: no 5xx, every answer as documented.

Each operation gets up to 25 generated requests (valid and invalid), sent with an admin's write token to
the WSGI application in process, so they run in the test's own database transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from referly.wsgi import application
from tests.api.conftest import World

# The document is read at collection, before any database or login exists: opened, and not counted by the
# rate limits (which count in the database), for that one read only. Who may read it: test_schema_access.py.
with override_settings(API_SCHEMA_PUBLIC=True, RATELIMIT_ENABLE=False):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def admin_token(world: World) -> Iterator[str]:
    # As Django's test client does: a request's end must not close the test's connection mid-transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield world.team.admin.token("write")
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_answers_as_documented_and_never_fails(case: Any, admin_token: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}"},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
