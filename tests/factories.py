"""factory_boy factories for the chat's models.

Rooms are made through ``services.room_create`` so that a factory room is a
real room: its creator is its room admin. Messages take the room's next seq
the way the service does, so seqs stay consecutive.
"""

from __future__ import annotations

from typing import Any

import factory
from django.db import transaction
from django.db.models import F
from factory.django import DjangoModelFactory

from accounts.models import User
from chat import services
from chat.models import Attachment, Membership, Message, Room
from chat.rendering import mentioned_names, render_body

PASSWORD = "correct horse battery staple"


class UserFactory(DjangoModelFactory[User]):
    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username.capitalize()[:64])  # the column holds 64
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password(PASSWORD)

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True


class StaffFactory(UserFactory):
    """Site staff with the chat's model permissions (a moderator)."""

    is_staff = True

    class Meta:
        model = User
        skip_postgeneration_save = True

    @factory.post_generation
    def chat_permissions(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        from django.contrib.auth.models import Permission

        codenames = extracted or [
            "change_room",
            "delete_room",
            "change_membership",
            "add_membership",
            "delete_membership",
            "delete_message",
        ]
        self.user_permissions.set(
            Permission.objects.filter(content_type__app_label="chat", codename__in=codenames)
        )


class RoomFactory(DjangoModelFactory[Room]):
    """A room made by ``services.room_create``; ``created_by`` becomes its admin."""

    name = factory.Sequence(lambda n: f"Room {n}")
    slug = factory.Sequence(lambda n: f"room-{n}")
    topic = ""
    is_private = False
    is_archived = False
    created_by = factory.SubFactory(UserFactory)

    class Meta:
        model = Room

    @classmethod
    def _create(cls, model_class: type[Room], *args: Any, **kwargs: Any) -> Room:
        is_archived = kwargs.pop("is_archived", False)
        room = services.room_create(
            creator=kwargs.pop("created_by"),
            name=kwargs.pop("name"),
            slug=kwargs.pop("slug"),
            topic=kwargs.pop("topic", ""),
            is_private=kwargs.pop("is_private", False),
        )
        if kwargs:
            raise TypeError(f"RoomFactory does not set {sorted(kwargs)}")
        if is_archived:
            # Set directly: a factory should not need an actor with permissions.
            Room.objects.filter(pk=room.pk).update(is_archived=True)
            room.is_archived = True
        return room


class MembershipFactory(DjangoModelFactory[Membership]):
    room = factory.SubFactory(RoomFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER

    class Meta:
        model = Membership


class MessageFactory(DjangoModelFactory[Message]):
    """A stored message with the room's next seq (no rate limit, no events)."""

    room = factory.SubFactory(RoomFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Sequence(lambda n: f"message {n}")
    client_id = factory.Sequence(lambda n: f"factory-{n}")

    class Meta:
        model = Message

    @classmethod
    def _create(cls, model_class: type[Message], *args: Any, **kwargs: Any) -> Message:
        room: Room = kwargs["room"]
        body: str = kwargs["body"]
        names = mentioned_names(body)
        existing = User.objects.filter(username__in=names).values_list("username", flat=True)
        kwargs.setdefault("html", render_body(body, existing))
        with transaction.atomic():
            Room.objects.filter(pk=room.pk).update(last_seq=F("last_seq") + 1)
            room.refresh_from_db(fields=["last_seq"])
            kwargs["seq"] = room.last_seq
            return super()._create(model_class, *args, **kwargs)


def uploaded(
    user: User, room: Room, data: bytes = b"plain text\n", name: str = "notes.txt", client_id: str = ""
) -> Attachment:
    """A file ``user`` uploaded to ``room`` (through the service, so it is stored), not sent yet."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return services.attachment_upload(
        user=user, room_slug=room.slug, upload=SimpleUploadedFile(name, data), client_id=client_id
    )
