"""Site-wide middleware."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.template import loader
from django.utils import translation

from accounts.languages import language_for
from chatsite import catalog

logger = logging.getLogger(__name__)


def database_unavailable_response() -> HttpResponse:
    """A friendly 503 that asks to retry; rendering it touches no database."""
    response = HttpResponse(loader.render_to_string("errors/503.html"), status=503)
    response["Retry-After"] = "5"
    return response


def database_did_not_answer(request: HttpRequest, error: DatabaseError) -> HttpResponse:
    """The 503 for a request the database failed, and one log line: an outage is not
    a bug, and needs no stack trace."""
    logger.warning("%s %s: the database did not answer (%s)", request.method, request.path, error)
    return database_unavailable_response()


class DatabaseUnavailableMiddleware:
    """A view that fails because the database does not answer gets the 503 page, and
    the log gets one line: an outage is not a bug, and needs no stack trace."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DatabaseError):
            return database_did_not_answer(request, exception)
        return None


class UserLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, with the signed-in user's choice first: the language
    chosen on their profile, else the browser's Accept-Language, else LANGUAGE_CODE
    (accounts.languages.language_for). The response says which (Content-Language)
    and varies with Accept-Language, as Django's does.

    It comes after AuthenticationMiddleware; the pages read the user anyway, so
    knowing their language costs no query of its own. The JavaScript catalog names
    its language in its address and is the same for everyone: it is left alone, so
    that its answer does not vary with the cookie or the browser's language."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        if request.path_info.startswith(catalog.PATH_PREFIX):
            return None
        accept_language = request.headers.get("Accept-Language", "")
        try:
            language = language_for(request.user, accept_language)
        except DatabaseError as error:
            # Knowing the user reads their session and their row: with the database
            # gone this is the first place a page fails, before any view. It gets the
            # same 503 and the same one log line as a view would (Django's handler for
            # a middleware's exception would log a stack trace).
            translation.activate(language_for(None, accept_language))
            request.LANGUAGE_CODE = translation.get_language()
            return database_did_not_answer(request, error)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if request.path_info.startswith(catalog.PATH_PREFIX):
            return response
        return super().process_response(request, response)
