"""What the client raises."""

from __future__ import annotations


class ChatClientError(Exception):
    """The base of every error this package raises."""


class AuthenticationError(ChatClientError):
    """The login was refused, or the server ended the session (close code 4401).

    The client does not reconnect after this: the credentials must change first.
    ``retry_after`` is set when the login page refused because of too many failed
    attempts (HTTP 429)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConnectionReplaced(ChatClientError):
    """The server closed this socket with 4409: the user has too many sockets open.

    The protocol asks clients not to reconnect on their own after this, so the
    client stops."""


class ConnectionFailed(ChatClientError):
    """The server could not be reached within the time given."""


class RequestError(ChatClientError):
    """The server answered a request with an ``error`` frame.

    ``code`` is the protocol's error code (``not_found``, ``forbidden``, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class SendTimeout(ChatClientError, TimeoutError):
    """A message was not acknowledged in time.

    It may still be stored if a copy sent earlier reaches the server; sending it
    again with ``send`` would then make a second message."""


class ClientClosed(ChatClientError):
    """The client was closed while a request was waiting."""
