"""Template tags of the chat's pages."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()


@lru_cache(maxsize=1)
def _sprite() -> str:
    return static("chat/icons.svg")


@register.simple_tag
def javascript_catalog_url() -> str:
    """The address of the browser client's strings in the active language (chatsite.catalog)."""
    from chatsite.catalog import catalog_url

    return catalog_url(get_language())


@register.simple_tag
def max_body() -> int:
    """The longest message body (settings.CHAT_MAX_BODY), for the page's composer."""
    return int(settings.CHAT_MAX_BODY)


@register.simple_tag
def icon(name: str, css_class: str = "") -> SafeString:
    """An icon from the sprite: ``{% icon "hash" %}``. A tag, not an include: pages
    draw dozens of them, and an include costs a template render each."""
    classes = f"icon {css_class}" if css_class else "icon"
    return format_html(
        '<svg class="{}" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>',
        classes,
        _sprite(),
        name,
    )


@register.filter
def avatar_hue(username: str) -> int:
    """The hue of a user's avatar, 0 to 359: hueFor() of static/chat/format.js, step for step
    (a hash over the name's code points), so a page drawn here and one drawn by the
    client give a person the same colour."""
    hue = 0
    for char in username:
        hue = (hue * 31 + ord(char)) % 360
    return hue


# JavaScript's \s, which initialsFor() splits on (Python's own whitespace differs a little).
_JS_WHITESPACE = re.compile(r"[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+")


@register.filter
def avatar_initials(name: str) -> str:
    """The letters of an avatar: initialsFor() of static/chat/format.js (the first letter
    of the first and last words, upper-cased), or "?" for a blank name."""
    words = [word for word in _JS_WHITESPACE.split(name) if word]
    if not words:
        return "?"
    ends = [words[0], words[-1]] if len(words) > 1 else [words[0]]
    return "".join(word[0] for word in ends).upper()


# What a sidebar link shows of a ROOM_SUMMARY (and all that its cached fragment is keyed by).
_LINK_FIELDS = ("slug", "name", "private", "direct", "archived", "muted", "unread", "mentions")


@register.filter
def sidebar_sections(rooms: list[dict[str, Any]], active: str = "") -> list[dict[str, Any]]:
    """The sidebar's two lists: rooms, then direct conversations, each room (a ROOM_SUMMARY)
    as what its link shows, ``active`` marking the room being looked at."""

    def link(room: dict[str, Any]) -> dict[str, Any]:
        return {**{field: room[field] for field in _LINK_FIELDS}, "active": room["slug"] == active}

    return [
        {"key": "rooms", "title": _("Rooms"), "items": [link(room) for room in rooms if not room["direct"]]},
        {
            "key": "direct",
            "title": _("Direct messages"),
            "items": [link(room) for room in rooms if room["direct"]],
        },
    ]


@register.filter
def thread_unread_total(rooms: list[dict[str, Any]]) -> int:
    """The unread replies in all the user's threads: their ROOM_SUMMARYs' thread_unread."""
    return sum(room.get("thread_unread", 0) for room in rooms)


@lru_cache(maxsize=32)
def _url_pattern(name: str, script_prefix: str) -> str:
    return reverse(name, kwargs={"slug": "--slug--"})


@register.filter
def room_url(slug: str, name: str = "chat:room") -> str:
    """``{{ room.slug|room_url }}``, or ``|room_url:"chat:room_join"``: the address of a
    room's page (or of another page of it). Reversing a URL costs more than the rest of
    a sidebar item, and slugs are URL-safe, so the pattern is reversed once and filled."""
    return _url_pattern(name, get_script_prefix()).replace("--slug--", slug)
