"""Memberships: add, change the role of, and remove a member; read markers."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from chat import events, notes, permissions, protocol, selectors, signals
from chat.exceptions import Forbidden, NotFound
from chat.models import Membership, Room
from chat.services.messages import lock_rooms, system_note


def membership_add(*, actor: User, room: Room, user: User, role: str = Membership.Role.MEMBER) -> Membership:
    """Add ``user`` to ``room`` (a room admin or site staff does this)."""
    permissions.check_can_manage_members(actor, room, selectors.membership_for(actor, room))
    if not user.is_active:
        raise NotFound(_("No such user."))
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            room=room,
            user=user,
            defaults={
                "role": role,
                "last_read_seq": 0,
                "in_threads": selectors.takes_part_in_threads(user.pk, room.pk),
            },
        )
        if not created:
            return membership
        system_note(room, notes.ADDED, user)
        events.room_added(user.pk, room.pk, selectors.room_summary_for(user, room, membership))
        events.member_joined(room.pk, room.slug, protocol.member_payload(user, membership.role))
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
        lock_rooms([room.slug])  # the room before its membership, as every writer does
        user = membership.user
        setattr(membership, signals.ANNOUNCED, True)  # its events go out below
        membership.delete()
        events.room_removed(user.pk, room.pk, room.slug)
        system_note(room, notes.REMOVED, user)
        events.member_left(room.pk, room.slug, user.username)


def room_mute(*, user: User, room_slug: str, muted: bool) -> Membership:
    """Mute (or unmute) the room for ``user``, a member: their clients stop notifying
    them of it and keep its unread count quiet. Every tab hears it (``room_updated``)."""
    room, membership = selectors.room_access(user, room_slug)
    membership = permissions.check_is_member(room, membership)
    if membership.muted == muted:
        return membership
    with transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(muted=muted)
        membership.muted = muted
        events.room_updated(room.pk, {user.pk: selectors.room_summary_for(user, room, membership)})
    return membership


def read_mark(*, user: User, room_slug: str, seq: int, origin: str | None = None) -> int:
    """Move the user's read marker forward to ``seq`` (never back); returns the marker."""
    room, membership = selectors.room_access(user, room_slug)
    membership = permissions.check_is_member(room, membership)
    seq = min(seq, room.last_seq)
    with transaction.atomic():
        updated = Membership.objects.filter(pk=membership.pk, last_read_seq__lt=seq).update(last_read_seq=seq)
        if updated:
            events.read_marked(user.pk, room.slug, seq, skip=origin)
    return max(seq, membership.last_read_seq)
