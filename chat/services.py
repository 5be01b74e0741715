"""Every write the chat makes, and the events each one publishes after commit.

Consumers, views, the admin and management commands call these functions and
nothing else to change state, so each rule is enforced in one place. They are
synchronous; async callers wrap them in ``database_sync_to_async``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from chat import events, permissions, protocol, selectors
from chat.exceptions import BadRequest, Forbidden, NotFound, TooLong
from chat.models import Membership, Message, Room
from chat.realtime import metrics
from chat.rendering import mentioned_names, render_body


@dataclass(frozen=True, slots=True)
class SendResult:
    message: Message
    created: bool


# Messages --------------------------------------------------------------------


def _check_body(body: str) -> str:
    if not body.strip() or len(body) > settings.CHAT_MAX_BODY:
        raise TooLong(
            _("A message must have between 1 and %(max)d characters.") % {"max": settings.CHAT_MAX_BODY}
        )
    return body


def _render(body: str) -> str:
    names = mentioned_names(body)
    existing = User.objects.filter(username__in=names).values_list("username", flat=True) if names else ()
    return render_body(body, existing)


def _next_seq(room_id: int) -> int:
    """Take the room's next seq; the row stays locked until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute(
            # The table name is the model's own, not input.
            f"UPDATE {Room._meta.db_table} SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq",  # noqa: S608
            [room_id],
        )
        return cursor.fetchone()[0]


def _next_seq_as_poster(user: User, room_slug: str) -> tuple[int, int] | None:
    """Take the next seq of ``room_slug`` if ``user`` may post there: (room id, seq), or None.

    One statement checks membership and the archive state and takes the seq, so
    the common case of a send costs no separate reads; a refusal is explained
    afterwards by the ordinary checks.
    """
    room_table, membership_table = Room._meta.db_table, Membership._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            # The table names are the models' own, not input.
            f"UPDATE {room_table} SET last_seq = last_seq + 1"  # noqa: S608
            f" WHERE slug = %s AND is_archived = %s AND EXISTS (SELECT 1 FROM {membership_table} m"
            f" WHERE m.room_id = {room_table}.id AND m.user_id = %s) RETURNING id, last_seq",
            [room_slug, False, user.pk],
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row is not None else None


def _store(room: Room, seq: int, *, author: User | None, body: str, client_id: str | None) -> Message:
    """Store a message under a seq already taken. Call inside that transaction."""
    message = Message.objects.create(
        room=room, seq=seq, author=author, body=body, html=_render(body), client_id=client_id
    )
    if author is not None:
        # Writing in a room means having read it up to there.
        Membership.objects.filter(room_id=room.pk, user=author, last_read_seq__lt=seq).update(
            last_read_seq=seq
        )
    events.message_created(room.pk, protocol.message_payload(message, room.slug))
    metrics.MESSAGES_STORED.inc()
    return message


def _insert_message(room: Room, *, author: User | None, body: str, client_id: str | None) -> Message:
    """Store a message with the room's next seq. Call inside a transaction."""
    seq = _next_seq(room.pk)
    room.last_seq = seq
    return _store(room, seq, author=author, body=body, client_id=client_id)


def _stored_again(user: User, room_slug: str, client_id: str) -> SendResult | None:
    existing = selectors.sent_message(user, client_id)
    if existing is None:
        return None
    if existing.room.slug != room_slug:
        raise Forbidden(_("This client_id was already used for another room."))
    return SendResult(existing, created=False)


def message_create(*, user: User, room_slug: str, body: str, client_id: str) -> SendResult:
    """Post ``body`` as ``user``. A repeated ``client_id`` returns the stored message.

    Callers rate-limit first (chat.ratelimit), on the event loop.
    """
    _check_body(body)
    try:
        with transaction.atomic():
            taken = _next_seq_as_poster(user, room_slug)
            if taken is not None:
                room_id, seq = taken
                room = Room(pk=room_id, slug=room_slug, last_seq=seq)
                return SendResult(
                    _store(room, seq, author=user, body=body, client_id=client_id), created=True
                )
    except IntegrityError:
        # This client_id is stored already (a resend, perhaps racing in from another
        # socket); the seq taken was rolled back with the transaction.
        again = _stored_again(user, room_slug, client_id)
        if again is None:
            raise
        return again
    # Refused: a resend of a message stored before is still acknowledged; otherwise
    # the ordinary checks say why.
    again = _stored_again(user, room_slug, client_id)
    if again is not None:
        return again
    room, membership = selectors.room_access(user, room_slug)
    permissions.check_can_post(room, membership)
    raise Forbidden(_("You may not post in #%(room)s right now.") % {"room": room_slug})


def message_edit(*, user: User, room_slug: str, seq: int, body: str) -> Message:
    room, membership = selectors.room_access(user, room_slug)
    message = selectors.message_in_room(room, seq)
    permissions.check_can_edit_message(user, message)
    permissions.check_can_post(room, membership)
    _check_body(body)
    with transaction.atomic():
        message.body = body
        message.html = _render(body)
        message.edited_at = timezone.now()
        message.save(update_fields=["body", "html", "edited_at"])
        events.message_edited(room.pk, protocol.message_payload(message, room.slug))
    return message


def message_delete(*, user: User, room_slug: str, seq: int) -> Message:
    """Turn a message into a tombstone: its seq stays, its text goes."""
    room = selectors.room_by_slug(room_slug)
    membership = selectors.membership_for(user, room) if room is not None else None
    permissions.check_can_reach_room(user, room, membership)
    message = selectors.message_in_room(room, seq)
    permissions.check_can_delete_message(user, message, membership)
    if not permissions.is_moderator(user):
        permissions.check_not_archived(room)
    if message.is_deleted:
        return message
    with transaction.atomic():
        message.body = ""
        message.html = ""
        message.deleted_at = timezone.now()
        message.deleted_by = user
        message.save(update_fields=["body", "html", "deleted_at", "deleted_by"])
        events.message_deleted(room.pk, room.slug, seq)
    return message


def read_mark(*, user: User, room_slug: str, seq: int, origin: str | None = None) -> int:
    """Move the user's read marker forward to ``seq`` (never back); returns the marker."""
    room, membership = selectors.room_access(user, room_slug)
    if membership is None:
        raise Forbidden(_("You are not a member of #%(room)s.") % {"room": room.slug})
    seq = min(seq, room.last_seq)
    with transaction.atomic():
        updated = Membership.objects.filter(pk=membership.pk, last_read_seq__lt=seq).update(last_read_seq=seq)
        if updated:
            events.read_marked(user.pk, room.slug, seq, skip=origin)
    return max(seq, membership.last_read_seq)


# Rooms -----------------------------------------------------------------------


def _unique_slug(base: str) -> str:
    base = (slugify(base) or "room")[:56]
    slug, n = base, 2
    while Room.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def room_create(
    *, creator: User, name: str, slug: str = "", topic: str = "", is_private: bool = False
) -> Room:
    """Create a room; its creator becomes its first member and room admin."""
    name = name.strip()
    if not name:
        raise BadRequest(_("A room needs a name."))
    slug = slugify(slug) if slug else _unique_slug(name)
    if not slug:
        raise Forbidden(_("A room's address may use letters, digits and hyphens."))
    with transaction.atomic():
        if Room.objects.filter(slug=slug).exists():
            raise Forbidden(_("The address #%(slug)s is taken.") % {"slug": slug})
        room = Room.objects.create(
            slug=slug, name=name, topic=topic.strip(), is_private=is_private, created_by=creator
        )
        Membership.objects.create(room=room, user=creator, role=Membership.Role.ADMIN)
    return room


def _members_changed(room: Room) -> None:
    """After commit, send every member their own summary of ``room``."""
    memberships = list(room.memberships.select_related("user"))
    summaries = {}
    for membership in memberships:
        name = None
        if room.is_direct:
            others = [m.user.shown_name for m in memberships if m.user_id != membership.user_id]
            name = others[0] if others else None
        summaries[membership.user_id] = protocol.room_summary(room, membership, name)
    events.room_updated(room.pk, summaries)


def room_update(
    *,
    actor: User,
    room: Room,
    name: str | None = None,
    topic: str | None = None,
    is_private: bool | None = None,
    is_archived: bool | None = None,
) -> Room:
    """Rename, re-topic, make private or public, archive or unarchive a room."""
    permissions.check_can_manage_room(actor, room, selectors.membership_for(actor, room))
    changes = {"name": name, "topic": topic, "is_private": is_private, "is_archived": is_archived}
    fields = [
        field for field, value in changes.items() if value is not None and getattr(room, field) != value
    ]
    if "name" in fields and not name.strip():
        raise BadRequest(_("A room needs a name."))
    if not fields:
        return room
    if room.is_direct and "is_private" in fields:
        raise Forbidden(_("A direct conversation is always private."))
    with transaction.atomic():
        for field in fields:
            setattr(room, field, changes[field])
        room.save(update_fields=fields)
        # Re-read last_seq so the summaries carry the committed value.
        room.refresh_from_db(fields=["last_seq"])
        _members_changed(room)
    return room


def room_archive(*, actor: User, room: Room) -> Room:
    return room_update(actor=actor, room=room, is_archived=True)


def room_unarchive(*, actor: User, room: Room) -> Room:
    return room_update(actor=actor, room=room, is_archived=False)


def room_delete(*, actor: User, room: Room) -> None:
    """Delete a room and all its messages; its members' sockets get ``removed``."""
    permissions.check_can_manage_room(actor, room, selectors.membership_for(actor, room))
    with transaction.atomic():
        member_ids = list(room.memberships.values_list("user_id", flat=True))
        room_id, slug = room.pk, room.slug
        room.delete()
        for user_id in member_ids:
            events.room_removed(user_id, room_id, slug)


def room_join(*, user: User, room_slug: str, origin: str | None = None) -> Membership:
    """Join a public room. Joining twice is harmless."""
    room, membership = selectors.room_access(user, room_slug)
    if membership is not None:
        return membership
    permissions.check_can_join(room, membership)
    try:
        with transaction.atomic():
            _system_note(room, _("%(name)s joined.") % {"name": user.shown_name})
            # The join note is the newest message; a new member has read up to it.
            membership = Membership.objects.create(room=room, user=user, last_read_seq=room.last_seq)
            events.room_added(
                user.pk, room.pk, selectors.room_summary_for(user, room, membership), skip=origin
            )
    except IntegrityError:
        # Joined from another tab at the same moment; that join stands.
        return Membership.objects.get(room=room, user=user)
    return membership


def _system_note(room: Room, body: str) -> None:
    _insert_message(room, author=None, body=body, client_id=None)


def room_leave(*, user: User, room_slug: str, origin: str | None = None) -> None:
    room, membership = selectors.room_access(user, room_slug)
    permissions.check_can_leave(room, membership)
    with transaction.atomic():
        membership.delete()
        # Unsubscribe their sockets before the note goes out, so they don't get it.
        events.room_removed(user.pk, room.pk, room.slug, skip=origin)
        _system_note(room, _("%(name)s left.") % {"name": user.shown_name})


def direct_room_open(*, user: User, other: User) -> Room:
    """The direct conversation between two users, created on first use."""
    if other.pk == user.pk:
        raise Forbidden(_("A direct conversation needs another person."))
    low, high = sorted([user.pk, other.pk])
    key = f"{low}:{high}"
    room = Room.objects.filter(direct_key=key).first()
    if room is not None:
        return room
    try:
        with transaction.atomic():
            room = Room.objects.create(
                slug=f"dm-{low}-{high}",
                name=f"{user.username}, {other.username}",
                is_private=True,
                is_direct=True,
                direct_key=key,
                created_by=user,
            )
            Membership.objects.bulk_create(
                [Membership(room=room, user=user), Membership(room=room, user=other)]
            )
            for member, partner in ((user, other), (other, user)):
                membership = Membership(room=room, user=member)
                summary = protocol.room_summary(room, membership, partner.shown_name)
                events.room_added(member.pk, room.pk, summary)
    except IntegrityError:
        # Both opened it at the same moment; the other transaction won.
        return Room.objects.get(direct_key=key)
    return room


# Memberships -----------------------------------------------------------------


def membership_add(*, actor: User, room: Room, user: User, role: str = Membership.Role.MEMBER) -> Membership:
    """Add ``user`` to ``room`` (a room admin or site staff does this)."""
    permissions.check_can_manage_members(actor, room, selectors.membership_for(actor, room))
    if not user.is_active:
        raise NotFound(_("No such user."))
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            room=room, user=user, defaults={"role": role, "last_read_seq": 0}
        )
        if not created:
            return membership
        _system_note(room, _("%(name)s was added.") % {"name": user.shown_name})
        events.room_added(user.pk, room.pk, selectors.room_summary_for(user, room, membership))
    return membership


def membership_set_role(*, actor: User, membership: Membership, role: str) -> Membership:
    room = membership.room
    permissions.check_can_manage_members(actor, room, selectors.membership_for(actor, room))
    if role not in Membership.Role.values:
        raise Forbidden(_("Unknown role."))
    if membership.role == role:
        return membership
    with transaction.atomic():
        membership.role = role
        membership.save(update_fields=["role"])
        room.refresh_from_db(fields=["last_seq"])
        events.room_updated(
            room.pk, {membership.user_id: selectors.room_summary_for(membership.user, room, membership)}
        )
    return membership


def membership_remove(*, actor: User, membership: Membership) -> None:
    """Take ``membership.user`` out of the room; their sockets stop at once."""
    room = membership.room
    permissions.check_can_manage_members(actor, room, selectors.membership_for(actor, room))
    with transaction.atomic():
        user = membership.user
        membership.delete()
        events.room_removed(user.pk, room.pk, room.slug)
        _system_note(room, _("%(name)s was removed.") % {"name": user.shown_name})
