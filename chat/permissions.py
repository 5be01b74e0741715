"""Who may see and do what. One function per question, and nowhere else.

The ``can_*`` functions answer yes or no; the ``check_*`` functions raise the
protocol error that a refusal means, so every caller reports it the same way.
A private room the user may not see is always ``not_found``, never
``forbidden``: nobody learns that it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from chat.exceptions import Archived, ChatError, Forbidden, NotFound

if TYPE_CHECKING:
    from accounts.models import User
    from chat.models import Attachment, Membership, Message, Room


def can_see_room(room: Room, membership: Membership | None) -> bool:
    return membership is not None or not room.is_private


def is_moderator(user: User) -> bool:
    """Site staff who may moderate every room (through the admin)."""
    return user.is_active and user.is_staff and user.has_perm("chat.delete_message")


def can_manage_room(user: User, room: Room, membership: Membership | None) -> bool:
    """Rename, archive, delete the room."""
    if membership is not None and membership.is_admin:
        return True
    return user.is_active and user.is_staff and user.has_perm("chat.change_room")


def can_manage_members(user: User, room: Room, membership: Membership | None) -> bool:
    """Add and remove members, change roles."""
    if room.is_direct:
        return False
    if membership is not None and membership.is_admin:
        return True
    return user.is_active and user.is_staff and user.has_perm("chat.change_membership")


def can_delete_message(user: User, message: Message, membership: Membership | None) -> bool:
    if message.author_id is not None and message.author_id == user.pk and membership is not None:
        return True
    if membership is not None and membership.is_admin:
        return True
    return is_moderator(user)


def check_can_see_room(room: Room | None, membership: Membership | None) -> Room:
    """The room, if the user may see it."""
    if room is None or not can_see_room(room, membership):
        raise NotFound(_("No such room."))
    return room


def check_can_reach_room(user: User, room: Room | None, membership: Membership | None) -> Room:
    """Like check_can_see_room, but site moderators reach every room (to moderate it)."""
    if room is None or not (can_see_room(room, membership) or is_moderator(user)):
        raise NotFound(_("No such room."))
    return room


def check_not_archived(room: Room) -> None:
    if room.is_archived:
        raise Archived(_("#%(room)s is archived and read-only."), params={"room": room.slug})


def check_can_post(room: Room | None, membership: Membership | None) -> Membership:
    """Send, edit, and be seen typing in the room; the user's membership."""
    room = check_can_see_room(room, membership)
    membership = check_is_member(room, membership)
    check_not_archived(room)
    return membership


def check_can_edit_message(user: User, message: Message | None) -> Message:
    if message is None or message.is_deleted:
        raise NotFound(_("No such message."))
    if message.author_id != user.pk:
        raise Forbidden(_("You can only edit your own messages."))
    return message


def check_can_delete_message(
    user: User, room: Room, message: Message | None, membership: Membership | None
) -> Message:
    if message is None:
        raise NotFound(_("No such message."))
    if not can_delete_message(user, message, membership):
        raise Forbidden(_("You can only delete your own messages."))
    # An archived room is read-only, except to the site's moderators.
    if not is_moderator(user):
        check_not_archived(room)
    return message


def check_is_member(room: Room, membership: Membership | None) -> Membership:
    """For what only members do in a room they can see (marking it read)."""
    if membership is None:
        raise Forbidden(_("You are not a member of #%(room)s."), params={"room": room.slug})
    return membership


def check_can_react(room: Room, membership: Membership | None) -> Membership:
    """React to a message: members only, and not in an archived room. To anyone else
    the message is not there to react to."""
    if membership is None:
        raise NotFound(_("No such message."))
    check_not_archived(room)
    return membership


def check_can_upload(room: Room | None, membership: Membership | None) -> Membership:
    """Upload a file to the room, to send with a message: as for sending."""
    return check_can_post(room, membership)


def check_can_download(
    user: User, attachment: Attachment | None, membership: Membership | None
) -> Attachment:
    """A file is served to the members of its room only, whoever else may read the room
    (a public room's history, a moderator): to anyone else, and to a member who was
    removed or left, it does not exist. One not sent yet is its uploader's alone."""
    if attachment is None or membership is None or membership.room_id != attachment.room_id:
        raise NotFound(_("No such file."))
    if attachment.message_id is None and attachment.uploader_id != user.pk:
        raise NotFound(_("No such file."))
    return attachment


def check_can_discard(user: User, attachment: Attachment | None) -> Attachment:
    """Take back an upload: its uploader, while it is not sent."""
    if attachment is None or attachment.message_id is not None or attachment.uploader_id != user.pk:
        raise NotFound(_("No such file."))
    return attachment


def check_can_delete_attachment(user: User) -> None:
    """Delete a file from a sent message: the site's moderators (in the admin). Its author
    deletes the message instead."""
    if not is_moderator(user):
        raise Forbidden(_("Only a moderator can delete a file from a message."))


def check_can_reply_to(parent: Message | None) -> Message:
    """The first message of the thread a reply to ``parent`` joins: ``parent`` itself,
    unless it is a reply (``parent.thread`` loaded). Neither may be a tombstone: a
    deleted message is not there to answer, nor is its thread."""
    root = parent.thread if parent is not None and parent.thread_id is not None else parent
    if parent is None or root is None or parent.is_deleted or root.is_deleted:
        raise NotFound(_("No such message."))
    return root


def check_can_join(room: Room | None, membership: Membership | None) -> None:
    room = check_can_see_room(room, membership)
    if room.is_private:
        # A member of a private room sees it, but joining is by invitation.
        raise Forbidden(_("#%(room)s is private: a room admin adds members."), params={"room": room.slug})
    check_not_archived(room)


def check_can_leave(room: Room | None, membership: Membership | None) -> Membership:
    room = check_can_see_room(room, membership)
    membership = check_is_member(room, membership)
    if room.is_direct:
        raise Forbidden(_("You cannot leave a direct conversation."))
    return membership


def check_can_manage_room(user: User, room: Room, membership: Membership | None) -> None:
    if not can_manage_room(user, room, membership):
        raise Forbidden(_("Only a room admin can change #%(room)s."), params={"room": room.slug})


def check_can_manage_members(user: User, room: Room, membership: Membership | None) -> None:
    if not can_manage_members(user, room, membership):
        raise Forbidden(
            _("Only a room admin can manage the members of #%(room)s."), params={"room": room.slug}
        )


def _passes(check: Callable[..., Any], *args: Any) -> bool:
    try:
        check(*args)
    except ChatError:
        return False
    return True


def room_abilities(room: Room, membership: Membership | None) -> list[str]:
    """What the user may do in the room, as the checks above decide it: the room
    summary's ``can``, so that clients offer what the server would allow.

    ``send``, ``edit`` and ``delete`` (their own messages), ``upload`` (files to send),
    ``react``, ``delete_others`` (a room admin), ``leave``, ``mute``, ``manage_room`` and ``manage_members``
    follow from the membership; ``join`` says the room is open to join, and is
    listed for members too (it applies once they leave). What site staff may do
    through the admin is not listed."""
    can = []
    if membership is not None:
        if _passes(check_can_post, room, membership):
            can += ["send", "edit", "delete"]
        if _passes(check_can_upload, room, membership):
            can.append("upload")
        if _passes(check_can_react, room, membership):
            can.append("react")
            if membership.is_admin:
                can.append("delete_others")
        if _passes(check_can_leave, room, membership):
            can.append("leave")
        can.append("mute")
        if membership.is_admin:
            can.append("manage_room")
            if not room.is_direct:
                can.append("manage_members")
    if _passes(check_can_join, room, None):
        can.append("join")
    return sorted(can)
