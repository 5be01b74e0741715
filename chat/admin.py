"""The control room. Every change goes through chat.services, so it reaches
open sockets at once and obeys the same rules as the pages and the socket."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from chat import services
from chat.exceptions import ChatError
from chat.models import Attachment, Membership, Mention, Message, Reaction, Room, Webhook
from chat.notes import note_text
from chat.services.rooms import DIRECT_SLUG_PREFIX, RoomNameTaken, room_name_check, slug_is_reserved


def _apply(request: HttpRequest, service, **kwargs):
    """Call a service for an admin action; a refusal becomes an error message, not a 500."""
    try:
        return service(**kwargs)
    except ChatError as error:
        messages.error(request, error.message)
        return None


def _apply_to_each(request: HttpRequest, service, rooms: QuerySet[Room]) -> int:
    """Call a room service for each room of an admin action; how many it did not refuse."""
    done = 0
    for room in list(rooms):
        try:
            service(actor=request.user, room=room)
        except ChatError as error:
            messages.error(request, error.message)
        else:
            done += 1
    return done


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role", "last_read_seq", "joined_at")
    readonly_fields = ("last_read_seq", "joined_at")
    autocomplete_fields = ("user",)


class RoomAdminForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ("name", "slug", "topic", "is_private", "is_archived")

    def clean_name(self) -> str:
        # The service refuses it too; here the refusal sits beside the field.
        try:
            return room_name_check(
                name=self.cleaned_data["name"], room=self.instance if self.instance.pk else None
            )
        except RoomNameTaken as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    def clean_slug(self) -> str:
        # The service refuses it too; here the refusal sits beside the field.
        slug = self.cleaned_data["slug"]
        if self.instance.pk is None and slug_is_reserved(slug):
            raise forms.ValidationError(
                _("Addresses starting with “%(prefix)s” are kept for direct messages."),
                params={"prefix": DIRECT_SLUG_PREFIX},
            )
        return slug


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    form = RoomAdminForm
    list_display = ("name", "slug", "is_private", "is_direct", "is_archived", "last_seq", "created_at")
    list_filter = ("is_private", "is_direct", "is_archived")
    search_fields = ("name", "slug", "topic")
    readonly_fields = ("is_direct", "last_seq", "created_by", "created_at")
    actions = ("archive_rooms", "unarchive_rooms", "delete_rooms")
    inlines = (MembershipInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: Room | None = None) -> tuple[str, ...]:
        # The slug is the room's address in every client; it is fixed once made.
        return (*self.readonly_fields, "slug") if obj is not None else self.readonly_fields

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # replaced by delete_rooms, which tells sockets
        return actions

    def save_model(self, request: HttpRequest, obj: Room, form, change: bool) -> None:
        if not change:
            room = _apply(
                request,
                services.room_create,
                creator=request.user,
                name=obj.name,
                slug=obj.slug,
                topic=obj.topic,
                is_private=obj.is_private,
            )
            if room is None:
                return
            if obj.is_archived:
                _apply(request, services.room_archive, actor=request.user, room=room)
            obj.pk = room.pk
            obj.refresh_from_db()
            return
        _apply(
            request,
            services.room_update,
            actor=request.user,
            room=Room.objects.get(pk=obj.pk),
            name=obj.name,
            topic=obj.topic,
            is_private=obj.is_private,
            is_archived=obj.is_archived,
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if form.instance.pk is None:  # the service refused the room (its message is shown)
            for formset in formsets:
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        super().save_related(request, form, formsets, change)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if obj.pk is None:  # refused: nothing was added
            return None
        return super().log_addition(request, obj, message)

    def response_add(
        self, request: HttpRequest, obj: Room, post_url_continue: str | None = None
    ) -> HttpResponse:
        if obj.pk is None:  # refused: back to the form, without "added successfully"
            return HttpResponseRedirect(request.get_full_path())
        return super().response_add(request, obj, post_url_continue)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        room = form.instance
        # formset.save() would skip the services; fill in what it would have recorded, which
        # the admin's change message reads.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for deleted_form in formset.deleted_forms:
            if deleted_form.instance.pk is not None:
                membership = deleted_form.instance
                _apply(request, services.membership_remove, actor=request.user, membership=membership)
                formset.deleted_objects.append(membership)
        for inline_form in formset.forms:
            if not inline_form.has_changed() or inline_form in formset.deleted_forms:
                continue
            data = inline_form.cleaned_data
            if not data or not data.get("user"):
                continue
            if inline_form.instance.pk is None:
                membership = _apply(
                    request,
                    services.membership_add,
                    actor=request.user,
                    room=room,
                    user=data["user"],
                    role=data["role"],
                )
                if membership is not None:
                    formset.new_objects.append(membership)
            else:
                membership = _apply(
                    request,
                    services.membership_set_role,
                    actor=request.user,
                    membership=Membership.objects.get(pk=inline_form.instance.pk),
                    role=data["role"],
                )
                if membership is not None:
                    formset.changed_objects.append((membership, inline_form.changed_data))

    def delete_model(self, request: HttpRequest, obj: Room) -> None:
        _apply(request, services.room_delete, actor=request.user, room=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        for room in queryset:
            _apply(request, services.room_delete, actor=request.user, room=room)

    @admin.action(description=_("Archive the selected rooms (read-only)"), permissions=["change"])
    def archive_rooms(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        n = _apply_to_each(request, services.room_archive, queryset)
        if n:
            self.message_user(
                request,
                ngettext("Archived %(n)d room.", "Archived %(n)d rooms.", n) % {"n": n},
                messages.SUCCESS,
            )

    @admin.action(description=_("Unarchive the selected rooms"), permissions=["change"])
    def unarchive_rooms(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        n = _apply_to_each(request, services.room_unarchive, queryset)
        if n:
            self.message_user(
                request,
                ngettext("Unarchived %(n)d room.", "Unarchived %(n)d rooms.", n) % {"n": n},
                messages.SUCCESS,
            )

    @admin.action(description=_("Delete the selected rooms and their messages"), permissions=["delete"])
    def delete_rooms(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        n = _apply_to_each(request, services.room_delete, queryset)
        if n:
            self.message_user(
                request,
                ngettext("Deleted %(n)d room.", "Deleted %(n)d rooms.", n) % {"n": n},
                messages.SUCCESS,
            )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "room", "role", "last_read_seq", "joined_at")
    list_filter = ("role", "room")
    search_fields = ("user__username", "room__name", "room__slug")
    autocomplete_fields = ("user",)
    actions = ("make_room_admin", "make_member", "remove_members")

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> tuple[str, ...]:
        # Moving a membership to another user or room would skip the events; remove and add instead.
        return (
            ("user", "room", "last_read_seq", "joined_at")
            if obj is not None
            else ("last_read_seq", "joined_at")
        )

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: Membership, form, change: bool) -> None:
        if change:
            _apply(
                request,
                services.membership_set_role,
                actor=request.user,
                membership=Membership.objects.get(pk=obj.pk),
                role=obj.role,
            )
            return
        membership = _apply(
            request, services.membership_add, actor=request.user, room=obj.room, user=obj.user, role=obj.role
        )
        if membership is not None:
            obj.pk = membership.pk

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "room":
            # Direct conversations have exactly their two members.
            kwargs["queryset"] = Room.objects.filter(is_direct=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        _apply(request, services.membership_remove, actor=request.user, membership=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset.select_related("room", "user"):
            _apply(request, services.membership_remove, actor=request.user, membership=membership)

    def _set_role(self, request: HttpRequest, queryset: QuerySet[Membership], role: str) -> None:
        for membership in queryset.select_related("room", "user"):
            _apply(
                request, services.membership_set_role, actor=request.user, membership=membership, role=role
            )

    @admin.action(description=_("Make room admin"), permissions=["change"])
    def make_room_admin(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        self._set_role(request, queryset, Membership.Role.ADMIN)

    @admin.action(description=_("Make plain member"), permissions=["change"])
    def make_member(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        self._set_role(request, queryset, Membership.Role.MEMBER)

    @admin.action(description=_("Remove from their rooms"), permissions=["delete"])
    def remove_members(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        self.delete_queryset(request, queryset)


class MentionInline(admin.TabularInline):
    """Whom a message mentions: written by chat.services with the message, only shown here."""

    model = Mention
    extra = 0
    fields = ("user",)
    readonly_fields = ("user",)
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReactionInline(admin.TabularInline):
    """Who reacted with what: written by chat.services.reactions (which keeps the
    message's summary in step), only shown here. Deleting the message deletes them."""

    model = Reaction
    extra = 0
    fields = ("emoji", "user", "created_at")
    readonly_fields = fields
    can_delete = False
    ordering = ("created_at", "pk")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttachmentInline(admin.TabularInline):
    """A message's files: sent with it, only shown here; each opens on its own page,
    where a moderator may delete it (chat.services.attachments)."""

    model = Attachment
    fk_name = "message"
    extra = 0
    fields = ("name", "content_type", "size", "is_image", "uploader", "created_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True
    ordering = ("position", "pk")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Uploaded files. Deleting one goes through chat.services.attachments: its stored
    bytes go, and its message's viewers see it go."""

    list_display = ("name", "room", "message_seq", "uploader", "content_type", "size", "created_at")
    list_filter = (("message", admin.EmptyFieldListFilter), "is_image", "room")
    search_fields = ("name", "uploader__username", "room__slug")
    list_select_related = ("room", "message", "uploader")
    readonly_fields = (
        "name",
        "room",
        "message",
        "uploader",
        "content_type",
        "size",
        "is_image",
        "width",
        "height",
        "file",
        "thumbnail",
        "created_at",
    )
    fields = readonly_fields
    actions = ("delete_attachments",)
    date_hierarchy = "created_at"

    @admin.display(description=_("message"))
    def message_seq(self, obj: Attachment) -> str:
        return f"#{obj.message.seq}" if obj.message is not None else "(not sent)"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Attachment | None = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request: HttpRequest, obj: Attachment) -> None:
        _apply(request, services.attachment_delete, actor=request.user, attachment=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Attachment]) -> None:
        for attachment in queryset:
            _apply(request, services.attachment_delete, actor=request.user, attachment=attachment)

    @admin.action(description=_("Delete the selected files"), permissions=["delete"])
    def delete_attachments(self, request: HttpRequest, queryset: QuerySet[Attachment]) -> None:
        n = queryset.count()
        self.delete_queryset(request, queryset)
        self.message_user(
            request,
            ngettext("Deleted %(n)d file.", "Deleted %(n)d files.", n) % {"n": n},
            messages.SUCCESS,
        )


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("room", "seq", "author", "short_body", "created_at", "edited_at", "deleted_at")
    list_filter = (
        "room",
        ("author", admin.RelatedOnlyFieldListFilter),
        ("deleted_at", admin.EmptyFieldListFilter),
        "created_at",
    )
    search_fields = ("body", "author__username", "room__slug", "room__name")
    list_select_related = ("room", "author")
    readonly_fields = (
        "room",
        "seq",
        "author",
        "body",
        "client_id",
        "created_at",
        "edited_at",
        "deleted_at",
        "deleted_by",
        # Its thread: the first message's seq for a reply; the replies for a first message.
        "parent_seq",
        "also_to_room",
        "reply_count",
    )
    fields = readonly_fields
    inlines = (MentionInline, ReactionInline, AttachmentInline)
    actions = ("delete_messages",)
    date_hierarchy = "created_at"

    @admin.display(description=_("body"))
    def short_body(self, obj: Message) -> str:
        if obj.is_deleted:
            return gettext("(deleted)")
        # A system note in the admin's own language; its stored body is the site's.
        body = (obj.event and note_text(obj.event)) or obj.body
        return body if len(body) <= 80 else body[:79] + "…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request: HttpRequest, obj: Message) -> None:
        _apply(request, services.message_delete, user=request.user, room_slug=obj.room.slug, seq=obj.seq)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        for message in queryset.select_related("room"):
            _apply(
                request,
                services.message_delete,
                user=request.user,
                room_slug=message.room.slug,
                seq=message.seq,
            )

    @admin.action(description=_("Delete the selected messages (leaves tombstones)"), permissions=["delete"])
    def delete_messages(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        self.delete_queryset(request, queryset)
        n = queryset.count()
        self.message_user(
            request,
            ngettext("Deleted %(n)d message.", "Deleted %(n)d messages.", n) % {"n": n},
            messages.SUCCESS,
        )


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """The rooms' incoming webhooks: made by room admins on the room page (the URL is
    shown once, there); revoked here or there."""

    list_display = ("name", "room", "bot", "created_by", "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "room")
    search_fields = ("name", "room__slug", "bot__username")
    list_select_related = ("room", "bot", "created_by")
    readonly_fields = ("name", "room", "bot", "created_by", "created_at", "revoked_at")
    fields = readonly_fields
    actions = ("revoke",)

    @admin.action(description=_("Revoke the selected webhooks"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
