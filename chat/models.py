from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class RoomQuerySet(models.QuerySet):
    def public(self) -> "RoomQuerySet":
        return self.filter(is_private=False)

    def active(self) -> "RoomQuerySet":
        return self.filter(is_archived=False)


class Room(models.Model):
    """A conversation: a public or private room, or a direct message of two."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    topic = models.CharField(_("topic"), max_length=250, blank=True)
    is_private = models.BooleanField(_("private"), default=False)
    is_direct = models.BooleanField(_("direct message"), default=False)
    is_archived = models.BooleanField(_("archived"), default=False)
    # For direct messages: "<lower user id>:<higher user id>", so there is one per pair.
    direct_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The highest seq given in this room; the next message takes last_seq + 1.
    last_seq = models.PositiveBigIntegerField(_("last seq"), default=0, editable=False)
    # Counts changes to the room's existing messages (edits, deletions, reactions):
    # each changed message takes the next value as its rev, so a client that was
    # away asks for the messages changed after the last rev it knew (``changes``).
    last_rev = models.PositiveBigIntegerField(_("last change"), default=0, editable=False)

    objects = RoomQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("chat:room", kwargs={"slug": self.slug})


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("member")
        ADMIN = "admin", _("room admin")

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    last_read_seq = models.PositiveBigIntegerField(_("last read seq"), default=0)
    # The member's own choice: no notifications from the room, its unread count kept quiet.
    muted = models.BooleanField(_("muted"), default=False)
    # The member takes part in a thread of the room (chat.services.threads): only then are
    # their unread replies counted, so a room summary of anyone else costs no query more.
    in_threads = models.BooleanField(_("takes part in threads"), default=False, editable=False)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="membership_unique_room_user"),
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} in {self.room}"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class Message(models.Model):
    """One message in a room, numbered by a per-room seq with no gaps.

    A deleted message stays as a tombstone so that seq numbers stay gap-free.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveBigIntegerField(_("seq"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("author"),
    )
    body = models.TextField(_("body"), blank=True)
    # The sanitized rendering of body (chat.rendering), made when body is written.
    html = models.TextField(_("html"), blank=True, editable=False)
    # NULL, not "", for messages without one (system messages), so that the
    # unique (author, client_id) constraint leaves them alone.
    client_id = models.CharField(_("client id"), max_length=64, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deleted by"),
    )
    # The room's rev when the message last changed (0: never changed).
    rev = models.PositiveBigIntegerField(_("change"), default=0, editable=False)
    # Its reactions as every payload carries them, [{"emoji", "count", "users"}]: derived
    # from its Reaction rows and rewritten with them, under the message's row lock.
    reactions = models.JSONField(_("reactions"), default=list, blank=True, editable=False)
    # A system note's event, {"kind", "user": {"username", "display_name"}} (chat.notes): each
    # reader's client writes it in their language; body is its text in the site's language.
    event = models.JSONField(_("event"), null=True, blank=True, editable=False)
    # Its files as every payload carries them, [{"id", "name", "size", "content_type",
    # "image", "width", "height"}] in the order sent: derived from its Attachment rows
    # and rewritten with them, under the message's row lock.
    attachments = models.JSONField(_("attachments"), default=list, blank=True, editable=False)
    # A reply: the first message of its thread (in the same room), and that message's seq,
    # which its payload carries without a join. Both null outside threads; never changed.
    thread = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
        editable=False,
        db_index=False,  # message_thread_seq below
        verbose_name=_("thread"),
    )
    parent_seq = models.PositiveBigIntegerField(
        _("thread's first message"), null=True, blank=True, editable=False
    )
    # A reply shown in the room's main timeline as well ("also send to #room").
    also_to_room = models.BooleanField(_("also sent to the room"), default=False, editable=False)
    # On a thread's first message, its thread as payloads show it, kept in step with the
    # replies under the room's row lock (chat.services.threads): the replies not deleted,
    # the newest reply's seq (tombstones too: not null once the message has a thread),
    # when the newest reply not deleted came, and who wrote the newest ones.
    reply_count = models.PositiveIntegerField(_("replies"), default=0, editable=False)
    last_reply_seq = models.PositiveBigIntegerField(_("last reply"), null=True, blank=True, editable=False)
    last_reply_at = models.DateTimeField(_("last reply at"), null=True, blank=True, editable=False)
    repliers = models.JSONField(_("last repliers"), default=list, blank=True, editable=False)

    class Meta:
        ordering = ["room", "seq"]
        indexes = [
            models.Index(fields=["room", "rev"], name="message_room_rev"),
            # A thread's replies in seq order (the thread's history, its unread counts).
            models.Index(
                fields=["thread", "seq"], name="message_thread_seq", condition=Q(thread__isnull=False)
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="message_unique_room_seq"),
            models.UniqueConstraint(
                fields=["author", "client_id"],
                condition=Q(author__isnull=False, client_id__isnull=False),
                name="message_unique_author_client_id",
            ),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"#{self.room_id}:{self.seq}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Mention(models.Model):
    """A member of the room named with ``@username`` in a message (chat.services.messages).

    Only the room's members at the time of writing, never the author; an edit
    replaces the set and a deletion removes it.
    """

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="mentions", verbose_name=_("message")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions", verbose_name=_("user")
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="mention_unique_message_user"),
        ]
        # A user's mentions: the unread count of each room, and the mentions page.
        indexes = [models.Index(fields=["user", "message"], name="mention_user_message")]
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")

    def __str__(self) -> str:
        return f"@{self.user_id} in {self.message}"


class Reaction(models.Model):
    """One user's emoji on one message (chat.services.reactions)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reaction_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions")
    emoji = models.CharField(_("emoji"), max_length=32)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "user", "emoji"], name="reaction_unique_message_user_emoji"
            ),
        ]
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")

    def __str__(self) -> str:
        return f"{self.emoji} on {self.message_id}"


class ThreadParticipant(models.Model):
    """A user taking part in a thread: they wrote its first message or a reply in it
    (chat.services.threads), and have read its replies up to ``last_read_seq``."""

    thread = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="participants", verbose_name=_("thread")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="threads", verbose_name=_("user")
    )
    # The seq of the newest reply the user has seen in the thread (0: none).
    last_read_seq = models.PositiveBigIntegerField(_("last read seq"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="thread_participant_unique_thread_user"),
        ]
        # A user's threads: their unread counts (every room summary) and the threads page.
        indexes = [models.Index(fields=["user", "thread"], name="thread_participant_user")]
        verbose_name = _("thread participant")
        verbose_name_plural = _("thread participants")

    def __str__(self) -> str:
        return f"{self.user_id} in the thread of {self.thread_id}"


class AttachmentQuerySet(models.QuerySet):
    def pending(self) -> "AttachmentQuerySet":
        """Uploaded, not sent with a message (yet)."""
        return self.filter(message__isnull=True)


class Attachment(models.Model):
    """A file uploaded to a room (chat.uploads, chat.services.attachments).

    It is uploaded first, owned by its uploader and attached to nothing; sending a
    message with it attaches it, for good. Its bytes are in the default storage
    under generated names (``file``, and ``thumbnail`` for a picture); ``name`` is
    what the uploader called it, shown as text and never used as a path. Deleting
    the row deletes the stored files (chat.signals), whatever deleted it.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachment_rows",
        verbose_name=_("message"),
    )
    # Null once the uploader's account is deleted: a sent file stays with its message.
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("uploaded by"),
    )
    # The client_id of the message the file was uploaded for, when the client said.
    client_id = models.CharField(_("client id"), max_length=64, blank=True, default="")
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    file = models.CharField(_("stored as"), max_length=255, unique=True)
    thumbnail = models.CharField(_("thumbnail stored as"), max_length=255, blank=True)
    is_image = models.BooleanField(_("image"), default=False)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    # Its place among the message's attachments, as the send listed them.
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["message", "position", "pk"]
        indexes = [
            # A user's uploads of the last day (the daily limit).
            models.Index(fields=["uploader", "created_at"], name="attachment_uploader_created"),
            # Uploads never sent, oldest first (their expiry).
            models.Index(
                fields=["created_at"], condition=Q(message__isnull=True), name="attachment_pending_created"
            ),
        ]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name

    @property
    def stored_names(self) -> list[str]:
        """The names of its files in the storage."""
        return [name for name in (self.file, self.thumbnail) if name]

    def summary(self) -> dict[str, object]:
        """What its message's ``attachments`` keeps of it (protocol.attachment_payload adds the URLs)."""
        return {
            "id": self.pk,
            "name": self.name,
            "size": self.size,
            "content_type": self.content_type,
            "image": self.is_image,
            "width": self.width,
            "height": self.height,
        }


class Webhook(models.Model):
    """An incoming webhook: a secret URL that posts what it receives to a room, as a bot.

    Only a hash of the secret is kept; the URL is shown once, when it is made.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="webhooks")
    bot = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(_("name"), max_length=64)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["room", "name"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return f"{self.name} → #{self.room.slug}"
