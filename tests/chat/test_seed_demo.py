"""The demo seed: everything exists once, however often it runs."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from chat.models import Membership, Message, Room

pytestmark = pytest.mark.django_db

SEED_CLIENT_IDS = {"seed-general-1", "seed-general-2", "seed-random-1", "seed-design-1", "seed-direct-1"}


def seed(**options: object) -> str:
    out, err = StringIO(), StringIO()
    call_command("seed_demo", stdout=out, stderr=err, **options)
    assert err.getvalue() == ""
    return out.getvalue()


def snapshot() -> dict[str, list[tuple]]:
    """Every row the seed writes, in a form two runs can be compared by."""
    return {
        "users": sorted(User.objects.values_list("username", "display_name", "password")),
        "rooms": sorted(Room.objects.values_list("slug", "name", "is_private", "is_direct", "last_seq")),
        "memberships": sorted(Membership.objects.values_list("room__slug", "user__username", "role")),
        "messages": sorted(Message.objects.values_list("room__slug", "seq", "author__username", "body")),
    }


def test_seed_twice_creates_everything_once(settings):
    settings.DEBUG = False
    seed()
    first = snapshot()
    seed()
    assert snapshot() == first

    alice = User.objects.get(username="alice")
    bob = User.objects.get(username="bob")
    assert (alice.display_name, bob.display_name) == ("Alice", "Bob")
    assert alice.check_password("alice-demo-pass")
    assert bob.check_password("bob-demo-pass")

    members = {
        slug: set(Room.objects.get(slug=slug).memberships.values_list("user__username", flat=True))
        for slug in ("general", "random", "design")
    }
    assert members == {"general": {"alice", "bob"}, "random": {"alice", "bob"}, "design": {"alice"}}
    assert Room.objects.get(slug="design").is_private
    assert not Room.objects.get(slug="general").is_private

    direct = Room.objects.get(is_direct=True)
    assert set(direct.memberships.values_list("user__username", flat=True)) == {"alice", "bob"}
    assert Room.objects.filter(is_direct=True).count() == 1

    seeded = list(Message.objects.filter(client_id__isnull=False).values_list("client_id", flat=True))
    assert sorted(seeded) == sorted(SEED_CLIENT_IDS)
    assert Message.objects.get(client_id="seed-direct-1").room == direct
    assert Message.objects.get(client_id="seed-design-1").author == alice


def test_seed_prints_the_logins():
    output = seed()
    assert "http://127.0.0.1:8000/accounts/login/" in output
    assert "alice / alice-demo-pass" in output
    assert "bob / bob-demo-pass" in output
    # The second run says the same, though it creates nothing.
    again = seed()
    assert "alice / alice-demo-pass" in again
    assert "Created" not in again


def test_base_url_option():
    output = seed(base_url="http://chat.example:9000/")
    assert "http://chat.example:9000/accounts/login/" in output


def test_admin_is_created_only_when_debug(settings):
    settings.DEBUG = False
    output = seed()
    assert not User.objects.filter(username="admin").exists()
    assert "DEBUG is off" in output

    settings.DEBUG = True
    output = seed()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password("admin-demo-pass")
    assert "/admin/ as admin / admin-demo-pass" in output
    seed()
    assert User.objects.filter(username="admin").count() == 1


def test_existing_password_is_left_alone():
    User.objects.create_user(username="alice", password="her-own-password")
    seed()
    assert User.objects.get(username="alice").check_password("her-own-password")


def test_seed_creates_general_and_the_other_default_rooms_once(settings):
    settings.CHAT_DEFAULT_ROOMS = ["general", "lobby", "#Town-Hall"]
    seed()
    first = snapshot()
    seed()
    assert snapshot() == first

    rooms = {room.slug: room for room in Room.objects.filter(slug__in=["general", "lobby", "town-hall"])}
    assert {slug: (room.name, room.is_private) for slug, room in rooms.items()} == {
        "general": ("General", False),
        "lobby": ("Lobby", False),
        "town-hall": ("Town hall", False),
    }
    for slug in ("lobby", "town-hall"):
        # The demo users are in them as a new user would be.
        assert set(rooms[slug].memberships.values_list("user__username", flat=True)) == {"alice", "bob"}
        assert Message.objects.filter(room=rooms[slug], body="Bob joined.").count() == 1


def test_seed_leaves_a_private_default_room_to_its_members(settings):
    settings.CHAT_DEFAULT_ROOMS = ["design", "general"]
    seed()  # no error: the private room is skipped for bob

    design = Room.objects.get(slug="design")
    assert set(design.memberships.values_list("user__username", flat=True)) == {"alice"}
