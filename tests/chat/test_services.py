"""chat.services: every write, its rules (allowed and denied), and the events it publishes."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.db import transaction

from accounts.models import User
from chat import services
from chat.exceptions import ChatError
from chat.models import Membership, Message, Room
from chat.realtime import metrics
from chat.services.rooms import RoomNameTaken
from tests.chat.conftest import EventListener
from tests.factories import RoomFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

Listen = Callable[..., EventListener]


def post(user: User, room: Room | str, body: str = "hello", client_id: str | None = None) -> Message:
    slug = room if isinstance(room, str) else room.slug
    client_id = client_id or f"{user.username}-{Message.objects.count()}-{body[:8]}"
    return services.message_create(user=user, room_slug=slug, body=body, client_id=client_id).message


def code_of(call: Callable[..., object], **kwargs: object) -> str:
    with pytest.raises(ChatError) as raised:
        call(**kwargs)
    return raised.value.code


def seqs(room: Room) -> list[int]:
    return list(room.messages.order_by("seq").values_list("seq", flat=True))


# message_create ------------------------------------------------------------------------


def test_messages_take_consecutive_seqs(public_room: Room, alice: User, bob: User) -> None:
    first = services.message_create(user=bob, room_slug="general", body="one", client_id="c1")
    post(alice, public_room, "two")
    post(bob, public_room, "three")

    assert first.created is True
    assert first.message.seq == 1
    assert seqs(public_room) == [1, 2, 3]
    public_room.refresh_from_db()
    assert public_room.last_seq == 3


def test_system_messages_take_seqs_too(public_room: Room, alice: User, bob: User, carol: User) -> None:
    dave = UserFactory(username="dave", display_name="Dave")
    post(bob, public_room, "hi")
    services.room_join(user=carol, room_slug="general")
    post(bob, public_room, "welcome")
    services.room_leave(user=carol, room_slug="general")
    services.membership_add(actor=alice, room=public_room, user=dave)
    services.membership_remove(actor=alice, membership=Membership.objects.get(room=public_room, user=dave))

    rows = list(public_room.messages.order_by("seq").values_list("seq", "author__username", "body"))
    assert rows == [
        (1, "bob", "hi"),
        (2, None, "Carol joined."),
        (3, "bob", "welcome"),
        (4, None, "Carol left."),
        (5, None, "Dave was added."),
        (6, None, "Dave was removed."),
    ]


def test_a_message_is_stored_with_its_rendered_html(public_room: Room, bob: User) -> None:
    message = post(bob, public_room, "<b>hi</b> @alice see https://example.org")

    assert message.body == "<b>hi</b> @alice see https://example.org"
    assert message.html == (
        '&lt;b&gt;hi&lt;/b&gt; <span class="mention" data-username="alice">@alice</span> see '
        '<a href="https://example.org" target="_blank" rel="noopener noreferrer nofollow">'
        "https://example.org</a>"
    )


def test_posting_moves_the_authors_own_read_marker(public_room: Room, alice: User, bob: User) -> None:
    post(alice, public_room, "one")
    post(alice, public_room, "two")

    assert Membership.objects.get(room=public_room, user=alice).last_read_seq == 2
    assert Membership.objects.get(room=public_room, user=bob).last_read_seq == 0

    post(bob, public_room, "three")

    assert Membership.objects.get(room=public_room, user=bob).last_read_seq == 3


@pytest.mark.parametrize(
    ("user_name", "slug", "code"),
    [
        ("bob", "general", None),
        ("carol", "general", "forbidden"),
        ("bob", "secret", None),
        ("carol", "secret", "not_found"),
        ("bob", "archived", "archived"),
        ("bob", "nowhere", "not_found"),
    ],
)
def test_who_may_post_where(
    alice: User,
    bob: User,
    carol: User,
    public_room: Room,
    private_room: Room,
    user_name: str,
    slug: str,
    code: str | None,
) -> None:
    archived = RoomFactory(slug="archived", created_by=alice, is_archived=True)
    Membership.objects.create(room=archived, user=bob)
    user = {"bob": bob, "carol": carol}[user_name]

    if code is None:
        assert post(user, slug).seq == 1
        assert Message.objects.filter(room__slug=slug).count() == 1
    else:
        assert code_of(services.message_create, user=user, room_slug=slug, body="hi", client_id="c1") == code
        assert not Message.objects.exists()
        assert not Room.objects.filter(last_seq__gt=0).exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("x" * 4000, None),
        (" hi ", None),
        ("", "too_long"),
        ("  \n\t ", "too_long"),
        ("x" * 4001, "too_long"),
    ],
)
def test_a_body_has_1_to_4000_characters(public_room: Room, bob: User, body: str, code: str | None) -> None:
    if code is None:
        assert post(bob, public_room, body).body == body
    else:
        assert (
            code_of(services.message_create, user=bob, room_slug="general", body=body, client_id="c") == code
        )
        assert not Message.objects.exists()


def test_sending_is_idempotent_by_author_and_client_id(
    public_room: Room, bob: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    first = services.message_create(user=bob, room_slug="general", body="hi", client_id="c1")
    listener = listen(f"room.{public_room.pk}")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = services.message_create(user=bob, room_slug="general", body="hi, edited", client_id="c1")

    assert again.created is False
    assert again.message.pk == first.message.pk
    assert again.message.body == "hi"
    assert Message.objects.count() == 1
    assert callbacks == []
    assert listener.events() == []
    public_room.refresh_from_db()
    assert public_room.last_seq == 1


def test_a_batch_of_sends_gets_one_outcome_each_in_order(
    alice: User,
    bob: User,
    carol: User,
    public_room: Room,
    private_room: Room,
    listen: Listen,
    django_capture_on_commit_callbacks,
) -> None:
    stored = post(bob, public_room, "stored before", client_id="old")
    RoomFactory(slug="archived", created_by=alice, is_archived=True)
    listener = listen(f"room.{public_room.pk}", f"room.{private_room.pk}")
    sends = [
        services.SendRequest(bob, "general", "one @alice", "b1"),
        services.SendRequest(carol, "general", "not a member", "c1"),
        services.SendRequest(alice, "secret", "in the other room", "a1"),
        services.SendRequest(bob, "general", "", "b2"),
        services.SendRequest(bob, "general", "a resend", "old"),
        services.SendRequest(alice, "general", "two", "a2"),
        services.SendRequest(carol, "secret", "hidden", "c2"),
        services.SendRequest(alice, "archived", "too late", "a3"),
        services.SendRequest(bob, "general", "one @alice", "b1"),  # resent within the batch
    ]

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = services.messages_create(sends=sends)

    def describe(outcome) -> object:
        if isinstance(outcome, ChatError):
            return outcome.code
        return (outcome.message.room.slug, outcome.message.seq, outcome.created)

    assert [describe(outcome) for outcome in outcomes] == [
        ("general", 2, True),
        "forbidden",
        ("secret", 1, True),
        "too_long",
        ("general", stored.seq, False),
        ("general", 3, True),
        "not_found",
        "archived",
        ("general", 2, False),
    ]
    assert outcomes[0].message.html == 'one <span class="mention" data-username="alice">@alice</span>'
    assert seqs(public_room) == [1, 2, 3]
    assert [(op, frame["message"]["seq"]) for op, frame in listener.frames()] == [
        ("frame", 2),
        ("frame", 1),
        ("frame", 3),
    ]
    assert Membership.objects.get(room=public_room, user=alice).last_read_seq == 3


def test_a_batch_costs_the_same_few_statements_whatever_its_size(
    alice: User, bob: User, public_room: Room, private_room: Room
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements(count: int, tag: str) -> list[str]:
        sends = [
            services.SendRequest(
                bob if n % 2 else alice, "general" if n % 3 else "secret", f"m{n}", f"{tag}{n}"
            )
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            outcomes = services.messages_create(sends=sends)
        assert all(isinstance(outcome, services.SendResult) for outcome in outcomes)
        return [query["sql"].split()[0] for query in queries.captured_queries]

    # The stored-sends read, the rooms locked, the posters' memberships read, one
    # UPDATE numbering every room, one INSERT of every message, one UPDATE of every
    # read marker (and the transaction's own statements): not one per message.
    few = statements(3, "a")
    many = statements(40, "b")
    assert few == many
    assert [verb for verb in many if verb not in {"SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"}] == [
        "SELECT",
        "SELECT",
        "SELECT",
        "UPDATE",
        "INSERT",
        "UPDATE",
    ]
    assert seqs(public_room) == list(range(1, 2 + 26 + 1))
    assert seqs(private_room) == list(range(1, 1 + 14 + 1))


def test_a_batch_locks_rooms_in_one_order_whatever_the_order_of_arrival(
    alice: User, bob: User, public_room: Room, private_room: Room
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sends = [
        services.SendRequest(bob, "secret", "s1", "c1"),
        services.SendRequest(bob, "general", "g1", "c2"),
        services.SendRequest(alice, "secret", "s2", "c3"),
    ]

    with CaptureQueriesContext(connection) as queries:
        outcomes = services.messages_create(sends=sends)

    # Two processes' batches take the same rows in the same order (one statement,
    # by slug), so they cannot deadlock; within a room, arrival order is seq order.
    [locking] = [
        sql
        for sql in (query["sql"] for query in queries.captured_queries)
        if sql.startswith("SELECT") and "FROM chat_room " in sql
    ]
    assert "ORDER BY slug" in locking
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in locking
    assert [(o.message.room.slug, o.message.seq) for o in outcomes] == [
        ("secret", 1),
        ("general", 1),
        ("secret", 2),
    ]


def test_a_batch_that_races_another_writer_falls_back_to_one_by_one(
    monkeypatch, public_room: Room, bob: User
) -> None:
    from chat.services import messages

    already = post(bob, public_room, "stored elsewhere", client_id="raced")
    # As if another process stored "raced" after this batch looked for stored sends.
    monkeypatch.setattr(messages, "_stored_sends", lambda sends: {})

    outcomes = services.messages_create(
        sends=[
            services.SendRequest(bob, "general", "new", "fresh"),
            services.SendRequest(bob, "general", "stored elsewhere", "raced"),
        ]
    )

    assert (outcomes[0].created, outcomes[0].message.seq) == (True, 2)
    assert (outcomes[1].created, outcomes[1].message.pk) == (False, already.pk)
    assert seqs(public_room) == [1, 2]


def test_a_client_id_is_unique_per_author_only(public_room: Room, alice: User, bob: User) -> None:
    mine = post(bob, public_room, "mine", client_id="same")
    hers = post(alice, public_room, "hers", client_id="same")

    assert (mine.seq, hers.seq) == (1, 2)


def test_a_client_id_cannot_be_reused_for_another_room(
    public_room: Room, private_room: Room, bob: User
) -> None:
    post(bob, public_room, "hi", client_id="c1")

    code = code_of(services.message_create, user=bob, room_slug="secret", body="hi", client_id="c1")

    assert code == "forbidden"
    assert seqs(private_room) == []


# Events are published after commit ---------------------------------------------------------


def test_a_new_message_is_published_to_its_room_after_commit(
    public_room: Room, bob: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    listener = listen(f"room.{public_room.pk}", "room.999999")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = post(bob, public_room, "hi", client_id="c1")

    assert listener.events() == []  # not before the commit
    for callback in callbacks:
        callback()

    [(event_type, frame)] = listener.frames()
    assert event_type == "frame"
    assert frame["type"] == "message"
    assert frame["room"] == "general"
    assert frame["message"]["id"] == message.pk
    assert frame["message"]["seq"] == 1
    assert frame["message"]["client_id"] == "c1"
    assert frame["message"]["author"] == {"username": "bob", "display_name": "Bob"}


def test_a_rolled_back_message_is_neither_stored_nor_published(
    public_room: Room, bob: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    listener = listen(f"room.{public_room.pk}")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        post(bob, public_room, "hi", client_id="c1")
        raise RuntimeError("the outer transaction fails")

    assert callbacks == []
    assert listener.events() == []
    assert not Message.objects.exists()


def test_a_failed_publish_does_not_lose_the_message(
    settings, public_room: Room, bob: User, django_capture_on_commit_callbacks
) -> None:
    # No serving event loop here (as in a management command): the event is
    # published to Redis directly, and this Redis does not answer.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    failures = metrics.PUBLISH_FAILURES._value.get()

    with django_capture_on_commit_callbacks(execute=True):
        message = post(bob, public_room, "hi", client_id="c1")

    assert Message.objects.get().pk == message.pk
    assert metrics.PUBLISH_FAILURES._value.get() == failures + 1


# message_edit ----------------------------------------------------------------------------


def test_the_author_edits_a_message(
    public_room: Room, bob: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    message = post(bob, public_room, "helo")
    listener = listen(f"room.{public_room.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        edited = services.message_edit(user=bob, room_slug="general", seq=message.seq, body="hello @alice")

    edited.refresh_from_db()
    assert edited.body == "hello @alice"
    assert edited.html == 'hello <span class="mention" data-username="alice">@alice</span>'
    assert edited.edited_at is not None
    assert edited.seq == 1
    [(_type, frame)] = listener.frames()
    assert frame["type"] == "message_edited"
    assert frame["message"]["body"] == "hello @alice"
    assert frame["message"]["edited_at"] is not None


@pytest.mark.parametrize(
    ("editor_name", "seq", "body", "code"),
    [
        ("alice", 1, "mine now", "forbidden"),
        ("bob", 2, "no such message", "not_found"),
        ("bob", 1, "", "too_long"),
        ("bob", 1, "x" * 4001, "too_long"),
    ],
)
def test_an_edit_is_refused(
    public_room: Room, alice: User, bob: User, editor_name: str, seq: int, body: str, code: str
) -> None:
    post(bob, public_room, "original")
    editor = {"alice": alice, "bob": bob}[editor_name]

    assert code_of(services.message_edit, user=editor, room_slug="general", seq=seq, body=body) == code
    assert Message.objects.get().body == "original"


def test_a_message_of_an_archived_room_cannot_be_edited(public_room: Room, alice: User, bob: User) -> None:
    post(bob, public_room, "original")
    services.room_archive(actor=alice, room=public_room)

    assert code_of(services.message_edit, user=bob, room_slug="general", seq=1, body="new") == "archived"


def test_a_deleted_message_cannot_be_edited(public_room: Room, bob: User) -> None:
    post(bob, public_room, "original")
    services.message_delete(user=bob, room_slug="general", seq=1)

    assert code_of(services.message_edit, user=bob, room_slug="general", seq=1, body="back") == "not_found"


# message_delete --------------------------------------------------------------------------


@pytest.mark.parametrize("deleter", ["author", "room_admin", "site_moderator"])
def test_a_delete_leaves_a_tombstone_with_its_seq(
    private_room: Room,
    alice: User,
    bob: User,
    deleter: str,
    listen: Listen,
    django_capture_on_commit_callbacks,
) -> None:
    post(bob, private_room, "one")
    target = post(bob, private_room, "two")
    post(alice, private_room, "three")
    # The moderator is not a member of the private room: moderating is their job.
    user = {"author": bob, "room_admin": alice, "site_moderator": StaffFactory()}[deleter]
    listener = listen(f"room.{private_room.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        services.message_delete(user=user, room_slug="secret", seq=2)

    target.refresh_from_db()
    assert (target.seq, target.body, target.html) == (2, "", "")
    assert target.deleted_at is not None
    assert target.deleted_by == user
    assert seqs(private_room) == [1, 2, 3]
    assert listener.frames() == [("frame", {"type": "message_deleted", "room": "secret", "seq": 2})]


@pytest.mark.parametrize(
    ("deleter", "slug", "seq", "code"),
    [
        ("other_member", "general", 1, "forbidden"),
        ("outsider", "general", 1, "forbidden"),
        ("author", "general", 9, "not_found"),
        ("author", "nowhere", 1, "not_found"),
    ],
)
def test_a_delete_is_refused(
    public_room: Room, bob: User, carol: User, deleter: str, slug: str, seq: int, code: str
) -> None:
    post(bob, public_room, "keep me")
    other_member = Membership.objects.create(room=public_room, user=UserFactory()).user
    user = {"author": bob, "other_member": other_member, "outsider": carol}[deleter]

    assert code_of(services.message_delete, user=user, room_slug=slug, seq=seq) == code
    assert Message.objects.get().body == "keep me"


def test_a_private_room_is_not_found_to_a_non_member_deleting(
    private_room: Room, bob: User, carol: User
) -> None:
    post(bob, private_room, "keep me")

    assert code_of(services.message_delete, user=carol, room_slug="secret", seq=1) == "not_found"


@pytest.mark.parametrize(("deleter", "code"), [("author", "archived"), ("site_moderator", None)])
def test_in_an_archived_room_only_a_moderator_deletes(
    public_room: Room, alice: User, bob: User, deleter: str, code: str | None
) -> None:
    post(bob, public_room, "old")
    services.room_archive(actor=alice, room=public_room)
    user = bob if deleter == "author" else StaffFactory()

    if code is None:
        services.message_delete(user=user, room_slug="general", seq=1)
        assert Message.objects.get().is_deleted
    else:
        assert code_of(services.message_delete, user=user, room_slug="general", seq=1) == code
        assert not Message.objects.get().is_deleted


def test_deleting_twice_is_harmless(
    public_room: Room, bob: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    post(bob, public_room, "bye")
    services.message_delete(user=bob, room_slug="general", seq=1)
    listener = listen(f"room.{public_room.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        services.message_delete(user=bob, room_slug="general", seq=1)

    assert listener.events() == []


# read_mark --------------------------------------------------------------------------------


def test_the_read_marker_only_moves_forward_and_stops_at_the_last_seq(
    public_room: Room, alice: User, bob: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    for n in range(3):
        post(alice, public_room, f"m{n}")
    listener = listen(f"user.{bob.pk}")

    def mark(seq: int) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return services.read_mark(user=bob, room_slug="general", seq=seq, origin="tab-1")

    def marker() -> int:
        return Membership.objects.get(room=public_room, user=bob).last_read_seq

    assert mark(2) == 2
    assert marker() == 2
    assert mark(1) == 2
    assert marker() == 2
    assert mark(99) == 3
    assert marker() == 3
    events = listener.events()
    assert [event["frame"] for event in events] == [
        '{"type":"read","room":"general","seq":2}',
        ('{"type":"read","room":"general","seq":3}'),
    ]
    assert {event["skip"] for event in events} == {"tab-1"}  # the tab that read needs no echo


@pytest.mark.parametrize(("slug", "code"), [("general", "forbidden"), ("secret", "not_found")])
def test_only_members_have_a_read_marker(
    public_room: Room, private_room: Room, carol: User, slug: str, code: str
) -> None:
    assert code_of(services.read_mark, user=carol, room_slug=slug, seq=1) == code


# room_create -------------------------------------------------------------------------------


def test_the_creator_of_a_room_is_its_admin(carol: User) -> None:
    room = services.room_create(creator=carol, name="  Design  ", topic=" pixels ", is_private=True)

    assert (room.slug, room.name, room.topic, room.is_private) == ("design", "Design", "pixels", True)
    membership = Membership.objects.get(room=room)
    assert (membership.user, membership.role) == (carol, Membership.Role.ADMIN)


def test_a_slug_made_from_the_name_is_unique(carol: User) -> None:
    first = services.room_create(creator=carol, name="Design")
    second = services.room_create(creator=carol, name="design!")

    assert (first.slug, second.slug) == ("design", "design-2")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("产品讨论", "chan-pin-tao-lun"),  # the report: it was "room", as for any name without Latin letters
        ("重庆办公室", "chong-qing-ban-gong-shi"),  # a character read as in its word (重 alone is zhong)
        ("产品 Q3 讨论", "chan-pin-q3-tao-lun"),
        ("Café 北京", "cafe-bei-jing"),
        ("發佈", "fa-bu"),  # traditional characters too
        ("🎉", "room"),
    ],
)
def test_a_slug_made_from_a_chinese_name_is_its_pinyin(carol: User, name: str, slug: str) -> None:
    room = services.room_create(creator=carol, name=name)

    assert room.slug == slug
    assert room.get_absolute_url() == f"/r/{slug}/"


def test_two_chinese_names_with_the_same_pinyin_get_numbered_addresses(carol: User) -> None:
    first = services.room_create(creator=carol, name="试验")
    second = services.room_create(creator=carol, name="实验")

    assert (first.slug, second.slug) == ("shi-yan", "shi-yan-2")


@pytest.mark.parametrize(
    ("name", "slug", "code"),
    [("Another", "general", "forbidden"), ("   ", "", "bad_request")],
)
def test_a_room_needs_a_name_and_a_free_slug(
    public_room: Room, carol: User, name: str, slug: str, code: str
) -> None:
    assert code_of(services.room_create, creator=carol, name=name, slug=slug) == code
    assert Room.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("dm 2 4", "room-dm-2-4"),
        ("DM planning", "room-dm-planning"),
        ("DM", "room-dm"),  # else a second "DM" would be dm-2
        ("dmitri", "dmitri"),
        ("Random DM", "random-dm"),
    ],
)
def test_a_slug_made_from_the_name_is_never_a_direct_address(carol: User, name: str, slug: str) -> None:
    room = services.room_create(creator=carol, name=name)
    # Another name (names are unique) with the same slug.
    again = services.room_create(creator=carol, name=f"{name}!")

    assert (room.name, room.slug, again.slug) == (name, slug, f"{slug}-2")


@pytest.mark.parametrize("slug", ["dm-2-4", "DM-2-4", "dm-planning", "dm--7"])
def test_a_direct_address_cannot_be_given_to_a_room(carol: User, slug: str) -> None:
    assert code_of(services.room_create, creator=carol, name="Planning", slug=slug) == "forbidden"
    assert not Room.objects.exists()


def test_a_room_named_like_a_direct_address_does_not_block_it(alice: User, bob: User, carol: User) -> None:
    low, high = sorted([alice.pk, bob.pk])
    services.room_create(creator=carol, name=f"dm {low} {high}")

    room = services.direct_room_open(user=alice, other=bob)

    assert (room.slug, room.is_direct) == (f"dm-{low}-{high}", True)


# Room names ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["General", "general", "  GENERAL  ", "Secret", "sEcReT "])
def test_a_room_cannot_take_a_name_another_room_has(
    public_room: Room, private_room: Room, carol: User, name: str
) -> None:
    with pytest.raises(RoomNameTaken) as raised:
        services.room_create(creator=carol, name=name, slug="other")

    assert raised.value.code == "forbidden"
    assert not Room.objects.filter(slug="other").exists()


def test_a_name_taken_by_an_unseen_private_room_is_refused_saying_nothing_of_it(
    public_room: Room, private_room: Room, carol: User
) -> None:
    # carol cannot see #secret: she is told what a clash with a public room tells, no more.
    with pytest.raises(RoomNameTaken) as private_clash:
        services.room_create(creator=carol, name="secret")
    with pytest.raises(RoomNameTaken) as public_clash:
        services.room_create(creator=carol, name="general")

    assert private_clash.value.message == public_clash.value.message
    assert "secret" not in private_clash.value.message.lower()
    assert Room.objects.count() == 2


def test_the_create_room_page_shows_a_taken_name_beside_the_name_field(
    public_room: Room, carol: User
) -> None:
    # (A test of the page, here beside the rule it shows: tests/chat/test_views.py is another's.)
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(carol)

    response = client.post(reverse("chat:room_create"), {"name": " general", "slug": "other"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["This name is already in use; choose another."]}
    assert not Room.objects.filter(slug="other").exists()


def test_an_archived_room_keeps_its_name_taken(alice: User, carol: User) -> None:
    RoomFactory(name="Launch Plans", slug="launch-plans", created_by=alice, is_archived=True)

    assert code_of(services.room_create, creator=carol, name="launch plans") == "forbidden"
    assert Room.objects.count() == 1


def test_a_direct_conversation_takes_no_room_name(alice: User, bob: User, carol: User) -> None:
    direct = services.direct_room_open(user=alice, other=bob)

    room = services.room_create(creator=carol, name=direct.name)

    assert room.name == direct.name


@pytest.mark.parametrize("name", ["Secret", " secret "])
def test_a_room_cannot_be_renamed_to_a_name_another_room_has(
    public_room: Room, private_room: Room, alice: User, name: str
) -> None:
    with pytest.raises(RoomNameTaken):
        services.room_update(actor=alice, room=public_room, name=name, topic="renamed")

    public_room.refresh_from_db()
    assert (public_room.name, public_room.topic) == ("General", "")


def test_a_rename_is_trimmed_and_may_change_only_the_case(public_room: Room, alice: User) -> None:
    services.room_update(actor=alice, room=public_room, name="  GENERAL ")

    public_room.refresh_from_db()
    assert public_room.name == "GENERAL"


def test_rooms_that_already_share_a_name_can_still_be_changed(
    public_room: Room, private_room: Room, alice: User
) -> None:
    # Older data may repeat a name; each room keeps it, and may still be archived.
    Room.objects.filter(pk=private_room.pk).update(name="General")
    private_room.refresh_from_db()

    services.room_update(actor=alice, room=private_room, name="General", topic="older", is_archived=True)

    private_room.refresh_from_db()
    assert (private_room.name, private_room.topic, private_room.is_archived) == ("General", "older", True)


# room_update, room_archive, room_unarchive, room_delete ----------------------------------------

# Who manages a room or its members: its room admin and staff with the change
# permission; not a plain member, nor staff who may only view.
MANAGERS = [
    ("room_admin", True),
    ("member", False),
    ("staff", True),
    ("staff_without_permission", False),
]


def _actor(kind: str, alice: User, bob: User, model: str) -> User:
    """alice is the room admin, bob a plain member; staff are made with or without change_<model>."""
    if kind == "room_admin":
        return alice
    if kind == "member":
        return bob
    permissions = [f"change_{model}"] if kind == "staff" else [f"view_{model}"]
    return StaffFactory(chat_permissions=permissions)


def _room_actor(kind: str, alice: User, bob: User) -> User:
    return _actor(kind, alice, bob, "room")


@pytest.mark.parametrize(("kind", "allowed"), MANAGERS)
def test_who_may_update_a_room(public_room: Room, alice: User, bob: User, kind: str, allowed: bool) -> None:
    actor = _room_actor(kind, alice, bob)

    if allowed:
        services.room_update(actor=actor, room=public_room, name="Lobby", topic="all of us")
    else:
        assert code_of(services.room_update, actor=actor, room=public_room, name="Lobby") == "forbidden"

    public_room.refresh_from_db()
    assert public_room.name == ("Lobby" if allowed else "General")


def test_an_update_tells_every_member_their_own_summary(
    public_room: Room, alice: User, bob: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    post(alice, public_room, "hi")
    listener = listen(f"user.{alice.pk}", f"user.{bob.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        services.room_update(actor=alice, room=public_room, name="Lobby")

    summaries = {frame["room"]["role"]: frame["room"] for _type, frame in listener.frames()}
    assert set(summaries) == {"admin", "member"}
    assert summaries["admin"]["name"] == summaries["member"]["name"] == "Lobby"
    assert (summaries["admin"]["unread"], summaries["member"]["unread"]) == (0, 1)


def test_an_update_that_changes_nothing_publishes_nothing(
    public_room: Room, alice: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    listener = listen(f"user.{alice.pk}")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.room_update(actor=alice, room=public_room, name="General")

    assert callbacks == []
    assert listener.events() == []


def test_a_room_cannot_be_renamed_to_nothing(public_room: Room, alice: User) -> None:
    assert code_of(services.room_update, actor=alice, room=public_room, name="  ") == "bad_request"


def test_a_direct_conversation_stays_private(alice: User, bob: User) -> None:
    room = services.direct_room_open(user=alice, other=bob)

    assert code_of(services.room_update, actor=StaffFactory(), room=room, is_private=False) == "forbidden"


@pytest.mark.parametrize(("kind", "allowed"), MANAGERS)
def test_who_may_archive_and_unarchive_a_room(
    public_room: Room,
    alice: User,
    bob: User,
    kind: str,
    allowed: bool,
    listen: Listen,
    django_capture_on_commit_callbacks,
) -> None:
    actor = _room_actor(kind, alice, bob)
    listener = listen(f"user.{bob.pk}")

    if not allowed:
        assert code_of(services.room_archive, actor=actor, room=public_room) == "forbidden"
        public_room.refresh_from_db()
        assert public_room.is_archived is False
        return

    with django_capture_on_commit_callbacks(execute=True):
        services.room_archive(actor=actor, room=public_room)
    public_room.refresh_from_db()
    assert public_room.is_archived is True
    assert (
        code_of(services.message_create, user=bob, room_slug="general", body="hi", client_id="c")
        == "archived"
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.room_unarchive(actor=actor, room=public_room)
    public_room.refresh_from_db()
    assert public_room.is_archived is False
    assert post(bob, public_room).seq == 1

    archived_flags = [
        frame["room"]["archived"] for _type, frame in listener.frames() if frame["type"] == "room_updated"
    ]
    assert archived_flags == [True, False]


@pytest.mark.parametrize(("kind", "allowed"), MANAGERS)
def test_who_may_delete_a_room(
    public_room: Room,
    alice: User,
    bob: User,
    kind: str,
    allowed: bool,
    listen: Listen,
    django_capture_on_commit_callbacks,
) -> None:
    post(bob, public_room)
    actor = _room_actor(kind, alice, bob)
    listener = listen(f"user.{alice.pk}", f"user.{bob.pk}")

    if not allowed:
        assert code_of(services.room_delete, actor=actor, room=public_room) == "forbidden"
        assert Room.objects.filter(slug="general").exists()
        return

    room_id = public_room.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.room_delete(actor=actor, room=public_room)

    assert not Room.objects.filter(pk=room_id).exists()
    assert not Message.objects.filter(room_id=room_id).exists()
    assert not Membership.objects.filter(room_id=room_id).exists()
    assert listener.frames() == [("unsubscribe", {"type": "removed", "room": "general"})] * 2


# room_join and room_leave -----------------------------------------------------------------------


def test_joining_a_public_room(
    public_room: Room, bob: User, carol: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    post(bob, public_room, "before")
    listener = listen(f"room.{public_room.pk}", f"user.{carol.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        membership = services.room_join(user=carol, room_slug="general", origin="tab-1")

    assert (membership.user, membership.role) == (carol, Membership.Role.MEMBER)
    # The join note is seq 2, and the new member has read up to it.
    assert membership.last_read_seq == 2
    assert Message.objects.get(seq=2).body == "Carol joined."
    heard = listener.events()
    assert [event["type"] for event in heard] == ["frame", "subscribe", "frame"]
    assert '"body":"Carol joined."' in heard[0]["frame"]
    assert (heard[1]["room"], heard[1]["room_id"], heard[1]["skip"]) == (
        "general",
        public_room.pk,
        "tab-1",
    )
    # The member list hears of her, her own sockets too (they subscribed just before).
    assert json.loads(heard[2]["frame"]) == {
        "type": "member_joined",
        "room": "general",
        "member": {"username": "carol", "display_name": "Carol", "role": "member"},
    }


def test_joining_twice_is_harmless(public_room: Room, bob: User) -> None:
    services.room_join(user=bob, room_slug="general")

    assert Membership.objects.filter(room=public_room, user=bob).count() == 1
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("slug", "code"),
    [("secret", "not_found"), ("archived", "archived"), ("nowhere", "not_found")],
)
def test_only_active_public_rooms_can_be_joined(
    private_room: Room, alice: User, carol: User, slug: str, code: str
) -> None:
    RoomFactory(slug="archived", created_by=alice, is_archived=True)

    assert code_of(services.room_join, user=carol, room_slug=slug) == code
    assert not Membership.objects.filter(user=carol).exists()


def test_leaving_a_room(
    public_room: Room, bob: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    listener = listen(f"user.{bob.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        services.room_leave(user=bob, room_slug="general", origin="tab-1")

    assert not Membership.objects.filter(room=public_room, user=bob).exists()
    assert Message.objects.get().body == "Bob left."
    [event] = listener.events()
    assert (event["type"], event["room"], event["skip"]) == ("unsubscribe", "general", "tab-1")


def test_a_non_member_cannot_leave(public_room: Room, carol: User) -> None:
    assert code_of(services.room_leave, user=carol, room_slug="general") == "forbidden"


def test_a_direct_conversation_cannot_be_left(alice: User, bob: User) -> None:
    room = services.direct_room_open(user=alice, other=bob)

    assert code_of(services.room_leave, user=alice, room_slug=room.slug) == "forbidden"
    assert room.memberships.count() == 2


# direct_room_open -----------------------------------------------------------------------------


def test_one_private_direct_room_per_pair(
    alice: User, bob: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    listener = listen(f"user.{alice.pk}", f"user.{bob.pk}")

    with django_capture_on_commit_callbacks(execute=True):
        room = services.direct_room_open(user=alice, other=bob)
    again = services.direct_room_open(user=alice, other=bob)
    reverse = services.direct_room_open(user=bob, other=alice)

    assert room.pk == again.pk == reverse.pk
    assert (room.is_private, room.is_direct) == (True, True)
    assert Room.objects.count() == 1
    assert set(room.memberships.values_list("user__username", flat=True)) == {"alice", "bob"}
    # Each side sees the other's name as the room's name.
    names = sorted(frame["room"]["name"] for _type, frame in listener.frames())
    assert names == ["Alice", "Bob"]


def test_no_direct_room_with_yourself(alice: User) -> None:
    assert code_of(services.direct_room_open, user=alice, other=alice) == "forbidden"
    assert not Room.objects.exists()


def test_a_direct_room_is_found_without_being_made(alice: User, bob: User) -> None:
    assert services.rooms.direct_room_find(user=alice, other=bob) is None
    assert not Room.objects.exists()
    room = services.direct_room_open(user=alice, other=bob)

    assert services.rooms.direct_room_find(user=bob, other=alice) == room
    assert code_of(services.rooms.direct_room_find, user=alice, other=alice) == "forbidden"


def test_a_direct_room_opens_when_older_rooms_hold_its_address(alice: User, bob: User, carol: User) -> None:
    low, high = sorted([alice.pk, bob.pk])
    # Rooms made before the address was reserved (or written past the services).
    squatters = [
        Room.objects.create(slug=slug, name=slug, created_by=carol)
        for slug in (f"dm-{low}-{high}", f"dm-{low}-{high}-2")
    ]

    room = services.direct_room_open(user=alice, other=bob)
    again = services.direct_room_open(user=bob, other=alice)

    assert (room.slug, room.is_direct, again.pk) == (f"dm-{low}-{high}-3", True, room.pk)
    assert set(room.memberships.values_list("user__username", flat=True)) == {"alice", "bob"}
    for squatter in squatters:
        squatter.refresh_from_db()
        assert (squatter.is_direct, squatter.memberships.count()) == (False, 0)


# membership_add, membership_set_role, membership_remove ---------------------------------------------


def _member_actor(kind: str, alice: User, bob: User) -> User:
    return _actor(kind, alice, bob, "membership")


@pytest.mark.parametrize(("kind", "allowed"), MANAGERS)
def test_who_may_add_a_member(
    private_room: Room,
    alice: User,
    bob: User,
    carol: User,
    kind: str,
    allowed: bool,
    listen: Listen,
    django_capture_on_commit_callbacks,
) -> None:
    actor = _member_actor(kind, alice, bob)
    listener = listen(f"user.{carol.pk}")

    if not allowed:
        assert code_of(services.membership_add, actor=actor, room=private_room, user=carol) == "forbidden"
        assert not Membership.objects.filter(user=carol).exists()
        return

    with django_capture_on_commit_callbacks(execute=True):
        membership = services.membership_add(actor=actor, room=private_room, user=carol)

    assert (membership.user, membership.role, membership.last_read_seq) == (carol, "member", 0)
    assert Message.objects.get(room=private_room).body == "Carol was added."
    [(event_type, frame)] = listener.frames()
    assert event_type == "subscribe"
    assert frame["type"] == "added"
    assert (frame["room"]["slug"], frame["room"]["role"], frame["room"]["unread"]) == ("secret", "member", 1)


def test_adding_a_member_twice_is_harmless(private_room: Room, alice: User, bob: User) -> None:
    services.membership_add(actor=alice, room=private_room, user=bob)

    assert private_room.memberships.filter(user=bob).count() == 1
    assert not Message.objects.exists()


def test_an_inactive_user_cannot_be_added(private_room: Room, alice: User) -> None:
    ghost = UserFactory(is_active=False)

    assert code_of(services.membership_add, actor=alice, room=private_room, user=ghost) == "not_found"


def test_members_of_a_direct_conversation_are_fixed(alice: User, bob: User, carol: User) -> None:
    room = services.direct_room_open(user=alice, other=bob)

    assert code_of(services.membership_add, actor=StaffFactory(), room=room, user=carol) == "forbidden"


@pytest.mark.parametrize(("kind", "allowed"), MANAGERS)
def test_who_may_set_a_role(
    private_room: Room,
    alice: User,
    bob: User,
    kind: str,
    allowed: bool,
    listen: Listen,
    django_capture_on_commit_callbacks,
) -> None:
    carol_membership = Membership.objects.create(room=private_room, user=UserFactory(username="carol"))
    actor = _member_actor(kind, alice, bob)
    listener = listen(f"user.{carol_membership.user_id}", f"user.{alice.pk}")

    if not allowed:
        code = code_of(services.membership_set_role, actor=actor, membership=carol_membership, role="admin")
        assert code == "forbidden"
        carol_membership.refresh_from_db()
        assert carol_membership.role == "member"
        return

    with django_capture_on_commit_callbacks(execute=True):
        services.membership_set_role(actor=actor, membership=carol_membership, role="admin")

    carol_membership.refresh_from_db()
    assert carol_membership.role == "admin"
    # Only the member whose role changed hears of it.
    [(_type, frame)] = listener.frames()
    assert (frame["type"], frame["room"]["slug"], frame["room"]["role"]) == (
        "room_updated",
        "secret",
        "admin",
    )


def test_an_unknown_role_is_refused(private_room: Room, alice: User, bob: User) -> None:
    membership = Membership.objects.get(room=private_room, user=bob)

    assert (
        code_of(services.membership_set_role, actor=alice, membership=membership, role="owner") == "forbidden"
    )


@pytest.mark.parametrize(("kind", "allowed"), MANAGERS)
def test_who_may_remove_a_member(
    private_room: Room,
    alice: User,
    bob: User,
    kind: str,
    allowed: bool,
    listen: Listen,
    django_capture_on_commit_callbacks,
) -> None:
    carol = UserFactory(username="carol", display_name="Carol")
    membership = Membership.objects.create(room=private_room, user=carol)
    actor = _member_actor(kind, alice, bob)
    listener = listen(f"user.{carol.pk}")

    if not allowed:
        assert code_of(services.membership_remove, actor=actor, membership=membership) == "forbidden"
        assert Membership.objects.filter(pk=membership.pk).exists()
        return

    with django_capture_on_commit_callbacks(execute=True):
        services.membership_remove(actor=actor, membership=membership)

    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert Message.objects.get(room=private_room).body == "Carol was removed."
    assert listener.frames() == [("unsubscribe", {"type": "removed", "room": "secret"})]


def test_posting_after_removal_is_refused(private_room: Room, alice: User, bob: User) -> None:
    post(bob, private_room, "still here")
    services.membership_remove(actor=alice, membership=Membership.objects.get(room=private_room, user=bob))

    assert (
        code_of(services.message_create, user=bob, room_slug="secret", body="hi", client_id="c2")
        == "not_found"
    )
    assert Message.objects.filter(author=bob).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_and_removals_never_deadlock_and_number_without_gaps() -> None:
    """Writers in several threads (as in several processes): batches that take the same
    rooms in opposite orders of arrival, while a member leaves and comes back."""
    import threading

    from django.db import connection

    if connection.vendor == "sqlite":
        # The in-memory test database (shared cache) refuses a second writer at once
        # instead of waiting; the server's file database makes writers wait their turn,
        # which tests/integration/test_two_servers.py checks across two processes.
        pytest.skip("needs a database whose writers wait for each other's locks")

    owner, writer_one, writer_two, visitor = (UserFactory() for _ in range(4))
    rooms = [services.room_create(creator=owner, name=f"Busy {n}", slug=f"busy-{n}") for n in range(3)]
    for room in rooms:
        for user in (writer_one, writer_two, visitor):
            services.room_join(user=user, room_slug=room.slug)
    failures: list[BaseException] = []
    accepted: list[User] = []

    def write(user: User, order: list[Room], tag: str) -> None:
        try:
            for batch in range(15):
                sends = [
                    services.SendRequest(user, room.slug, f"{tag} {batch}", f"{tag}-{batch}-{room.slug}")
                    for room in order
                ]
                outcomes = services.messages_create(sends=sends)
                accepted.extend(user for outcome in outcomes if isinstance(outcome, services.SendResult))
        except BaseException as error:  # reported below
            failures.append(error)
        finally:
            connection.close()

    def come_and_go() -> None:
        try:
            for _ in range(15):
                services.room_leave(user=visitor, room_slug=rooms[1].slug)
                services.room_join(user=visitor, room_slug=rooms[1].slug)
        except BaseException as error:  # reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=(writer_one, rooms, "one")),
        threading.Thread(target=write, args=(writer_two, rooms[::-1], "two")),
        # The visitor posts while leaving and coming back: their membership and the
        # room are taken by both kinds of writer.
        threading.Thread(target=write, args=(visitor, rooms, "visitor")),
        threading.Thread(target=come_and_go),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    # The two members who stay post every message; the visitor's land while they are in.
    assert len([user for user in accepted if user != visitor]) == 2 * 15 * 3
    for room in rooms:
        room.refresh_from_db()
        assert seqs(room) == list(range(1, room.last_seq + 1))
