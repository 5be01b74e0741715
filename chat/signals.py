"""Access that ends takes effect on open sockets at once, whatever path ended it.

Logging out closes the sockets of that session; a new password, deactivation
or deletion closes all of the user's sockets. Each closes with 4401, so the
client asks its user to sign in again. A membership that disappears without
going through a service (a user or room deleted in the shell, a cascade)
still sends ``removed``. A file's stored bytes go with its row, however the row
went (a deleted message, room or account, the admin, a cascade), once that
commits. Connected in ChatConfig.ready.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from chat import events, uploads
from chat.models import Attachment, Membership, Reaction, Room

CLOSE_UNAUTHENTICATED = 4401

User = get_user_model()

# Set on a Membership or Room (the instance a service deletes) whose members'
# sockets the service has already told: the receivers below then stay quiet.
ANNOUNCED = "_chat_removal_announced"


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if user is not None and session_key:
        events.sockets_closed(user.pk, CLOSE_UNAUTHENTICATED, session_key=session_key)


@receiver(pre_save, sender=User)
def _access_may_end(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if instance.pk is None or kwargs.get("raw"):
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login, saved at every sign-in
    before = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    instance._chat_access_ended = before is not None and (
        before["password"] != instance.password or (before["is_active"] and not instance.is_active)
    )


@receiver(post_save, sender=User)
def _access_ended(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if getattr(instance, "_chat_access_ended", False):
        instance._chat_access_ended = False
        events.sockets_closed(instance.pk, CLOSE_UNAUTHENTICATED)


@receiver(post_delete, sender=User)
def _user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Sent after the cascade removed their memberships (and after those ``removed``
    # events were queued): the sockets hear of each room, then close.
    events.sockets_closed(instance.pk, CLOSE_UNAUTHENTICATED)


@receiver(post_delete, sender=Membership)
def _membership_deleted(sender: Any, instance: Membership, origin: Any = None, **kwargs: Any) -> None:
    if getattr(origin, ANNOUNCED, False):
        return
    slug = origin.slug if isinstance(origin, Room) and origin.pk == instance.room_id else None
    if slug is None:
        slug = Room.objects.filter(pk=instance.room_id).values_list("slug", flat=True).first()
    if slug is None:
        return
    events.room_removed(instance.user_id, instance.room_id, slug)
    if isinstance(origin, Room):
        return  # the room itself is going: nobody is left to tell
    username = origin.username if isinstance(origin, User) and origin.pk == instance.user_id else None
    if username is None:
        username = User.objects.filter(pk=instance.user_id).values_list("username", flat=True).first()
    if username is not None:
        events.member_left(instance.room_id, slug, username)


@receiver(post_delete, sender=Reaction)
def _reaction_deleted(sender: Any, instance: Reaction, origin: Any = None, **kwargs: Any) -> None:
    # The services keep a message's summary in step themselves; a reaction that went
    # with its deleted user did not pass through them.
    if isinstance(origin, User):
        from chat.services.reactions import reactions_refresh

        reactions_refresh(instance.message_id)


@receiver(post_delete, sender=Attachment)
def _attachment_deleted(sender: Any, instance: Attachment, **kwargs: Any) -> None:
    uploads.delete_on_commit(instance.stored_names)


@receiver(pre_delete, sender=User)
def _user_deleting(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Their uploads not sent yet belong to no message, and would belong to no one.
    from chat.services.attachments import pending_for_user_delete

    pending_for_user_delete(instance)
