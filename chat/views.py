"""Pages. Each one is a few lines: selectors read, services write."""

from __future__ import annotations

import json
from functools import lru_cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import json_script
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import User
from chat import permissions, ratelimit, selectors, services
from chat.exceptions import BadRequest, ChatError, NotFound, RateLimited
from chat.forms import AddMemberForm, DirectForm, PageForm, RoomForm, SearchForm
from chat.models import Webhook
from chat.rendering import EMOJI, highlighted


class AuthenticatedRequest(HttpRequest):
    """What a view behind login_required is given: a request of a signed-in user."""

    user: User


@lru_cache(maxsize=1)
def _emoji_script() -> str:
    """The shortcode table for the page's scripts (as pairs, to keep its order in
    JavaScript): the same on every room page, so encoded once."""
    return json_script(list(EMOJI.items()), "chat-emoji")


def _room_or_404(request: AuthenticatedRequest, slug: str):
    try:
        return selectors.room_access(request.user, slug)
    except NotFound:
        raise Http404 from None


def _index_page(
    request: AuthenticatedRequest,
    *,
    dm_form: DirectForm | None = None,
    dm_user: User | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "chat/index.html",
        {
            "rooms": selectors.room_summaries_for_user(request.user),
            "public_rooms": selectors.public_rooms_to_join(request.user),
            "dm_form": dm_form or DirectForm(),
            "dm_user": dm_user,
        },
        status=status,
    )


@login_required
def index(request: AuthenticatedRequest) -> HttpResponse:
    return _index_page(request)


@login_required
def room(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    try:
        page = selectors.room_page(request.user, slug)
    except NotFound:
        raise Http404 from None
    summary, member = page.summary, page.membership is not None
    can_manage = permissions.can_manage_members(request.user, page.room, page.membership)
    # What the header and the composer show: plain data, the key of their cached fragments.
    header = {
        "slug": page.room.slug,
        **{field: summary[field] for field in ("name", "topic", "private", "direct", "archived", "muted")},
        "member": member,
        "can_manage": can_manage,
    }
    return render(
        request,
        "chat/room.html",
        {
            "room": page.room,
            "membership": page.membership,
            "summary": summary,
            "header": header,
            "rooms": page.rooms,
            "members": selectors.room_member_list(page.room) if member else [],
            "webhooks": (
                selectors.room_webhook_list(page.room) if can_manage and not page.room.is_direct else []
            ),
            # The reaction picker's choices: the shortcode table, the user's favourites first.
            "emoji_script": _emoji_script(),
            "frequent_reactions": selectors.frequent_reactions(request.user),
            # What the composer checks before it uploads a file (the server checks again).
            "upload_limits": {
                "maxFile": settings.CHAT_UPLOAD_MAX_FILE_SIZE,
                "maxMessage": settings.CHAT_UPLOAD_MAX_MESSAGE_SIZE,
                "maxFiles": settings.CHAT_UPLOAD_MAX_FILES,
            },
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def room_create(request: AuthenticatedRequest) -> HttpResponse:
    form = RoomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # Each attempt spends a token of the user's bucket and of their address's.
            ratelimit.check_sync("room_create", f"user:{request.user.pk}")
            ratelimit.check_sync("room_create", f"addr:{ratelimit.client_address(request)}")
        except RateLimited as error:
            return _room_create_limited(request, form, error)
        try:
            room = services.room_create(creator=request.user, **form.cleaned_data)
        except ChatError as error:
            form.add_error(None, error.message)
        else:
            return redirect(room)
    return render(request, "chat/room_new.html", {"form": form})


def _room_create_limited(request: AuthenticatedRequest, form: RoomForm, error: RateLimited) -> HttpResponse:
    seconds = error.whole_seconds
    form.add_error(
        None,
        ngettext(
            "You have created many rooms in a short time; try again in %(seconds)d second.",
            "You have created many rooms in a short time; try again in %(seconds)d seconds.",
            seconds,
        )
        % {"seconds": seconds},
    )
    response = render(request, "chat/room_new.html", {"form": form}, status=429)
    response["Retry-After"] = str(seconds)
    return response


@login_required
@require_safe
def direct(request: AuthenticatedRequest, username: str) -> HttpResponse:
    """Show the direct conversation with ``username``. One that does not exist yet is
    only offered (a button that posts to ``direct_open``): a GET changes nothing."""
    try:
        other = selectors.active_user_by_username_any_case(username)
        room = services.direct_room_find(user=request.user, other=other)
    except NotFound:
        raise Http404 from None
    except ChatError as error:
        messages.error(request, error.message)
        return redirect("chat:index")
    if other.username != username:  # /dm/Bob/ for bob: one address per person
        return redirect("chat:direct", username=other.username)
    if room is not None:
        return redirect(room)
    return _index_page(request, dm_form=DirectForm(initial={"username": other.username}), dm_user=other)


@login_required
@require_POST
def direct_open(request: AuthenticatedRequest) -> HttpResponse:
    """Open (creating on first use) the direct conversation with the posted username,
    whatever its case ("Bob" finds ``bob``). No such person, or several whose names
    differ only in case, is an error beside the field."""
    form = DirectForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            other = selectors.active_user_by_username_any_case(form.cleaned_data["username"])
            room = services.direct_room_open(user=request.user, other=other)
        except ChatError as error:
            form.add_error("username", error.message)
            status = 404 if isinstance(error, NotFound) else 200
        else:
            return redirect(room)
    return _index_page(request, dm_form=form, status=status)


PEOPLE_QUERY_MAX = 150  # the longest username: a longer query can match no one


@never_cache
@login_required
@require_safe
def people(request: AuthenticatedRequest) -> JsonResponse:
    """Whom one can message: the search of the index page's people picker.

    ``GET /people/?q=<text>`` answers ``{"people": [{"username": "bob", "display_name":
    "Bob"}, ...]}``: up to 20 active people other than the requester whose username or
    display name contains the text, ignoring case; those where one of them starts with
    it first, then by shown name. ``display_name`` is "" for someone who has set none.
    A blank ``q`` finds no one; one longer than 150 characters or holding a NUL is
    refused with 400 and ``{"error": "..."}``. Signed in only (anyone else is sent to
    the login page). It lists people, never rooms: who talks with whom stays private.
    """
    query = request.GET.get("q", "")
    if "\x00" in query or len(query) > PEOPLE_QUERY_MAX:
        return JsonResponse({"error": _("The search was not understood.")}, status=400)
    found = selectors.people_search(request.user, query.strip())
    return JsonResponse(
        {"people": [{"username": person.username, "display_name": person.display_name} for person in found]}
    )


@login_required
@require_POST
def room_join(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    room, _membership = _room_or_404(request, slug)
    try:
        ratelimit.check_sync("join", request.user.pk)  # the socket's join spends from it too
        services.room_join(user=request.user, room_slug=slug)
    except ChatError as error:
        messages.error(request, error.message)
    return redirect(room)


@login_required
@require_POST
def room_leave(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    room, _membership = _room_or_404(request, slug)
    try:
        ratelimit.check_sync("leave", request.user.pk)
        services.room_leave(user=request.user, room_slug=slug)
    except ChatError as error:
        messages.error(request, error.message)
        return redirect(room)
    return redirect("chat:index")


@login_required
@require_POST
def room_mute(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    """Mute the room for the user (``muted=1``), or unmute it (``muted=0``)."""
    room, _membership = _room_or_404(request, slug)
    try:
        ratelimit.check_sync("mute", request.user.pk)
        services.room_mute(user=request.user, room_slug=slug, muted=request.POST.get("muted") == "1")
    except ChatError as error:
        messages.error(request, error.message)
    return redirect(room)


@never_cache
@login_required
@require_POST
def bot_create(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    """Make a bot in the room; its token is on this page, this once."""
    room, _membership = _room_or_404(request, slug)
    try:
        bot, token = services.bot_create(actor=request.user, room=room, name=request.POST.get("name", ""))
    except ChatError as error:
        messages.error(request, error.message)
        return redirect(room)
    return render(request, "chat/bot_created.html", {"room": room, "bot": bot, "token": token})


@never_cache
@login_required
@require_POST
def webhook_create(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    """Make an incoming webhook for the room; its URL is on this page, this once."""
    room, _membership = _room_or_404(request, slug)
    try:
        webhook, secret = services.webhook_create(
            actor=request.user, room=room, name=request.POST.get("name", "")
        )
    except ChatError as error:
        messages.error(request, error.message)
        return redirect(room)
    url = request.build_absolute_uri(reverse("chat:webhook_post", args=[webhook.pk, secret]))
    return render(request, "chat/webhook_created.html", {"room": room, "webhook": webhook, "url": url})


@login_required
@require_POST
def webhook_revoke(request: AuthenticatedRequest, slug: str, webhook_id: int) -> HttpResponse:
    room, _membership = _room_or_404(request, slug)
    webhook = Webhook.objects.filter(pk=webhook_id, room=room).select_related("room").first()
    if webhook is None:
        raise Http404
    try:
        services.webhook_revoke(actor=request.user, webhook=webhook)
    except ChatError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The webhook %(name)s was revoked.") % {"name": webhook.name})
    return redirect(room)


# The HTTP status of each protocol error code, for the webhook's answers.
WEBHOOK_MAX_BYTES = 64 * 1024


def _webhook_error(error: ChatError) -> JsonResponse:
    response = JsonResponse(
        {"ok": False, "error": error.code, "message": error.message, **error.extra},
        status=error.status,
    )
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.whole_seconds)
    return response


def _webhook_text(request: HttpRequest) -> str:
    try:
        raw = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(_("The body must be UTF-8 text.")) from None
    if request.content_type == "application/json":
        try:
            data = json.loads(raw)
        except ValueError:
            raise BadRequest(_("The body is not valid JSON.")) from None
        text = data.get("text") if isinstance(data, dict) else None
        if not isinstance(text, str):
            raise BadRequest(_("JSON bodies need a “text” string.")) from None
        raw = text
    if "\x00" in raw:
        raise BadRequest(_("The text contains a NUL character."))
    return raw.strip()


@csrf_exempt
@require_POST
def webhook_post(request: HttpRequest, webhook_id: int, secret: str) -> HttpResponse:
    """What a webhook's URL receives: plain text, or JSON ``{"text": ...}``, posted in the
    room as its bot. An ``Idempotency-Key`` header makes a retried delivery post once."""
    try:
        webhook = services.webhook_for(webhook_id, secret)
        if len(request.body) > WEBHOOK_MAX_BYTES:
            return JsonResponse(
                {"ok": False, "error": "too_long", "message": _("The body is too large.")}, status=413
            )
        ratelimit.check_sync("webhook", webhook.pk)
        result = services.webhook_post(
            webhook=webhook, text=_webhook_text(request), key=request.headers.get("Idempotency-Key")
        )
    except ChatError as error:
        return _webhook_error(error)
    message = result.message
    return JsonResponse({"ok": True, "room": webhook.room.slug, "seq": message.seq, "id": message.pk})


@login_required
@require_POST
def member_add(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    room, _membership = _room_or_404(request, slug)
    form = AddMemberForm(request.POST)
    if form.is_valid():
        try:
            user = selectors.active_user_by_username(form.cleaned_data["username"])
            services.membership_add(actor=request.user, room=room, user=user)
        except ChatError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": user.username})
    return redirect(room)


@never_cache
@login_required
@require_safe
def search(request: AuthenticatedRequest) -> HttpResponse:
    """Messages the user may read that match ``?q=``, newest first, 20 a page
    (``?page=N``). A blank ``q`` shows the empty page; one longer than 200 characters
    or holding a NUL is refused beside the field (400)."""
    form = SearchForm(request.GET)
    if not form.is_valid():
        shown = request.GET.get("q", "").replace("\x00", "")
        context = {"search_form": form, "query": "", "search_query": shown, "page": None}
        return render(request, "chat/search.html", context, status=400)
    query = form.cleaned_data["q"]
    page = selectors.message_search(request.user, query, page=form.cleaned_data["page"] or 1)
    terms = selectors.message_search_terms(query)
    results = [(result, highlighted(result.message.body, terms)) for result in page.results]
    context = {"search_form": form, "query": query, "search_query": query, "page": page, "results": results}
    return render(request, "chat/search.html", context)


@never_cache
@login_required
@require_safe
def threads(request: AuthenticatedRequest) -> HttpResponse:
    """The threads the user takes part in (wrote their first message or a reply), in
    their rooms, the latest reply first, 20 a page (``?page=N``; a page that is not a
    number from 1 is a 404), each with its unread replies. Each opens its room with the
    thread beside it."""
    form = PageForm(request.GET)
    if not form.is_valid():
        raise Http404
    page = selectors.threads_of(request.user, page=form.cleaned_data["page"] or 1)
    return render(
        request,
        "chat/threads.html",
        {"page": page, "rooms": selectors.room_summaries_for_user(request.user)},
    )


@never_cache
@login_required
@require_safe
def mentions(request: AuthenticatedRequest) -> HttpResponse:
    """The messages that mention the user in rooms they may read, newest first, 20 a
    page (``?page=N``; a page that is not a number from 1 is a 404). Each opens its
    room at the message."""
    form = PageForm(request.GET)
    if not form.is_valid():
        raise Http404
    page = selectors.mentions_of(request.user, page=form.cleaned_data["page"] or 1)
    mention = f"@{request.user.username}"
    results = [(result, highlighted(result.message.body, [mention])) for result in page.results]
    return render(request, "chat/mentions.html", {"page": page, "results": results})
