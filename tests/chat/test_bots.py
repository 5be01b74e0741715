"""Bots: made by a room admin (or site staff) for a room, signed in by token only."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.test import Client
from django.urls import reverse

from accounts import tokens
from accounts.models import User
from chat import protocol, selectors, services
from chat.exceptions import BadRequest, Forbidden
from chat.models import Membership, Room

pytestmark = pytest.mark.django_db


def test_a_room_admin_makes_a_bot_that_signs_in_with_its_token_only(public_room: Room, alice: User) -> None:
    bot, text = services.bot_create(actor=alice, room=public_room, name="Deploy  Notes")
    assert bot.is_bot and bot.username == "deploy-notes-bot" and bot.display_name == "Deploy Notes"
    assert Membership.objects.filter(user=bot, room=public_room).exists()
    assert tokens.user_for_token(text) == (bot, bot.api_tokens.get().pk)
    assert not bot.has_usable_password()
    assert authenticate(username=bot.username, password="") is None

    again, _text = services.bot_create(actor=alice, room=public_room, name="Deploy notes")
    assert again.username == "deploy-notes-bot-2"


def test_only_those_who_manage_members_make_bots(public_room: Room, bob: User, carol: User) -> None:
    for who in (bob, carol):  # a plain member; not a member
        with pytest.raises(Forbidden):
            services.bot_create(actor=who, room=public_room, name="Sneaky")
    assert not User.objects.filter(is_bot=True).exists()


@pytest.mark.parametrize("name", ["", "   ", "x" * 65])
def test_a_bot_needs_a_sensible_name(public_room: Room, alice: User, name: str) -> None:
    with pytest.raises(BadRequest):
        services.bot_create(actor=alice, room=public_room, name=name)


def test_a_bot_is_marked_in_what_clients_see(public_room: Room, alice: User, bob: User) -> None:
    bot, _text = services.bot_create(actor=alice, room=public_room, name="Helper")
    assert protocol.user_payload(bot) == {"username": "helper-bot", "display_name": "Helper", "bot": True}
    assert "bot" not in protocol.user_payload(bob)
    assert protocol.member_payload(bot, "member")["bot"] is True
    message = services.message_create(user=bot, room_slug="general", body="beep", client_id="b1").message
    page = selectors.history_for(bob, "general", before_seq=None, after_seq=message.seq - 1, limit=5)
    assert page["messages"][0]["author"]["bot"] is True


def test_the_room_page_makes_a_bot_and_shows_its_token_once(
    public_room: Room, alice: User, bob: User
) -> None:
    admin = Client()
    admin.force_login(alice)
    room_page = admin.get(reverse("chat:room", args=["general"])).content.decode()
    assert 'data-testid="bot-form"' in room_page
    response = admin.post(reverse("chat:bot_create", args=["general"]), {"name": "Standup"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    token = response.context["token"]
    assert token in response.content.decode()
    assert tokens.user_for_token(token)[0].username == "standup-bot"
    room_page = admin.get(reverse("chat:room", args=["general"])).content.decode()
    assert token not in room_page
    assert "tag--bot" in room_page

    member = Client()
    member.force_login(bob)
    assert 'data-testid="bot-form"' not in member.get(reverse("chat:room", args=["general"])).content.decode()
    refused = member.post(reverse("chat:bot_create", args=["general"]), {"name": "Mine"}, follow=True)
    assert "Only a room admin" in refused.content.decode()
