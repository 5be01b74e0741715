"""Threads: replies (services and permissions), their threads' summaries, the main view
and a thread's history, and the unread replies of those taking part."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from accounts.models import User
from chat import protocol, selectors, services
from chat.exceptions import Archived, ChatError, Forbidden, NotFound
from chat.models import Message, Room, ThreadParticipant
from tests.chat.conftest import EventListener
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

Listen = Callable[..., EventListener]


def post(user: User, body: str = "hello", room: str = "general", **reply: Any) -> Message:
    client_id = f"{user.pk}-{Message.objects.count()}-{body[:10]}"
    return services.message_create(user=user, room_slug=room, body=body, client_id=client_id, **reply).message


def reply(
    user: User, parent: Message | int, body: str = "a reply", room: str = "general", **kw: Any
) -> Message:
    seq = parent if isinstance(parent, int) else parent.seq
    return post(user, body, room, parent_seq=seq, **kw)


def summary_of(user: User, slug: str = "general") -> dict[str, Any]:
    return next(s for s in selectors.room_summaries_for_user(user) if s["slug"] == slug)


def history(user: User, slug: str = "general", **asked: Any) -> dict[str, Any]:
    bounds = {"before_seq": None, "after_seq": None, "limit": 50, **asked}
    return selectors.history_for(user, slug, **bounds)


# Replies ---------------------------------------------------------------------------


def test_a_reply_is_a_message_of_the_room_in_the_thread_of_its_parent(
    public_room: Room, alice: User, bob: User
) -> None:
    root = post(alice, "shall we ship?")
    first = reply(bob, root, "yes")
    second = reply(alice, first, "then I will")  # a reply to a reply joins the same thread
    after = post(bob, "lunch?")

    assert [m.seq for m in (root, first, second, after)] == [1, 2, 3, 4]  # the room's seqs
    assert (first.thread_id, first.parent_seq, second.thread_id, second.parent_seq) == (
        root.pk,
        1,
        root.pk,
        1,
    )
    assert (after.thread_id, after.parent_seq) == (None, None)
    root.refresh_from_db()
    assert (root.reply_count, root.last_reply_seq, root.last_reply_at) == (2, 3, second.created_at)
    assert root.repliers == ["alice", "bob"]  # the newest first, each once
    assert root.parent_seq is None

    payload = protocol.message_payload(first, "general")
    assert (payload["parent_seq"], payload["also_to_room"]) == (1, False)
    assert "reply_count" not in payload  # only a thread's first message has a thread
    assert "also_to_room" not in protocol.message_payload(after, "general")
    assert protocol.message_payload(after, "general")["parent_seq"] is None
    root_payload = protocol.message_payload(Message.objects.select_related("author").get(pk=root.pk))
    assert {
        key: root_payload[key] for key in ("parent_seq", "reply_count", "last_reply_seq", "repliers")
    } == {
        "parent_seq": None,
        "reply_count": 2,
        "last_reply_seq": 3,
        "repliers": ["alice", "bob"],
    }
    assert root_payload["last_reply_at"] == protocol.timestamp(second.created_at)


def test_the_repliers_are_the_newest_three_each_once(public_room: Room, alice: User, bob: User) -> None:
    carol, dave = UserFactory(username="carol"), UserFactory(username="dave")
    for user in (carol, dave):
        MembershipFactory(room=public_room, user=user)
    root = post(alice, "who is in?")
    for user in (bob, carol, bob, dave, carol):
        reply(user, root, f"me, {user.username}")

    root.refresh_from_db()
    assert (root.reply_count, root.repliers) == (5, ["carol", "dave", "bob"])


def test_a_reply_changes_its_thread_with_a_rev_and_is_published_in_order(
    public_room: Room, alice: User, bob: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    root = post(alice, "first")
    room_listener = listen(f"room.{public_room.pk}", f"user.{alice.pk}", f"user.{bob.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        answer = reply(bob, root, "second")

    frames = room_listener.frames()
    kinds = [(event, frame["type"]) for event, frame in frames]
    assert kinds == [
        ("frame", "message"),
        ("frame", "thread_updated"),
        ("frame", "thread_unread"),  # alice's: she wrote the thread's first message
        ("frame", "thread_unread"),  # bob's: he replied, so he has read it
    ]
    message, updated, for_alice, for_bob = (frame for _event, frame in frames)
    assert (message["message"]["seq"], message["message"]["parent_seq"]) == (answer.seq, root.seq)
    root.refresh_from_db()
    public_room.refresh_from_db()
    assert updated == {
        "type": "thread_updated",
        "room": "general",
        "seq": root.seq,
        "reply_count": 1,
        "last_reply_seq": answer.seq,
        "last_reply_at": protocol.timestamp(answer.created_at),
        "repliers": ["bob"],
    }
    assert root.rev == public_room.last_rev == 1
    assert for_alice == {
        "type": "thread_unread",
        "room": "general",
        "parent_seq": root.seq,
        "unread": 1,
        "thread_unread": 1,
    }
    assert (for_bob["unread"], for_bob["thread_unread"]) == (0, 0)


def test_also_to_room_is_kept_with_the_reply(public_room: Room, alice: User, bob: User) -> None:
    root = post(alice, "first")
    shown = reply(bob, root, "for everyone", also_to_room=True)

    assert shown.also_to_room is True
    assert protocol.message_payload(shown, "general")["also_to_room"] is True


def test_a_resend_of_a_reply_returns_the_same_reply(public_room: Room, alice: User, bob: User) -> None:
    root = post(alice, "first")
    first = services.message_create(
        user=bob, room_slug="general", body="r", client_id="r1", parent_seq=root.seq
    )
    again = services.message_create(
        user=bob, room_slug="general", body="r", client_id="r1", parent_seq=root.seq
    )

    assert (first.created, again.created, again.message.pk) == (True, False, first.message.pk)
    root.refresh_from_db()
    assert root.reply_count == 1
    with pytest.raises(Forbidden):  # as for any message: a client_id is for one room
        services.message_create(user=bob, room_slug="secret", body="r", client_id="r1", parent_seq=1)


def test_a_batch_of_replies_counts_each_once_in_seq_order(public_room: Room, alice: User, bob: User) -> None:
    root = post(alice, "first")
    other = post(bob, "second")
    outcomes = services.messages_create(
        sends=[
            services.SendRequest(bob, "general", "one", "b1", parent_seq=root.seq),
            services.SendRequest(alice, "general", "plain", "a1"),
            services.SendRequest(alice, "general", "two", "a2", parent_seq=root.seq),
            services.SendRequest(alice, "general", "three", "a3", parent_seq=other.seq),
            services.SendRequest(bob, "general", "nowhere", "b2", parent_seq=99),
        ]
    )

    *stored, missing = outcomes
    assert [o.message.seq for o in stored] == [3, 4, 5, 6]  # type: ignore[union-attr]
    assert isinstance(missing, NotFound)  # refused before it took a seq: none is left out
    root.refresh_from_db()
    other.refresh_from_db()
    assert (root.reply_count, root.last_reply_seq, root.repliers) == (2, 5, ["alice", "bob"])
    assert (other.reply_count, other.repliers) == (1, ["alice"])
    public_room.refresh_from_db()
    assert public_room.last_seq == 6


# Who may reply to what -------------------------------------------------------------


def test_only_members_reply_and_never_to_what_is_not_there(
    public_room: Room, private_room: Room, alice: User, bob: User, carol: User
) -> None:
    root = post(alice, "first")
    secret = post(alice, "classified", room="secret")
    answer = reply(bob, root)

    def refused(user: User, seq: int, room: str = "general") -> str:
        with pytest.raises(ChatError) as raised:
            reply(user, seq, room=room)
        return raised.value.code

    assert refused(carol, root.seq) == "forbidden"  # a public room, but not a member
    assert refused(carol, secret.seq, "secret") == "not_found"  # a private room is not there
    assert refused(bob, 99) == "not_found"  # no such seq
    # Seqs are per room: no reply in #general can name #secret's message.
    assert refused(bob, secret.seq + 10) == "not_found"

    services.message_delete(user=bob, room_slug="general", seq=answer.seq)
    assert refused(alice, answer.seq) == "not_found"  # a tombstone is not there to answer
    services.message_delete(user=alice, room_slug="general", seq=root.seq)
    assert refused(bob, root.seq) == "not_found"
    assert not Message.objects.filter(room=public_room, seq__gt=answer.seq).exists()

    services.room_leave(user=bob, room_slug="secret")
    assert refused(bob, secret.seq, "secret") == "not_found"  # left: a private room is gone


def test_a_reply_in_a_thread_whose_first_message_is_deleted_is_refused(
    public_room: Room, alice: User, bob: User
) -> None:
    root = post(alice, "first")
    answer = reply(bob, root)
    services.message_delete(user=alice, room_slug="general", seq=root.seq)

    with pytest.raises(NotFound):
        reply(bob, answer)


def test_a_removed_member_cannot_reply_nor_in_an_archived_room(
    private_room: Room, alice: User, bob: User
) -> None:
    root = post(alice, "first", room="secret")
    services.membership_remove(actor=alice, membership=selectors.membership_for(bob, private_room))
    with pytest.raises(NotFound):
        reply(bob, root, room="secret")

    services.room_archive(actor=alice, room=private_room)
    with pytest.raises(Archived):
        reply(alice, root, room="secret")
    root.refresh_from_db()
    assert root.reply_count == 0
    assert root.last_reply_seq is None


def test_deleting_the_first_message_leaves_its_replies(public_room: Room, alice: User, bob: User) -> None:
    root = post(alice, "first")
    answer = reply(bob, root, "still here")
    services.message_delete(user=alice, room_slug="general", seq=root.seq)

    frame = history(bob, parent_seq=root.seq)
    assert frame["parent"]["deleted"] is True
    assert frame["parent"]["reply_count"] == 1  # a tombstone keeps its thread
    assert [m["body"] for m in frame["messages"]] == ["still here"]
    answer.refresh_from_db()
    assert answer.is_deleted is False


def test_deleting_a_reply_recounts_its_thread(
    public_room: Room, alice: User, bob: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    root = post(alice, "first")
    mine = reply(alice, root, "one")
    theirs = reply(bob, root, "two")
    listener = listen(f"room.{public_room.pk}", f"user.{alice.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        services.message_delete(user=bob, room_slug="general", seq=theirs.seq)

    kinds = [frame["type"] for _event, frame in listener.frames()]
    assert kinds == ["message_deleted", "thread_updated", "thread_unread"]
    root.refresh_from_db()
    assert (root.reply_count, root.last_reply_seq, root.last_reply_at, root.repliers) == (
        1,
        theirs.seq,  # tombstones count there: it is still the newest seq of the thread
        mine.created_at,
        ["alice"],
    )
    public_room.refresh_from_db()
    assert root.rev == public_room.last_rev  # after the tombstone's own rev

    services.message_delete(user=alice, room_slug="general", seq=mine.seq)
    root.refresh_from_db()
    assert (root.reply_count, root.last_reply_at, root.repliers) == (0, None, [])
    assert protocol.message_payload(root, "general")["reply_count"] == 0  # still a thread


# Reading: the main view, a thread, and what changed -----------------------------------


def test_every_history_without_a_view_keeps_every_message(public_room: Room, alice: User, bob: User) -> None:
    root = post(alice, "first")
    reply(bob, root)
    post(alice, "third")

    frame = history(bob)
    assert [(m["seq"], m["parent_seq"]) for m in frame["messages"]] == [(1, None), (2, 1), (3, None)]
    assert "from_seq" not in frame


def test_the_main_view_leaves_out_replies_and_says_which_seqs_it_covers(
    public_room: Room, alice: User, bob: User
) -> None:
    root = post(alice, "1")  # 1
    reply(bob, root)  # 2
    reply(bob, root, "to all", also_to_room=True)  # 3: also sent to the room
    post(alice, "4")  # 4
    reply(alice, root)  # 5
    reply(bob, root)  # 6

    def main(**asked: Any) -> tuple[list[int], bool, int, int]:
        frame = history(bob, view="main", **asked)
        assert frame["view"] == "main"
        return [m["seq"] for m in frame["messages"]], frame["has_more"], frame["from_seq"], frame["to_seq"]

    assert main() == ([1, 3, 4], False, 1, 6)  # up to the newest seq, replies and all
    assert main(limit=2) == ([3, 4], True, 3, 6)  # older ones remain below 3
    assert main(before_seq=4, limit=1) == ([3], True, 3, 3)
    assert main(before_seq=3) == ([1], False, 1, 2)
    assert main(after_seq=1, limit=1) == ([3], True, 2, 3)
    assert main(after_seq=3) == ([4], False, 4, 6)
    assert main(after_seq=4) == ([], False, 5, 6)  # nothing but replies: covered all the same
    assert main(after_seq=6) == ([], False, 7, 6)  # an empty range
    assert main(after_seq=1, before_seq=5) == ([3, 4], False, 2, 4)
    assert main(before_seq=100) == ([1, 3, 4], False, 1, 6)  # never past the newest seq


def test_a_thread_s_history_is_its_replies_with_its_first_message(
    public_room: Room, private_room: Room, alice: User, bob: User, carol: User
) -> None:
    root = post(alice, "first")
    replies = [reply(bob, root, f"r{n}") for n in range(3)]
    post(alice, "elsewhere")
    other = post(alice, "another")
    reply(bob, other, "not this thread")

    frame = history(carol, parent_seq=replies[1].seq, limit=2)  # any of its messages names it
    assert (frame["type"], frame["room"], frame["parent_seq"]) == ("history", "general", root.seq)
    assert frame["parent"]["body"] == "first"
    assert ([m["body"] for m in frame["messages"]], frame["has_more"]) == (["r1", "r2"], True)
    older = history(carol, parent_seq=root.seq, before_seq=replies[1].seq)
    assert ([m["body"] for m in older["messages"]], older["has_more"]) == (["r0"], False)
    newer = history(carol, parent_seq=root.seq, after_seq=replies[0].seq)
    assert [m["body"] for m in newer["messages"]] == ["r1", "r2"]

    alone = history(carol, parent_seq=post(alice, "no replies yet").seq)  # any message can start one
    assert (alone["messages"], alone["has_more"], "reply_count" in alone["parent"]) == ([], False, False)

    with pytest.raises(NotFound):
        history(carol, parent_seq=999)
    secret = post(alice, "classified", room="secret")
    with pytest.raises(NotFound):
        history(carol, "secret", parent_seq=secret.seq)


def test_changes_bring_a_thread_s_first_message_with_its_new_summary(
    public_room: Room, alice: User, bob: User
) -> None:
    root = post(alice, "first")
    public_room.refresh_from_db()
    before = public_room.last_rev
    answer = reply(bob, root)

    frame = selectors.changes_for(alice, "general", after_rev=before, limit=10)
    assert [(m["seq"], m["reply_count"]) for m in frame["messages"]] == [(root.seq, 1)]
    services.message_delete(user=bob, room_slug="general", seq=answer.seq)
    frame = selectors.changes_for(alice, "general", after_rev=frame["rev"], limit=10)
    assert [(m["seq"], m["deleted"], m.get("reply_count")) for m in frame["messages"]] == [
        (answer.seq, True, None),
        (root.seq, False, 0),
    ]


# Unread replies ----------------------------------------------------------------------


def test_those_taking_part_count_the_replies_they_have_not_read(
    public_room: Room, alice: User, bob: User, carol: User
) -> None:
    MembershipFactory(room=public_room, user=carol)
    root = post(alice, "first")
    reply(bob, root)
    reply(carol, root)

    assert summary_of(alice)["thread_unread"] == 2  # her message started it
    assert summary_of(bob)["thread_unread"] == 1  # carol's came after his
    assert summary_of(carol)["thread_unread"] == 0  # writing one reads up to it
    assert set(ThreadParticipant.objects.values_list("user__username", flat=True)) == {
        "alice",
        "bob",
        "carol",
    }
    dave = UserFactory(username="dave")
    MembershipFactory(room=public_room, user=dave)
    assert summary_of(dave)["thread_unread"] == 0  # not taking part

    last = reply(bob, root)
    assert summary_of(alice)["thread_unread"] == 3
    assert (
        services.thread_read_mark(user=alice, room_slug="general", parent_seq=root.seq, seq=last.seq - 1) == 3
    )
    assert summary_of(alice)["thread_unread"] == 1
    # Never back; past the newest reply is the newest reply. Any message of the thread names it.
    assert services.thread_read_mark(user=alice, room_slug="general", parent_seq=last.seq, seq=2) == 3
    assert (
        services.thread_read_mark(user=alice, room_slug="general", parent_seq=root.seq, seq=999) == last.seq
    )
    assert summary_of(alice)["thread_unread"] == 0

    newest = reply(carol, root)
    services.message_delete(user=carol, room_slug="general", seq=newest.seq)
    assert summary_of(alice)["thread_unread"] == 0  # a tombstone is nothing to read


def test_reading_a_thread_tells_the_user_s_sockets_only_and_only_if_it_moved(
    public_room: Room, alice: User, bob: User, listen: Listen, django_capture_on_commit_callbacks
) -> None:
    root = post(alice, "first")
    answer = reply(bob, root)
    listener = listen(f"user.{alice.pk}", f"user.{bob.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        services.thread_read_mark(user=alice, room_slug="general", parent_seq=root.seq, seq=answer.seq)
        services.thread_read_mark(user=alice, room_slug="general", parent_seq=root.seq, seq=answer.seq)

    events = listener.events()
    assert [event["target"] for event in events] == [alice.pk]
    assert protocol.encode(protocol.thread_unread_frame("general", root.seq, 0, 0)) == events[0]["frame"]


def test_reading_a_thread_needs_a_member_and_a_message(
    public_room: Room, private_room: Room, alice: User, bob: User, carol: User
) -> None:
    root = post(alice, "first")
    reply(bob, root)
    with pytest.raises(Forbidden):
        services.thread_read_mark(user=carol, room_slug="general", parent_seq=root.seq, seq=2)
    with pytest.raises(NotFound):
        services.thread_read_mark(user=carol, room_slug="secret", parent_seq=1, seq=2)
    with pytest.raises(NotFound):
        services.thread_read_mark(user=bob, room_slug="general", parent_seq=99, seq=2)
    plain = post(bob, "plain")
    # Taking no part in a thread (or there being none) leaves nothing to move.
    assert services.thread_read_mark(user=bob, room_slug="general", parent_seq=plain.seq, seq=9) == 0


def test_a_room_s_threads_count_for_its_members_only(private_room: Room, alice: User, bob: User) -> None:
    root = post(bob, "first", room="secret")
    reply(alice, root, room="secret")
    reply(alice, root, room="secret")
    membership = selectors.membership_for(bob, private_room)
    assert membership is not None and membership.in_threads
    assert summary_of(bob, "secret")["thread_unread"] == 2

    services.membership_remove(actor=alice, membership=membership)
    assert selectors.thread_unread_counts([membership]) == {}
    # Added back: the threads he took part in count again.
    services.membership_add(actor=alice, room=private_room, user=bob)
    assert summary_of(bob, "secret")["thread_unread"] == 2


def test_a_public_room_joined_again_counts_its_threads_again(
    public_room: Room, alice: User, bob: User
) -> None:
    root = post(bob, "first")
    reply(alice, root)
    services.room_leave(user=bob, room_slug="general")
    reply(alice, root)
    services.room_join(user=bob, room_slug="general")

    assert summary_of(bob)["thread_unread"] == 2


def test_summaries_cost_one_query_more_only_for_those_taking_part_in_threads(
    public_room: Room, private_room: Room, alice: User, bob: User, carol: User, django_assert_num_queries
) -> None:
    root = post(alice, "first")
    reply(bob, root)
    post(alice, "first", room="secret")
    MembershipFactory(room=public_room, user=carol)
    for user, slug in (
        (alice, "general"),
        (alice, "secret"),
        (bob, "general"),
        (bob, "secret"),
        (carol, "general"),
    ):
        services.read_mark(user=user, room_slug=slug, seq=99)  # no mentions to count

    with django_assert_num_queries(1):
        assert [s["thread_unread"] for s in selectors.room_summaries_for_user(carol)] == [0]
    with django_assert_num_queries(2):
        summaries = selectors.room_summaries_for_user(alice)
    assert [(s["slug"], s["thread_unread"]) for s in summaries] == [("general", 1), ("secret", 0)]
    with django_assert_num_queries(2):  # many users (a resync): still one for all of them
        found = selectors.room_summaries_for_users([alice.pk, bob.pk, carol.pk])
    assert {user_id: [s["thread_unread"] for _id, s in rooms] for user_id, rooms in found.items()} == {
        alice.pk: [1, 0],
        bob.pk: [0, 0],
        carol.pk: [0],
    }


@pytest.mark.django_db(transaction=True)
def test_replies_reactions_edits_and_deletions_at_once_never_deadlock_and_keep_the_count() -> None:
    """Writers in several threads (as in several processes): replies change their thread's
    first message with the room locked, while others react to it, edit it and delete
    replies, each locking the message; every writer takes the room first."""
    import threading

    if connection.vendor == "sqlite":
        pytest.skip("needs a database whose writers wait for each other's locks")  # see test_services.py

    owner, one, two = (UserFactory() for _ in range(3))
    room = services.room_create(creator=owner, name="Busy", slug="busy")
    for user in (one, two):
        services.room_join(user=user, room_slug="busy")
    root = post(owner, "the thread", "busy")
    failures: list[BaseException] = []

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except BaseException as error:  # reported below
                failures.append(error)
            finally:
                connection.close()

        return run

    def replying(user: User) -> Callable[[], None]:
        def work() -> None:
            for n in range(15):
                answer = reply(user, root, f"{user.pk} {n}", "busy")
                if n % 3 == 0:
                    services.message_delete(user=user, room_slug="busy", seq=answer.seq)

        return work

    def fussing() -> None:
        for n in range(15):
            emoji = "\U0001f44d" if n % 2 else "\U0001f389"
            services.reaction_add(user=owner, room_slug="busy", seq=root.seq, emoji=emoji)
            services.message_edit(user=owner, room_slug="busy", seq=root.seq, body=f"the thread, {n}")

    workers = [threading.Thread(target=guarded(work)) for work in (replying(one), replying(two), fussing)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    assert failures == []
    root.refresh_from_db()
    assert root.reply_count == 2 * 10 == Message.objects.filter(thread=root, deleted_at__isnull=True).count()
    room.refresh_from_db()
    assert list(room.messages.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, room.last_seq + 1)
    )


# The frames ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "parsed"),
    [
        (
            {"type": "send", "room": "r", "body": "b", "client_id": "c", "parent_seq": 4},
            protocol.Send(room="r", body="b", client_id="c", parent_seq=4),
        ),
        (
            {
                "type": "send",
                "room": "r",
                "body": "b",
                "client_id": "c",
                "parent_seq": 4,
                "also_to_room": True,
            },
            protocol.Send(room="r", body="b", client_id="c", parent_seq=4, also_to_room=True),
        ),
        (
            {"type": "send", "room": "r", "body": "b", "client_id": "c", "also_to_room": False},
            protocol.Send(room="r", body="b", client_id="c"),
        ),
        (
            {"type": "history", "room": "r", "view": "main", "after_seq": 3},
            protocol.History(room="r", before_seq=None, after_seq=3, limit=50, view="main"),
        ),
        (
            {"type": "history", "room": "r", "parent_seq": 3, "limit": 10},
            protocol.History(room="r", before_seq=None, after_seq=None, limit=10, parent_seq=3),
        ),
        (
            {"type": "thread_read", "room": "r", "parent_seq": 3, "seq": 9},
            protocol.ThreadRead(room="r", parent_seq=3, seq=9),
        ),
    ],
)
def test_thread_frames_parse(frame: dict[str, Any], parsed: protocol.ClientFrame) -> None:
    assert protocol.parse_frame(protocol.encode(frame)) == parsed


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "send", "room": "r", "body": "b", "client_id": "c", "parent_seq": -1},
        {"type": "send", "room": "r", "body": "b", "client_id": "c", "parent_seq": "4"},
        {"type": "send", "room": "r", "body": "b", "client_id": "c", "parent_seq": True},
        {"type": "send", "room": "r", "body": "b", "client_id": "c", "parent_seq": 4, "also_to_room": 1},
        {"type": "send", "room": "r", "body": "b", "client_id": "c", "also_to_room": True},  # not a reply
        {"type": "history", "room": "r", "view": "threads"},
        {"type": "history", "room": "r", "view": 1},
        {"type": "history", "room": "r", "view": "main", "parent_seq": 3},
        {"type": "history", "room": "r", "parent_seq": 2**53},
        {"type": "thread_read", "room": "r", "seq": 9},
        {"type": "thread_read", "room": "r", "parent_seq": 3},
    ],
)
def test_bad_thread_frames_are_bad_requests(frame: dict[str, Any]) -> None:
    with pytest.raises(protocol.FrameError) as raised:
        protocol.parse_frame(protocol.encode(frame))
    assert raised.value.code == "bad_request"


@pytest.mark.django_db(transaction=True)
async def test_a_thread_over_sockets(connect: Any, alice: User, bob: User, public_room: Room) -> None:
    from asgiref.sync import sync_to_async

    alice_ws, _ = await connect(alice)
    bob_ws, _ = await connect(bob)

    async def frames(ws: Any, count: int) -> list[dict[str, Any]]:
        return [await ws.receive_json_from(timeout=3) for _ in range(count)]

    await alice_ws.send_json_to({"type": "send", "room": "general", "body": "the plan", "client_id": "a1"})
    await frames(alice_ws, 2)
    await frames(bob_ws, 1)
    await bob_ws.send_json_to(
        {"type": "send", "room": "general", "body": "agreed", "client_id": "b1", "parent_seq": 1}
    )
    heard = await frames(alice_ws, 3)
    assert [f["type"] for f in heard] == ["message", "thread_updated", "thread_unread"]
    assert (heard[0]["message"]["seq"], heard[0]["message"]["parent_seq"]) == (2, 1)
    assert (heard[1]["seq"], heard[1]["reply_count"], heard[1]["repliers"]) == (1, 1, ["bob"])
    assert (heard[2]["parent_seq"], heard[2]["unread"], heard[2]["thread_unread"]) == (1, 1, 1)
    by_type = {f["type"]: f for f in await frames(bob_ws, 4)}  # the ack's place is not fixed
    assert set(by_type) == {"ack", "message", "thread_updated", "thread_unread"}
    assert (by_type["ack"]["seq"], by_type["thread_unread"]["thread_unread"]) == (2, 0)

    await bob_ws.send_json_to(
        {"type": "send", "room": "general", "body": "nowhere", "client_id": "b2", "parent_seq": 7}
    )
    error = await bob_ws.receive_json_from(timeout=3)
    assert (error["type"], error["code"], error["ref"]) == ("error", "not_found", "b2")

    await alice_ws.send_json_to({"type": "history", "room": "general", "view": "main"})
    main = await alice_ws.receive_json_from(timeout=3)
    assert ([m["seq"] for m in main["messages"]], main["from_seq"], main["to_seq"]) == ([1], 1, 2)
    await alice_ws.send_json_to({"type": "history", "room": "general"})
    every = await alice_ws.receive_json_from(timeout=3)
    assert [m["seq"] for m in every["messages"]] == [1, 2]
    await alice_ws.send_json_to({"type": "history", "room": "general", "parent_seq": 1})
    thread = await alice_ws.receive_json_from(timeout=3)
    assert (thread["parent"]["seq"], [m["body"] for m in thread["messages"]]) == (1, ["agreed"])

    await alice_ws.send_json_to({"type": "thread_read", "room": "general", "parent_seq": 1, "seq": 2})
    read = await alice_ws.receive_json_from(timeout=3)
    assert read == {
        "type": "thread_unread",
        "room": "general",
        "parent_seq": 1,
        "unread": 0,
        "thread_unread": 0,
    }
    assert await bob_ws.receive_nothing()

    [summary] = await sync_to_async(selectors.room_summaries_for_user)(alice)
    assert summary["thread_unread"] == 0


@pytest.mark.django_db(transaction=True)
async def test_a_reply_is_rate_limited_as_a_send(
    settings: Any, connect: Any, alice: User, bob: User, public_room: Room
) -> None:
    settings.CHAT_SEND_BURST = 1
    settings.CHAT_SEND_RATE = 0.01
    ws, _ = await connect(bob)
    await ws.send_json_to({"type": "send", "room": "general", "body": "first", "client_id": "c1"})
    await ws.receive_json_from(timeout=3)
    await ws.receive_json_from(timeout=3)
    await ws.send_json_to(
        {"type": "send", "room": "general", "body": "again", "client_id": "c2", "parent_seq": 1}
    )

    error = await ws.receive_json_from(timeout=3)
    assert (error["code"], error["ref"]) == ("rate_limited", "c2")
