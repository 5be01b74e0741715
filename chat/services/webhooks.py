"""Incoming webhooks: a room admin makes one (a bot and a secret URL); what is
POSTed to the URL is posted in the room as the bot's message, through the same
send path as everyone else's; revoking it ends the URL at once."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from chat import permissions, selectors
from chat.exceptions import Forbidden, NotFound
from chat.models import Room, Webhook
from chat.services.bots import bot_create
from chat.services.messages import SendResult, message_create

MAX_PER_ROOM = 20


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def webhook_create(*, actor: User, room: Room, name: str) -> tuple[Webhook, str]:
    """A webhook for ``room`` posting as a new bot named ``name``; returns it and its
    secret (part of its URL, shown once)."""
    permissions.check_can_manage_members(actor, room, selectors.membership_for(actor, room))
    if Webhook.objects.filter(room=room, revoked_at__isnull=True).count() >= MAX_PER_ROOM:
        raise Forbidden(
            _("#%(room)s has %(count)d webhooks already."), params={"room": room.slug, "count": MAX_PER_ROOM}
        )
    with transaction.atomic():
        bot, _token = bot_create(actor=actor, room=room, name=name)
        secret = secrets.token_urlsafe(32)
        webhook = Webhook.objects.create(
            room=room, bot=bot, name=bot.display_name, secret_hash=_hash(secret), created_by=actor
        )
    return webhook, secret


def webhook_revoke(*, actor: User, webhook: Webhook) -> None:
    permissions.check_can_manage_members(actor, webhook.room, selectors.membership_for(actor, webhook.room))
    if webhook.revoked_at is None:
        webhook.revoked_at = timezone.now()
        webhook.save(update_fields=["revoked_at"])


def webhook_for(webhook_id: int, secret: str) -> Webhook:
    """The live webhook that ``secret`` opens, or NotFound (for a wrong secret too)."""
    webhook = (
        Webhook.objects.filter(pk=webhook_id, revoked_at__isnull=True).select_related("room", "bot").first()
    )
    if webhook is None or not secrets.compare_digest(webhook.secret_hash, _hash(secret)):
        raise NotFound(_("No such webhook."))
    return webhook


def webhook_post(*, webhook: Webhook, text: str, key: str | None = None) -> SendResult:
    """Post ``text`` as the webhook's bot. ``key`` (an Idempotency-Key) makes a retry of
    the same delivery post once."""
    client_id = f"hook-{key}"[:64] if key else f"hook-{uuid.uuid4().hex}"
    return message_create(user=webhook.bot, room_slug=webhook.room.slug, body=text, client_id=client_id)
