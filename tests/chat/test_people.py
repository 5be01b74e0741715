"""The people picker's server side: selectors.people_search, GET /people/, and
opening a direct conversation with a username typed in any case."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from chat import selectors
from chat.exceptions import BadRequest, NotFound
from chat.models import Room
from tests.factories import MembershipFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def search(user: User, q: str | None) -> Any:
    params = {} if q is None else {"q": q}
    return client_for(user).get(reverse("chat:people"), params)


def usernames(response: Any) -> list[str]:
    assert response.status_code == 200
    return [person["username"] for person in response.json()["people"]]


# The search ---------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["bo", "BO", "bO", "OB"])
def test_a_username_matches_in_any_case(alice: User, bob: User, q: str) -> None:
    assert usernames(search(alice, q)) == ["bob"]


@pytest.mark.parametrize("q", ["robert", "ROBERT", "Bert", "t TAB"])
def test_a_display_name_matches_in_any_case(alice: User, q: str) -> None:
    UserFactory(username="rt", display_name="Robert Tables")

    assert usernames(search(alice, q)) == ["rt"]


def test_letters_beyond_ascii_match_in_any_case(alice: User) -> None:
    # SQLite folds ASCII letters only: this is the path that folds in Python.
    UserFactory(username="zoe", display_name="Zoë Ærø")
    UserFactory(username="zed", display_name="Zed")

    assert usernames(search(alice, "ZOË")) == ["zoe"]
    assert usernames(search(alice, "ærø")) == ["zoe"]
    assert usernames(search(alice, "é")) == []


@pytest.mark.parametrize("q", ["张", "伟", "张伟", "zhang", "WEI"])
def test_a_chinese_name_is_found_by_any_part_of_it(alice: User, q: str) -> None:
    UserFactory(username="zhangwei", display_name="张伟")
    UserFactory(username="wangfang", display_name="王芳")

    assert usernames(search(alice, q)) == ["zhangwei"]


def test_a_chinese_name_that_starts_with_the_query_comes_first(alice: User) -> None:
    UserFactory(username="liwei", display_name="李伟")
    UserFactory(username="weidong", display_name="伟东")

    assert usernames(search(alice, "伟")) == ["weidong", "liwei"]


def test_the_answer_names_each_person(alice: User) -> None:
    UserFactory(username="bob", display_name="Bob Builder")
    UserFactory(username="bobby", display_name="")

    response = search(alice, "bob")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert response.json() == {
        "people": [
            {"username": "bob", "display_name": "Bob Builder"},
            {"username": "bobby", "display_name": ""},
        ]
    }


def test_the_searcher_and_inactive_people_are_left_out(alice: User, bob: User) -> None:
    UserFactory(username="alina", display_name="Alina")
    UserFactory(username="alfred", display_name="Alfred", is_active=False)

    assert usernames(search(alice, "al")) == ["alina"]
    assert usernames(search(bob, "al")) == ["alice", "alina"]


def test_names_starting_with_the_query_come_first_then_by_shown_name(alice: User) -> None:
    UserFactory(username="jimbo", display_name="Jimbo")  # inside the username and display name
    UserFactory(username="zz", display_name="Bonnie")  # display name starts with it
    UserFactory(username="bob", display_name="")  # username starts with it, no display name
    UserFactory(username="aabo", display_name="Carlos Bo")  # inside only
    UserFactory(username="boris", display_name="Alex")  # username starts with it

    assert usernames(search(alice, "Bo")) == ["boris", "bob", "zz", "aabo", "jimbo"]


def test_at_most_twenty_people_are_listed(alice: User) -> None:
    for n in range(25):
        UserFactory(username=f"sam{n:02d}", display_name="")

    assert usernames(search(alice, "sam")) == [f"sam{n:02d}" for n in range(20)]


@pytest.mark.parametrize("q", [None, "", "   "])
def test_an_empty_query_finds_no_one(alice: User, bob: User, q: str | None) -> None:
    assert usernames(search(alice, q)) == []


@pytest.mark.parametrize("q", ["%", "_", "\\"])
def test_like_wildcards_are_plain_characters(alice: User, bob: User, q: str) -> None:
    UserFactory(username="per", display_name="100% Per")

    assert usernames(search(alice, q)) == (["per"] if q == "%" else [])


@pytest.mark.parametrize("q", ["bob\x00", "\x00", "b" * 151])
def test_a_query_with_a_nul_or_too_long_is_refused(alice: User, bob: User, q: str) -> None:
    response = search(alice, q)

    assert response.status_code == 400
    assert set(response.json()) == {"error"}


def test_a_query_as_long_as_a_username_is_answered(alice: User) -> None:
    UserFactory(username="b" * 150)

    assert usernames(search(alice, "B" * 150)) == ["b" * 150]


def test_it_lists_people_never_rooms(alice: User, bob: User, carol: User) -> None:
    room = RoomFactory(name="Bob's secret plans", slug="bob-secret", created_by=alice, is_private=True)
    MembershipFactory(room=room, user=bob)

    response = search(carol, "secret")

    assert response.json() == {"people": []}
    assert usernames(search(carol, "bob")) == ["bob"]


def test_signing_in_is_required() -> None:
    response = Client().get(reverse("chat:people"), {"q": "bob"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_post_is_refused(alice: User) -> None:
    assert client_for(alice).post(reverse("chat:people"), {"q": "bob"}).status_code == 405


def test_the_search_is_one_query(alice: User, bob: User, carol: User, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        found = selectors.people_search(alice, "o")

    assert [person.username for person in found] == ["bob", "carol"]


# Opening a direct conversation with a name in any case ----------------------------------


def test_a_username_in_another_case_opens_the_conversation(alice: User, bob: User) -> None:
    response = client_for(alice).post(reverse("chat:direct_open"), {"username": "BOB"})

    room = Room.objects.get(is_direct=True)
    assert response.status_code == 302
    assert response.url == room.get_absolute_url()
    assert set(room.memberships.values_list("user__username", flat=True)) == {"alice", "bob"}


def test_names_that_differ_only_in_case_are_refused_unless_typed_exactly(alice: User, bob: User) -> None:
    UserFactory(username="Bob")

    refused = client_for(alice).post(reverse("chat:direct_open"), {"username": "BOB"})
    exact = client_for(alice).post(reverse("chat:direct_open"), {"username": "Bob"})

    assert refused.status_code == 200
    assert refused.context["dm_form"].errors["username"] == [
        "Several people are called “BOB” in different cases (Bob, bob); type the name exactly."
    ]
    assert "type the name exactly" in refused.content.decode()
    room = Room.objects.get(is_direct=True)
    assert exact.url == room.get_absolute_url()
    assert set(room.memberships.values_list("user__username", flat=True)) == {"alice", "Bob"}


@pytest.mark.parametrize("is_active", [True, False])
def test_an_unknown_person_is_an_error_beside_the_field(alice: User, is_active: bool) -> None:
    UserFactory(username="ghost", is_active=is_active)

    response = client_for(alice).post(reverse("chat:direct_open"), {"username": "Ghoul"})

    assert response.status_code == 404
    assert response.context["dm_form"].errors["username"] == ["No user is called “Ghoul”."]
    assert 'id="dm-username-errors"' in response.content.decode()
    assert not Room.objects.exists()


def test_the_lookup_prefers_the_exact_name_and_skips_inactive_people() -> None:
    exact = UserFactory(username="zoë")
    UserFactory(username="ZOË")
    UserFactory(username="Max", is_active=False)
    max_ = UserFactory(username="max")

    assert selectors.active_user_by_username_any_case("zoë") == exact
    assert selectors.active_user_by_username_any_case("MAX") == max_
    with pytest.raises(BadRequest):
        selectors.active_user_by_username_any_case("Zoë")
    with pytest.raises(NotFound):
        selectors.active_user_by_username_any_case("zoe")
