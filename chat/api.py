"""The HTTP API, for scripts and services that would rather not hold a socket.

The same services, checks and rate limits as the socket: a message posted here
is stored, numbered and broadcast exactly like one sent there, and the send
bucket is the user's one bucket. It signs in with a personal API token
(``Authorization: Bearer``), never with a cookie, so it needs no CSRF token.
Errors carry the protocol's codes, with the matching HTTP status.

The OpenAPI description is at /api/openapi.json, browsable at /api/docs.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema, Status
from ninja import Path as PathParam
from ninja import Query as QueryParam
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import ConfigDict, field_validator

from accounts import tokens
from accounts.languages import language_for
from accounts.models import User
from chat import file_views, protocol, ratelimit, selectors, services
from chat.exceptions import HTTP_STATUS, ChatError, QuotaExceeded, RateLimited, TooLong

# The HTTP status of each protocol error code.


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = tokens.user_for_token(token)
        if found is None:
            return None
        request.user = found[0]
        # Known only now (the middleware saw no session): the answers in the user's language.
        translation.activate(language_for(found[0], request.headers.get("Accept-Language", "")))
        request.LANGUAGE_CODE = translation.get_language()
        return found[0]


api = NinjaAPI(
    title="Chat API",
    version="1",
    description="Post and read messages with a personal API token (Authorization: Bearer chat_...).",
    auth=TokenAuth(),
    urls_namespace="api",
)


class Error(Schema):
    error: str
    message: str


def _error(request: HttpRequest, code: str, message: str, status: int, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"error": code, "message": message, **extra}, status=status)


@api.exception_handler(ChatError)
def _chat_error(request: HttpRequest, error: ChatError) -> HttpResponse:
    response = _error(request, error.code, error.message, error.status, **error.extra)
    if isinstance(error, RateLimited | QuotaExceeded):
        response["Retry-After"] = str(error.whole_seconds)
    return response


# What the body's own checks say, as the protocol's too_long (empty, blank or too long).
_BODY_LENGTH = {"string_too_short", "string_too_long"}


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    about_length = [
        tuple(item.get("loc", ()))[-1:] == ("body",) and item.get("type") in _BODY_LENGTH
        for item in error.errors
    ]
    if about_length and all(about_length):
        return _chat_error(request, TooLong())
    where = ", ".join(".".join(str(part) for part in item.get("loc", ())) for item in error.errors)
    message = _("Invalid or missing: %(fields)s.") % {"fields": where} if where else _("Invalid request.")
    return _error(request, "bad_request", message, 400)


# The protocol's code for the HTTP errors the framework raises itself (a body that is not JSON).
_CODES = {
    status: code
    for code, status in HTTP_STATUS.items()
    if code not in ("too_long", "unknown_type", "quota_exceeded")
}


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    return _error(request, _CODES.get(error.status_code, "bad_request"), str(error), error.status_code)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    response = _error(
        request, "unauthenticated", _("A valid API token is needed (Authorization: Bearer)."), 401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


# Shapes ---------------------------------------------------------------------


class UserOut(Schema):
    username: str
    display_name: str
    bot: bool = False


class ReactionOut(Schema):
    emoji: str
    count: int
    users: list[str]


class NoteUserOut(Schema):
    username: str | None  # null on a note from before events whose name fit no one user
    display_name: str


class NoteEventOut(Schema):
    """What a system note says happened (joined, left, added, removed), and to whom."""

    kind: str
    user: NoteUserOut


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    image: bool
    width: int | None
    height: int | None
    url: str
    thumbnail_url: str | None


class MessageOut(Schema):
    id: int
    room: str
    seq: int
    author: UserOut | None
    body: str
    html: str
    created_at: str
    edited_at: str | None
    deleted: bool
    client_id: str | None
    mentions: list[str]
    reactions: list[ReactionOut]
    event: NoteEventOut | None = None
    attachments: list[AttachmentOut]
    parent_seq: int | None = Field(None, description="A reply: the seq of its thread's first message.")


class RoomOut(Schema):
    slug: str
    name: str
    topic: str
    private: bool
    direct: bool
    archived: bool
    role: str | None
    last_seq: int
    last_rev: int
    last_read_seq: int
    unread: int
    mentions: int
    muted: bool
    can: list[str]


class HistoryOut(Schema):
    room: str
    messages: list[MessageOut]
    has_more: bool


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


def _body() -> Any:
    """A body as the services take it: 1 to CHAT_MAX_BODY characters, not only whitespace."""
    return Field(min_length=1, max_length=settings.CHAT_MAX_BODY, pattern=r"\S")


AttachmentId = Annotated[int, Field(ge=1, le=protocol.SEQ_MAX)]
# Text without a NUL character (the services refuse it): said in the description too.
NO_NUL = r"^[^\x00]*$"


class MessageIn(Schema):
    # Empty only when files go with it (the service decides: too_long otherwise).
    body: str = Field(max_length=settings.CHAT_MAX_BODY, pattern=NO_NUL)
    client_id: str = Field(min_length=1, max_length=protocol.CLIENT_ID_MAX, pattern=NO_NUL)
    attachments: list[AttachmentId] = Field(
        default_factory=list,
        max_length=settings.CHAT_UPLOAD_MAX_FILES,
        description="Ids of files uploaded with POST /rooms/{slug}/files, sent with the message.",
    )

    # A body with something besides whitespace, or at least one file.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"properties": {"body": {"pattern": r"\S"}}},
                {"properties": {"attachments": {"minItems": 1}}, "required": ["attachments"]},
            ]
        }
    )

    _text = field_validator("body", "client_id")(_no_nul)


class EditIn(Schema):
    body: str = _body()

    _text = field_validator("body")(_no_nul)


class PostedOut(Schema):
    room: str
    seq: int
    id: int
    created: bool


# Operations -------------------------------------------------------------------

ERRORS: dict[int, type[Schema]] = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 429: Error}


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


@api.get("/rooms", response={200: list[RoomOut], 401: Error}, summary="The rooms I am a member of")
def rooms(request: HttpRequest) -> list[dict[str, Any]]:
    user = _user(request)
    return [summary for _id, summary in selectors.room_summaries_for_users([user.pk])[user.pk]]


@api.get(
    "/rooms/{slug}/messages",
    response={200: HistoryOut, **ERRORS},
    summary="A page of a room's messages, by seq",
    description="Without bounds, the newest page; with after_seq, the page after it (catching up); "
    "with before_seq, the page before it (scrolling back).",
)
def history(
    request: HttpRequest,
    slug: str,
    before_seq: int | None = QueryParam(None, ge=0, le=protocol.SEQ_MAX),
    after_seq: int | None = QueryParam(None, ge=0, le=protocol.SEQ_MAX),
    limit: int = QueryParam(protocol.HISTORY_DEFAULT_LIMIT, ge=1, le=protocol.HISTORY_MAX_LIMIT),
) -> dict[str, Any]:
    frame = selectors.history_for(
        _user(request), slug, before_seq=before_seq, after_seq=after_seq, limit=limit
    )
    return {"room": frame["room"], "messages": frame["messages"], "has_more": frame["has_more"]}


@api.post(
    "/rooms/{slug}/messages",
    response={201: PostedOut, 200: PostedOut, **ERRORS},
    summary="Post a message (idempotent by client_id)",
    description="201 when stored now; 200 with the same seq when this client_id was stored before.",
)
def post_message(request: HttpRequest, slug: str, payload: MessageIn) -> Status:
    user = _user(request)
    stored = selectors.sent_message(user, payload.client_id)
    if stored is not None and stored.room.slug == slug:
        # A retry of what was stored: acknowledged again, limit or not (as on the socket).
        return Status(200, {"room": slug, "seq": stored.seq, "id": stored.pk, "created": False})
    ratelimit.check_sync("send", user.pk)
    result = services.message_create(
        user=user,
        room_slug=slug,
        body=payload.body,
        client_id=payload.client_id,
        attachments=payload.attachments,
    )
    message = result.message
    body = {"room": slug, "seq": message.seq, "id": message.pk, "created": result.created}
    return Status(201 if result.created else 200, body)


@api.patch("/rooms/{slug}/messages/{seq}", response={200: MessageOut, **ERRORS}, summary="Edit my message")
def edit_message(
    request: HttpRequest, payload: EditIn, slug: str, seq: int = PathParam(..., ge=0, le=protocol.SEQ_MAX)
) -> dict[str, Any]:
    user = _user(request)
    ratelimit.check_sync("edit", user.pk)
    message = services.message_edit(user=user, room_slug=slug, seq=seq, body=payload.body)
    return protocol.message_payload(message, slug)


@api.delete(
    "/rooms/{slug}/messages/{seq}",
    response={204: None, **ERRORS},
    summary="Delete a message (mine, or any as the room's admin)",
)
def delete_message(
    request: HttpRequest, slug: str, seq: int = PathParam(..., ge=0, le=protocol.SEQ_MAX)
) -> Status:
    user = _user(request)
    ratelimit.check_sync("delete", user.pk)
    services.message_delete(user=user, room_slug=slug, seq=seq)
    return Status(204, None)


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@api.post(
    "/rooms/{slug}/files",
    response={201: AttachmentOut, 413: Error, **ERRORS},
    summary="Upload a file to send with a message",
    description="One file in the multipart field `file`. Send its `id` in a message's `attachments`; "
    "until then it is yours alone. `client_id`: the client_id the message will have, so that the "
    "limits of one message are checked at each upload. Refused before the body is read when it "
    "cannot be taken (not a member, archived, too large, the day's total).",
    openapi_extra=_UPLOAD_BODY,
)
def upload_file(
    request: HttpRequest,
    slug: str,
    client_id: str = QueryParam("", max_length=protocol.CLIENT_ID_MAX),
) -> HttpResponse:
    # client_id is declared for the description; receive_upload reads it from the query,
    # as it reads the body itself, past its checks.
    return file_views.receive_upload(request, _user(request), slug, check_csrf=False)


@api.delete(
    "/rooms/{slug}/files/{attachment_id}",
    response={204: None, **ERRORS},
    summary="Take back a file uploaded and not sent",
)
def discard_file(
    request: HttpRequest, slug: str, attachment_id: int = PathParam(..., ge=1, le=protocol.SEQ_MAX)
) -> Status:
    services.attachment_discard(user=_user(request), room_slug=slug, attachment_id=attachment_id)
    return Status(204, None)
