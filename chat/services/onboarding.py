"""A new user's first steps: the site's default rooms."""

from __future__ import annotations

import logging

from django.conf import settings

from accounts.models import User
from chat.exceptions import ChatError
from chat.models import Membership
from chat.services.rooms import room_join

logger = logging.getLogger(__name__)


def default_room_slugs() -> list[str]:
    """The addresses of settings.CHAT_DEFAULT_ROOMS, once each, in order ("#general" is "general")."""
    slugs = (slug.strip().lstrip("#").lower() for slug in settings.CHAT_DEFAULT_ROOMS)
    return list(dict.fromkeys(slug for slug in slugs if slug))


def user_onboard(*, user: User) -> list[Membership]:
    """Join a new user to the rooms of settings.CHAT_DEFAULT_ROOMS; their memberships.

    Each is an ordinary ``room_join``, with its "joined" note and events. A default
    room that is missing, private or archived is skipped (and logged): a stale
    setting must not stand in the way of signing up, nor show anyone a private room.
    """
    memberships = []
    for slug in default_room_slugs():
        try:
            memberships.append(room_join(user=user, room_slug=slug))
        except ChatError as error:
            logger.info("Default room #%s skipped for a new user: %s", slug, error.code)
    return memberships
