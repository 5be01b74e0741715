"""Where the server is, and how to prove who we are to it (docs/protocol.md, "Authentication").

A username and password are exchanged for a Django session the way a browser
does it, through the login form; an API token is sent as it is. Neither is
ever logged or printed.
"""

from __future__ import annotations

import abc
import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from chat.client.errors import AuthenticationError, ConnectionFailed

LOGIN_PATH = "/accounts/login/"
SOCKET_PATH = "/ws/chat/"


@dataclass(frozen=True)
class Endpoints:
    """The server's web address (``http://host:port``), its socket, and the Origin to send."""

    base: str
    socket: str

    @classmethod
    def from_url(cls, url: str) -> Endpoints:
        """Accepts the site's address (``https://chat.example.org``) or the socket's
        (``wss://chat.example.org/ws/chat/``)."""
        parts = urllib.parse.urlsplit(url)
        schemes = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
        if parts.scheme not in schemes or not parts.netloc:
            raise ValueError(f"not an http(s) or ws(s) address: {url!r}")
        socket_scheme = schemes[parts.scheme]
        web_scheme = "https" if socket_scheme == "wss" else "http"
        base = f"{web_scheme}://{parts.netloc}"
        return cls(base=base, socket=f"{socket_scheme}://{parts.netloc}{SOCKET_PATH}")

    @property
    def origin(self) -> str:
        return self.base


class Credentials(abc.ABC):
    """Headers that identify the user on the socket's handshake."""

    @abc.abstractmethod
    def headers(self, endpoints: Endpoints) -> dict[str, str]:
        """The handshake's headers; may block (to log in)."""

    def refresh(self, endpoints: Endpoints) -> bool:
        """Get fresh credentials after the server ended the session; False when that is
        not possible (a token cannot renew itself)."""
        return False

    @abc.abstractmethod
    def upload_request(self, endpoints: Endpoints, room: str) -> tuple[str, dict[str, str]]:
        """Where a file for ``room`` is posted (its address, without the query) and the
        headers that say who posts it; may block (to log in)."""


class TokenCredentials(Credentials):
    """A personal API token, sent as ``Authorization: Bearer``."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "TokenCredentials(token=***)"

    def headers(self, endpoints: Endpoints) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def upload_request(self, endpoints: Endpoints, room: str) -> tuple[str, dict[str, str]]:
        # The bot API's endpoint: a token needs no CSRF token.
        return f"{endpoints.base}/api/rooms/{urllib.parse.quote(room)}/files", self.headers(endpoints)


class PasswordCredentials(Credentials):
    """A username and password, exchanged for a session cookie through the login form.

    The socket gets the cookies and an Origin header naming the site itself, as a
    browser's page would send."""

    def __init__(self, username: str, password: str, *, timeout: float = 10.0) -> None:
        self.username = username
        self._password = password
        self._timeout = timeout
        self._cookie = ""

    def __repr__(self) -> str:
        return f"PasswordCredentials(username={self.username!r}, password=***)"

    def headers(self, endpoints: Endpoints) -> dict[str, str]:
        if not self._cookie:
            self.login(endpoints)
        return {"Cookie": self._cookie, "Origin": endpoints.origin}

    def refresh(self, endpoints: Endpoints) -> bool:
        self.login(endpoints)
        return True

    def upload_request(self, endpoints: Endpoints, room: str) -> tuple[str, dict[str, str]]:
        # The page's endpoint, as the browser posts to it: the session's CSRF token in
        # X-CSRFToken (Django compares it with the cookie) and the site as the Referer.
        headers = self.headers(endpoints)
        cookies = dict(part.split("=", 1) for part in self._cookie.split("; ") if "=" in part)
        url = f"{endpoints.base}/r/{urllib.parse.quote(room)}/files/"
        return url, {**headers, "X-CSRFToken": cookies.get("csrftoken", ""), "Referer": url}

    def login(self, endpoints: Endpoints) -> None:
        """Log in through the form; blocking (the async client runs it in a thread)."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = endpoints.base + LOGIN_PATH
        try:
            opener.open(page, timeout=self._timeout).close()
            csrf = next((c.value for c in jar if c.name == "csrftoken"), None)
            if csrf is None:
                raise AuthenticationError(f"{page} set no CSRF cookie: is this the chat server?")
            form = {"username": self.username, "password": self._password, "csrfmiddlewaretoken": csrf}
            # Endpoints only ever holds http(s) addresses.
            request = urllib.request.Request(  # noqa: S310
                page,
                data=urllib.parse.urlencode(form).encode(),
                # Django checks the Referer of a form posted over HTTPS.
                headers={"Referer": page},
            )
            opener.open(request, timeout=self._timeout).close()
        except urllib.error.HTTPError as error:
            if error.code == 429:
                retry_after = _seconds(error.headers.get("Retry-After"))
                raise AuthenticationError(
                    "too many failed logins: try again later", retry_after=retry_after
                ) from None
            raise ConnectionFailed(f"the login page answered HTTP {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise ConnectionFailed(f"could not reach {endpoints.base}: {error}") from None
        cookies = {c.name: c.value for c in jar}
        if "sessionid" not in cookies:
            raise AuthenticationError(f"login as {self.username!r} failed: wrong username or password")
        self._cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
