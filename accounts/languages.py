"""Which language to speak to whom: the user's choice, else the browser's, else the site's."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header


def language_choices() -> list[tuple[str, str]]:
    """settings.LANGUAGES: what a user may choose (each language named in itself)."""
    return list(settings.LANGUAGES)


def supported(code: str) -> str | None:
    """The site's language for ``code`` ("zh-CN" and "zh-Hans" are zh-hans), or None."""
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def from_accept_language(header: str) -> str | None:
    """The first language of an Accept-Language header that the site speaks, or None."""
    for code, _quality in parse_accept_lang_header(header.lower()[:1000]):
        if code != "*" and (language := supported(code)):
            return language
    return None


def language_for(user: Any, accept_language: str = "") -> str:
    """The language to speak to ``user`` (who may be anonymous): the one they chose on
    their profile, else the first of ``accept_language`` the site speaks, else
    settings.LANGUAGE_CODE."""
    chosen = getattr(user, "language", "") if getattr(user, "is_authenticated", False) else ""
    return (chosen and supported(chosen)) or from_accept_language(accept_language) or settings.LANGUAGE_CODE
