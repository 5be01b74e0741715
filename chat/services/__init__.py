"""Every write the chat makes, and the events each one publishes after commit.

Consumers, views, the admin and management commands call these functions and
nothing else to change state, so each rule is enforced in one place. They are
synchronous; async callers wrap them in ``database_sync_to_async``. One module
per entity; ``from chat import services`` reaches them all.
"""

from chat.services.attachments import (
    attachment_check_upload,
    attachment_delete,
    attachment_discard,
    attachment_upload,
    attachments_expire,
)
from chat.services.bots import bot_create
from chat.services.memberships import (
    membership_add,
    membership_remove,
    membership_set_role,
    read_mark,
    room_mute,
)
from chat.services.messages import (
    SendRequest,
    SendResult,
    message_create,
    message_delete,
    message_edit,
    messages_create,
    typing_notify,
)
from chat.services.reactions import reaction_add, reaction_remove
from chat.services.rooms import (
    direct_room_find,
    direct_room_open,
    room_archive,
    room_create,
    room_delete,
    room_join,
    room_leave,
    room_unarchive,
    room_update,
)
from chat.services.threads import thread_read_mark
from chat.services.webhooks import webhook_create, webhook_for, webhook_post, webhook_revoke

__all__ = [
    "SendRequest",
    "SendResult",
    "attachment_check_upload",
    "attachment_delete",
    "attachment_discard",
    "attachment_upload",
    "attachments_expire",
    "bot_create",
    "direct_room_find",
    "direct_room_open",
    "membership_add",
    "membership_remove",
    "membership_set_role",
    "message_create",
    "message_delete",
    "message_edit",
    "messages_create",
    "reaction_add",
    "reaction_remove",
    "read_mark",
    "room_archive",
    "room_create",
    "room_delete",
    "room_join",
    "room_leave",
    "room_mute",
    "room_unarchive",
    "room_update",
    "thread_read_mark",
    "typing_notify",
    "webhook_create",
    "webhook_for",
    "webhook_post",
    "webhook_revoke",
]
