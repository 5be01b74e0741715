"""chatsite.sessions: Django's database sessions, read with SQL compiled once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from chatsite.sessions import SessionStore

pytestmark = pytest.mark.django_db


def saved(**data: object) -> str:
    store = SessionStore()
    store.update(data)
    store.save()
    assert store.session_key
    return store.session_key


def test_a_session_reads_back_what_was_saved() -> None:
    key = saved(colour="blue", count=3)

    store = SessionStore(key)
    assert store.load() == {"colour": "blue", "count": 3}
    assert store.session_key == key


def test_an_expired_session_reads_as_none_and_loses_its_key() -> None:
    key = saved(colour="blue")
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))

    store = SessionStore(key)
    assert store.load() == {}
    assert store.session_key is None


@pytest.mark.parametrize("key", ["no-such-session-key-at-all", "short", ""])
def test_an_unknown_or_malformed_key_reads_as_none(key: str) -> None:
    saved(colour="blue")

    store = SessionStore(key)
    assert store.load() == {}
    assert store.session_key is None


def test_a_deleted_session_reads_as_none() -> None:
    key = saved(colour="blue")
    SessionStore(key).delete()

    assert SessionStore(key).load() == {}


def test_the_chat_uses_it(settings) -> None:
    assert settings.SESSION_ENGINE == "chatsite.sessions"
