"""Writing messages: send (one, or a batch in one transaction), edit, delete.

A message may carry files uploaded before it (chat.services.attachments): the
send names them, and they are checked (the sender's, to this room, not sent yet)
and attached in the message's own transaction. Deleting a message deletes them.

A send may be a reply (``parent_seq``): a message of the room like any other,
in the thread of the message it answers, whose summary changes with it in the
same transaction (chat.services.threads).

A message's ``@username`` mentions of the room's members are stored with it
(``Mention``): a name matches a member's username exactly or, failing that, one
member's ignoring case. Others (non-members, the author) are only rendered.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from chat import events, notes, permissions, protocol, selectors
from chat.exceptions import ChatError, Forbidden, NotFound, TooLarge, TooLong
from chat.models import Attachment, Membership, Mention, Message, Reaction, Room
from chat.realtime import metrics
from chat.rendering import mention_runs, mentioned_names, render_body
from chat.services import threads


@dataclass(frozen=True, slots=True)
class SendRequest:
    user: User
    room_slug: str
    body: str
    client_id: str
    # Ids of the sender's uploads to this room to send with it (chat.services.attachments).
    attachments: tuple[int, ...] = ()
    # A reply: the seq of the message it answers (a reply to a reply joins its thread);
    # also_to_room shows it in the room's main timeline too.
    parent_seq: int | None = None
    also_to_room: bool = False


@dataclass(frozen=True, slots=True)
class SendResult:
    message: Message
    created: bool


def check_body(body: str, *, with_files: bool = False) -> str:
    """``body`` if it may be posted: at most CHAT_MAX_BODY characters, and not blank unless
    files go with it (a blank body is then stored empty)."""
    if len(body) > settings.CHAT_MAX_BODY or not (body.strip() or with_files):
        raise TooLong()
    return body if body.strip() else ""


def render(body: str, known_usernames: set[str] | None = None) -> str:
    """The body's HTML; ``known_usernames`` (a superset of its mentions that exist) saves a query."""
    names = mentioned_names(body)
    if known_usernames is None:
        known_usernames = _existing_usernames(names)
    return render_body(body, names & known_usernames)


def _existing_usernames(names: set[str]) -> set[str]:
    if not names:
        return set()
    return set(User.objects.filter(username__in=names).values_list("username", flat=True))


Member = tuple[int, str]  # (user id, username)


def _members_named(room_slugs: Collection[str], names: set[str]) -> dict[str, list[Member]]:
    """For each of the rooms, its members whose username is one of ``names``, ignoring
    case: one query for all the rooms, reading only the members named."""
    if not room_slugs or not names:
        return {}
    # Lower() in SQLite folds ASCII letters only; the exact names are asked too so that
    # a name typed as it is spelled always matches (the Python side compares exactly).
    found = (
        Membership.objects.filter(room__slug__in=room_slugs)
        .annotate(folded=Lower("user__username"))
        .filter(Q(folded__in={name.lower() for name in names}) | Q(user__username__in=names))
        .values_list("room__slug", "user_id", "user__username")
    )
    members: dict[str, list[Member]] = {}
    for slug, user_id, username in found:
        members.setdefault(slug, []).append((user_id, username))
    return members


@dataclass(frozen=True, slots=True)
class _Written:
    """A body as stored: its HTML, and the members it mentions (user id -> username)."""

    html: str
    mentioned: dict[int, str] = field(default_factory=dict)


def _write(body: str, existing: set[str], members: list[Member], author_id: int) -> _Written:
    """Render ``body`` and resolve its mentions, given the users among its mentioned
    names (``existing``) and the room's members so called, ignoring case.

    A name is the member so called, else the user so called (rendered, not stored:
    not in the room), else the one member so called ignoring case; several members
    so called ignoring case and none exactly is no one. Of the names one "@" may
    mention (rendering.mention_candidates), the longest that is someone wins."""
    exact = {username: user_id for user_id, username in members}
    by_fold: dict[str, list[Member]] = {}
    for member in members:
        by_fold.setdefault(member[1].casefold(), []).append(member)
    known: dict[str, str] = {}
    mentioned: dict[int, str] = {}
    for candidates in mention_runs(body):
        for name in candidates:
            if name in exact:
                known[name] = name
                mentioned[exact[name]] = name
            elif name in existing:
                known[name] = name
            elif len(folded := by_fold.get(name.casefold(), [])) == 1:
                user_id, username = folded[0]
                known[name] = username
                mentioned[user_id] = username
            else:
                continue
            break
    mentioned.pop(author_id, None)
    return _Written(render_body(body, known), mentioned)


def _mentions_store(messages: Mapping[int, Message], written: Mapping[int, _Written]) -> None:
    """Store the mentions of newly inserted messages (keyed alike): one INSERT for all."""
    rows = [
        Mention(message=message, user_id=user_id)
        for key, message in messages.items()
        for user_id in written[key].mentioned
    ]
    if rows:
        Mention.objects.bulk_create(rows)


def _mentions_replace(message: Message, mentioned: Collection[int]) -> None:
    """Make ``mentioned`` the users an edited message mentions."""
    Mention.objects.filter(message=message).exclude(user_id__in=mentioned).delete()
    if mentioned:
        Mention.objects.bulk_create(
            [Mention(message=message, user_id=user_id) for user_id in mentioned], ignore_conflicts=True
        )


def _next_seq(room_id: int) -> int:
    """Take the room's next seq; the row stays locked until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute(
            # The table name is the model's own, not input.
            f"UPDATE {Room._meta.db_table} SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq",  # noqa: S608
            [room_id],
        )
        return cursor.fetchone()[0]


def take_rev(room_id: int) -> int:
    """Take the room's next rev, for a message that is changing; the row stays locked
    until the transaction ends, so revs commit in order."""
    with connection.cursor() as cursor:
        cursor.execute(
            # The table name is the model's own, not input.
            f"UPDATE {Room._meta.db_table} SET last_rev = last_rev + 1 WHERE id = %s RETURNING last_rev",  # noqa: S608
            [room_id],
        )
        return cursor.fetchone()[0]


# A batch of sends runs these statements with the rooms' rows locked, so that every
# other writer of those rooms waits for them: they are SQL, not QuerySets, because
# building and compiling the QuerySets took most of the time the locks were held
# (pyinstrument, batches of 5 on PostgreSQL: 3.7 of 5.5 ms in the two CASE updates).


def _placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


def lock_room(room_id: int) -> None:
    """Lock the room's row until the transaction ends, as lock_rooms does."""
    if not connection.features.has_select_for_update:
        return  # SQLite: every write transaction holds the whole database (IMMEDIATE)
    with connection.cursor() as cursor:
        cursor.execute(
            # The table name is the model's own, not input.
            f"SELECT id FROM {Room._meta.db_table} WHERE id = %s FOR UPDATE",  # noqa: S608
            [room_id],
        )


def lock_rooms(room_slugs: Collection[str]) -> dict[str, tuple[int, int, bool]]:
    """Lock the rows of the rooms so called until the transaction ends, in the one
    order every writer takes them (by slug, and each room before its memberships),
    so that two writers never deadlock: slug -> (id, last_seq, archived)."""
    slugs = sorted(room_slugs)
    if not slugs:
        return {}
    for_update = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            # The table name is the model's own; the values are parameters.
            f"SELECT slug, id, last_seq, is_archived FROM {Room._meta.db_table}"  # noqa: S608
            f" WHERE slug IN ({_placeholders(len(slugs))}) ORDER BY slug{for_update}",
            slugs,
        )
        rows = cursor.fetchall()
    return {slug: (room_id, last_seq, bool(archived)) for slug, room_id, last_seq, archived in rows}


def _poster_memberships(room_ids: Collection[int], user_ids: Collection[int]) -> dict[tuple[int, int], int]:
    """(room id, user id) -> membership id, for those of the users who are members of
    those rooms: one read for a whole batch."""
    if not room_ids or not user_ids:
        return {}
    rooms, users = sorted(room_ids), sorted(user_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT room_id, user_id, id FROM {Membership._meta.db_table}"  # noqa: S608
            f" WHERE room_id IN ({_placeholders(len(rooms))}) AND user_id IN ({_placeholders(len(users))})",
            [*rooms, *users],
        )
        rows = cursor.fetchall()
    return {(room_id, user_id): membership_id for room_id, user_id, membership_id in rows}


def _update_by_id(table: str, column: str, new_values: Mapping[int, int], when: str = "%s") -> None:
    """Set ``column`` of each row of ``table`` whose id is a key of ``new_values`` from its
    value, in one statement; ``when`` is the SQL of the new value, where each ``%s`` is
    the value (it may compare with the column's current value)."""
    ids = sorted(new_values)
    cases = " ".join([f"WHEN %s THEN {when}"] * len(ids))
    per_row = when.count("%s")
    with connection.cursor() as cursor:
        cursor.execute(
            # Table and column are the models' own; the values are parameters.
            f"UPDATE {table} SET {column} = CASE id {cases} END WHERE id IN ({_placeholders(len(ids))})",  # noqa: S608
            [*(value for key in ids for value in (key, *[new_values[key]] * per_row)), *ids],
        )


def _set_last_seqs(last_seqs: Mapping[int, int]) -> None:
    """Room id -> its new last_seq, in one statement."""
    _update_by_id(Room._meta.db_table, "last_seq", last_seqs)


def _advance_read_markers(read_upto: Mapping[int, int]) -> None:
    """Membership id -> a seq its member has read: each marker moves up to it (never back),
    in one statement."""
    _update_by_id(
        Membership._meta.db_table,
        "last_read_seq",
        read_upto,
        when="CASE WHEN last_read_seq < %s THEN %s ELSE last_read_seq END",
    )


def _published(message: Message, room_slug: str, mentions: Collection[str] = ()) -> Message:
    events.message_created(message.room_id, protocol.message_payload(message, room_slug, mentions))
    metrics.MESSAGES_STORED.inc()
    return message


def system_note(room: Room, kind: str, user: User) -> Message:
    """Store a note without an author with the room's next seq: ``user`` joined, left,
    was added or removed (``kind``, chat.notes). It is stored as that event, and its
    body in the site's language for clients that do not know events. Call inside a
    transaction."""
    event = notes.note_event(kind, user)
    body = notes.note_fallback(event)
    seq = _next_seq(room.pk)
    room.last_seq = seq
    message = Message.objects.create(
        room=room, seq=seq, author=None, body=body, html=render(body), event=event
    )
    return _published(message, room.slug)


def _stored_sends(sends: Sequence[SendRequest]) -> dict[tuple[int, str], Message]:
    """The messages already stored under these (author, client_id) pairs.

    Asked of every batch, and nearly always none: first a bare SQL lookup of ids (a
    QuerySet with its joins cost ten times as much to build as to run), then the
    messages, with their rooms and authors, only when there are some."""
    if not sends:
        return {}
    authors = sorted({send.user.pk for send in sends})
    client_ids = sorted({send.client_id for send in sends})
    with connection.cursor() as cursor:
        cursor.execute(
            # The table name is the model's own; the values are parameters.
            f"SELECT id FROM {Message._meta.db_table} WHERE author_id IN ({_placeholders(len(authors))})"  # noqa: S608
            f" AND client_id IN ({_placeholders(len(client_ids))})",
            [*authors, *client_ids],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return {}
    found = Message.objects.filter(pk__in=ids).select_related("room", "author")
    return {(message.author_id, message.client_id or ""): message for message in found if message.author_id}


def _as_resend(send: SendRequest, stored: Message) -> SendResult | ChatError:
    if stored.room.slug != send.room_slug:
        return Forbidden(_("This client_id was already used for another room."))
    return SendResult(stored, created=False)


def _refusal(send: SendRequest) -> ChatError:
    """Why ``send`` may not be posted (after the one-statement check said no)."""
    stored = selectors.sent_message(send.user, send.client_id)
    if stored is not None:
        outcome = _as_resend(stored=stored, send=send)
        if isinstance(outcome, SendResult):
            raise _Resent(outcome)
        return outcome
    try:
        room, membership = selectors.room_access(send.user, send.room_slug)
        permissions.check_can_post(room, membership)
    except ChatError as error:
        return error
    # Allowed by now: the membership or the archive state changed in between.
    return Forbidden(
        _("You could not post in #%(room)s just then; try again."), params={"room": send.room_slug}
    )


class _Resent(Exception):
    def __init__(self, result: SendResult) -> None:
        self.result = result


def messages_create(*, sends: Sequence[SendRequest]) -> list[SendResult | ChatError]:
    """Post many messages in one transaction (group commit): one outcome per request,
    in order. A repeated ``client_id`` gets the stored message (``created=False``).

    Each message is authorized, numbered and stored exactly as ``message_create``
    would; sharing the transaction only shares its cost. Callers rate-limit first
    (chat.ratelimit), on the event loop.
    """
    outcomes: list[SendResult | ChatError | None] = [None] * len(sends)
    for index, send in enumerate(sends):
        try:
            check_body(send.body, with_files=bool(send.attachments))
        except ChatError as error:
            outcomes[index] = error
    stored = _stored_sends([send for index, send in enumerate(sends) if outcomes[index] is None])
    fresh: list[int] = []
    first_of: dict[tuple[int, str], int] = {}  # a client_id twice in one batch: the second is a resend
    repeats: list[tuple[int, int]] = []
    for index, send in enumerate(sends):
        if outcomes[index] is not None:
            continue
        key = (send.user.pk, send.client_id)
        if key in stored:
            outcomes[index] = _as_resend(send, stored[key])
        elif key in first_of:
            repeats.append((index, first_of[key]))
        else:
            first_of[key] = index
            fresh.append(index)
    try:
        created, refused, errors = _insert_batch(sends, fresh)
    except IntegrityError:
        # Another socket stored one of these client_ids at the same moment: the
        # batch rolled back whole; take the requests one at a time.
        created, refused, errors = {}, [], {}
        for index in fresh:
            outcomes[index] = _create_one(sends[index])
    for index, message in created.items():
        outcomes[index] = SendResult(message, created=True)
    for index, refusal in errors.items():
        outcomes[index] = refusal
    for index in refused:
        try:
            outcomes[index] = _refusal(sends[index])
        except _Resent as resent:
            outcomes[index] = resent.result
    for index, first in repeats:
        outcome = outcomes[first]
        outcomes[index] = (
            SendResult(outcome.message, created=False) if isinstance(outcome, SendResult) else outcome
        )
    return outcomes  # type: ignore[return-value]


def _claim_attachments(send: SendRequest, room_id: int) -> list[Attachment]:
    """Lock the uploads ``send`` names, in its order, if they are all the sender's, to this
    room and not sent yet, and within the limits of one message; else raise."""
    ids = send.attachments
    found = {
        attachment.pk: attachment
        for attachment in Attachment.objects.select_for_update(of=("self",)).filter(
            pk__in=ids, room_id=room_id, uploader_id=send.user.pk, message__isnull=True
        )
    }
    if len(found) != len(ids):
        raise NotFound(
            _("A file of this message is gone (sent already, or removed); remove it and try again.")
        )
    if len(ids) > settings.CHAT_UPLOAD_MAX_FILES:
        raise TooLarge(
            _("A message takes at most %(count)d files."), params={"count": settings.CHAT_UPLOAD_MAX_FILES}
        )
    if sum(attachment.size for attachment in found.values()) > settings.CHAT_UPLOAD_MAX_MESSAGE_SIZE:
        raise TooLarge(
            _("The files of one message may be at most %(size)s together."),
            params={"size": filesizeformat(settings.CHAT_UPLOAD_MAX_MESSAGE_SIZE)},
        )
    return [found[pk] for pk in ids]


def _thread_roots(
    sends: Sequence[SendRequest], replies: list[int], rooms: Mapping[str, tuple[int, int, bool]]
) -> dict[tuple[int, int], Message | ChatError]:
    """(room id, parent seq) -> the first message of the thread a reply to it joins, or
    why there is none, for each reply among ``sends``. Read with the rooms locked: every
    writer of a room's messages locks the room first (lock_message), so none of them
    can change (be deleted) before the batch commits."""
    asked: set[tuple[int, int]] = set()
    for index in replies:
        room, parent_seq = rooms.get(sends[index].room_slug), sends[index].parent_seq
        if room is not None and parent_seq is not None:
            asked.add((room[0], parent_seq))
    if not asked:
        return {}
    found = {
        (message.room_id, message.seq): message
        for message in Message.objects.filter(
            room_id__in={room_id for room_id, _seq in asked}, seq__in={seq for _room_id, seq in asked}
        ).select_related("thread")
    }
    roots: dict[tuple[int, int], Message | ChatError] = {}
    for key in asked:
        try:
            roots[key] = permissions.check_can_reply_to(found.get(key))
        except ChatError as error:
            roots[key] = error
    return roots


def _replies_store(created: Mapping[int, Message]) -> list[Message]:
    """Count the replies among ``created`` (just inserted) in their threads' summaries,
    each change with the room's next rev, and note who takes part in them; returns the
    first messages that changed. Call with the rooms locked."""
    replies = sorted((m for m in created.values() if m.thread is not None), key=lambda m: (m.room_id, m.seq))
    if not replies:
        return []
    roots: dict[int, Message] = {}
    for reply in replies:
        root = roots.setdefault(reply.thread_id, reply.thread)  # type: ignore[arg-type]
        reply.thread = root  # the same object for every reply to it, so counts add up
        threads.note_reply(root, reply, reply.author.username if reply.author else "")
    for root in roots.values():
        root.rev = take_rev(root.room_id)
        root.save(update_fields=threads.SUMMARY_FIELDS)
    threads.participants_store(roots.values(), replies)
    return list(roots.values())


def _insert_batch(
    sends: Sequence[SendRequest], fresh: list[int]
) -> tuple[dict[int, Message], list[int], dict[int, ChatError]]:
    if not fresh:
        return {}, [], {}
    names_in = {index: mentioned_names(sends[index].body) for index in fresh}
    names = set().union(*names_in.values())
    known = _existing_usernames(names)
    members = _members_named({sends[index].room_slug for index in fresh if names_in[index]}, names)
    # Rendered before the rooms are locked: a refused send's rendering is wasted, but
    # no other writer waits for any of it.
    written = {
        index: _write(sends[index].body, known, members.get(sends[index].room_slug, []), sends[index].user.pk)
        for index in fresh
    }
    created: dict[int, Message] = {}
    refused: list[int] = []
    errors: dict[int, ChatError] = {}
    claimed: dict[int, list[Attachment]] = {}
    with transaction.atomic():
        # The rooms are locked first, then their posters' memberships are read: a member
        # removed (or a room archived) by a transaction that committed before the lock
        # was taken is seen, and one that comes later waits for this batch to commit.
        rooms = lock_rooms({sends[index].room_slug for index in fresh})
        open_rooms = {slug: room for slug, room in rooms.items() if not room[2]}
        posters = _poster_memberships(
            [room_id for room_id, _seq, _archived in open_rooms.values()],
            {sends[index].user.pk for index in fresh},
        )
        last_seq = {slug: seq for slug, (_id, seq, _archived) in open_rooms.items()}
        replying = [index for index in fresh if sends[index].parent_seq is not None]
        roots = _thread_roots(sends, replying, open_rooms) if replying else {}
        read_upto: dict[int, int] = {}  # membership id -> the seq its member wrote last
        # Within a room, the sends keep their order of arrival.
        for index in sorted(fresh, key=lambda index: (sends[index].room_slug, index)):
            send = sends[index]
            room = open_rooms.get(send.room_slug)
            membership_id = posters.get((room[0], send.user.pk)) if room is not None else None
            if room is None or membership_id is None:
                refused.append(index)  # explained after the transaction (_refusal)
                continue
            root = roots.get((room[0], send.parent_seq)) if send.parent_seq is not None else None
            if isinstance(root, ChatError):
                errors[index] = root  # refused before it takes a seq (or files), so none is left out
                continue
            if send.attachments:
                # Its room is locked: no other send can claim these files meanwhile. A
                # refusal gives no seq, so none is left out.
                try:
                    claimed[index] = _claim_attachments(send, room[0])
                except ChatError as refusal:
                    errors[index] = refusal
                    continue
            last_seq[send.room_slug] = seq = last_seq[send.room_slug] + 1
            body = check_body(send.body, with_files=bool(send.attachments))
            created[index] = Message(
                room_id=room[0],
                seq=seq,
                author=send.user,
                body=body,
                html=written[index].html if body else "",
                client_id=send.client_id,
                attachments=[attachment.summary() for attachment in claimed.get(index, [])],
                thread=root,
                parent_seq=root.seq if root is not None else None,
                also_to_room=root is not None and send.also_to_room,
            )
            read_upto[membership_id] = seq
        if created:
            numbered = {
                open_rooms[slug][0]: seq for slug, seq in last_seq.items() if seq > open_rooms[slug][1]
            }
            _set_last_seqs(numbered)
            created = dict(sorted(created.items()))
            Message.objects.bulk_create(created.values())
            _mentions_store(created, written)
            _attachments_attach(created, claimed)
            # Writing in a room means having read it up to there (a marker never moves back).
            _advance_read_markers(read_upto)
        changed = _replies_store(created) if roots else []
        for index, message in created.items():
            _published(message, sends[index].room_slug, written[index].mentioned.values())
        if changed:
            _threads_published(changed, {room_id: slug for slug, (room_id, _seq, _a) in open_rooms.items()})
    return created, refused, errors


def _attachments_attach(messages: Mapping[int, Message], claimed: Mapping[int, list[Attachment]]) -> None:
    """Attach the claimed uploads to their newly inserted messages (keyed alike): one UPDATE."""
    rows = []
    for key, attachments in claimed.items():
        if key not in messages:
            continue
        for position, attachment in enumerate(attachments):
            attachment.message = messages[key]
            attachment.position = position
            rows.append(attachment)
    if rows:
        Attachment.objects.bulk_update(rows, ["message", "position"])


def _threads_published(roots: list[Message], slugs: Mapping[int, str]) -> None:
    """After the messages: each changed thread's summary to its room, then their unread
    counts to those taking part."""
    by_room: dict[int, dict[int, int]] = {}
    for root in roots:
        events.thread_updated(root.room_id, slugs[root.room_id], root)
        by_room.setdefault(root.room_id, {})[root.pk] = root.seq
    for room_id, changed in by_room.items():
        threads.unread_published(room_id, slugs[room_id], changed)


def _create_one(send: SendRequest) -> SendResult | ChatError:
    try:
        created, _refused, errors = _insert_batch([send], [0])
    except IntegrityError:
        stored = selectors.sent_message(send.user, send.client_id)
        if stored is None:
            raise
        return _as_resend(send, stored)
    if created:
        return SendResult(created[0], created=True)
    if errors:
        return errors[0]
    try:
        return _refusal(send)
    except _Resent as resent:
        return resent.result


def message_create(
    *,
    user: User,
    room_slug: str,
    body: str,
    client_id: str,
    attachments: Sequence[int] = (),
    parent_seq: int | None = None,
    also_to_room: bool = False,
) -> SendResult:
    """Post ``body`` as ``user``, with the uploads ``attachments`` names (their ids), as a
    reply to message ``parent_seq`` if given. A repeated ``client_id`` returns the stored
    message.

    Callers rate-limit first (chat.ratelimit), on the event loop.
    """
    request = SendRequest(
        user, room_slug, body, client_id, tuple(attachments), parent_seq=parent_seq, also_to_room=also_to_room
    )
    [outcome] = messages_create(sends=[request])
    if isinstance(outcome, ChatError):
        raise outcome
    return outcome


def message_edit(*, user: User, room_slug: str, seq: int, body: str) -> Message:
    room, membership = selectors.room_access(user, room_slug)
    message = permissions.check_can_edit_message(user, selectors.message_in_room(room, seq))
    permissions.check_can_post(room, membership)
    body = check_body(body, with_files=bool(message.attachments))
    names = mentioned_names(body)
    written = _write(
        body, _existing_usernames(names), _members_named([room.slug], names).get(room.slug, []), user.pk
    )
    with transaction.atomic():
        # The row may have changed since it was read (deleted from another tab, or
        # by a moderator): lock it and decide again, so a delete always wins.
        message = permissions.check_can_edit_message(user, lock_message(message.pk, room.pk))
        message.body = body
        message.html = written.html if body else ""
        message.edited_at = timezone.now()
        message.rev = take_rev(room.pk)
        message.save(update_fields=["body", "html", "edited_at", "rev"])
        _mentions_replace(message, written.mentioned)
        payload = protocol.message_payload(message, room.slug, written.mentioned.values())
        events.message_edited(room.pk, payload)
    return message


def message_delete(*, user: User, room_slug: str, seq: int) -> Message:
    """Turn a message into a tombstone: its seq stays, its text goes."""
    room = selectors.room_by_slug(room_slug)
    membership = selectors.membership_for(user, room) if room is not None else None
    room = permissions.check_can_reach_room(user, room, membership)
    message = permissions.check_can_delete_message(
        user, room, selectors.message_in_room(room, seq), membership
    )
    if message.is_deleted:
        return message
    with transaction.atomic():
        message = lock_message(message.pk, room.pk)
        if message.is_deleted:  # deleted meanwhile: one tombstone, one event
            return message
        message.body = ""
        message.html = ""
        message.event = None
        message.deleted_at = timezone.now()
        message.deleted_by = user
        message.reactions = []
        message.attachments = []
        message.rev = take_rev(room.pk)
        message.save(
            update_fields=[
                "body",
                "html",
                "event",
                "deleted_at",
                "deleted_by",
                "reactions",
                "attachments",
                "rev",
            ]
        )
        Reaction.objects.filter(message=message).delete()
        # Its files go with it: the rows now, the stored bytes once this commits (chat.signals).
        Attachment.objects.filter(message=message).delete()
        # A tombstone mentions no one: it leaves the mention counts and the mentions page.
        Mention.objects.filter(message=message).delete()
        events.message_deleted(room.pk, room.slug, seq)
        if message.thread_id is not None:
            _reply_deleted(room, message.thread_id)
    return message


def _reply_deleted(room: Room, thread_id: int) -> None:
    """A reply went: its thread's summary, its room and those taking part hear it."""
    root = Message.objects.select_for_update(of=("self",)).get(pk=thread_id)  # its room is locked already
    threads.recount(root)
    root.rev = take_rev(room.pk)
    root.save(update_fields=threads.SUMMARY_FIELDS)
    events.thread_updated(room.pk, room.slug, root)
    threads.unread_published(room.pk, room.slug, {root.pk: root.seq})


def lock_message(message_id: int, room_id: int | None = None) -> Message:
    """The message, read again with its row locked until the transaction ends, after its
    room's row (``room_id``, read here if not given): every writer of a room's messages
    locks the room first, as a batch of sends does before it changes the first message
    of a thread it replies in, so that two writers never wait for each other."""
    if room_id is None:
        room_id = Message.objects.filter(pk=message_id).values_list("room_id", flat=True).get()
    lock_room(room_id)
    # Only the message row: its author (nullable, an outer join) is read, not locked.
    return Message.objects.select_for_update(of=("self",)).select_related("author").get(pk=message_id)


def typing_notify(*, user: User, room_slug: str) -> int:
    """Tell the room's other members that ``user`` is typing; returns the room's id.

    Nothing is stored. Callers throttle first (chat.ratelimit), on the event loop.
    """
    room, membership = selectors.room_access(user, room_slug)
    permissions.check_can_post(room, membership)
    events.typing(room.pk, room.slug, user.pk, user.username)
    return room.pk
