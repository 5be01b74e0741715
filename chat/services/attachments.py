"""Files: upload one to a room, take it back, delete one from a message, expire the unsent.

A file is uploaded on its own (over HTTP), before the message it goes with: it is
then its uploader's, in one room, attached to nothing. A ``send`` naming it attaches
it (chat.services.messages), for good; a message's files are listed in its
``attachments`` and go when it is deleted. The bytes live behind chat.uploads.

Every limit is checked before any byte is stored: ``attachment_check_upload`` with
the size the request declares, before the body is read, and ``attachment_upload``
again with the size received.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from chat import events, permissions, protocol, selectors, uploads
from chat.exceptions import QuotaExceeded, TooLarge
from chat.models import Attachment, Message, Room
from chat.services.messages import lock_message, take_rev

DAY = timedelta(hours=24)
# Expired uploads removed at each upload, besides the cleanup command's sweeps.
EXPIRE_PER_UPLOAD = 20


def _check_limits(user: User, size: int, client_id: str, now: datetime) -> None:
    if size > settings.CHAT_UPLOAD_MAX_FILE_SIZE:
        raise TooLarge(
            _("A file may be at most %(size)s."),
            params={"size": filesizeformat(settings.CHAT_UPLOAD_MAX_FILE_SIZE)},
        )
    if client_id:
        # The other files uploaded for the same message, not sent yet.
        sizes = selectors.pending_upload_sizes(user, client_id)
        if len(sizes) + 1 > settings.CHAT_UPLOAD_MAX_FILES:
            raise TooLarge(
                _("A message takes at most %(count)d files."),
                params={"count": settings.CHAT_UPLOAD_MAX_FILES},
            )
        if sum(sizes) + size > settings.CHAT_UPLOAD_MAX_MESSAGE_SIZE:
            raise TooLarge(
                _("The files of one message may be at most %(size)s together."),
                params={"size": filesizeformat(settings.CHAT_UPLOAD_MAX_MESSAGE_SIZE)},
            )
    recent = selectors.uploads_since(user, now - DAY)  # (when, size), oldest first
    used = sum(found for _when, found in recent)
    limit = settings.CHAT_UPLOAD_MAX_DAILY_SIZE
    if used + size > limit:
        # When enough of what counts now is more than a day old for this file to fit.
        freed, wait_until = 0, now + DAY
        for when, found in recent:
            freed += found
            if used - freed + size <= limit:
                wait_until = when + DAY
                break
        raise QuotaExceeded(
            _("You have uploaded %(used)s in the last 24 hours, and may upload %(limit)s; try again later."),
            params={"used": filesizeformat(used), "limit": filesizeformat(limit)},
            retry_after=max(1.0, (wait_until - now).total_seconds()),
        )


def attachment_check_upload(*, user: User, room_slug: str, size: int, client_id: str = "") -> Room:
    """Whether ``user`` may upload a file of ``size`` bytes to the room now (for the message
    ``client_id``, when given): the room if so, else the refusal (not_found, forbidden,
    archived, too_large, quota_exceeded). Nothing is written."""
    room, membership = selectors.room_access(user, room_slug)
    permissions.check_can_upload(room, membership)
    _check_limits(user, size, client_id, timezone.now())
    return room


def attachment_upload(*, user: User, room_slug: str, upload: UploadedFile, client_id: str = "") -> Attachment:
    """Store ``upload`` as the user's file in the room, to send with a message.

    The checks of ``attachment_check_upload`` are made again with the size received,
    before it is stored; and once more with the size stored, as it is recorded, with the
    user's row locked: uploads of one user at the same moment (from several tabs or
    processes) are counted one after the other, so together they cannot overshoot the
    day's limit or one message's. If storing or recording it fails, or the last check
    refuses it, nothing of it is left in the storage."""
    room = attachment_check_upload(user=user, room_slug=room_slug, size=upload.size or 0, client_id=client_id)
    attachments_expire(limit=EXPIRE_PER_UPLOAD)
    name = uploads.clean_name(upload.name or "")
    stored = uploads.store(upload, name)
    try:
        with transaction.atomic():
            list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
            _check_limits(user, stored.size, client_id, timezone.now())
            return Attachment.objects.create(
                room=room,
                uploader=user,
                client_id=client_id,
                name=name,
                content_type=stored.content_type,
                size=stored.size,
                file=stored.file,
                thumbnail=stored.thumbnail,
                is_image=stored.is_image,
                width=stored.width,
                height=stored.height,
            )
    except BaseException:
        uploads.delete_now([stored.file, stored.thumbnail])
        raise


def attachment_discard(*, user: User, room_slug: str, attachment_id: int) -> None:
    """Take back an upload not sent yet (its uploader cancelled it): the row goes now, the
    stored files once that commits. A file already sent is not the uploader's to take back."""
    attachment = Attachment.objects.filter(pk=attachment_id, room__slug=room_slug).first()
    attachment = permissions.check_can_discard(user, attachment)
    _delete_pending([attachment.pk])


def _delete_pending(ids: list[int]) -> int:
    """Delete those of the uploads that are still not sent; how many. Their rows are
    locked first, as a send locks the uploads it claims: whichever comes second sees
    what the first did (a send that claimed one a moment ago keeps it)."""
    with transaction.atomic():
        pending = list(
            Attachment.objects.select_for_update(of=("self",))
            .filter(pk__in=ids, message__isnull=True)
            .values_list("pk", flat=True)
        )
        if pending:
            Attachment.objects.filter(pk__in=pending).delete()
    return len(pending)


def attachment_summary(message: Message) -> list[dict[str, object]]:
    """The message's ``attachments`` as its rows say, in the order it was sent with them."""
    return [attachment.summary() for attachment in message.attachment_rows.order_by("position", "pk")]


def attachment_delete(*, actor: User, attachment: Attachment) -> None:
    """Delete a file (a moderator, in the admin). Deleted from a sent message, the message
    takes the room's next rev and every socket of the room hears ``attachments_changed``."""
    permissions.check_can_delete_attachment(actor)
    with transaction.atomic():
        # As it is now (sent meanwhile, or gone already), and again if it was sent just
        # as it was to be deleted unsent.
        found = Attachment.objects.filter(pk=attachment.pk).values_list("message_id", flat=True)
        if found.first() is None and (_delete_pending([attachment.pk]) or not found.exists()):
            return
        message_id = found.first()
        if message_id is None:  # gone meanwhile
            return
        message = lock_message(message_id)
        Attachment.objects.filter(pk=attachment.pk).delete()
        if message.is_deleted:
            return
        room = Room.objects.get(pk=message.room_id)
        message.attachments = attachment_summary(message)
        message.rev = take_rev(room.pk)
        message.save(update_fields=["attachments", "rev"])
        events.attachments_changed(
            room.pk, room.slug, message.seq, protocol.attachment_payloads(message.attachments)
        )


def attachments_expire(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Remove uploads never sent within CHAT_UPLOAD_PENDING_HOURS (oldest first, at most
    ``limit``); how many went."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.CHAT_UPLOAD_PENDING_HOURS)
    expired = Attachment.objects.pending().filter(created_at__lt=cutoff).order_by("created_at")
    ids = list(
        expired.values_list("pk", flat=True)[:limit] if limit else expired.values_list("pk", flat=True)
    )
    if not ids:
        return 0
    return _delete_pending(ids)


SWEEP_BATCH = 500


def stray_files_delete(*, now: datetime | None = None) -> int:
    """Remove stored files that no row names and that are older than
    CHAT_UPLOAD_PENDING_HOURS: left by a process that died between storing a file and
    recording it (younger ones may be uploads in progress). How many went."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.CHAT_UPLOAD_PENDING_HOURS)
    old = [name for name, modified in uploads.stored_files() if modified is not None and modified < cutoff]
    deleted = 0
    for start in range(0, len(old), SWEEP_BATCH):
        batch = old[start : start + SWEEP_BATCH]
        named = set(Attachment.objects.filter(file__in=batch).values_list("file", flat=True))
        named |= set(Attachment.objects.filter(thumbnail__in=batch).values_list("thumbnail", flat=True))
        stray = [name for name in batch if name not in named]
        uploads.delete_now(stray)
        deleted += len(stray)
    return deleted


def pending_for_user_delete(user: User) -> None:
    """A user is being deleted: their uploads not sent go with them (those sent stay with
    their messages, which stay too)."""
    _delete_pending(list(Attachment.objects.pending().filter(uploader=user).values_list("pk", flat=True)))
