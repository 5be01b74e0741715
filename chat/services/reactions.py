"""Reactions: a member puts an emoji on a message, or takes it off again.

A message's reactions are its Reaction rows; the summary every payload carries
(``Message.reactions``) is rewritten from them in the same transaction, under
the message's row lock, so concurrent reactions cannot leave it stale. Each
change takes the room's next rev, so a client that was away learns of it by
asking for the changes after the rev it knew.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from chat import events, permissions, selectors
from chat.exceptions import BadRequest, NotFound
from chat.models import Message, Reaction, Room
from chat.services.messages import lock_message, take_rev

EMOJI_MAX_CHARS = 16  # code points: the longest family and flag sequences fit
MAX_KINDS = 50  # different emoji on one message
_KEYCAP = "\u20e3"
_ZWJ = "\u200d"


def check_emoji(emoji: str) -> str:
    """``emoji`` if it is one emoji (with its modifiers and joiners), else BadRequest.

    What is stored and shown to everyone in the room is a picture, never text: at
    least one pictograph, and nothing but pictographs, skin tones, variation
    selectors, joiners and tags (a keycap may start with its digit)."""
    if not 1 <= len(emoji) <= EMOJI_MAX_CHARS:
        raise BadRequest(_("A reaction is one emoji."))
    pictographs = 0
    for char in emoji:
        category = unicodedata.category(char)
        if category == "So":
            pictographs += 1
        elif category in ("Sk", "Mn", "Me") or char == _ZWJ or "\U000e0020" <= char <= "\U000e007f":
            continue
        elif char in "0123456789#*" and emoji.endswith(_KEYCAP):
            pictographs += 1
        else:
            raise BadRequest(_("A reaction is one emoji."))
    if not pictographs:
        raise BadRequest(_("A reaction is one emoji."))
    return emoji


def reaction_summary(message: Message) -> list[dict[str, Any]]:
    """The message's reactions as the protocol shows them: each emoji once, in the order
    it first appeared, with how many and who (in the order they reacted)."""
    found: dict[str, list[str]] = {}
    rows = (
        Reaction.objects.filter(message=message)
        .order_by("created_at", "pk")
        .values_list("emoji", "user__username")
    )
    for emoji, username in rows:
        found.setdefault(emoji, []).append(username)
    return [{"emoji": emoji, "count": len(users), "users": users} for emoji, users in found.items()]


def _react(user: User, room_slug: str, seq: int, emoji: str, *, add: bool) -> list[dict[str, Any]]:
    emoji = check_emoji(emoji)
    room, membership = selectors.room_access(user, room_slug)
    permissions.check_can_react(room, membership)
    message = selectors.message_in_room(room, seq)
    if message is None or message.is_deleted:
        raise NotFound(_("No such message."))
    with transaction.atomic():
        message = lock_message(message.pk, room.pk)
        if message.is_deleted:  # deleted meanwhile
            raise NotFound(_("No such message."))
        mine = Reaction.objects.filter(message=message, user=user, emoji=emoji)
        if add:
            if mine.exists():
                return message.reactions
            kinds = {reaction["emoji"] for reaction in message.reactions}
            if emoji not in kinds and len(kinds) >= MAX_KINDS:
                raise BadRequest(
                    _("A message takes at most %(count)d different reactions."), params={"count": MAX_KINDS}
                )
            Reaction.objects.create(message=message, user=user, emoji=emoji)
        elif not mine.delete()[0]:
            return message.reactions
        message.reactions = reaction_summary(message)
        message.rev = take_rev(room.pk)
        message.save(update_fields=["reactions", "rev"])
        events.reactions_changed(room.pk, room.slug, message.seq, message.reactions)
    return message.reactions


def reaction_add(*, user: User, room_slug: str, seq: int, emoji: str) -> list[dict[str, Any]]:
    """Put ``emoji`` on the message (once: again is a no-op); returns its reactions."""
    return _react(user, room_slug, seq, emoji, add=True)


def reaction_remove(*, user: User, room_slug: str, seq: int, emoji: str) -> list[dict[str, Any]]:
    """Take the user's ``emoji`` off the message (a no-op if it was not there)."""
    return _react(user, room_slug, seq, emoji, add=False)


def reactions_refresh(message_id: int) -> None:
    """Rewrite a message's summary from its Reaction rows after some went without a
    service (their user was deleted), and tell the room."""
    with transaction.atomic():
        room = Room.objects.filter(messages=message_id).first()
        if room is None:
            return
        message = lock_message(message_id, room.pk)
        if message.is_deleted:
            return
        summary = reaction_summary(message)
        if summary == message.reactions:
            return
        message.reactions = summary
        message.rev = take_rev(message.room_id)
        message.save(update_fields=["reactions", "rev"])
        events.reactions_changed(room.pk, room.slug, message.seq, summary)
