"""Pages. Each one is a few lines: selectors read, services write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from chat import permissions, selectors, services
from chat.exceptions import ChatError, NotFound
from chat.forms import AddMemberForm, RoomForm


def _room_or_404(request: HttpRequest, slug: str):
    try:
        return selectors.room_access(request.user, slug)
    except NotFound:
        raise Http404 from None


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "chat/index.html",
        {
            "rooms": selectors.room_summaries_for_user(request.user),
            "public_rooms": selectors.public_rooms_to_join(request.user),
        },
    )


@login_required
def room(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        page = selectors.room_page(request.user, slug)
    except NotFound:
        raise Http404 from None
    can_manage = permissions.can_manage_members(request.user, page.room, page.membership)
    return render(
        request,
        "chat/room.html",
        {
            "room": page.room,
            "membership": page.membership,
            "summary": page.summary,
            "rooms": page.rooms,
            "members": selectors.room_members(page.room) if page.membership is not None else [],
            "can_manage_members": can_manage,
            "add_member_form": AddMemberForm() if can_manage else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def room_create(request: HttpRequest) -> HttpResponse:
    form = RoomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            room = services.room_create(creator=request.user, **form.cleaned_data)
        except ChatError as error:
            form.add_error(None, error.message)
        else:
            return redirect(room)
    return render(request, "chat/room_new.html", {"form": form})


@login_required
def direct(request: HttpRequest, username: str) -> HttpResponse:
    try:
        other = selectors.active_user_by_username(username)
        room = services.direct_room_open(user=request.user, other=other)
    except NotFound:
        raise Http404 from None
    except ChatError as error:
        messages.error(request, error.message)
        return redirect("chat:index")
    return redirect(room)


@login_required
@require_POST
def room_join(request: HttpRequest, slug: str) -> HttpResponse:
    room, _membership = _room_or_404(request, slug)
    try:
        services.room_join(user=request.user, room_slug=slug)
    except ChatError as error:
        messages.error(request, error.message)
    return redirect(room)


@login_required
@require_POST
def room_leave(request: HttpRequest, slug: str) -> HttpResponse:
    room, _membership = _room_or_404(request, slug)
    try:
        services.room_leave(user=request.user, room_slug=slug)
    except ChatError as error:
        messages.error(request, error.message)
        return redirect(room)
    return redirect("chat:index")


@login_required
@require_POST
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
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
