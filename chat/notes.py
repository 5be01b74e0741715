"""System notes: what the chat itself says in a room ("Bob joined."), stored as events.

A note is stored as what happened (its kind) and to whom, not as a sentence, so
that each reader sees it in their own language: the server builds no text per
reader (a live message is encoded once for every socket), the client writes it
from MESSAGE's ``event`` (docs/protocol.md). Each note keeps a ``body`` too, in
the site's language (settings.LANGUAGE_CODE), for clients that do not know
``event``. Who is named as they were named then: a later rename leaves old
notes as they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from accounts.models import User

JOINED = "joined"
LEFT = "left"
ADDED = "added"
REMOVED = "removed"

# What each kind of note says of its user, in the active language.
_SENTENCES = {
    JOINED: _("%(name)s joined."),
    LEFT: _("%(name)s left."),
    ADDED: _("%(name)s was added."),
    REMOVED: _("%(name)s was removed."),
}
KINDS = tuple(_SENTENCES)


def note_event(kind: str, user: User) -> dict[str, Any]:
    """The event of a note of ``kind`` about ``user``, as stored and sent:
    ``{"kind": ..., "user": {"username": ..., "display_name": ...}}``."""
    if kind not in _SENTENCES:
        raise ValueError(f"unknown kind of note: {kind!r}")
    return {"kind": kind, "user": {"username": user.username, "display_name": user.shown_name}}


def note_text(event: Mapping[str, Any]) -> str:
    """What the note says, in the active language; "" for a kind this server does not know."""
    sentence = _SENTENCES.get(event.get("kind", ""))
    user = event.get("user") or {}
    name = user.get("display_name") or user.get("username") or ""
    return str(sentence) % {"name": name} if sentence is not None and name else ""


def note_fallback(event: Mapping[str, Any]) -> str:
    """What the note says in the site's language: the ``body`` stored with it."""
    with translation.override(settings.LANGUAGE_CODE):
        return note_text(event)
