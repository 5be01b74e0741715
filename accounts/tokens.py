"""Personal API tokens: made (and shown once), used to sign a socket in, revoked.

A token reads ``chat_<43 random characters>``. A socket signed in with one is
tied to it: revoking the token closes those sockets at once (4401), wherever
they are, and a resync checks again that the token still stands.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken, User
from chat import events
from chat.exceptions import Forbidden, NotFound

TOKEN_PREFIX = "chat_"
MAX_TOKENS = 20  # active tokens per user
CLOSE_UNAUTHENTICATED = 4401


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def socket_key(token_id: int) -> str:
    """What a socket signed in with token ``token_id`` has in place of a session key."""
    return f"token:{token_id}"


def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``, and its text: the only time the text is known."""
    name = name.strip()[:100] or gettext("Unnamed token")
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_TOKENS:
        raise Forbidden(
            _("You have %(count)d tokens already: revoke one first."), params={"count": MAX_TOKENS}
        )
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=text[: len(TOKEN_PREFIX) + 6], key_hash=_hash(text)
    )
    return token, text


def token_revoke(token: ApiToken) -> None:
    """Revoke ``token``; the sockets signed in with it close at once."""
    if token.revoked_at is not None:
        return
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        events.sockets_closed(token.user_id, CLOSE_UNAUTHENTICATED, session_key=socket_key(token.pk))


def token_revoke_own(*, user: User, token_id: int) -> None:
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFound(_("No such token."))
    token_revoke(token)


def user_for_token(text: str) -> tuple[User, int] | None:
    """The active user a token signs in, and the token's id; None for anything else."""
    if not text.startswith(TOKEN_PREFIX) or len(text) > 200:
        return None
    token = (
        ApiToken.objects.filter(key_hash=_hash(text), revoked_at__isnull=True, user__is_active=True)
        .select_related("user")
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user, token.pk


def live_token_keys(keys: list[str]) -> set[str]:
    """Which of some sockets' token keys (``token:<id>``) still stand."""
    ids = [int(key.removeprefix("token:")) for key in keys if key.startswith("token:") and key[6:].isdigit()]
    if not ids:
        return set()
    active = ApiToken.objects.filter(pk__in=ids, revoked_at__isnull=True, user__is_active=True)
    return {socket_key(pk) for pk in active.values_list("pk", flat=True)}
