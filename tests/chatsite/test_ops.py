"""chatsite.ops: liveness, readiness, metrics, and the error pages."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import AsyncClient, Client

from chat import selectors
from chatsite import ops, sessions
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def test_healthz_answers_while_the_process_lives() -> None:
    response = await AsyncClient().get("/healthz")

    assert (response.status_code, response.content) == (200, b"ok\n")


async def test_readyz_is_ready_when_the_database_answers_and_redis_is_not_used(settings) -> None:
    settings.REDIS_URL = ""

    response = await AsyncClient().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"ready": True, "database": "ok", "redis": "not configured"}


async def test_readyz_names_redis_when_it_does_not_answer(settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = await AsyncClient().get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert (body["ready"], body["database"]) == (False, "ok")
    assert body["redis"].startswith("error")


async def test_readyz_names_the_database_when_it_does_not_answer(monkeypatch) -> None:
    def broken() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(ops, "_database_answers", broken)

    response = await AsyncClient().get("/readyz")

    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"


@pytest.mark.parametrize(
    ("who", "authorization", "status"),
    [
        ("anonymous", "", 403),
        ("member", "", 403),
        ("staff", "", 200),
        ("anonymous", "Bearer right-token", 200),
        ("anonymous", "Bearer wrong-token", 403),
        ("anonymous", "right-token", 403),
    ],
)
def test_metrics_are_for_staff_or_the_token(settings, who: str, authorization: str, status: int) -> None:
    settings.CHAT_METRICS_TOKEN = "right-token"
    client = Client()
    if who == "member":
        client.force_login(UserFactory())
    elif who == "staff":
        client.force_login(StaffFactory())

    response = client.get("/metrics", headers={"Authorization": authorization} if authorization else {})

    assert response.status_code == status
    if status == 200:
        text = response.content.decode()
        for name in ("chat_open_sockets", "chat_messages_stored_total", "chat_publish_failures_total"):
            assert name in text
        assert "chat_fanout_seconds_bucket" in text


def test_without_a_token_configured_no_bearer_is_accepted(settings) -> None:
    settings.CHAT_METRICS_TOKEN = ""

    response = Client().get("/metrics", headers={"Authorization": "Bearer "})

    assert response.status_code == 403


def test_a_page_whose_database_is_down_is_a_friendly_503(monkeypatch, caplog) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())

    def down(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(selectors, "room_summaries_for_user", down)

    response = client.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "back in a moment" in page
    assert "Traceback" not in page
    assert "Connection refused" not in page
    # Logged, without a stack trace: an outage is not a bug.
    assert caplog.records
    assert all(record.exc_info is None for record in caplog.records)


def test_a_session_that_cannot_be_read_is_the_same_503_in_the_browsers_language(monkeypatch, caplog) -> None:
    # The first read of a page is the session, in a middleware before any view: the
    # database failing there is the same 503 and one log line, never Django's logged
    # stack trace for a middleware's exception.
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())

    def down(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(sessions.SessionStore, "_get_session_from_db", down)

    response = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Language"] == "zh-hans"
    assert "Connection refused" not in response.content.decode()
    assert caplog.records
    assert all(record.exc_info is None for record in caplog.records)


def test_any_other_failure_is_a_plain_500_without_internals(monkeypatch) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())

    def broken(*args, **kwargs):
        raise ValueError("secret internals")

    monkeypatch.setattr(selectors, "room_summaries_for_user", broken)

    response = client.get("/")

    assert response.status_code == 500
    assert "secret internals" not in response.content.decode()
    assert "Something went wrong" in response.content.decode()
