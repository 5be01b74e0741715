"""The file endpoints: upload to a room, take an upload back, download.

``POST /r/<slug>/files/?client_id=C`` takes one file (multipart, field ``file``)
from a member, with the page's CSRF token (``X-CSRFToken``), and answers 201 with
the ATTACHMENT object; its ``id`` then goes in a ``send`` frame's ``attachments``.
Everything that can be decided before the body is read (membership, archive
state, the declared length against the limits, the daily total) is decided
first; then the body is read by chat.uploads.LimitedUploadHandler, which stops
past the size limit. ``DELETE /r/<slug>/files/<id>/`` takes back an upload not
sent yet.

``GET /files/<id>/`` and ``/files/<id>/thumbnail/`` serve a file to the members of
its room only (asked on every request; 404 for anyone else, signed in or not),
to a session or an API token (``Authorization: Bearer``), never sniffed, and
inline only for the pictures the chat decoded itself (PNG, JPEG, GIF, WebP).
Behind nginx, with CHAT_FILES_ACCEL_PREFIX set, the bytes are sent by nginx
(``X-Accel-Redirect``); otherwise they are streamed from the storage, a piece at a
time off the event loop (Django's FileResponse would be read whole into memory
under ASGI), and one byte range (``Range: bytes=...``) is answered with 206, so a
download can resume and a player can seek.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files import File
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from accounts import tokens
from accounts.models import User
from chat import protocol, ratelimit, selectors, services, uploads
from chat.exceptions import BadRequest, ChatError, NotFound, QuotaExceeded, RateLimited, TooLarge

# The HTTP status of each protocol error code an upload can meet.
# What a file response allows if it is opened as a page: its own picture, nothing else.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


# A stored file is read in pieces of this size, each on a worker thread.
STREAM_CHUNK = 256 * 1024
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class RangeNotSatisfiable(Exception):
    """The range asked for starts past the end of the file (HTTP 416)."""


def requested_range(header: str, size: int) -> tuple[int, int] | None:
    """The one byte range a ``Range`` header asks of a file of ``size`` bytes, as
    (first, last), both included; None to send the whole file: no range, several, or
    one not understood (RFC 9110 lets a server ignore those). Raises
    RangeNotSatisfiable for a range that lies past the end."""
    match = _RANGE.fullmatch(header.strip())
    if match is None or not (match[1] or match[2]) or size == 0:
        return None
    if match[1]:
        first = int(match[1])
        if match[2] and int(match[2]) < first:
            return None
        if first >= size:
            raise RangeNotSatisfiable()
        return first, min(int(match[2]) if match[2] else size - 1, size - 1)
    suffix = int(match[2])  # the last N bytes
    if suffix == 0:
        raise RangeNotSatisfiable()
    return max(0, size - suffix), size - 1


class StoredFileResponse(StreamingHttpResponse):
    """``length`` bytes of ``file`` from ``first``, streamed by an async iterator: each
    piece is read on a worker thread, so neither the event loop nor the one thread
    of the database waits on the storage, and only a piece is in memory at a time.
    The file is closed once sent, or with the response if it never is."""

    def __init__(self, file: File, *, first: int = 0, length: int, **kwargs: Any) -> None:
        self.stored_file = file
        super().__init__(self._pieces(file, first, length), **kwargs)
        self["Content-Length"] = str(length)

    @staticmethod
    async def _pieces(file: File, first: int, length: int) -> AsyncIterator[bytes]:
        read = sync_to_async(file.read, thread_sensitive=False)
        try:
            if first:
                await sync_to_async(file.seek, thread_sensitive=False)(first)
            left = length
            while left > 0:
                piece = await read(min(STREAM_CHUNK, left))
                if not piece:
                    break
                left -= len(piece)
                yield piece
        finally:
            file.close()

    def close(self) -> None:
        self.stored_file.close()
        super().close()


def _stored_file_response(request: HttpRequest, stored: str, etag: str) -> HttpResponseBase:
    """The stored file ``stored``: whole (200), the one range asked for (206), or 416."""
    try:
        file = uploads.open_stored(stored)
        size = file.size
    except OSError:
        raise Http404 from None
    wanted = None
    asked = request.headers.get("Range")
    # If-Range: the range is of the version the client has; another gets the whole file.
    if asked and request.headers.get("If-Range", etag) == etag:
        try:
            wanted = requested_range(asked, size)
        except RangeNotSatisfiable:
            file.close()
            response: HttpResponseBase = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
    if wanted is None:
        response = StoredFileResponse(file, length=size)
    else:
        first, last = wanted
        response = StoredFileResponse(file, first=first, length=last - first + 1, status=206)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response


def error_response(error: ChatError, status: int | None = None) -> JsonResponse:
    response = JsonResponse(
        {"error": error.code, "message": error.message, **error.extra},
        status=status or error.status,
    )
    if isinstance(error, RateLimited | QuotaExceeded):
        response["Retry-After"] = str(error.whole_seconds)
    return response


def receive_upload(request: HttpRequest, user: User, slug: str, *, check_csrf: bool) -> HttpResponse:
    """Check, then read and store the one file of ``request`` for ``user``; the JSON answer.

    Shared by the page's endpoint (below, ``check_csrf``) and the HTTP API (chat.api,
    signed in by a token). ``request.POST`` and ``request.FILES`` must not have been
    read yet: reading them reads the body."""
    client_id = request.GET.get("client_id", "")
    try:
        if len(client_id) > protocol.CLIENT_ID_MAX or "\x00" in client_id:
            raise BadRequest(_("client_id must have at most 64 characters."))
        length = _declared_length(request)
        ratelimit.check_sync("upload", user.pk)
        # The declared length is the file and its framing: the file is at least this long.
        services.attachment_check_upload(
            user=user, room_slug=slug, size=max(0, length - uploads.MULTIPART_SLACK), client_id=client_id
        )
    except ChatError as error:
        return error_response(error)
    handler = uploads.LimitedUploadHandler(request, limit=settings.CHAT_UPLOAD_MAX_FILE_SIZE)
    request.upload_handlers = [handler]

    def read_and_store(request: HttpRequest) -> HttpResponse:
        return _store(request, user, slug, handler, client_id)

    # The CSRF check reads the body (it looks for the token among the form's fields too),
    # so it runs once the limited handler is in place.
    return (csrf_protect(read_and_store) if check_csrf else read_and_store)(request)


def _store(
    request: HttpRequest, user: User, slug: str, handler: uploads.LimitedUploadHandler, client_id: str
) -> HttpResponse:
    try:
        upload = request.FILES.get(uploads.FILE_FIELD)
    except MultiPartParserError:
        handler.discard()
        return error_response(BadRequest(_("The upload was not understood.")))
    try:
        if handler.too_large:
            raise TooLarge(
                _("A file may be at most %(size)s."),
                params={"size": filesizeformat(settings.CHAT_UPLOAD_MAX_FILE_SIZE)},
            )
        if upload is None:
            raise BadRequest(_("No file arrived: the upload was interrupted, or held no “file”."))
        attachment = services.attachment_upload(user=user, room_slug=slug, upload=upload, client_id=client_id)
    except ChatError as error:
        return error_response(error)
    finally:
        handler.discard()
        if upload is not None:
            upload.close()  # the temporary file, if it was not moved into the storage
    return JsonResponse(protocol.attachment_payload(attachment.summary()), status=201)


def _declared_length(request: HttpRequest) -> int:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        raise BadRequest(_("An upload must state its length (Content-Length).")) from None
    if length <= 0:
        raise BadRequest(_("An upload must state its length (Content-Length)."))
    return length


# CSRF is checked in receive_upload, once the limited upload handler is in place.
@csrf_exempt
@require_http_methods(["POST"])
def upload(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return error_response(NotFound(_("No such room.")))
    user = request.user
    assert isinstance(user, User)
    return receive_upload(request, user, slug, check_csrf=True)


@login_required
@require_http_methods(["DELETE"])
def discard(request: HttpRequest, slug: str, attachment_id: int) -> HttpResponse:
    """Take back an upload not sent yet: 204, or 404 if there is no such upload of the user's."""
    user = request.user
    assert isinstance(user, User)
    try:
        services.attachment_discard(user=user, room_slug=slug, attachment_id=attachment_id)
    except ChatError as error:
        return error_response(error)
    return HttpResponse(status=204)


def _requester(request: HttpRequest) -> User | None:
    """The signed-in user, or the one whose API token the request carries."""
    if request.user.is_authenticated:
        assert isinstance(request.user, User)
        return request.user
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        found = tokens.user_for_token(token.strip())
        if found is not None:
            return found[0]
    return None


def _serve(request: HttpRequest, attachment_id: int, *, thumbnail: bool) -> HttpResponseBase:
    user = _requester(request)
    try:
        if user is None:
            raise NotFound()
        attachment = selectors.attachment_for_download(user, attachment_id)
    except NotFound:
        raise Http404 from None
    stored = attachment.thumbnail if thumbnail else attachment.file
    if not stored:
        raise Http404
    etag = f'"{attachment.pk}{"t" if thumbnail else "f"}"'
    if etag in request.headers.get("If-None-Match", ""):
        response: HttpResponseBase = HttpResponse(status=304)
    elif settings.CHAT_FILES_ACCEL_PREFIX:
        response = HttpResponse()
        response["X-Accel-Redirect"] = settings.CHAT_FILES_ACCEL_PREFIX.rstrip("/") + "/" + quote(stored)
    else:
        response = _stored_file_response(request, stored, etag)
    if thumbnail:
        content_type, name, inline = (
            uploads.THUMBNAIL_TYPE,
            f"{PurePosixPath(attachment.name).stem}.webp",
            True,
        )
    else:
        content_type, name = attachment.content_type, attachment.name
        inline = attachment.is_image and content_type in uploads.INLINE_TYPES
    response["Content-Type"] = content_type
    response["Content-Disposition"] = uploads.content_disposition(name, inline=inline)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # Only the browser keeps it, and asks again each time: a member who is removed
    # gets a 404 at once; one who stays gets 304.
    response["Cache-Control"] = "private, no-cache"
    response["ETag"] = etag
    return response


@require_safe
def attachment(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    return _serve(request, attachment_id, thumbnail=False)


@require_safe
def attachment_thumbnail(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    return _serve(request, attachment_id, thumbnail=True)
