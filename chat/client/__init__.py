"""A Python client for the chat's WebSocket protocol (docs/protocol.md).

It imports nothing from Django, so it runs anywhere with ``websockets``
installed. ``ChatClient`` is the asyncio client, ``SyncChatClient`` a blocking
face on it, and ``python -m chat.client`` the command line (chat/client/cli.py).
"""

from chat.client.auth import Credentials, Endpoints, PasswordCredentials, TokenCredentials
from chat.client.client import ChatClient
from chat.client.errors import (
    AuthenticationError,
    ChatClientError,
    ClientClosed,
    ConnectionFailed,
    ConnectionReplaced,
    RequestError,
    SendTimeout,
)
from chat.client.events import (
    Ack,
    Added,
    Attachment,
    Error,
    Event,
    Hello,
    HistoryPage,
    Member,
    MemberJoined,
    MemberLeft,
    Message,
    MessageDeleted,
    MessageEdited,
    Presence,
    Reaction,
    ReactionsChanged,
    Read,
    Removed,
    Resync,
    RoomSummary,
    RoomUpdated,
    Typing,
    Unknown,
    User,
    parse_event,
)
from chat.client.ordering import Backoff, Sequencer
from chat.client.sync import SyncChatClient

__all__ = [
    "Ack",
    "Added",
    "Attachment",
    "AuthenticationError",
    "Backoff",
    "ChatClient",
    "ChatClientError",
    "ClientClosed",
    "ConnectionFailed",
    "ConnectionReplaced",
    "Credentials",
    "Endpoints",
    "Error",
    "Event",
    "Hello",
    "HistoryPage",
    "Member",
    "MemberJoined",
    "MemberLeft",
    "Message",
    "MessageDeleted",
    "MessageEdited",
    "PasswordCredentials",
    "Presence",
    "Reaction",
    "ReactionsChanged",
    "Read",
    "Removed",
    "RequestError",
    "Resync",
    "RoomSummary",
    "RoomUpdated",
    "SendTimeout",
    "Sequencer",
    "SyncChatClient",
    "TokenCredentials",
    "Typing",
    "Unknown",
    "User",
    "parse_event",
]
