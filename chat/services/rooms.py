"""Rooms: create, update, archive, delete, join, leave, and direct conversations."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models.functions import Trim
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from chat import events, notes, permissions, protocol, selectors, signals
from chat.exceptions import BadRequest, Forbidden
from chat.models import Membership, Room
from chat.services.messages import lock_rooms, system_note

# Direct conversations live at dm-<lower user id>-<higher user id>; no other room may
# take an address of that shape, or it would stand in the way of one.
DIRECT_SLUG_PREFIX = "dm-"


class RoomNameTaken(Forbidden):
    """Another room already has the name (compared case-insensitively, trimmed).

    Its message is the same whoever holds the name, so it says nothing of that room."""

    def default_message(self) -> str | Promise:
        return _("This name is already in use; choose another.")


def room_name_check(*, name: str, room: Room | None = None) -> str:
    """``name`` trimmed, or RoomNameTaken if a room other than ``room`` has it already.

    Names are unique among all rooms but direct conversations, compared without
    case and surrounding whitespace, so two rooms never look alike in a sidebar or
    the admin. The rule is global, private rooms included, rather than limited to
    the rooms the actor can see: a per-actor rule would still let a private room's
    members and the moderators see two rooms alike, and whether two names clash
    would change as memberships do. So that the refusal reveals nothing of a
    private room, its message is the same whichever room holds the name (no
    address, no privacy, no members): it says only that the name is in use, as a
    taken address already does. A direct conversation's name (its members'
    usernames) is not checked, and a room keeps the name it has.

    Forms call this to show the refusal beside the name field; room_create and
    room_update call it on every path. It is not a database constraint: older
    rooms, or two created at the same instant, may share a name; the admin lists
    each room's address beside its name to tell them apart.
    """
    name = name.strip()
    if room is not None and (room.is_direct or name == room.name):
        return name  # a room keeps the name it has, even where older data repeats it
    others = Room.objects.filter(is_direct=False).annotate(trimmed_name=Trim("name"))
    if room is not None:
        others = others.exclude(pk=room.pk)
    if name and others.filter(trimmed_name__iexact=name).exists():
        raise RoomNameTaken
    return name


def slug_is_reserved(slug: str) -> bool:
    """Whether ``slug`` is kept for direct conversations (a room may not take it)."""
    return slug.startswith(DIRECT_SLUG_PREFIX)


# Han characters (the CJK Unified Ideographs and their extensions and compatibility forms).
_HAN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def slug_from_name(name: str) -> str:
    """The address a room called ``name`` would take, before numbering: ASCII letters,
    digits and hyphens, with Chinese characters written in pinyin ("产品讨论" is
    ``chan-pin-tao-lun``), or "" when nothing of it can be written so.

    Pinyin keeps every address ASCII, as the URL patterns, the protocol and every
    client already take them, and readable. pypinyin reads whole words, so that a
    character with several readings gets the one of its word (重庆 is chong-qing);
    its dictionaries are loaded on the first such name only (they take some 50 MB).
    """
    if _HAN_RE.search(name):
        from pypinyin import lazy_pinyin

        name = " ".join(lazy_pinyin(name))
    return slugify(name)


def _unique_slug(name: str) -> str:
    """A free address made from ``name``, never a reserved one."""
    base = (slug_from_name(name) or "room")[:56].strip("-")
    # "dm" itself is free, but its numbered variants (dm-2) are not: move both aside.
    if slug_is_reserved(f"{base}-"):
        base = f"room-{base}"[:56].strip("-")
    return _free_slug(base)


def _free_slug(base: str) -> str:
    """``base``, or its first numbered variant (base-2, base-3, ...) no room holds."""
    slug, n = base, 2
    while Room.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def room_create(
    *, creator: User, name: str, slug: str = "", topic: str = "", is_private: bool = False
) -> Room:
    """Create a room; its creator becomes its first member and room admin.

    Its name must be free (see room_name_check: RoomNameTaken otherwise). Without
    a ``slug`` the address is made from the name, and a name such as "DM planning"
    gets ``room-dm-planning``; an address given explicitly that starts with "dm-"
    is refused, as it is kept for direct conversations.
    """
    name = name.strip()
    if not name:
        raise BadRequest(_("A room needs a name."))
    slug = slugify(slug) if slug else _unique_slug(name)
    if not slug:
        raise Forbidden(_("A room's address may use letters, digits and hyphens."))
    if slug_is_reserved(slug):
        raise Forbidden(
            _("Addresses starting with “%(prefix)s” are kept for direct messages."),
            params={"prefix": DIRECT_SLUG_PREFIX},
        )
    with transaction.atomic():
        room_name_check(name=name)
        if Room.objects.filter(slug=slug).exists():
            raise Forbidden(_("The address #%(slug)s is taken."), params={"slug": slug})
        room = Room.objects.create(
            slug=slug, name=name, topic=topic.strip(), is_private=is_private, created_by=creator
        )
        Membership.objects.create(room=room, user=creator, role=Membership.Role.ADMIN)
    return room


def _members_changed(room: Room) -> None:
    """After commit, send every member their own summary of ``room``."""
    memberships = list(room.memberships.select_related("user"))
    for membership in memberships:
        membership.room = room
    mentions = selectors.unread_mention_counts(memberships)
    summaries = {}
    for membership in memberships:
        name = None
        if room.is_direct:
            others = [m.user.shown_name for m in memberships if m.user_id != membership.user_id]
            name = others[0] if others else None
        count = mentions.get((membership.user_id, room.pk), 0)
        summaries[membership.user_id] = protocol.room_summary(room, membership, name, count)
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
    """Rename, re-topic, make private or public, archive or unarchive a room.

    A new name is trimmed and must be free (see room_name_check: RoomNameTaken
    otherwise); changing only its case is allowed."""
    permissions.check_can_manage_room(actor, room, selectors.membership_for(actor, room))
    if name is not None:
        name = name.strip()
    changes = {"name": name, "topic": topic, "is_private": is_private, "is_archived": is_archived}
    fields = [
        field for field, value in changes.items() if value is not None and getattr(room, field) != value
    ]
    if "name" in fields and not name:
        raise BadRequest(_("A room needs a name."))
    if not fields:
        return room
    if room.is_direct and "is_private" in fields:
        raise Forbidden(_("A direct conversation is always private."))
    with transaction.atomic():
        if "name" in fields:
            room_name_check(name=name or "", room=room)
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
        setattr(room, signals.ANNOUNCED, True)  # its events go out below
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
            system_note(room, notes.JOINED, user)
            # The join note is the newest message; a new member has read up to it.
            membership = Membership.objects.create(
                room=room,
                user=user,
                last_read_seq=room.last_seq,
                # Back in a room whose threads they took part in: those count again.
                in_threads=selectors.takes_part_in_threads(user.pk, room.pk),
            )
            events.room_added(
                user.pk, room.pk, selectors.room_summary_for(user, room, membership), skip=origin
            )
            events.member_joined(room.pk, room.slug, protocol.member_payload(user, membership.role))
    except IntegrityError:
        # Joined from another tab at the same moment; that join stands.
        return Membership.objects.get(room=room, user=user)
    return membership


def room_leave(*, user: User, room_slug: str, origin: str | None = None) -> None:
    room, membership = selectors.room_access(user, room_slug)
    membership = permissions.check_can_leave(room, membership)
    with transaction.atomic():
        lock_rooms([room.slug])  # the room before its membership, as every writer does
        setattr(membership, signals.ANNOUNCED, True)  # its events go out below
        membership.delete()
        # Unsubscribe their sockets before the note goes out, so they don't get it.
        events.room_removed(user.pk, room.pk, room.slug, skip=origin)
        system_note(room, notes.LEFT, user)
        events.member_left(room.pk, room.slug, user.username)


def _direct_key(user: User, other: User) -> str:
    """The key of the one direct conversation of a pair; refuses a pair of one."""
    if other.pk == user.pk:
        raise Forbidden(_("A direct conversation needs another person."))
    low, high = sorted([user.pk, other.pk])
    return f"{low}:{high}"


def direct_room_find(*, user: User, other: User) -> Room | None:
    """The direct conversation between two users if it exists; nothing is created."""
    return Room.objects.filter(direct_key=_direct_key(user, other)).first()


def direct_room_open(*, user: User, other: User) -> Room:
    """The direct conversation between two users, created on first use (both are told)."""
    key = _direct_key(user, other)
    room = Room.objects.filter(direct_key=key).first()
    if room is not None:
        return room
    low, high = sorted([user.pk, other.pk])
    try:
        with transaction.atomic():
            room = Room.objects.create(
                # dm-<low>-<high>, numbered while a room from older data holds it.
                slug=_free_slug(f"{DIRECT_SLUG_PREFIX}{low}-{high}"),
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
