"""Threads: replies to a message, beside the room's main timeline.

A reply is a message of the room, stored by chat.services.messages with the
room's next seq, whose ``thread`` is the thread's first message (a reply to a
reply joins the same thread). The first message keeps its thread's summary
(how many replies, the newest one, who wrote the newest ones), changed in the
transaction that adds or deletes a reply, under the room's row lock, so it is
always in step; each change takes the room's next rev, so a client that was
away hears of it from ``changes``, and every socket of the room hears it at
once from ``thread_updated``.

Whoever takes part in a thread (its first message's author and every replier)
has a read marker in it (ThreadParticipant). Their unread replies are counted
apart from the room's unread (the room summary's ``thread_unread``), and each
change to a count reaches their sockets as ``thread_unread``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import Count, F, Max

from accounts.models import User
from chat import events, permissions, selectors
from chat.models import Membership, Message, ThreadParticipant

# Repliers a thread's summary names, the newest first.
MAX_REPLIERS = 3


def note_reply(root: Message, reply: Message, username: str) -> None:
    """Count a new reply (by ``username``) in ``root``'s summary, in memory; the caller saves it."""
    root.reply_count += 1
    root.last_reply_seq = reply.seq
    root.last_reply_at = reply.created_at
    root.repliers = [username, *(name for name in root.repliers if name != username)][:MAX_REPLIERS]


def recount(root: Message) -> None:
    """Work ``root``'s summary out again from its replies (one was deleted), in memory;
    the caller saves it. Its last_reply_seq stays: tombstones count there."""
    alive = Message.objects.filter(thread=root, deleted_at__isnull=True)
    found = alive.aggregate(count=Count("pk"), latest=Max("created_at"))
    root.reply_count = found["count"]
    root.last_reply_at = found["latest"]
    newest_by_author = (
        alive.filter(author__isnull=False)
        .values("author__username")
        .annotate(newest=Max("seq"))
        .order_by("-newest")[:MAX_REPLIERS]
    )
    root.repliers = [row["author__username"] for row in newest_by_author]


SUMMARY_FIELDS = ["reply_count", "last_reply_seq", "last_reply_at", "repliers", "rev"]


def participants_store(roots: Iterable[Message], replies: Iterable[Message]) -> None:
    """The first messages' authors and the repliers take part in their threads: each
    replier has read their thread up to their reply (a marker never moves back), a
    first message's author nothing yet. Call in the replies' transaction, with the
    rooms locked (their memberships are written)."""
    newest: dict[tuple[int, int], int] = {}
    for reply in replies:
        if reply.author_id is not None and reply.thread_id is not None:
            key = (reply.thread_id, reply.author_id)
            newest[key] = max(newest.get(key, 0), reply.seq)
    rows = [ThreadParticipant(thread_id=thread_id, user_id=user_id) for thread_id, user_id in newest]
    rows += [ThreadParticipant(thread_id=root.pk, user_id=root.author_id) for root in roots if root.author_id]
    ThreadParticipant.objects.bulk_create(rows, ignore_conflicts=True)
    for (thread_id, user_id), seq in newest.items():
        ThreadParticipant.objects.filter(thread_id=thread_id, user_id=user_id, last_read_seq__lt=seq).update(
            last_read_seq=seq
        )
    room_of = {root.pk: root.room_id for root in roots}
    taking_part: dict[int, set[int]] = {}
    for row in rows:
        taking_part.setdefault(room_of[row.thread_id], set()).add(row.user_id)
    for room_id, user_ids in sorted(taking_part.items()):
        Membership.objects.filter(room_id=room_id, user_id__in=user_ids, in_threads=False).update(
            in_threads=True
        )


def unread_published(
    room_id: int, room_slug: str, roots: Mapping[int, int], user: User | None = None
) -> None:
    """Tell each member of the room taking part in these threads (thread id -> its
    seq), or only ``user``, their unread replies in each thread and in all their
    threads of the room (``thread_unread``), as this transaction leaves them: after
    it commits."""
    participants = ThreadParticipant.objects.filter(
        thread_id__in=roots, thread__room__memberships__user_id=F("user_id")
    )
    if user is not None:
        participants = participants.filter(user=user)
    taking_part = list(participants.values_list("user_id", "thread_id"))
    if not taking_part:
        return
    counts = selectors.thread_unread_by_thread({user_id for user_id, _thread in taking_part}, room_id)
    in_room: dict[int, int] = {}
    for (user_id, _thread_id), count in counts.items():
        in_room[user_id] = in_room.get(user_id, 0) + count
    for user_id, thread_id in sorted(taking_part):
        events.thread_unread(
            user_id, room_slug, roots[thread_id], counts.get((user_id, thread_id), 0), in_room.get(user_id, 0)
        )


def thread_read_mark(*, user: User, room_slug: str, parent_seq: int, seq: int) -> int:
    """Move the user's read marker in the thread of message ``parent_seq`` forward to
    ``seq`` (never back; a seq beyond its newest reply counts as that reply) and tell
    their sockets their unread counts; returns the marker. A member who takes no part
    in the thread has no marker there: nothing changes."""
    room, membership = selectors.room_access(user, room_slug)
    permissions.check_is_member(room, membership)
    root = selectors.thread_root(room, parent_seq)
    seq = min(seq, root.last_reply_seq or 0)
    with transaction.atomic():
        mine = ThreadParticipant.objects.filter(thread=root, user=user)
        if mine.filter(last_read_seq__lt=seq).update(last_read_seq=seq):
            unread_published(room.pk, room.slug, {root.pk: root.seq}, user)
            return seq
    marker = mine.values_list("last_read_seq", flat=True).first()
    return marker or 0
