"""Every read that the pages, the consumers and the admin share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db import connections, router
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    Func,
    IntegerField,
    Max,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, Lower, NullIf
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import tokens
from accounts.models import User
from chat import permissions, protocol
from chat.compiled import SAMPLE_ID, CompiledQuery
from chat.exceptions import BadRequest, NotFound
from chat.models import Attachment, Membership, Mention, Message, Reaction, Room, ThreadParticipant, Webhook
from chat.rendering import MENTION_MARKUP, NO_SPACE_LETTERS


def room_by_slug(slug: str) -> Room | None:
    return Room.objects.filter(slug=slug).first()


def membership_for(user: User, room: Room) -> Membership | None:
    if not user.is_authenticated:
        return None
    membership = Membership.objects.filter(room=room, user=user).first()
    if membership is not None:
        membership.room = room  # the caller's object: reading it costs no query (nor, async, a crash)
    return membership


def room_access(user: User, slug: str) -> tuple[Room, Membership | None]:
    """The room ``slug`` and the user's membership, or NotFound if they may not see it."""
    room = room_by_slug(slug)
    membership = membership_for(user, room) if room is not None else None
    return permissions.check_can_see_room(room, membership), membership


def direct_partner_names(user: User, rooms: list[Room]) -> dict[int, str]:
    """For each direct room among ``rooms``, the shown name of the other member."""
    direct_ids = [room.pk for room in rooms if room.is_direct]
    if not direct_ids:
        return {}
    others = Membership.objects.filter(room_id__in=direct_ids).exclude(user=user).select_related("user")
    return {m.room_id: m.user.shown_name for m in others}


def room_ids_for_user(user_id: int) -> list[tuple[int, str]]:
    """(room id, slug) of every room the user is a member of."""
    return list(Membership.objects.filter(user_id=user_id).values_list("room_id", "room__slug"))


def room_summaries_for_user(user: User) -> list[dict[str, Any]]:
    return [summary for _room_id, summary in room_summaries_for_users([user.pk]).get(user.pk, [])]


def signed_in(user_ids: list[int], session_keys: list[str]) -> tuple[dict[int, str], set[str] | None]:
    """What is still valid of some sockets' sign-ins: the session auth hash of each
    user still active (it changes with the password), and which of the session keys
    still exist (None when the session engine is not the database's, which cannot
    be asked in one query)."""
    hashes = {
        user.pk: user.get_session_auth_hash()
        for user in User.objects.filter(pk__in=user_ids, is_active=True).only("pk", "password")
    }
    if not issubclass(import_module(settings.SESSION_ENGINE).SessionStore, DatabaseSessionStore):
        return hashes, None
    live = set(
        Session.objects.filter(session_key__in=session_keys, expire_date__gt=timezone.now()).values_list(
            "session_key", flat=True
        )
    )
    # Sockets signed in with an API token carry "token:<id>": it stands while the token does.
    return hashes, live | tokens.live_token_keys(session_keys)


def room_summaries_for_users(user_ids: list[int]) -> dict[int, list[tuple[int, dict[str, Any]]]]:
    """For each user, (room id, ROOM_SUMMARY) of each of their rooms, rooms before direct
    conversations, each by name: one read for many users (connecting, resyncing)."""
    found: dict[int, list[tuple[int, dict[str, Any]]]] = {user_id: [] for user_id in user_ids}
    if len(user_ids) == 1:
        memberships = memberships_with_rooms(user_ids[0])
    else:
        memberships = list(
            Membership.objects.filter(user_id__in=user_ids)
            .select_related("room")
            .order_by("user_id", "room__is_direct", "room__name")
        )
    for membership, summary in _with_summaries(memberships):
        found[membership.user_id].append((membership.room_id, summary))
    return found


_MEMBERSHIP_FIELDS = [field.attname for field in Membership._meta.concrete_fields]
_ROOM_FIELDS = [field.attname for field in Room._meta.concrete_fields]
_memberships_of = CompiledQuery(
    lambda user_id: (
        Membership.objects.filter(user_id=user_id)
        .order_by("room__is_direct", "room__name")
        .values_list(*_MEMBERSHIP_FIELDS, *(f"room__{name}" for name in _ROOM_FIELDS))
    ),
    SAMPLE_ID,
)


def memberships_with_rooms(user_id: int) -> list[Membership]:
    """The user's memberships, each with its room, rooms before direct conversations,
    each by name (a read every page and every socket's hello makes: compiled once)."""
    split = len(_MEMBERSHIP_FIELDS)
    found = []
    for row in _memberships_of.rows(user_id):
        membership = Membership.from_db("default", _MEMBERSHIP_FIELDS, row[:split])
        membership.room = Room.from_db("default", _ROOM_FIELDS, row[split:])
        found.append(membership)
    return found


def _with_summaries(found: list[Membership]) -> list[tuple[Membership, dict[str, Any]]]:
    """Each membership (with its room) and its member's ROOM_SUMMARY of the room; a direct
    conversation is named after the other member."""
    mentions = unread_mention_counts(found)
    threads = thread_unread_counts(found)
    direct_ids = {m.room_id for m in found if m.room.is_direct}
    members_of_direct: dict[int, list[tuple[int, str]]] = {}
    if direct_ids:
        for m in Membership.objects.filter(room_id__in=direct_ids).select_related("user"):
            members_of_direct.setdefault(m.room_id, []).append((m.user_id, m.user.shown_name))
    pairs = []
    for m in found:
        name = None
        if m.room.is_direct:
            others = [
                shown for member_id, shown in members_of_direct.get(m.room_id, []) if member_id != m.user_id
            ]
            name = others[0] if others else None
        key = (m.user_id, m.room_id)
        pairs.append((m, protocol.room_summary(m.room, m, name, mentions.get(key, 0), threads.get(key, 0))))
    return pairs


@dataclass(frozen=True, slots=True)
class RoomPage:
    room: Room
    membership: Membership | None
    summary: dict[str, Any]
    rooms: list[dict[str, Any]]  # the user's ROOM_SUMMARYs, for the sidebar


def room_page(user: User, slug: str) -> RoomPage:
    """What the room page shows, in as few reads as the common case allows: the user's
    rooms (which hold this one when they are a member), then the room alone if not."""
    pairs = _with_summaries(memberships_with_rooms(user.pk))
    rooms = [summary for _membership, summary in pairs]
    for membership, summary in pairs:
        if membership.room.slug == slug:
            return RoomPage(membership.room, membership, summary, rooms)
    room = permissions.check_can_see_room(room_by_slug(slug), None)
    return RoomPage(room, None, protocol.room_summary(room, None), rooms)


def room_summary_for(user: User, room: Room, membership: Membership | None) -> dict[str, Any]:
    names = direct_partner_names(user, [room])
    mentions = unread_mention_counts([membership]) if membership is not None else {}
    threads = thread_unread_counts([membership]) if membership is not None else {}
    key = (user.pk, room.pk)
    return protocol.room_summary(
        room, membership, names.get(room.pk), mentions.get(key, 0), threads.get(key, 0)
    )


def unread_mention_counts(memberships: list[Membership]) -> dict[tuple[int, int], int]:
    """For each (user id, room id) of ``memberships`` (with their rooms), how many of the
    messages the member has not read mention them, leaving out deleted ones: one
    aggregate query for them all, and none when nothing is unread."""
    unread = [m for m in memberships if m.room.last_seq > m.last_read_seq]
    if not unread:
        return {}
    # Both conditions on user__memberships in one filter(): the same join, so the
    # membership compared is the one of the mention's own user and room.
    counted = (
        Mention.objects.filter(
            user_id__in={m.user_id for m in unread},
            message__room_id__in={m.room_id for m in unread},
            message__deleted_at__isnull=True,
            user__memberships__room_id=F("message__room_id"),
            message__seq__gt=F("user__memberships__last_read_seq"),
        )
        .values_list("user_id", "message__room_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {(user_id, room_id): count for user_id, room_id, count in counted}


def _threads_unread(participants: Q) -> QuerySet[ThreadParticipant]:
    """The ``participants`` (ThreadParticipant rows) with replies they have not read, one
    row per such reply: replies after their marker, not deleted, in a room they are a
    member of now. Their own replies never count: writing one moves their marker to it."""
    # All in one filter(): each condition on a multi-valued relation then joins once.
    return ThreadParticipant.objects.filter(
        participants,
        thread__room__memberships__user_id=F("user_id"),
        thread__replies__seq__gt=F("last_read_seq"),
        thread__replies__deleted_at__isnull=True,
    )


_thread_unread_of = CompiledQuery(
    lambda user_id: (
        _threads_unread(Q(user_id=user_id))
        .values_list("thread__room_id")
        .annotate(count=Count("thread__replies"))
        .order_by()
    ),
    SAMPLE_ID,
)


def thread_unread_counts(memberships: list[Membership]) -> dict[tuple[int, int], int]:
    """For each (user id, room id) of ``memberships``, how many replies the member has
    not read in the room's threads they take part in (_threads_unread): one aggregate
    query for them all (compiled, for the one user of a page or a hello), and none when
    none of them takes part in a thread."""
    user_ids = {m.user_id for m in memberships if m.in_threads}
    if not user_ids:
        return {}
    if len(user_ids) == 1:
        [user_id] = user_ids
        return {(user_id, room_id): count for room_id, count in _thread_unread_of.rows(user_id)}
    counted = (
        _threads_unread(Q(user_id__in=user_ids))
        .values_list("user_id", "thread__room_id")
        .annotate(count=Count("thread__replies"))
        .order_by()
    )
    return {(user_id, room_id): count for user_id, room_id, count in counted}


def thread_unread_by_thread(user_ids: set[int], room_id: int) -> dict[tuple[int, int], int]:
    """(user id, thread id) -> the user's unread replies in that thread, for every thread
    of ``room_id`` the users take part in that has some: one aggregate query."""
    if not user_ids:
        return {}
    counted = (
        _threads_unread(Q(user_id__in=user_ids, thread__room_id=room_id))
        .values_list("user_id", "thread_id")
        .annotate(count=Count("thread__replies"))
        .order_by()
    )
    return {(user_id, thread_id): count for user_id, thread_id, count in counted}


def takes_part_in_threads(user_id: int, room_id: int) -> bool:
    """Whether the user takes part in a thread of the room (a membership's in_threads)."""
    return ThreadParticipant.objects.filter(user_id=user_id, thread__room_id=room_id).exists()


def thread_root(room: Room, seq: int) -> Message:
    """The first message of the thread that message ``seq`` of ``room`` is in: the message
    itself unless it is a reply (any message can start a thread). NotFound if the room
    has no such message."""
    message = Message.objects.filter(room=room, seq=seq).select_related("author", "thread__author").first()
    if message is None:
        raise NotFound(_("No such message."))
    return message.thread if message.thread is not None else message


_public_rooms_to_join = CompiledQuery(
    lambda user_id: (
        Room.objects.public()
        .active()
        .exclude(memberships__user_id=user_id)
        .order_by("name")
        .values_list("slug", "name", "topic")
    ),
    SAMPLE_ID,
)


def public_rooms_to_join(user: User) -> list[dict[str, str]]:
    """Public, active rooms the user is not in yet, by name: ``slug``, ``name``, ``topic``."""
    return [
        {"slug": slug, "name": name, "topic": topic}
        for slug, name, topic in _public_rooms_to_join.rows(user.pk)
    ]


_member_list = CompiledQuery(
    lambda room_id: (
        Membership.objects.filter(room_id=room_id)
        .order_by("user__username")
        .values_list("user__username", "user__display_name", "user__is_bot", "role")
    ),
    SAMPLE_ID,
)


def room_member_list(room: Room) -> list[dict[str, Any]]:
    """The room's members by username, as its page lists them: ``username``, ``name``
    (the shown name), ``bot`` and ``admin``."""
    return [
        {
            "username": username,
            "name": display_name or username,
            "bot": bot,
            "admin": role == Membership.Role.ADMIN,
        }
        for username, display_name, bot, role in _member_list.rows(room.pk)
    ]


_webhook_list = CompiledQuery(
    lambda room_id: (
        Webhook.objects.filter(room_id=room_id, revoked_at__isnull=True)
        .order_by("name")
        .values_list("pk", "name")
    ),
    SAMPLE_ID,
)


def room_webhook_list(room: Room) -> list[dict[str, Any]]:
    """The room's webhooks that still work, by name: ``pk`` and ``name``."""
    return [{"pk": pk, "name": name} for pk, name in _webhook_list.rows(room.pk)]


def sent_message(user: User, client_id: str) -> Message | None:
    """The message ``user`` sent with ``client_id``, if it is stored."""
    return Message.objects.filter(author=user, client_id=client_id).select_related("room", "author").first()


def message_in_room(room: Room, seq: int) -> Message | None:
    return Message.objects.filter(room=room, seq=seq).select_related("author").first()


def message_page(
    room: Room,
    *,
    before_seq: int | None,
    after_seq: int | None,
    limit: int,
    main: bool = False,
    thread: Message | None = None,
) -> tuple[list[Message], bool]:
    """Messages of ``room`` in ascending seq, and whether more lie beyond the page.

    With ``after_seq`` the page starts just after it (catching up); otherwise it
    ends just before ``before_seq`` (scrolling back) or at the newest message.
    ``main``: only the room's main timeline (no replies but those also sent to the
    room); ``thread``: only the replies in that thread.
    """
    if thread is not None:
        messages = Message.objects.filter(thread=thread).select_related("author")
    else:
        messages = Message.objects.filter(room=room).select_related("author")
        if main:
            messages = messages.filter(Q(thread__isnull=True) | Q(also_to_room=True))
    if before_seq is not None:
        messages = messages.filter(seq__lt=before_seq)
    if after_seq is not None:
        messages = messages.filter(seq__gt=after_seq)
        page = list(messages.order_by("seq")[: limit + 1])
        has_more = len(page) > limit
        return with_mentions(page[:limit]), has_more
    page = list(messages.order_by("-seq")[: limit + 1])
    has_more = len(page) > limit
    page = page[:limit]
    page.reverse()
    return with_mentions(page), has_more


def with_mentions(messages: list[Message]) -> list[Message]:
    """``messages``, with the mentions of those that show one read in one query (none if
    none does), for protocol.message_payload."""
    showing = [message for message in messages if MENTION_MARKUP in message.html]
    prefetch_related_objects(
        showing,
        Prefetch(
            "mentions", queryset=Mention.objects.select_related("user").only("message", "user__username")
        ),
    )
    return messages


FREQUENT_REACTIONS = 8
_frequent_reactions = CompiledQuery(
    lambda user_id: (
        Reaction.objects.filter(user_id=user_id)
        .values("emoji")
        .annotate(uses=Count("pk"), latest=Max("created_at"))
        .order_by("-uses", "-latest", "emoji")
        .values_list("emoji", flat=True)[:FREQUENT_REACTIONS]
    ),
    SAMPLE_ID,
)


def frequent_reactions(user: User) -> list[str]:
    """The emoji ``user`` has on messages now, most used first (ties: the most
    recently used first), at most FREQUENT_REACTIONS: one aggregate query."""
    return [emoji for (emoji,) in _frequent_reactions.rows(user.pk)]


def changes_for(user: User, slug: str, *, after_rev: int, limit: int) -> dict[str, Any]:
    """The ``changes`` frame: messages of the room edited, deleted or reacted to after
    ``after_rev``, oldest change first, for a client that was away."""
    room, _membership = room_access(user, slug)
    found = list(
        Message.objects.filter(room=room, rev__gt=after_rev)
        .select_related("author")
        .order_by("rev")[: limit + 1]
    )
    has_more = len(found) > limit
    page = with_mentions(found[:limit])
    # Where to ask from next: past this page, or (when it is the last) the room's
    # newest rev, which may be above the page if nothing else changed.
    rev = page[-1].rev if has_more else max([room.last_rev, after_rev, *(m.rev for m in page)])
    return protocol.changes_frame(room.slug, page, rev, has_more)


def history_for(
    user: User,
    slug: str,
    *,
    before_seq: int | None,
    after_seq: int | None,
    limit: int,
    view: str | None = None,
    parent_seq: int | None = None,
) -> dict[str, Any]:
    """The ``history`` frame for a user who asked for it: every message of the room, its
    main view (``view``), or one thread (``parent_seq``, any message of it)."""
    room, _membership = room_access(user, slug)
    if parent_seq is not None:
        root = thread_root(room, parent_seq)
        page, has_more = message_page(
            room, before_seq=before_seq, after_seq=after_seq, limit=limit, thread=root
        )
        return protocol.thread_history_frame(room.slug, root, page, has_more)
    if view == protocol.VIEW_MAIN:
        # Read before the page: every seq up to it is committed, so the page sees it.
        last_seq = room.last_seq
        page, has_more = message_page(
            room, before_seq=before_seq, after_seq=after_seq, limit=limit, main=True
        )
        from_seq, to_seq = _main_page_covers(page, has_more, last_seq, before_seq, after_seq)
        return protocol.main_history_frame(room.slug, page, has_more, from_seq, to_seq)
    page, has_more = message_page(room, before_seq=before_seq, after_seq=after_seq, limit=limit)
    return protocol.history_frame(room.slug, page, has_more)


def _main_page_covers(
    page: list[Message], has_more: bool, last_seq: int, before_seq: int | None, after_seq: int | None
) -> tuple[int, int]:
    """The seqs a page of the main view accounts for: those in it, and the replies left
    out between them and up to where it looked. Seqs are given in commit order, so
    every seq below one the page holds, or up to ``last_seq`` (read before it), was
    there for the page to see."""
    newest = max(last_seq, page[-1].seq if page else 0)
    if before_seq is not None:
        newest = min(newest, before_seq - 1)
    if after_seq is not None:
        # From just after after_seq, up to the page's last message if more follow it.
        return after_seq + 1, page[-1].seq if has_more else newest
    # Back from the newest (or from before_seq), down to the page's first message if
    # older ones remain, else to the room's first seq.
    return (page[0].seq if has_more else 1), newest


def attachment_for_download(user: User, attachment_id: int) -> Attachment:
    """The file, if ``user`` may have it now (permissions.check_can_download): asked on
    every request, so a member who is removed loses their files at once."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    membership = None
    if attachment is not None and user.is_authenticated:
        membership = Membership.objects.filter(room_id=attachment.room_id, user=user).first()
    return permissions.check_can_download(user, attachment, membership)


def pending_upload_sizes(user: User, client_id: str) -> list[int]:
    """The sizes of the user's uploads for the message ``client_id`` that are not sent yet."""
    return list(
        Attachment.objects.pending().filter(uploader=user, client_id=client_id).values_list("size", flat=True)
    )


def uploads_since(user: User, since: datetime) -> list[tuple[datetime, int]]:
    """(when, size) of each file ``user`` uploaded since then and the chat still keeps,
    oldest first: what their daily upload limit counts."""
    return list(
        Attachment.objects.filter(uploader=user, created_at__gte=since)
        .order_by("created_at")
        .values_list("created_at", "size")
    )


def active_user_by_username(username: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(_("No user is called “%(name)s”."), params={"name": username})
    return user


PEOPLE_SEARCH_LIMIT = 20


def _case_folds_ascii_only() -> bool:
    """Whether the users' database ignores case for ASCII letters only: SQLite's LIKE
    and iexact do, so "ZOË" does not find "zoë" there. A query with other letters is
    then matched in Python (SQLite serves one small site; PostgreSQL folds them all)."""
    return connections[router.db_for_read(User)].vendor == "sqlite"


def _person_rank(person: User, folded: str) -> tuple[int, str, str]:
    """The order of people_search: a name that starts with the query first, then by the
    shown name and the username."""
    names = (person.username.casefold(), person.display_name.casefold())
    prefix = any(name.startswith(folded) for name in names)
    return (0 if prefix else 1, person.shown_name.casefold(), person.username)


def people_search(user: User, query: str, *, limit: int = PEOPLE_SEARCH_LIMIT) -> list[User]:
    """Up to ``limit`` active people other than ``user`` whose username or display name
    contains ``query``, ignoring case: those whose username or display name starts with
    it first, each group by shown name. An empty query finds no one."""
    if not query:
        return []
    people = User.objects.filter(is_active=True).exclude(pk=user.pk).only("pk", "username", "display_name")
    if not query.isascii() and _case_folds_ascii_only():
        folded = query.casefold()
        found = [
            person
            for person in people.iterator()
            if folded in person.username.casefold() or folded in person.display_name.casefold()
        ]
        return sorted(found, key=lambda person: _person_rank(person, folded))[:limit]
    matches = people.filter(Q(username__icontains=query) | Q(display_name__icontains=query))
    ranked = matches.annotate(
        prefix_rank=Case(
            When(Q(username__istartswith=query) | Q(display_name__istartswith=query), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        shown=Lower(Coalesce(NullIf(F("display_name"), Value("")), F("username"))),
    )
    return list(ranked.order_by("prefix_rank", "shown", "username")[:limit])


def active_user_by_username_any_case(username: str) -> User:
    """The active user called ``username``, ignoring case: whoever is called exactly
    that, else the one person whose username differs only in case. NotFound if no one
    is; BadRequest if several are and none exactly (usernames are case-sensitive, so
    "Bob" and "BOB" may both exist)."""
    if not username.isascii() and _case_folds_ascii_only():
        folded = username.casefold()
        candidates = [
            person
            for person in User.objects.filter(is_active=True).iterator()
            if person.username.casefold() == folded
        ]
    else:
        candidates = list(User.objects.filter(username__iexact=username, is_active=True))
    exact = [person for person in candidates if person.username == username]
    if exact:
        return exact[0]
    if not candidates:
        raise NotFound(_("No user is called “%(name)s”."), params={"name": username})
    if len(candidates) > 1:
        names = ", ".join(sorted(person.username for person in candidates))
        raise BadRequest(
            _("Several people are called “%(name)s” in different cases (%(names)s); type the name exactly."),
            params={"name": username, "names": names},
        )
    return candidates[0]


MESSAGE_SEARCH_PAGE_SIZE = 20
# PostgreSQL's text search config for message search: it lowercases and splits words
# and knows no language, so it neither stems nor drops words in any language.
MESSAGE_SEARCH_CONFIG = "simple"


def rooms_readable_by(user: User) -> QuerySet[Room]:
    """The rooms whose messages ``user`` may read now: permissions.can_see_room as a
    query (a member of the room, or the room is public), one row per room. A room
    they left or were removed from is readable only while it is public."""
    member_of = Membership.objects.filter(user=user).values("room_id")
    return Room.objects.filter(Q(is_private=False) | Q(pk__in=member_of))


def message_search_terms(query: str) -> list[str]:
    """The words of a search, in order, each once (ignoring case): what the SQLite
    fallback requires and what a result highlights."""
    seen: dict[str, str] = {}
    for word in re.findall(r"\w+", query):
        seen.setdefault(word.casefold(), word)
    return list(seen.values())


@dataclass(frozen=True, slots=True)
class MessageSearchResult:
    message: Message
    room_name: str  # a direct conversation is named after the other member


@dataclass(frozen=True, slots=True)
class MessageSearchPage:
    results: list[MessageSearchResult]
    number: int
    has_previous: bool
    has_next: bool


def _search_uses_full_text() -> bool:
    return connections[router.db_for_read(Message)].vendor == "postgresql"


# A word of a search that holds letters of a script written without spaces ("部署",
# "v2部署"): the whole run of word characters around them.
_NO_SPACE_TERM_RE = re.compile(rf"\w*[{NO_SPACE_LETTERS}]\w*")


def split_search_query(query: str) -> tuple[list[str], str]:
    """The words of ``query`` in scripts written without spaces (each once, in order),
    and the rest of the query, for full-text search.

    Full-text search finds whole words, and Chinese puts no space between words: to
    PostgreSQL "我们明天部署新版本" is one word, so "部署" is not found in it. Such
    words are looked for as parts of the text instead."""
    terms = list(dict.fromkeys(_NO_SPACE_TERM_RE.findall(query)))
    return terms, _NO_SPACE_TERM_RE.sub(" ", query)


class _ILike(Func):
    """``text ILIKE pattern``, which a trigram index (gin_trgm_ops) serves; Django's
    icontains compiles to UPPER(text) LIKE UPPER(pattern), which it does not."""

    arg_joiner = " ILIKE "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def _like_pattern(term: str) -> str:
    """A pattern that matches ``term`` anywhere, its own % _ and \\ taken literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _messages_matching(messages: QuerySet[Message], query: str) -> QuerySet[Message]:
    if _search_uses_full_text():
        terms, rest = split_search_query(query)
        if not terms and not re.search(r"\w", rest):
            return messages.none()
        for term in terms:
            # Served by the trigram index chat_message_body_trgm (migration 0007).
            messages = messages.filter(_ILike(F("body"), Value(_like_pattern(term))))
        if re.search(r"\w", rest):
            vector = SearchVector("body", config=MESSAGE_SEARCH_CONFIG)
            messages = messages.alias(search=vector).filter(
                search=SearchQuery(rest, config=MESSAGE_SEARCH_CONFIG, search_type="websearch")
            )
        return messages
    # SQLite: every word somewhere in the body, ignoring (ASCII) case.
    terms = message_search_terms(query)
    if not terms:
        return messages.none()
    for term in terms:
        messages = messages.filter(body__icontains=term)
    return messages


def message_search(
    user: User, query: str, *, page: int = 1, per_page: int = MESSAGE_SEARCH_PAGE_SIZE
) -> MessageSearchPage:
    """Page ``page`` (from 1) of the messages matching ``query`` that ``user`` may read
    now, newest first: people's messages (not system notes), not deleted, in
    rooms_readable_by(user). On PostgreSQL the query is a web search (words, "a
    phrase", -not, or) over the words of the body, and each of its words in a script
    written without spaces (Chinese) must appear somewhere in the body (found through
    a trigram index: split_search_query); elsewhere each of its words must appear in
    the body. A blank query finds nothing."""
    if not query.strip():
        return MessageSearchPage([], 1, has_previous=False, has_next=False)
    messages = Message.objects.filter(
        room__in=rooms_readable_by(user), author__isnull=False, deleted_at__isnull=True
    )
    offset = (page - 1) * per_page
    found = list(
        _messages_matching(messages, query)
        .select_related("room", "author")
        .order_by("-created_at", "-pk")[offset : offset + per_page + 1]
    )
    has_next = len(found) > per_page
    results = _results_readable_by(user, found[:per_page])
    return MessageSearchPage(results, page, has_previous=page > 1, has_next=has_next)


def _results_readable_by(user: User, found: list[Message]) -> list[MessageSearchResult]:
    """``found`` (with their rooms) as results, keeping those the user may read."""
    # Each room checked again by the one rule, so that a drift between it and the
    # query that found them hides a message instead of showing it.
    memberships = {
        m.room_id: m for m in Membership.objects.filter(user=user, room_id__in={m.room_id for m in found})
    }
    found = [m for m in found if permissions.can_see_room(m.room, memberships.get(m.room_id))]
    names = direct_partner_names(user, [message.room for message in found])
    return [MessageSearchResult(message, names.get(message.room_id, message.room.name)) for message in found]


MENTIONS_PAGE_SIZE = 20


def mentions_of(user: User, *, page: int = 1, per_page: int = MENTIONS_PAGE_SIZE) -> MessageSearchPage:
    """Page ``page`` (from 1) of the messages that mention ``user``, newest first, in
    the rooms they may read now (rooms_readable_by): a room they left or were removed
    from keeps its mentions only while it is public. Deleted messages mention no one."""
    offset = (page - 1) * per_page
    found = list(
        Message.objects.filter(mentions__user=user, room__in=rooms_readable_by(user), deleted_at__isnull=True)
        .select_related("room", "author")
        .order_by("-created_at", "-pk")[offset : offset + per_page + 1]
    )
    has_next = len(found) > per_page
    results = _results_readable_by(user, found[:per_page])
    return MessageSearchPage(results, page, has_previous=page > 1, has_next=has_next)


THREADS_PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class ThreadResult:
    message: Message  # the thread's first message, with its room and author
    room_name: str  # a direct conversation is named after the other member
    unread: int  # the replies the user has not read there


@dataclass(frozen=True, slots=True)
class ThreadsPage:
    results: list[ThreadResult]
    number: int
    has_previous: bool
    has_next: bool


def threads_of(user: User, *, page: int = 1, per_page: int = THREADS_PAGE_SIZE) -> ThreadsPage:
    """Page ``page`` (from 1) of the threads ``user`` takes part in, in the rooms they are
    a member of now, the latest reply first (threads whose replies are all deleted
    last), each with their unread replies there (one aggregate query for the page)."""
    offset = (page - 1) * per_page
    found = list(
        ThreadParticipant.objects.filter(user=user, thread__room__memberships__user_id=F("user_id"))
        .select_related("thread__room", "thread__author")
        .order_by(F("thread__last_reply_at").desc(nulls_last=True), "-thread_id")[
            offset : offset + per_page + 1
        ]
    )
    has_next = len(found) > per_page
    roots = [participant.thread for participant in found[:per_page]]
    counted = (
        _threads_unread(Q(user=user, thread__in=roots))
        .values_list("thread_id")
        .annotate(count=Count("thread__replies"))
        .order_by()
    )
    unread = dict(counted)
    names = direct_partner_names(user, [root.room for root in roots])
    results = [
        ThreadResult(root, names.get(root.room_id, root.room.name), unread.get(root.pk, 0)) for root in roots
    ]
    return ThreadsPage(results, page, has_previous=page > 1, has_next=has_next)
