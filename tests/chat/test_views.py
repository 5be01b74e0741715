"""chat.views: the pages, through Django's test client."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from accounts.models import User
from chat import selectors, services
from chat.models import Membership, Room
from tests.chat.conftest import EventListener
from tests.factories import RoomFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def flash(response: HttpResponse) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("chat:index", [], "get"),
        ("chat:room", ["general"], "get"),
        ("chat:room_create", [], "get"),
        ("chat:direct", ["bob"], "get"),
        ("chat:direct_open", [], "post"),
        ("chat:room_join", ["general"], "post"),
        ("chat:room_leave", ["general"], "post"),
        ("chat:member_add", ["general"], "post"),
    ],
)
def test_anonymous_users_are_sent_to_log_in(
    public_room: Room, name: str, args: list[str], method: str
) -> None:
    url = reverse(name, args=args)

    response = getattr(Client(), method)(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


# The room list --------------------------------------------------------------------------


def test_the_room_list_shows_my_rooms_and_public_rooms_to_join(
    public_room: Room, private_room: Room, alice: User, carol: User
) -> None:
    RoomFactory(name="Random", slug="random", created_by=alice)
    RoomFactory(name="Other secret", slug="other-secret", created_by=alice, is_private=True)
    services.room_join(user=carol, room_slug="random")

    response = client_for(carol).get(reverse("chat:index"))

    assert response.status_code == 200
    assert [room["slug"] for room in response.context["rooms"]] == ["random"]
    assert [room["slug"] for room in response.context["public_rooms"]] == ["general"]
    assert b'data-testid="public-room-general"' in response.content
    assert b"other-secret" not in response.content


def test_the_room_list_of_a_member_of_everything(public_room: Room, private_room: Room, bob: User) -> None:
    response = client_for(bob).get(reverse("chat:index"))

    assert [room["slug"] for room in response.context["rooms"]] == ["general", "secret"]
    assert list(response.context["public_rooms"]) == []


# A room page ------------------------------------------------------------------------------


def test_a_member_sees_the_room(public_room: Room, alice: User, bob: User) -> None:
    response = client_for(bob).get(reverse("chat:room", args=["general"]))

    assert response.status_code == 200
    assert response.context["room"] == public_room
    assert response.context["membership"].user == bob
    assert [member["username"] for member in response.context["members"]] == ["alice", "bob"]
    assert response.context["header"]["can_manage"] is False
    assert b'data-testid="composer"' in response.content
    # The join panel is there for later (should they leave in another tab), hidden.
    assert b'<div class="join-panel" id="join-panel" hidden>' in response.content


def test_a_room_admin_gets_the_add_member_form(public_room: Room, alice: User) -> None:
    response = client_for(alice).get(reverse("chat:room", args=["general"]))

    assert response.context["header"]["can_manage"] is True
    assert b'data-testid="add-member-form"' in response.content


def test_a_non_member_previews_a_public_room_with_a_join_button(public_room: Room, carol: User) -> None:
    response = client_for(carol).get(reverse("chat:room", args=["general"]))

    assert response.status_code == 200
    assert response.context["membership"] is None
    assert response.context["members"] == []
    assert b'data-testid="join"' in response.content
    assert reverse("chat:room_join", args=["general"]).encode() in response.content


@pytest.mark.parametrize(("user_name", "status"), [("bob", 200), ("carol", 404)])
def test_a_private_room_is_404_to_a_non_member(
    private_room: Room, bob: User, carol: User, user_name: str, status: int
) -> None:
    user = {"bob": bob, "carol": carol}[user_name]

    assert client_for(user).get(reverse("chat:room", args=["secret"])).status_code == status


def test_a_missing_room_is_404(carol: User) -> None:
    assert client_for(carol).get(reverse("chat:room", args=["nowhere"])).status_code == 404


def test_a_room_page_escapes_the_room_name(alice: User) -> None:
    RoomFactory(name="<script>x</script>", slug="xss", created_by=alice)

    response = client_for(alice).get(reverse("chat:room", args=["xss"]))

    assert b"<script>x</script>" not in response.content
    assert b"&lt;script&gt;x&lt;/script&gt;" in response.content


# Creating a room ---------------------------------------------------------------------------


def test_the_new_room_form(carol: User) -> None:
    response = client_for(carol).get(reverse("chat:room_create"))

    assert response.status_code == 200
    assert set(response.context["form"].fields) == {"name", "slug", "topic", "is_private"}


def test_create_a_room(carol: User) -> None:
    response = client_for(carol).post(
        reverse("chat:room_create"), {"name": "Design", "slug": "", "topic": "pixels", "is_private": "on"}
    )

    room = Room.objects.get(slug="design")
    assert response.status_code == 302
    assert response.url == reverse("chat:room", args=["design"])
    assert (room.name, room.topic, room.is_private, room.created_by) == ("Design", "pixels", True, carol)
    assert Membership.objects.get(room=room).role == "admin"


def test_a_room_with_a_chinese_name_gets_a_readable_address(carol: User) -> None:
    response = client_for(carol).post(reverse("chat:room_create"), {"name": "产品讨论", "slug": ""})

    assert response.status_code == 302
    assert response.url == "/r/chan-pin-tao-lun/"
    page = client_for(carol).get(response.url)
    assert page.status_code == 200
    assert "产品讨论" in page.content.decode()


@pytest.mark.parametrize("slug", ["general", "dm-1-2"])
def test_a_taken_or_reserved_address_is_refused(public_room: Room, carol: User, slug: str) -> None:
    response = client_for(carol).post(reverse("chat:room_create"), {"name": "Mine", "slug": slug})

    assert response.status_code == 200
    assert "slug" in response.context["form"].errors
    assert not Room.objects.filter(name="Mine").exists()


def test_a_room_named_like_a_direct_address_leaves_direct_messages_working(
    alice: User, bob: User, carol: User
) -> None:
    low, high = sorted([alice.pk, bob.pk])

    created = client_for(carol).post(reverse("chat:room_create"), {"name": f"dm {low} {high}", "slug": ""})
    opened = client_for(alice).post(reverse("chat:direct_open"), {"username": "bob"})

    assert created.status_code == opened.status_code == 302
    assert created.url == reverse("chat:room", args=[f"room-dm-{low}-{high}"])
    assert opened.url == reverse("chat:room", args=[f"dm-{low}-{high}"])
    assert client_for(bob).get(reverse("chat:direct", args=["alice"])).url == opened.url


@pytest.fixture
def few_rooms(settings) -> None:
    """Two rooms at once, then one an hour."""
    settings.CHAT_RATE_LIMITS = {**settings.CHAT_RATE_LIMITS, "room_create": (1 / 3600, 2)}


def create_room(client: Client, name: str, address: str = "127.0.0.1") -> HttpResponse:
    return client.post(reverse("chat:room_create"), {"name": name}, REMOTE_ADDR=address)


def test_room_creation_is_limited_per_user(few_rooms: None, carol: User) -> None:
    client = client_for(carol)
    allowed = [create_room(client, f"Room {n}", f"10.0.0.{n}") for n in range(2)]

    refused = create_room(client, "One too many", "10.0.0.9")

    assert [response.status_code for response in allowed] == [302, 302]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    [error] = refused.context["form"].non_field_errors()
    assert "try again in" in error
    assert error.encode() in refused.content
    assert not Room.objects.filter(name="One too many").exists()
    assert Room.objects.filter(created_by=carol).count() == 2


def test_room_creation_is_limited_per_address(few_rooms: None, alice: User, bob: User, carol: User) -> None:
    create_room(client_for(alice), "First", "10.0.0.1")
    create_room(client_for(bob), "Second", "10.0.0.1")

    refused = create_room(client_for(carol), "Third", "10.0.0.1")
    elsewhere = create_room(client_for(carol), "Fourth", "10.0.0.2")

    assert refused.status_code == 429
    assert elsewhere.status_code == 302
    assert set(Room.objects.values_list("name", flat=True)) == {"First", "Second", "Fourth"}


def test_an_invalid_form_spends_no_room_creation_token(few_rooms: None, carol: User) -> None:
    client = client_for(carol)
    for _ in range(3):
        assert client.post(reverse("chat:room_create"), {"name": ""}).status_code == 200

    assert create_room(client, "Design").status_code == 302


# Direct messages -----------------------------------------------------------------------------


def test_a_direct_conversation_is_opened_once(alice: User, bob: User) -> None:
    first = client_for(alice).post(reverse("chat:direct_open"), {"username": "bob"})
    second = client_for(bob).post(reverse("chat:direct_open"), {"username": " alice "})

    room = Room.objects.get(is_direct=True)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("chat:room", args=[room.slug])
    assert room.is_private is True
    assert set(room.memberships.values_list("user__username", flat=True)) == {"alice", "bob"}


def test_opening_a_direct_conversation_needs_the_csrf_token(alice: User, bob: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(reverse("chat:direct_open"), {"username": "bob"})

    assert response.status_code == 403
    assert not Room.objects.exists()


def test_the_direct_link_of_a_new_conversation_only_offers_it(
    alice: User, bob: User, listen: Callable[..., EventListener], django_capture_on_commit_callbacks
) -> None:
    listener = listen(f"user.{alice.pk}", f"user.{bob.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).get(reverse("chat:direct", args=["bob"]))

    assert response.status_code == 200
    assert not Room.objects.exists()
    assert listener.events() == []
    form = response.context["dm_form"]
    assert (form.is_bound, form["username"].value()) == (False, "bob")
    page = response.content.decode()
    assert f'action="{reverse("chat:direct_open")}"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'value="bob"' in page
    assert "Message Bob</button>" in page


def test_the_direct_link_of_an_existing_conversation_shows_it(alice: User, bob: User) -> None:
    room = services.direct_room_open(user=alice, other=bob)

    response = client_for(bob).get(reverse("chat:direct", args=["alice"]))

    assert response.status_code == 302
    assert response.url == room.get_absolute_url()


def test_the_direct_link_changes_nothing_on_post(alice: User, bob: User) -> None:
    assert client_for(alice).post(reverse("chat:direct", args=["bob"])).status_code == 405
    assert client_for(alice).get(reverse("chat:direct_open")).status_code == 405
    assert not Room.objects.exists()


def test_the_pages_open_direct_conversations_with_a_post(public_room: Room, alice: User) -> None:
    client = client_for(alice)
    index = client.get(reverse("chat:index")).content.decode()
    room = client.get(reverse("chat:room", args=["general"])).content.decode()

    for page in (index, room):
        assert f'<form method="post" action="{reverse("chat:direct_open")}"' in page
    assert 'name="username" value="bob"' in room
    assert f'href="{reverse("chat:direct", args=["bob"])}"' not in room


def test_a_direct_conversation_page_is_404_to_a_third_person(alice: User, bob: User, carol: User) -> None:
    room = services.direct_room_open(user=alice, other=bob)

    assert client_for(carol).get(room.get_absolute_url()).status_code == 404
    assert client_for(alice).get(room.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("is_active", [True, False])
def test_a_direct_conversation_with_an_unknown_user_is_404(alice: User, is_active: bool) -> None:
    if not is_active:
        UserFactory(username="ghost", is_active=False)

    assert client_for(alice).get(reverse("chat:direct", args=["ghost"])).status_code == 404
    assert not Room.objects.exists()


@pytest.mark.parametrize("is_active", [True, False])
def test_opening_a_direct_conversation_with_an_unknown_user_is_404(alice: User, is_active: bool) -> None:
    if not is_active:
        UserFactory(username="ghost", is_active=False)

    response = client_for(alice).post(reverse("chat:direct_open"), {"username": "ghost"})

    assert response.status_code == 404
    assert response.context["dm_form"].errors["username"] == ["No user is called “ghost”."]
    assert not Room.objects.exists()


@pytest.mark.parametrize("path", ["/dm/%00/", "/dm/bob%00/", "/dm/a%20b/", "/dm/%E2%80%8F/"])
def test_a_direct_link_that_cannot_name_a_user_is_404_without_a_query(
    alice: User, bob: User, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    looked_up = selectors.active_user_by_username

    def like_postgresql(username: str) -> User:
        if "\x00" in username:  # psycopg refuses a NUL in a query parameter
            raise ValueError("A string literal cannot contain NUL (0x00) characters.")
        return looked_up(username)

    monkeypatch.setattr(selectors, "active_user_by_username", like_postgresql)

    assert client_for(alice).get(path).status_code == 404
    assert not Room.objects.exists()


def test_opening_a_direct_conversation_with_a_nul_is_refused(alice: User) -> None:
    response = client_for(alice).post(reverse("chat:direct_open"), {"username": "bob\x00"})

    assert response.status_code == 200
    assert "username" in response.context["dm_form"].errors
    assert not Room.objects.exists()


def test_no_direct_conversation_with_yourself(alice: User) -> None:
    response = client_for(alice).get(reverse("chat:direct", args=["alice"]))

    assert response.status_code == 302
    assert response.url == reverse("chat:index")
    assert len(flash(response)) == 1
    assert not Room.objects.exists()


def test_opening_a_direct_conversation_with_yourself_is_refused(alice: User) -> None:
    response = client_for(alice).post(reverse("chat:direct_open"), {"username": "alice"})

    assert response.status_code == 200
    assert response.context["dm_form"].errors["username"] == ["A direct conversation needs another person."]
    assert not Room.objects.exists()


# Join and leave --------------------------------------------------------------------------------


def test_join_a_public_room(public_room: Room, carol: User) -> None:
    response = client_for(carol).post(reverse("chat:room_join", args=["general"]))

    assert response.status_code == 302
    assert response.url == reverse("chat:room", args=["general"])
    assert Membership.objects.filter(room=public_room, user=carol).exists()


def test_join_and_leave_need_post(public_room: Room, carol: User) -> None:
    client = client_for(carol)

    assert client.get(reverse("chat:room_join", args=["general"])).status_code == 405
    assert client.get(reverse("chat:room_leave", args=["general"])).status_code == 405
    assert not Membership.objects.filter(user=carol).exists()


def test_join_a_private_room_is_404(private_room: Room, carol: User) -> None:
    assert client_for(carol).post(reverse("chat:room_join", args=["secret"])).status_code == 404
    assert not Membership.objects.filter(user=carol).exists()


def test_join_an_archived_room_is_refused_with_a_message(alice: User, carol: User) -> None:
    RoomFactory(slug="old", created_by=alice, is_archived=True)

    response = client_for(carol).post(reverse("chat:room_join", args=["old"]))

    assert response.status_code == 302
    assert len(flash(response)) == 1
    assert not Membership.objects.filter(user=carol).exists()


def test_leave_a_room(public_room: Room, bob: User) -> None:
    response = client_for(bob).post(reverse("chat:room_leave", args=["general"]))

    assert response.status_code == 302
    assert response.url == reverse("chat:index")
    assert not Membership.objects.filter(room=public_room, user=bob).exists()


def test_a_direct_conversation_cannot_be_left(alice: User, bob: User) -> None:
    room = services.direct_room_open(user=alice, other=bob)

    response = client_for(alice).post(reverse("chat:room_leave", args=[room.slug]))

    assert response.status_code == 302
    assert response.url == room.get_absolute_url()
    assert len(flash(response)) == 1
    assert room.memberships.count() == 2


# Adding members ------------------------------------------------------------------------------------


def test_a_room_admin_adds_a_member_by_username(private_room: Room, alice: User, carol: User) -> None:
    response = client_for(alice).post(reverse("chat:member_add", args=["secret"]), {"username": "carol"})

    assert response.status_code == 302
    assert response.url == reverse("chat:room", args=["secret"])
    assert Membership.objects.get(room=private_room, user=carol).role == "member"
    assert flash(response) == ["carol was added."]


@pytest.mark.parametrize(("actor_name", "username"), [("bob", "carol"), ("alice", "nobody")])
def test_adding_a_member_is_refused_with_a_message(
    private_room: Room, alice: User, bob: User, carol: User, actor_name: str, username: str
) -> None:
    actor = {"alice": alice, "bob": bob}[actor_name]

    response = client_for(actor).post(reverse("chat:member_add", args=["secret"]), {"username": username})

    assert response.status_code == 302
    assert len(flash(response)) == 1
    assert "was added" not in flash(response)[0]
    assert private_room.memberships.count() == 2


def test_a_non_member_cannot_add_members_to_a_private_room(private_room: Room, carol: User) -> None:
    response = client_for(carol).post(reverse("chat:member_add", args=["secret"]), {"username": "carol"})

    assert response.status_code == 404
    assert private_room.memberships.count() == 2


def test_joining_and_leaving_from_the_page_are_rate_limited(public_room: Room, carol: User, settings) -> None:
    settings.CHAT_RATE_LIMITS = {**settings.CHAT_RATE_LIMITS, "join": (0.001, 2), "leave": (0.001, 2)}
    client = client_for(carol)
    join, leave = reverse("chat:room_join", args=["general"]), reverse("chat:room_leave", args=["general"])
    for _ in range(2):
        client.post(join)
        client.post(leave)
    notes = public_room.messages.count()

    response = client.post(join, follow=True)

    assert any("too fast" in message for message in flash(response)), flash(response)
    assert not Membership.objects.filter(room=public_room, user=carol).exists()
    assert public_room.messages.count() == notes  # no third "carol joined."


def test_a_direct_address_in_another_case_leads_to_the_person(alice: User, bob: User) -> None:
    response = client_for(alice).get(reverse("chat:direct", args=["BOB"]))

    assert response.status_code == 302
    assert response.url == reverse("chat:direct", args=["bob"])
    assert client_for(alice).get(reverse("chat:direct", args=["nobody"])).status_code == 404
