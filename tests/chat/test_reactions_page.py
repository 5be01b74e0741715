"""The room page's side of reactions: the user's most used emoji, and the picker's
choices written into the page."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from chat import selectors, services
from chat.models import Message, Reaction, Room
from chat.rendering import EMOJI

pytestmark = pytest.mark.django_db

THUMBS, HEART, PARTY, EYES = "\U0001f44d", "\u2764\ufe0f", "\U0001f389", "\U0001f440"


def post(user: User, body: str) -> Message:
    return services.message_create(
        user=user, room_slug="general", body=body, client_id=f"{user.pk}-{body}"
    ).message


def react(user: User, message: Message, emoji: str) -> None:
    services.reaction_add(user=user, room_slug="general", seq=message.seq, emoji=emoji)


def page_json(html: str, element_id: str) -> object:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no #{element_id} in the page"
    return json.loads(match.group(1))


@pytest.fixture
def three_messages(public_room: Room, alice: User) -> list[Message]:
    return [post(alice, f"message {n}") for n in range(3)]


def test_the_most_used_emoji_come_first_in_one_query(
    bob: User, three_messages: list[Message], django_assert_num_queries
) -> None:
    first, second, _third = three_messages
    for message in three_messages:
        react(bob, message, HEART)
    react(bob, first, THUMBS)
    react(bob, second, THUMBS)
    react(bob, first, PARTY)

    with django_assert_num_queries(1):
        frequent = selectors.frequent_reactions(bob)

    assert frequent == [HEART, THUMBS, PARTY]


def test_ties_go_to_the_most_recently_used(bob: User, three_messages: list[Message]) -> None:
    first, second, _third = three_messages
    react(bob, first, PARTY)
    react(bob, second, EYES)
    react(bob, first, THUMBS)
    # The clock may not move between rows: make the order of use plain.
    now = Reaction.objects.get(emoji=THUMBS).created_at
    Reaction.objects.filter(emoji=PARTY).update(created_at=now - timedelta(minutes=2))
    Reaction.objects.filter(emoji=EYES).update(created_at=now - timedelta(minutes=1))

    assert selectors.frequent_reactions(bob) == [THUMBS, EYES, PARTY]


def test_only_the_users_own_reactions_count(alice: User, bob: User, three_messages: list[Message]) -> None:
    first, second, third = three_messages
    for message in three_messages:
        react(alice, message, PARTY)
    react(bob, first, THUMBS)
    react(bob, second, EYES)
    react(bob, third, EYES)

    assert selectors.frequent_reactions(bob) == [EYES, THUMBS]
    assert selectors.frequent_reactions(alice) == [PARTY]


def test_at_most_a_few_favourites_are_offered(bob: User, three_messages: list[Message]) -> None:
    many = ["😀", "😁", "😂", "🤣", "😃", "😄", "😅", "😆", "😉"]
    for emoji in many:
        react(bob, three_messages[0], emoji)

    assert selectors.FREQUENT_REACTIONS == 8
    assert len(selectors.frequent_reactions(bob)) == 8


def test_a_reaction_taken_back_no_longer_counts(bob: User, three_messages: list[Message]) -> None:
    first = three_messages[0]
    react(bob, first, THUMBS)
    services.reaction_remove(user=bob, room_slug="general", seq=first.seq, emoji=THUMBS)

    assert selectors.frequent_reactions(bob) == []


def test_the_room_page_carries_the_pickers_choices(bob: User, three_messages: list[Message]) -> None:
    react(bob, three_messages[0], PARTY)
    client = Client()
    client.force_login(bob)

    response = client.get(reverse("chat:room", args=["general"]))

    html = response.content.decode()
    assert page_json(html, "chat-emoji") == [[name, emoji] for name, emoji in EMOJI.items()]
    assert page_json(html, "chat-frequent-reactions") == [PARTY]
    assert page_json(html, "chat-room")["last_rev"] >= 1  # type: ignore[index]
