"""Errors the chat reports to its clients, one class per protocol error code.

An error's message is translated when it is read, not when it is raised: a
send refused in a batch of many users' sends (chat.realtime.writer) is told to
each socket in that socket's language. So messages are lazy (gettext_lazy),
with their placeholders filled from ``params`` when read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ChatError(Exception):
    """A refused request. ``code`` is the protocol's error code; ``message`` says why,
    in the active language; ``extra`` goes into the error frame beside them;
    ``status`` is the HTTP status that answers it over HTTP (the API, webhooks, uploads)."""

    code = "bad_request"
    status = 400

    def __init__(
        self, message: str | Promise = "", *, params: Mapping[str, Any] | None = None, **extra: object
    ) -> None:
        self.template: str | Promise = message or self.default_message()
        self.params = dict(params or self.default_params())
        super().__init__(self.template)
        self.extra = extra

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:
        text = str(self.template)
        return text % self.params if self.params else text

    def default_message(self) -> str | Promise:
        return _("The request was not understood.")

    def default_params(self) -> Mapping[str, Any]:
        return {}


class BadRequest(ChatError):
    code = "bad_request"


class UnknownType(ChatError):
    code = "unknown_type"

    def default_message(self) -> str | Promise:
        return _("Unknown frame type.")


class NotFound(ChatError):
    code = "not_found"
    status = 404

    def default_message(self) -> str | Promise:
        return _("Not found.")


class Forbidden(ChatError):
    code = "forbidden"
    status = 403

    def default_message(self) -> str | Promise:
        return _("You may not do that here.")


class TooLong(ChatError):
    code = "too_long"

    def default_message(self) -> str | Promise:
        return _("A message must have between 1 and %(max)d characters.")

    def default_params(self) -> Mapping[str, Any]:
        return {"max": settings.CHAT_MAX_BODY}


class RateLimited(ChatError):
    code = "rate_limited"
    status = 429

    def __init__(self, retry_after: float) -> None:
        super().__init__(
            _("You are sending too fast; try again in %(seconds).1f s."),
            params={"seconds": retry_after},
            retry_after=round(retry_after, 3),
        )
        self.retry_after = retry_after

    @property
    def whole_seconds(self) -> int:
        """The wait in whole seconds, at least one: for pages and Retry-After headers."""
        return max(1, math.ceil(self.retry_after))


class Archived(ChatError):
    code = "archived"
    status = 409

    def default_message(self) -> str | Promise:
        return _("This room is archived and read-only.")


class Unavailable(ChatError):
    code = "unavailable"
    status = 503

    def default_message(self) -> str | Promise:
        return _("The chat is unavailable right now; nothing was stored. Try again shortly.")


class TooLarge(ChatError):
    """A file, or the files of one message, over the size or count the server allows."""

    code = "too_large"
    status = 413

    def default_message(self) -> str | Promise:
        return _("That is more than the chat accepts.")


class QuotaExceeded(ChatError):
    """The user uploaded as much as they may in 24 hours; ``retry_after``: seconds until
    enough of it is older than that."""

    code = "quota_exceeded"
    status = 429

    def __init__(
        self, message: str | Promise, retry_after: float, *, params: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message, params=params, retry_after=round(retry_after))
        self.retry_after = retry_after

    @property
    def whole_seconds(self) -> int:
        return max(1, math.ceil(self.retry_after))


def _codes(kind: type[ChatError]) -> dict[str, int]:
    found = {kind.code: kind.status}
    for sub in kind.__subclasses__():
        found.update(_codes(sub))
    return found


# Every error code and the HTTP status that answers it.
HTTP_STATUS: dict[str, int] = _codes(ChatError)
