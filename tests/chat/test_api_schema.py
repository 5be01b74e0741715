"""schemathesis against the API's own OpenAPI description: generated requests (a short
budget) find no server error and no response that breaks the description."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from accounts import tokens
from tests.factories import MembershipFactory, RoomFactory, UserFactory

# The site as a WSGI application, in this process: the requests reach the test database.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture
def auth(db) -> dict[str, str]:
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
