"""Muting a room: a member's own choice, kept on the membership, heard by every tab."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from chat import selectors, services
from chat.exceptions import Forbidden, NotFound
from chat.models import Membership, Room
from tests.chat.conftest import EventListener

pytestmark = pytest.mark.django_db

Listen = Callable[..., EventListener]


def muted(user: User, room: Room) -> bool:
    return Membership.objects.get(user=user, room=room).muted


def test_a_member_mutes_and_unmutes_a_room_and_their_tabs_hear_it(
    public_room: Room, bob: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    listener = listen(f"user.{bob.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        services.room_mute(user=bob, room_slug="general", muted=True)
    assert muted(bob, public_room)
    [(_op, frame)] = listener.frames()
    assert frame["type"] == "room_updated"
    assert frame["room"]["slug"] == "general"
    assert frame["room"]["muted"] is True

    # Muting again changes nothing, and says nothing.
    with django_capture_on_commit_callbacks(execute=True):
        services.room_mute(user=bob, room_slug="general", muted=True)
    assert listener.frames() == []

    with django_capture_on_commit_callbacks(execute=True):
        services.room_mute(user=bob, room_slug="general", muted=False)
    assert not muted(bob, public_room)
    assert [frame["room"]["muted"] for _op, frame in listener.frames()] == [False]


def test_muting_is_the_member_s_own(public_room: Room, alice: User, bob: User) -> None:
    services.room_mute(user=bob, room_slug="general", muted=True)
    summaries = selectors.room_summaries_for_users([alice.pk, bob.pk])
    assert [summary["muted"] for _id, summary in summaries[bob.pk]] == [True]
    assert [summary["muted"] for _id, summary in summaries[alice.pk]] == [False]


def test_only_a_member_can_mute(public_room: Room, private_room: Room, carol: User) -> None:
    with pytest.raises(Forbidden):
        services.room_mute(user=carol, room_slug="general", muted=True)
    with pytest.raises(NotFound):
        services.room_mute(user=carol, room_slug="secret", muted=True)
    with pytest.raises(NotFound):
        services.room_mute(user=carol, room_slug="nowhere", muted=True)


def test_the_mute_button_posts_and_returns_to_the_room(public_room: Room, bob: User) -> None:
    client = Client()
    client.force_login(bob)
    url = reverse("chat:room_mute", args=["general"])

    page = client.get(reverse("chat:room", args=["general"]))
    assert b'data-testid="mute"' in page.content
    assert b'name="muted" value="1"' in page.content

    response = client.post(url, {"muted": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("chat:room", args=["general"])
    assert muted(bob, public_room)
    page = client.get(reverse("chat:room", args=["general"]))
    assert b'name="muted" value="0"' in page.content
    assert b"Unmute" in page.content

    client.post(url, {"muted": "0"})
    assert not muted(bob, public_room)
    assert client.get(url).status_code == 405


def test_a_non_member_gets_an_error_not_a_mute(public_room: Room, private_room: Room, carol: User) -> None:
    client = Client()
    client.force_login(carol)
    response = client.post(reverse("chat:room_mute", args=["general"]), {"muted": "1"}, follow=True)
    assert "You are not a member of #general." in response.content.decode()
    assert client.post(reverse("chat:room_mute", args=["secret"]), {"muted": "1"}).status_code == 404
    assert not Membership.objects.filter(user=carol).exists()


def test_muting_is_rate_limited(settings, public_room: Room, bob: User) -> None:
    settings.CHAT_RATE_LIMITS = {**settings.CHAT_RATE_LIMITS, "mute": (0.001, 2)}
    client = Client()
    client.force_login(bob)
    url = reverse("chat:room_mute", args=["general"])
    client.post(url, {"muted": "1"})
    client.post(url, {"muted": "0"})
    response = client.post(url, {"muted": "1"}, follow=True)
    assert not muted(bob, public_room)
    assert "You are sending too fast" in response.content.decode()
