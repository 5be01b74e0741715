"""``{% include_cached %}``: an include whose output is kept, keyed by exactly what it is given.

    {% load fragments %}
    {% include_cached "chat/_room_link.html" item=link active=True %}

The template is rendered with nothing but the given values (no request, no
user, no context processors), so what it shows can only come from what is in
its key: a fragment made for one person can never show another's data. The
key is the template, the values, the active language and the script prefix;
the same values give the same HTML, so nothing needs invalidating and every
process can keep its own copy. Values are plain data: strings, numbers,
booleans, None, and lists, tuples and dicts of them.

The room page and the room list are drawn from a few dozen such pieces (a
sidebar link per room, a line per member); most of them are the same from one
page view to the next, and Django's template engine takes about as long to
draw one as the rest of the request takes (profiled under the bench's pages
scenario). A fragment with a form gets a placeholder as its ``csrf_token``;
the real token of the request (masked afresh for every response, as Django's
own tag does) replaces it on the way out.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from typing import Any

import orjson
from django import template
from django.core.signals import setting_changed
from django.template.base import FilterExpression, Parser, Token, token_kwargs
from django.template.context import Context
from django.template.engine import Engine
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

MAX_FRAGMENTS = 4096
# Stands for the request's CSRF token inside a kept fragment; never sent to anyone.
CSRF_PLACEHOLDER = f"csrf-placeholder-{secrets.token_hex(16)}"


class FragmentCache:
    """Rendered fragments by key, the least recently used dropped past ``size``."""

    def __init__(self, size: int = MAX_FRAGMENTS) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple[Any, ...]) -> str | None:
        with self._lock:
            html = self._kept.get(key)
            if html is None:
                self.misses += 1
                return None
            self._kept.move_to_end(key)
            self.hits += 1
            return html

    def put(self, key: tuple[Any, ...], html: str) -> None:
        with self._lock:
            self._kept[key] = html
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def clear(self, **kwargs: Any) -> None:
        with self._lock:
            self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)


fragments = FragmentCache()
setting_changed.connect(fragments.clear)


def freeze(values: dict[str, Any]) -> bytes:
    """``values`` as a key: their JSON, or TypeError for anything but plain data."""
    try:
        return orjson.dumps(values, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError as error:
        raise TypeError(f"include_cached takes plain data: {error}") from None


class IncludeCachedNode(template.Node):
    def __init__(self, name: FilterExpression, values: dict[str, FilterExpression]) -> None:
        self.name = name
        self.values = values

    def render(self, context: Context) -> SafeString:
        name = self.name.resolve(context)
        values = {key: value.resolve(context) for key, value in self.values.items()}
        key = (name, translation.get_language(), get_script_prefix(), freeze(values))
        html = fragments.get(key)
        if html is None:
            own = Context({**values, "csrf_token": CSRF_PLACEHOLDER}, autoescape=context.autoescape)
            engine = context.template.engine if context.template is not None else Engine.get_default()
            html = engine.get_template(name).render(own)
            fragments.put(key, html)
        if CSRF_PLACEHOLDER in html:
            html = html.replace(CSRF_PLACEHOLDER, str(context.get("csrf_token", "")))
        return mark_safe(html)  # noqa: S308 - rendered by the template engine, which escaped it


@register.tag
def include_cached(parser: Parser, token: Token) -> IncludeCachedNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes a template name, then name=value pairs")
    remaining = bits[2:]
    values = token_kwargs(remaining, parser, support_legacy=False)
    if remaining:
        raise template.TemplateSyntaxError(f"{bits[0]} takes only name=value pairs after the template name")
    return IncludeCachedNode(parser.compile_filter(bits[1]), values)
