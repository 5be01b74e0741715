"""``{% url %}`` with a per-process memo of what it reverses (a template builtin).

Reversing a URL walks the resolver's candidates and matches a regular
expression for each: about 20 µs a call, and the room page makes seventeen
(profiled under the bench's pages scenario). What a name and its arguments
reverse to changes only with the URLconf or the script prefix, which are
part of the key; the memo is emptied whenever a setting changes (tests) and
when it grows past a bound (room slugs are many). The tag is Django's own in
every other respect: same syntax, same errors, ``as`` variables.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.signals import setting_changed
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

MEMO_SIZE = 4096
_memo: dict[tuple[Any, ...], str] = {}


def forget(**kwargs: Any) -> None:
    _memo.clear()


setting_changed.connect(forget)


def _current_app(context: template.Context) -> str | None:
    """The namespace instance to reverse in, found as Django's own tag finds it."""
    try:
        return context.request.current_app  # type: ignore[attr-defined]
    except AttributeError:
        try:
            return context.request.resolver_match.namespace  # type: ignore[attr-defined]
        except AttributeError:
            return None


class MemoURLNode(URLNode):
    def render(self, context: template.Context) -> str:
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple(sorted((key, value.resolve(context)) for key, value in self.kwargs.items()))
        view_name = self.view_name.resolve(context)
        current_app = _current_app(context)
        key = (view_name, args, kwargs, current_app, get_script_prefix(), get_urlconf())
        try:
            url = _memo.get(key)
            keep = True
        except TypeError:  # an argument that cannot be a key: reverse it every time
            url, keep = None, False
        if url is None:
            try:
                url = reverse(view_name, args=list(args), kwargs=dict(kwargs), current_app=current_app)
            except NoReverseMatch:
                if self.asvar is None:
                    raise
                url = ""
            else:
                if keep:
                    if len(_memo) >= MEMO_SIZE:
                        _memo.clear()
                    _memo[key] = url
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser: template.base.Parser, token: template.base.Token) -> MemoURLNode:
    node = django_url(parser, token)
    return MemoURLNode(node.view_name, node.args, node.kwargs, node.asvar)
