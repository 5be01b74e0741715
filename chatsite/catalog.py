"""The browser client's strings: Django's JavaScript catalog, one address per language.

Every page loads it (templates/base.html), before its modules, so it is made to
be cached: its address names the language and a version, a hash of that
language's compiled djangojs catalog, and the answer may be kept for a year.
A new translation is a new version, so pages ask for the new address at once.
The address does not depend on who asks, and the answer does not vary with the
cookie or the browser's language: it is the same for everyone.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import django
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_safe
from django.views.i18n import JavaScriptCatalog

PATH_PREFIX = "/jsi18n/"
CACHE_FOREVER = "public, max-age=31536000, immutable"


def _catalog_files(language: str) -> list[Path]:
    locale = translation.to_locale(language)
    return [Path(path) / locale / "LC_MESSAGES" / "djangojs.mo" for path in settings.LOCALE_PATHS]


@lru_cache(maxsize=64)
def _version_of(language: str, files: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256(f"{language} {django.get_version()}".encode())
    for path, _mtime, _size in files:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:12]


def catalog_version(language: str) -> str:
    """A short hash of ``language``, its compiled catalogs and Django's version (whose
    template the catalog is): the files are read again only when one changes."""
    found = []
    for path in _catalog_files(language):
        if path.is_file():
            stat = path.stat()
            found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return _version_of(language, tuple(found))


def catalog_url(language: str) -> str:
    """The address of ``language``'s catalog, in its current version."""
    return f"{reverse('javascript_catalog', args=[language])}?v={catalog_version(language)}"


@lru_cache(maxsize=16)
def _rendered(language: str, version: str) -> bytes:
    # Django's view, asked for the catalog of the chat's own strings (not the admin's).
    request = HttpRequest()
    request.method = "GET"
    with translation.override(language):
        response = JavaScriptCatalog.as_view(packages=["chat"])(request)
    assert isinstance(response, HttpResponse)
    return response.content


@require_safe
def javascript_catalog(request: HttpRequest, language: str) -> HttpResponse:
    """``GET /jsi18n/<language>/?v=<version>``: the catalog of one of settings.LANGUAGES,
    as Django's JavaScriptCatalog makes it (``django.gettext`` and the rest), from the
    djangojs catalogs of locale/. With the current version the answer is cached for
    a year; with none (or an old one) it is the current catalog, not cached."""
    if language not in dict(settings.LANGUAGES):
        raise Http404
    version = catalog_version(language)
    response = HttpResponse(_rendered(language, version), content_type='text/javascript; charset="utf-8"')
    response["Cache-Control"] = CACHE_FOREVER if request.GET.get("v") == version else "no-cache"
    return response
