"""Bots: users that are programs. A room admin (or site staff) makes one for a
room; it signs in with its API token only and is shown with a badge."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import tokens
from accounts.models import User
from chat import permissions, selectors
from chat.exceptions import BadRequest
from chat.models import Room
from chat.services.memberships import membership_add

BOT_NAME_MAX = 64


def _free_username(name: str) -> str:
    base = f"{slugify(name)[:40] or 'bot'}-bot"
    username, n = base, 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


def bot_create(*, actor: User, room: Room, name: str) -> tuple[User, str]:
    """Make a bot named ``name``, a member of ``room``, with a token for it: returns the
    bot and the token's text (shown once, to whoever made it)."""
    permissions.check_can_manage_members(actor, room, selectors.membership_for(actor, room))
    name = " ".join(name.split())
    if not name:
        raise BadRequest(_("A bot needs a name."))
    if len(name) > BOT_NAME_MAX:
        raise BadRequest(_("A bot's name has at most %(count)d characters."), params={"count": BOT_NAME_MAX})
    with transaction.atomic():
        bot = User(username=_free_username(name), display_name=name, is_bot=True)
        bot.set_unusable_password()  # it signs in with its token, never with the login form
        bot.save()
        membership_add(actor=actor, room=room, user=bot)
        _token, text = tokens.token_create(
            user=bot,
            name=gettext("Made by %(name)s in #%(room)s") % {"name": actor.username, "room": room.slug},
        )
    return bot, text
