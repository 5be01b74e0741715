"""Message search: selectors.message_search and rooms_readable_by, and GET /search/.

The same tests run on SQLite (each word, ignoring case, somewhere in the body) and on
PostgreSQL (full-text search with the 'simple' config and a web-search query, and
Chinese words looked for inside the text through a trigram index).
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from chat import permissions, selectors, services
from chat.models import Membership, Message, Room
from tests.factories import MembershipFactory, MessageFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def search(user: User, q: str | None = None, **params: Any) -> Any:
    if q is not None:
        params["q"] = q
    return client_for(user).get(reverse("chat:search"), params)


def found_bodies(user: User, q: str, page: int = 1) -> list[str]:
    return [result.message.body for result in selectors.message_search(user, q, page=page).results]


def result_seqs(response: Any) -> list[tuple[str, int]]:
    """(room slug, seq) of each result shown on the page, in order."""
    assert response.status_code == 200
    html = response.content.decode()
    return [(slug, int(seq)) for seq, slug in re.findall(r'data-seq="(\d+)" data-room="([\w-]+)"', html)]


def pager_links(response: Any) -> dict[str, dict[str, list[str]]]:
    """The query of the page's previous and next links, by which."""
    html = response.content.decode()
    return {
        which: parse_qs(unescape(href))
        for href, which in re.findall(r'href="\?([^"]*)" data-testid="search-(previous|next)"', html)
    }


@pytest.fixture
def other_private_room(alice: User) -> Room:
    """A private room of alice's alone."""
    return RoomFactory(name="Board", slug="board", created_by=alice, is_private=True)


# What is found --------------------------------------------------------------------------


def test_words_are_found_in_the_rooms_of_a_member(
    alice: User, bob: User, public_room: Room, private_room: Room
) -> None:
    MessageFactory(room=public_room, author=alice, body="the deploy went fine")
    MessageFactory(room=private_room, author=alice, body="Deploy the secret build")
    MessageFactory(room=public_room, author=alice, body="lunch at noon")

    assert found_bodies(bob, "deploy") == ["Deploy the secret build", "the deploy went fine"]


def test_every_word_of_the_query_is_required_in_any_case(alice: User, bob: User, public_room: Room) -> None:
    MessageFactory(room=public_room, author=alice, body="Deploy to staging now")
    MessageFactory(room=public_room, author=alice, body="deploy to production")

    assert found_bodies(bob, "STAGING deploy") == ["Deploy to staging now"]
    assert found_bodies(bob, "staging tomorrow") == []


def test_a_chinese_word_is_found_inside_a_sentence(
    alice: User, bob: User, carol: User, public_room: Room, private_room: Room
) -> None:
    # The report: Chinese has no spaces between words, and full-text search alone
    # took the whole sentence for one word.
    MessageFactory(room=public_room, author=alice, body="我们明天部署新版本")
    MessageFactory(room=private_room, author=alice, body="部署密钥在这里")
    MessageFactory(room=public_room, author=alice, body="今天不上线")

    assert found_bodies(bob, "部署") == ["部署密钥在这里", "我们明天部署新版本"]
    assert found_bodies(bob, "明天部署") == ["我们明天部署新版本"]
    assert found_bodies(bob, "新版本") == ["我们明天部署新版本"]
    # Never from a room one may not read.
    assert found_bodies(carol, "部署") == ["我们明天部署新版本"]
    assert found_bodies(carol, "密钥") == []


def test_chinese_and_other_words_are_each_required(alice: User, bob: User, public_room: Room) -> None:
    MessageFactory(room=public_room, author=alice, body="Release 2.0：我们明天部署")
    MessageFactory(room=public_room, author=alice, body="release notes 在这里")
    MessageFactory(room=public_room, author=alice, body="明天部署 the hotfix")

    assert found_bodies(bob, "release 部署") == ["Release 2.0：我们明天部署"]
    assert found_bodies(bob, "部署 hotfix") == ["明天部署 the hotfix"]
    assert found_bodies(bob, "“部署”") == ["明天部署 the hotfix", "Release 2.0：我们明天部署"]


def test_a_word_mixing_scripts_is_found_as_typed(alice: User, bob: User, public_room: Room) -> None:
    MessageFactory(room=public_room, author=alice, body="发布v2部署完成")
    MessageFactory(room=public_room, author=alice, body="v2 已经部署")

    assert found_bodies(bob, "v2部署") == ["发布v2部署完成"]
    assert found_bodies(bob, "V2部署") == ["发布v2部署完成"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index is PostgreSQL's")
def test_on_postgresql_a_chinese_word_is_looked_up_in_the_trigram_index(
    alice: User, bob: User, public_room: Room
) -> None:
    MessageFactory(room=public_room, author=alice, body="我们明天部署新版本")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() is not None
        # Enough other messages that reading them all costs more than the index.
        cursor.execute(
            # Every column without a value of the database's own (the models' defaults are Python's).
            "INSERT INTO chat_message (room_id, seq, author_id, body, html, created_at, rev, reactions,"
            " attachments, also_to_room, reply_count, repliers)"
            " SELECT %s, 100 + n, %s, '第' || n || '条：今天天气很好', '', now(),"
            " 0, '[]', '[]', false, 0, '[]'"
            " FROM generate_series(1, 20000) AS n",
            [public_room.pk, alice.pk],
        )
        # As autovacuum would: the index's pending list merged, the table's statistics taken.
        cursor.execute("SELECT gin_clean_pending_list('chat_message_body_trgm')")
        cursor.execute("ANALYZE chat_message")
    found = selectors._messages_matching(
        Message.objects.filter(author__isnull=False, deleted_at__isnull=True).order_by(), "部署新版本"
    )

    assert "chat_message_body_trgm" in found.explain()
    assert [message.body for message in found] == ["我们明天部署新版本"]


def test_a_chinese_result_is_highlighted(alice: User, bob: User, public_room: Room) -> None:
    MessageFactory(room=public_room, author=alice, body="我们明天<部署>新版本")

    html = search(bob, "部署").content.decode()

    assert "我们明天&lt;<mark>部署</mark>&gt;新版本" in html


def test_a_chinese_query_splits_into_words_and_the_rest() -> None:
    assert selectors.split_search_query("部署 release -hotfix “新版本” v2部署 部署") == (
        ["部署", "新版本", "v2部署"],
        "  release -hotfix “ ”    ",
    )


def test_a_public_room_the_user_is_not_in_is_searched(alice: User, carol: User, public_room: Room) -> None:
    # Decision: anyone signed in may read a public room (its page and its history), so
    # its messages are found too.
    MessageFactory(room=public_room, author=alice, body="open roadmap notes")

    assert found_bodies(carol, "roadmap") == ["open roadmap notes"]


def test_a_direct_conversation_is_named_after_the_other_member(alice: User, bob: User) -> None:
    room = services.direct_room_open(user=alice, other=bob)
    MessageFactory(room=room, author=bob, body="psst, the cake")

    [result] = selectors.message_search(alice, "cake").results

    assert result.room_name == bob.shown_name
    assert found_bodies(UserFactory(), "cake") == []


# What is never found -------------------------------------------------------------------


def test_never_a_private_room_the_user_is_not_in(
    alice: User, carol: User, private_room: Room, other_private_room: Room
) -> None:
    MessageFactory(room=private_room, author=alice, body="salary review")
    MessageFactory(room=other_private_room, author=alice, body="salary budget")

    assert found_bodies(carol, "salary") == []
    assert search(carol, "salary").content.decode().count('data-testid="search-result"') == 0


def test_never_a_private_room_the_user_left(alice: User, bob: User, private_room: Room) -> None:
    MessageFactory(room=private_room, author=alice, body="merger plans")
    assert found_bodies(bob, "merger") == ["merger plans"]

    services.room_leave(user=bob, room_slug=private_room.slug)

    assert found_bodies(bob, "merger") == []
    assert result_seqs(search(bob, "merger")) == []


def test_never_a_private_room_the_user_was_removed_from(alice: User, bob: User, private_room: Room) -> None:
    MessageFactory(room=private_room, author=bob, body="my own merger notes")

    services.membership_remove(actor=alice, membership=Membership.objects.get(room=private_room, user=bob))

    assert found_bodies(bob, "merger") == []


def test_a_public_room_the_user_left_stays_readable(alice: User, bob: User, public_room: Room) -> None:
    MessageFactory(room=public_room, author=alice, body="open merger notes")

    services.room_leave(user=bob, room_slug=public_room.slug)

    assert found_bodies(bob, "merger") == ["open merger notes"]


def test_never_a_deleted_message(alice: User, bob: User, public_room: Room) -> None:
    # Set directly, not through services.message_delete (whose tombstone loses its
    # text anyway): the search must leave out a deleted message even if its text stayed.
    kept = MessageFactory(room=public_room, author=alice, body="the password is not hunter2")
    deleted = MessageFactory(room=public_room, author=alice, body="oops password hunter2")
    Message.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now(), deleted_by=alice)

    assert found_bodies(bob, "password hunter2") == [kept.body]
    assert result_seqs(search(bob, "hunter2")) == [("general", kept.seq)]


def test_never_a_system_note(alice: User, bob: User, public_room: Room) -> None:
    carol = UserFactory(username="carolyn", display_name="Carolyn")
    services.room_join(user=carol, room_slug=public_room.slug)
    assert Message.objects.filter(room=public_room, author__isnull=True).exists()

    assert found_bodies(bob, "Carolyn") == []
    assert found_bodies(bob, "joined") == []


@pytest.mark.parametrize(
    ("private", "member", "left"), [(p, m, x) for p in (0, 1) for m in (0, 1) for x in (0, 1)]
)
def test_the_readable_rooms_are_the_rooms_permissions_let_one_see(
    alice: User, carol: User, private: int, member: int, left: int
) -> None:
    room = RoomFactory(created_by=alice, is_private=bool(private))
    if member or left:
        MembershipFactory(room=room, user=carol)
    if left:
        services.room_leave(user=carol, room_slug=room.slug)

    readable = room in selectors.rooms_readable_by(carol)

    assert readable == permissions.can_see_room(room, selectors.membership_for(carol, room))
    assert readable == (not private or (member and not left))


# Order and pages -------------------------------------------------------------------------


def test_results_are_newest_first_twenty_a_page(alice: User, bob: User, public_room: Room) -> None:
    sent = [MessageFactory(room=public_room, author=alice, body=f"standup {n}") for n in range(45)]
    newest_first = [("general", message.seq) for message in reversed(sent)]

    first = search(bob, "standup")
    second = search(bob, "standup", page=2)
    third = search(bob, "standup", page=3)
    beyond = search(bob, "standup", page=4)

    assert result_seqs(first) == newest_first[:20]
    assert result_seqs(second) == newest_first[20:40]
    assert result_seqs(third) == newest_first[40:]
    assert result_seqs(beyond) == []
    assert pager_links(first) == {"next": {"q": ["standup"], "page": ["2"]}}
    assert pager_links(second) == {
        "previous": {"q": ["standup"], "page": ["1"]},
        "next": {"q": ["standup"], "page": ["3"]},
    }
    assert pager_links(third) == {"previous": {"q": ["standup"], "page": ["2"]}}
    assert "No more messages match." in beyond.content.decode()


def test_a_page_of_results_takes_few_queries(
    alice: User, bob: User, public_room: Room, django_assert_max_num_queries: Any
) -> None:
    for n in range(25):
        MessageFactory(room=public_room, author=alice if n % 2 else bob, body=f"retro item {n}")
    MessageFactory(room=services.direct_room_open(user=alice, other=bob), author=alice, body="retro dm")

    # The page, then the user's memberships of the rooms found, then direct partners.
    with django_assert_max_num_queries(3):
        page = selectors.message_search(bob, "retro")
        names = [(r.room_name, r.message.author.shown_name) for r in page.results]

    assert len(names) == 20
    assert page.has_next


# The page ---------------------------------------------------------------------------------


def test_a_result_links_to_the_message_in_its_room(alice: User, bob: User, public_room: Room) -> None:
    message = MessageFactory(room=public_room, author=alice, body="release notes are out")

    response = search(bob, "release")

    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-seq="{message.seq}"' in html
    assert f'href="/r/general/?seq={message.seq}"' in html
    assert "#General" in html
    assert ">Alice<" in html
    assert re.search(r'<time class="search-result__time" datetime="\d{4}-\d\d-\d\dT', html)
    assert "<mark>release</mark> notes are out" in html


def test_matches_are_highlighted_in_the_escaped_text(alice: User, bob: User, public_room: Room) -> None:
    MessageFactory(room=public_room, author=alice, body='<script>alert("amp")</script> & AMP amps')

    html = search(bob, "amp").content.decode()

    body = re.search(r'data-testid="search-result-body">(.*?)</span>', html, re.S)
    assert body is not None
    assert body.group(1) == (
        "&lt;script&gt;alert(&quot;<mark>amp</mark>&quot;)&lt;/script&gt;"
        " &amp; <mark>AMP</mark> <mark>amp</mark>s"
    )
    assert "<script>" not in html


def test_a_blank_query_shows_an_empty_page(alice: User, public_room: Room) -> None:
    MessageFactory(room=public_room, author=alice, body="anything")

    for q in (None, "", "   "):
        response = search(alice, q)
        html = response.content.decode()
        assert response.status_code == 200
        assert 'data-testid="search-empty"' in html
        assert 'data-testid="search-result"' not in html
        assert 'data-testid="search-errors"' not in html


@pytest.mark.parametrize("q", ["dep\x00loy", "\x00", "x" * 201])
def test_a_nul_or_a_long_query_is_refused_beside_the_field(alice: User, public_room: Room, q: str) -> None:
    MessageFactory(room=public_room, author=alice, body="deploy " + "x" * 201)

    response = search(alice, q)

    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="search-errors"' in html
    assert 'data-testid="search-result"' not in html
    assert 'aria-invalid="true" aria-describedby="search-errors"' in html
    assert "\x00" not in html


def test_a_query_of_200_characters_is_taken(alice: User, public_room: Room) -> None:
    assert search(alice, "y" * 200).status_code == 200


@pytest.mark.parametrize("page", ["0", "-1", "two", "1001"])
def test_a_page_number_that_is_not_one_is_refused(alice: User, page: str) -> None:
    response = search(alice, "deploy", page=page)

    assert response.status_code == 400
    assert 'data-testid="search-errors"' in response.content.decode()


def test_anyone_not_signed_in_is_sent_to_log_in(db: Any) -> None:
    response = Client().get(reverse("chat:search"), {"q": "deploy"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=/search/")


def test_the_header_of_a_signed_in_page_holds_a_labelled_search_field(alice: User, public_room: Room) -> None:
    field = '<input id="topbar-search" type="search" name="q"'
    for url in (reverse("chat:index"), public_room.get_absolute_url(), reverse("chat:room_create")):
        html = client_for(alice).get(url).content.decode()
        assert field in html
        assert '<label for="topbar-search"' in html
        assert f'action="{reverse("chat:search")}"' in html

    assert field not in Client().get(reverse("login")).content.decode()


def test_the_search_field_keeps_the_query(alice: User) -> None:
    html = search(alice, 'say "hi" <b>').content.decode()

    assert 'value="say &quot;hi&quot; &lt;b&gt;"' in html
