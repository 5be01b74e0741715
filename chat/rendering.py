"""Render a message body into safe HTML: escaped text, @mentions and links.

User text is never trusted: it is escaped piece by piece, and the result goes
through nh3 with a short allow-list as a second line of defence.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

import nh3

# A URL runs to the next whitespace; trailing punctuation is left outside it.
_URL = r"https?://[^\s<>\"']+"
_MENTION = r"(?<![\w@])@(?P<name>[\w.@+-]{1,150})"
_TOKEN_RE = re.compile(rf"(?P<url>{_URL})|{_MENTION}")
_TRAILING = ".,;:!?)]}'\""

_ALLOWED_TAGS = {"a", "span"}
_ALLOWED_ATTRIBUTES = {"a": {"href"}, "span": {"class"}}
# A link opens beside the chat, never in its place; the new page gets no handle on
# this one (noopener), no referrer, and no endorsement from us (nofollow).
_LINK_TARGET = {"a": {"target": "_blank"}}
_LINK_REL = "noopener noreferrer nofollow"


def mentioned_names(body: str) -> set[str]:
    """The usernames a body mentions, whether or not they exist."""
    return {
        _strip_trailing(match.group("name"))[0] for match in _TOKEN_RE.finditer(body) if match.group("name")
    }


def _strip_trailing(text: str) -> tuple[str, str]:
    end = len(text)
    while end and text[end - 1] in _TRAILING:
        # Keep a closing parenthesis that closes one opened inside the URL.
        if text[end - 1] == ")" and text[:end].count("(") >= text[:end].count(")"):
            break
        end -= 1
    return text[:end], text[end:]


def render_body(body: str, existing_usernames: Iterable[str] = ()) -> str:
    """Return the HTML for ``body``; ``existing_usernames`` become mentions."""
    known = set(existing_usernames)
    parts: list[str] = []
    position = 0
    for match in _TOKEN_RE.finditer(body):
        parts.append(html.escape(body[position : match.start()], quote=False))
        position = match.end()
        if match.group("url"):
            url, rest = _strip_trailing(match.group("url"))
            escaped = html.escape(url, quote=True)
            parts.append(f'<a href="{escaped}">{html.escape(url, quote=False)}</a>')
            parts.append(html.escape(rest, quote=False))
            continue
        name, rest = _strip_trailing(match.group("name"))
        if name in known:
            parts.append(f'<span class="mention">@{html.escape(name, quote=False)}</span>')
        else:
            parts.append(html.escape("@" + name, quote=False))
        parts.append(html.escape(rest, quote=False))
    parts.append(html.escape(body[position:], quote=False))
    return nh3.clean(
        "".join(parts),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        set_tag_attribute_values=_LINK_TARGET,
        link_rel=_LINK_REL,
    )
