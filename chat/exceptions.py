"""Errors the chat reports to its clients, one class per protocol error code."""

import math

from django.conf import settings
from django.utils.translation import gettext as _


class ChatError(Exception):
    """A refused request. ``code`` is the protocol's error code."""

    code = "bad_request"

    def __init__(self, message: str = "", **extra: object) -> None:
        super().__init__(message or self.default_message())
        self.message = message or self.default_message()
        self.extra = extra

    def default_message(self) -> str:
        return _("The request was not understood.")


class BadRequest(ChatError):
    code = "bad_request"


class UnknownType(ChatError):
    code = "unknown_type"

    def default_message(self) -> str:
        return _("Unknown frame type.")


class NotFound(ChatError):
    code = "not_found"

    def default_message(self) -> str:
        return _("Not found.")


class Forbidden(ChatError):
    code = "forbidden"

    def default_message(self) -> str:
        return _("You may not do that here.")


class TooLong(ChatError):
    code = "too_long"

    def default_message(self) -> str:
        return _("A message must have between 1 and %(max)d characters.") % {"max": settings.CHAT_MAX_BODY}


class RateLimited(ChatError):
    code = "rate_limited"

    def __init__(self, retry_after: float) -> None:
        super().__init__(
            _("You are sending too fast; try again in %(seconds).1f s.") % {"seconds": retry_after},
            retry_after=round(retry_after, 3),
        )
        self.retry_after = retry_after

    @property
    def whole_seconds(self) -> int:
        """The wait in whole seconds, at least one: for pages and Retry-After headers."""
        return max(1, math.ceil(self.retry_after))


class Archived(ChatError):
    code = "archived"

    def default_message(self) -> str:
        return _("This room is archived and read-only.")


class Unavailable(ChatError):
    code = "unavailable"

    def default_message(self) -> str:
        return _("The chat is unavailable right now; nothing was stored. Try again shortly.")
