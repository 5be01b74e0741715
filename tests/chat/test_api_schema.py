"""schemathesis against the API's own OpenAPI description: generated requests (a short
budget) find no server error and no response that breaks the description."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from accounts import tokens
from tests.factories import MembershipFactory, RoomFactory, UserFactory

# The site as a WSGI application, in this process: the requests reach the test database.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture
def same_connection() -> Iterator[None]:
    """Keep the test's database connection across the requests, as Django's test client
    does: a WSGI request would close it at its end (CONN_MAX_AGE=0), and on PostgreSQL
    the test's transaction, and its data, would go with it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def auth(db, same_connection) -> dict[str, str]:
    user = UserFactory(username="schema-user")
    room = RoomFactory(slug="general", created_by=user)
    MembershipFactory(room=RoomFactory(slug="other"), user=user)
    assert room.slug == "general"
    _token, text = tokens.token_create(user=user, name="schemathesis")
    return {"Authorization": f"Bearer {text}"}


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@pytest.mark.django_db
def test_the_api_keeps_to_its_description(case, auth: dict[str, str]) -> None:
    case.call_and_validate(headers=auth)
