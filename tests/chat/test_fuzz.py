"""The socket protocol, fuzzed: whatever a client sends, the consumer answers sensibly and stays up.

PROTOCOL.md and docs/protocol.md: binary frames, non-JSON text, non-object JSON,
a missing ``type`` and a missing or ill-typed field get an ``error`` frame with
code ``bad_request``; an unknown ``type`` gets ``unknown_type``; the socket stays
open. Here every fuzzed frame is followed by a probe (a ``history`` request for a
room no fuzzed frame names), so the frames before the probe's answer are exactly
the fuzzed frame's answer, and the probe's answer proves the socket still works.

A signed-in member (bob) fuzzes one socket per test, so a bad frame that wedges
the socket or corrupts its state fails the examples after it too. Each example
also checks that nothing was logged at ERROR level: a frame the server did not
foresee ends in ``logger.exception`` and an ``unavailable`` answer, which is a
crash dressed up as an outage.

The database is reached from the consumer's worker thread, so these tests
commit for real (``transaction=True``), as test_consumers.py does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import User
from chat.models import Room
from tests.chat.conftest import socket_for
from tests.factories import RoomFactory

pytestmark = pytest.mark.django_db(transaction=True)

FUZZ_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[
        # One socket (and one caplog) on purpose, shared by every example of a test.
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

PROBE_ROOM = "fuzz-probe"
# Patience for one frame to come back; not a timing assertion.
PATIENCE = 10.0
INT64_MAX = 2**63 - 1

# The verdict a fuzzed frame deserves.
BAD = "bad"  # exactly one error, code bad_request
UNKNOWN = "unknown"  # exactly one error, code unknown_type (or bad_request)
OK = "ok"  # well formed: the frame's normal answer, or a refusal that is not about its form
EITHER = "either"  # the protocol does not say (say, an int beyond 64 bits): BAD or OK, never a crash

# Refusals of a well-formed frame (PROTOCOL.md, Errors). rate_limited is left out: the
# fixture lifts the rate limit. unavailable is left out: nothing here breaks storage,
# so an unavailable answer means the server failed on the frame.
SEMANTIC_CODES = {"not_found", "forbidden", "too_long", "archived"}
# What each request type answers its sender with, if anything (besides errors).
REPLY_TYPE = {"send": "ack", "history": "history", "join": "joined", "leave": "left", "ping": "pong"}
# Frames that reach a socket because of something that happened in a room, not as an
# answer: they may show up in any example's window.
EVENT_TYPES = {
    "message",
    "message_edited",
    "message_deleted",
    "typing",
    "read",
    "added",
    "removed",
    "room_updated",
    "resync",
    "presence",
}

# Fields of each client frame: (name, kind, required). Kinds: "room" and "str" (strings),
# "client_id" (1 to 64 characters), "seq" (int >= 0), "limit" (int >= 1).
FRAME_FIELDS: dict[str, list[tuple[str, str, bool]]] = {
    "send": [("room", "room", True), ("body", "str", True), ("client_id", "client_id", True)],
    "history": [
        ("room", "room", True),
        ("before_seq", "seq", False),
        ("after_seq", "seq", False),
        ("limit", "limit", False),
    ],
    "join": [("room", "room", True)],
    "leave": [("room", "room", True)],
    "typing": [("room", "room", True)],
    "read": [("room", "room", True), ("seq", "seq", True)],
    "edit": [("room", "room", True), ("seq", "seq", True), ("body", "str", True)],
    "delete": [("room", "room", True), ("seq", "seq", True)],
    "ping": [],
}


# The oracle -----------------------------------------------------------------------------


_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def _is_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(char) <= 0xDFFF for char in text)


def _worst(verdicts: list[str]) -> str:
    for verdict in (BAD, EITHER):
        if verdict in verdicts:
            return verdict
    return OK


def _json_hazard(value: Any, depth: int = 0) -> str:
    """The verdict a value in a key the server ignores can cause by itself."""
    if isinstance(value, float) and not math.isfinite(value):
        return BAD  # json.dumps writes NaN / Infinity, which is not JSON
    if isinstance(value, bool) or value is None:
        return OK
    if isinstance(value, int):
        return EITHER if abs(value) > INT64_MAX else OK
    if isinstance(value, str):
        return EITHER if _is_surrogate(value) else OK
    if depth > 200:
        return EITHER
    if isinstance(value, list):
        return _worst([_json_hazard(item, depth + 1) for item in value])
    if isinstance(value, dict):
        return _worst(
            [_json_hazard(key, depth + 1) for key in value]
            + [_json_hazard(item, depth + 1) for item in value.values()]
        )
    return OK


def _field_verdict(value: Any, kind: str, required: bool, present: bool) -> str:
    if not present or value is None:
        return BAD if required else (OK if not present else EITHER)
    if kind in ("str", "client_id", "room"):
        if not isinstance(value, str):
            return BAD
        if _is_surrogate(value):
            return BAD  # not Unicode: the frame is malformed
        if "\x00" in value:
            return BAD  # NUL in a string field is a bad_request
        if kind == "client_id" and not 1 <= len(value) <= 64:
            return BAD
        if _CONTROL.search(value):
            return EITHER  # other control characters: the protocol does not say
        if kind == "room" and not _SLUG.fullmatch(value):
            return EITHER  # no room has such a slug: not_found, or bad_request
        return OK
    # Integers must be JSON integers: not true, not 1.0, not "1".
    if isinstance(value, bool) or not isinstance(value, int):
        return BAD
    if value < (1 if kind == "limit" else 0):
        return BAD
    if value > INT64_MAX:
        return EITHER
    return OK


def verdict_for(value: Any) -> str:
    """What the protocol says the server must answer to the JSON value ``value``."""
    hazard = _json_hazard(value)
    if hazard == BAD:
        return BAD
    if not isinstance(value, dict):
        return BAD
    kind = value.get("type")
    if not isinstance(kind, str) or _is_surrogate(kind):
        return BAD
    if kind not in FRAME_FIELDS:
        return UNKNOWN
    fields = FRAME_FIELDS[kind]
    named = {name for name, _kind, _required in fields} | {"type"}
    verdicts = [_field_verdict(value.get(name), k, req, name in value) for name, k, req in fields]
    verdicts += [_json_hazard(item) for key, item in value.items() if key not in named]
    verdicts += [_json_hazard(key) for key in value]
    return _worst(verdicts)


def verdict_for_text(text: str) -> str:
    """The verdict for raw text: strict JSON (no NaN, no raw control characters)."""

    def refuse_constant(name: str) -> Any:
        raise ValueError(name)

    if text[:1] == "\ufeff":
        return EITHER  # a byte order mark: RFC 8259 lets a parser ignore it
    try:
        value = json.loads(text, parse_constant=refuse_constant)
    except (ValueError, RecursionError):
        return BAD
    return verdict_for(value)


def to_text(value: Any, *, ascii_only: bool) -> str:
    """JSON text as a client would send it. Lone surrogates cannot travel as UTF-8, so a
    value holding one goes as \\uXXXX escapes, which is how an attacker sends them."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, ensure_ascii=True)
    return text


# The socket -----------------------------------------------------------------------------


class FuzzSocket:
    """bob's socket on an event loop of its own, driven from synchronous hypothesis tests."""

    def __init__(self, user: User) -> None:
        self.loop = asyncio.new_event_loop()
        self.ws: WebsocketCommunicator = self.run(socket_for(user))
        connected, _code = self.run(self.ws.connect(timeout=PATIENCE))
        assert connected
        hello = self.run(self.ws.receive_json_from(timeout=PATIENCE))
        assert hello["type"] == "hello"
        self.probes = 0

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        try:
            self.run(self.ws.disconnect())
            self.run(sync_to_async(connections.close_all)())
        finally:
            self.loop.close()

    async def _next_frame(self) -> dict[str, Any]:
        output = await self.ws.receive_output(timeout=PATIENCE)
        assert output["type"] != "websocket.close", f"the server closed the socket: {output}"
        assert output["type"] == "websocket.send", output
        assert output.get("text") is not None, f"a binary frame from the server: {output}"
        frame = json.loads(output["text"])
        assert isinstance(frame, dict), output
        return frame

    async def _exchange(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        self.probes += 1
        await self.ws.send_input(message)
        await self.ws.send_input(
            {"type": "websocket.receive", "text": json.dumps({"type": "history", "room": PROBE_ROOM})}
        )
        frames = []
        while True:
            frame = await self._next_frame()
            if frame.get("type") == "history" and frame.get("room") == PROBE_ROOM:
                assert frame["messages"] == [] and frame["has_more"] is False, frame
                return frames
            frames.append(frame)

    def answers_to_text(self, text: str) -> list[dict[str, Any]]:
        """The frames (events left out) that answer ``text``; fails if the socket stops working."""
        frames = self.run(self._exchange({"type": "websocket.receive", "text": text}))
        return [frame for frame in frames if frame.get("type") not in EVENT_TYPES]

    def answers_to_bytes(self, data: bytes) -> list[dict[str, Any]]:
        frames = self.run(self._exchange({"type": "websocket.receive", "bytes": data, "text": None}))
        return [frame for frame in frames if frame.get("type") not in EVENT_TYPES]

    def ping(self) -> dict[str, Any]:
        async def ping() -> dict[str, Any]:
            await self.ws.send_to(text_data='{"type": "ping"}')
            while True:
                frame = await self._next_frame()
                if frame.get("type") not in EVENT_TYPES:
                    return frame

        return self.run(ping())


@pytest.fixture
def fuzz_socket(settings, bob: User, public_room: Room, private_room: Room) -> Iterator[FuzzSocket]:
    # Valid frames turn up by chance; the rate limits are not what is being fuzzed.
    settings.CHAT_SEND_RATE = 100_000
    settings.CHAT_SEND_BURST = 100_000
    settings.CHAT_RATE_LIMITS = dict.fromkeys(settings.CHAT_RATE_LIMITS, (100000, 100000))
    RoomFactory(name="Fuzz probe", slug=PROBE_ROOM, created_by=public_room.created_by)
    RoomFactory(name="Elsewhere", slug="elsewhere", created_by=public_room.created_by, is_private=True)
    socket = FuzzSocket(bob)
    yield socket
    assert socket.ping() == {"type": "pong"}
    socket.close()


def check_answer(answers: list[dict[str, Any]], verdict: str, sent: Any, caplog) -> None:
    """The answers to one fuzzed frame are what ``verdict`` allows, and nothing was logged as an error."""
    errors_logged = [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.ERROR
    ]
    caplog.clear()
    assert errors_logged == [], f"logged at ERROR level for {sent!r:.300}: {errors_logged}"
    for answer in answers:
        if answer.get("type") == "error":
            assert isinstance(answer.get("message"), str), answer
            if "ref" in answer:
                # As the server read it: a surrogate pair sent as two escapes is one character.
                sent_id = json.loads(json.dumps(sent.get("client_id"))) if isinstance(sent, dict) else None
                assert isinstance(sent, dict) and answer["ref"] == sent_id, answer
    codes = [answer.get("code") for answer in answers]
    shape = f"sent {sent!r:.300}, verdict {verdict}, answered {answers!r:.500}"
    if verdict == BAD:
        assert codes == ["bad_request"], shape
        return
    if verdict == UNKNOWN:
        assert len(codes) == 1 and codes[0] in {"unknown_type", "bad_request"}, shape
        return
    kind = sent.get("type") if isinstance(sent, dict) else None
    legitimate = _legitimate(answers, kind, sent)
    if verdict == OK:
        assert legitimate, shape
    else:
        assert legitimate or codes == ["bad_request"], shape


def _legitimate(answers: list[dict[str, Any]], kind: str | None, sent: Any) -> bool:
    """The answer a well-formed frame of type ``kind`` may get: its reply, a refusal, or nothing."""
    if kind not in FRAME_FIELDS:
        return False
    if not answers:
        return kind not in REPLY_TYPE
    if len(answers) != 1:
        return False
    (answer,) = answers
    if answer.get("type") == "error":
        if answer.get("code") not in SEMANTIC_CODES:
            return False
        # Every error to a send names the frame it refuses.
        return kind != "send" or answer.get("ref") == sent.get("client_id")
    return answer.get("type") == REPLY_TYPE.get(kind)


# Strategies -----------------------------------------------------------------------------

# Control characters (C0, DEL, C1), and invisible or direction-changing ones.
control_chars = st.one_of(
    st.integers(0x00, 0x1F).map(chr),
    st.sampled_from(["\x7f", "\x85", "\x9b", "\u200b", "\u200e", "\u202e", "\u2028", "\u2029", "\ufeff"]),
)
lone_surrogates = st.integers(0xD800, 0xDFFF).map(chr)
nasty_text = st.text(
    alphabet=st.one_of(st.characters(), control_chars, lone_surrogates, st.just("\x00")), max_size=24
)
huge_ints = st.sampled_from(
    [2**53 + 1, INT64_MAX, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**30, 10**400, -(10**400)]
)
numbers = st.one_of(st.integers(), huge_ints, st.floats(), st.sampled_from([0.0, -0.0, 1.0, 1e400, 1e-400]))
scalars = st.one_of(st.none(), st.booleans(), numbers, nasty_text)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(nasty_text, st.sampled_from(["type", "room", "seq", "body"])), children, max_size=4
        ),
    ),
    max_leaves=16,
)
rooms = st.sampled_from(["general", "secret", "elsewhere", "nowhere", "GENERAL", "general ", "dm-1-2", ""])


@st.composite
def valid_frames(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": kind}
    for name, field_kind, required in FRAME_FIELDS[kind]:
        if not required and draw(st.booleans()):
            continue
        if name == "room":
            frame[name] = draw(rooms)
        elif name == "body":
            frame[name] = draw(st.sampled_from(["hello", "", "   ", "x" * 4001, "ünïcødé ✓", "@bob hi"]))
        elif field_kind == "client_id":
            frame[name] = draw(st.uuids()).hex
        else:
            frame[name] = draw(st.integers(min_value=1 if field_kind == "limit" else 0, max_value=5))
    return frame


@st.composite
def mutated_frames(draw: st.DrawFn) -> dict[str, Any]:
    """A real client frame with some fields replaced, removed or added."""
    kind = draw(st.sampled_from(sorted(FRAME_FIELDS)))
    frame = draw(valid_frames(kind))
    names = [name for name, _kind, _required in FRAME_FIELDS[kind]] + ["type"]
    for name in names:
        action = draw(st.sampled_from(["keep", "keep", "random", "nasty", "number", "drop", "null"]))
        if action == "random":
            frame[name] = draw(json_values)
        elif action == "nasty":
            frame[name] = draw(nasty_text)
        elif action == "number":
            frame[name] = draw(numbers)
        elif action == "drop":
            frame.pop(name, None)
        elif action == "null":
            frame[name] = None
    if draw(st.booleans()):
        frame.update(draw(st.dictionaries(nasty_text, json_values, max_size=2)))
    return frame


@st.composite
def frames_with_a_nasty_string(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed frame whose string fields carry control characters, NUL or surrogates."""
    kind = draw(st.sampled_from(["send", "edit", "join", "history", "typing", "read"]))
    frame = draw(valid_frames(kind))
    name = draw(st.sampled_from([name for name in ("room", "body", "client_id") if name in frame]))
    original = frame[name]
    position = draw(st.integers(0, len(original)))
    inserted = draw(st.text(alphabet=st.one_of(control_chars, lone_surrogates), min_size=1, max_size=3))
    frame[name] = original[:position] + inserted + original[position:]
    return frame


# Random JSON values ---------------------------------------------------------------------


@FUZZ_SETTINGS
@given(value=json_values, ascii_only=st.booleans())
@example(value=None, ascii_only=True)
@example(value=[{"type": "ping"}], ascii_only=True)
@example(value={"type": "ping", "x": 10**400}, ascii_only=True)
@example(value={"type": "ping", "x": float("nan")}, ascii_only=True)
def test_random_json_values_get_an_error_or_their_answer(
    fuzz_socket: FuzzSocket, caplog, value: Any, ascii_only: bool
) -> None:
    text = to_text(value, ascii_only=ascii_only)

    answers = fuzz_socket.answers_to_text(text)

    check_answer(answers, verdict_for_text(text), value, caplog)


# Real client frames with fields replaced ---------------------------------------------------


@FUZZ_SETTINGS
@given(frame=mutated_frames(), ascii_only=st.booleans())
@example(
    frame={"type": "send", "room": "general", "body": "a\x00b", "client_id": "nul-body"}, ascii_only=True
)
@example(frame={"type": "join", "room": "gene\x00ral"}, ascii_only=True)
@example(frame={"type": "join", "room": "general"}, ascii_only=True)  # bob is a member already
@example(frame={"type": "history", "room": "general", "before_seq": 2**63}, ascii_only=True)
@example(frame={"type": "read", "room": "general", "seq": 2**63}, ascii_only=True)
@example(frame={"type": "edit", "room": "general", "seq": 2**63, "body": "x"}, ascii_only=True)
@example(frame={"type": "delete", "room": "general", "seq": 2**64 - 1}, ascii_only=True)
@example(frame={"type": "history", "room": "general", "limit": 2**63}, ascii_only=True)
@example(frame={"type": "read", "room": "general", "seq": True}, ascii_only=True)
@example(frame={"type": "history", "room": "general", "limit": 1.0}, ascii_only=True)
def test_real_frames_with_random_fields_get_an_error_or_their_answer(
    fuzz_socket: FuzzSocket, caplog, frame: dict[str, Any], ascii_only: bool
) -> None:
    text = to_text(frame, ascii_only=ascii_only)

    answers = fuzz_socket.answers_to_text(text)

    check_answer(answers, verdict_for_text(text), frame, caplog)


@FUZZ_SETTINGS
@given(frame=frames_with_a_nasty_string(), ascii_only=st.booleans())
@example(frame={"type": "send", "room": "general", "body": "\x00", "client_id": "only-nul"}, ascii_only=True)
@example(frame={"type": "send", "room": "general", "body": "hi", "client_id": "c\x00"}, ascii_only=False)
@example(frame={"type": "edit", "room": "general", "seq": 1, "body": "fix\x00ed"}, ascii_only=True)
@example(
    frame={"type": "send", "room": "general", "body": "\ud800", "client_id": "surrogate"}, ascii_only=True
)
@example(
    frame={"type": "send", "room": "general", "body": "\udfff\ud800", "client_id": "swapped"}, ascii_only=True
)
def test_control_characters_nul_and_lone_surrogates_in_string_fields(
    fuzz_socket: FuzzSocket, caplog, frame: dict[str, Any], ascii_only: bool
) -> None:
    text = to_text(frame, ascii_only=ascii_only)

    answers = fuzz_socket.answers_to_text(text)

    check_answer(answers, verdict_for_text(text), frame, caplog)


# Text that is not JSON, and binary frames -------------------------------------------------


@FUZZ_SETTINGS
@given(text=st.text(alphabet=st.one_of(st.characters(), control_chars), max_size=200))
@example(text="")
@example(text=" ")
@example(text="ping")
@example(text="{'type': 'ping'}")
@example(text='{"type": "ping"')
@example(text='{"type": "ping",}')
@example(text='{"type": "ping"} {"type": "ping"}')
@example(text='\ufeff{"type": "ping"}')
@example(text='{"type": "send", "room": "general", "body": "a\x01b", "client_id": "raw-control"}')
@example(text='{"type": "ping", "type": "send"}')
@example(text='{"type": "read", "room": "general", "seq": NaN}')
@example(text='{"type": "read", "room": "general", "seq": -Infinity}')
@example(text='{"type": "read", "room": "general", "seq": 0x10}')
@example(text='{"type": "read", "room": "general", "seq": 01}')
@example(text='{"type": "history", "room": "general", "limit": 1e400}')
@example(text="1e400")
@example(text=str(10**400))
@example(text='{"type": "read", "room": "general", "seq": ' + str(10**400) + "}")
@example(text='{"type": "delete", "room": "general", "seq": 9223372036854775808}')
@example(text='{"type": "send", "room": "general", "body": "\\ud800", "client_id": "lone-high"}')
@example(text='{"type": "send", "room": "general", "body": "\\udc00", "client_id": "lone-low"}')
@example(text='{"type": "send", "room": "general\\ud83d", "body": "x", "client_id": "room-surrogate"}')
@example(text='{"type": "send", "room": "general", "body": "\\u0000", "client_id": "escaped-nul"}')
@example(text='{"type\\u0000": "ping"}')
@example(text='{"type": "ping\\u0000"}')
@example(text='{"type": {"$ne": null}}')
@example(text='{"__proto__": {"type": "ping"}}')
def test_any_text_gets_an_error_or_its_answer(fuzz_socket: FuzzSocket, caplog, text: str) -> None:
    answers = fuzz_socket.answers_to_text(text)

    try:
        sent: Any = json.loads(text)
    except ValueError:
        sent = text
    check_answer(answers, verdict_for_text(text), sent, caplog)


DEEP_AND_HUGE = [
    pytest.param("[" * 30_000, BAD, id="30000-open-brackets"),
    pytest.param("{" * 30_000, BAD, id="30000-open-braces"),
    pytest.param('{"a":' * 10_000, BAD, id="10000-open-objects"),
    pytest.param("[" * 5_000 + "]" * 5_000, BAD, id="5000-deep-array"),
    # Well formed, but past any sane parser's depth: its pong, or bad_request.
    pytest.param(
        '{"type": "ping", "x": ' + "[" * 5_000 + "]" * 5_000 + "}", EITHER, id="ping-with-deep-extra"
    ),
    pytest.param(
        '{"type": "send", "room": "general", "client_id": "deep", "body": '
        + "[" * 20_000
        + "]" * 20_000
        + "}",
        BAD,
        id="send-with-deep-body",
    ),
    pytest.param("1e400", BAD, id="1e400"),
    pytest.param(str(10**400), BAD, id="10**400"),
    pytest.param('{"type": "read", "room": "general", "seq": 1e400}', BAD, id="seq-1e400"),
    pytest.param('{"type": "read", "room": "general", "seq": ' + str(10**400) + "}", BAD, id="seq-10**400"),
    pytest.param(
        '{"type": "history", "room": "general", "limit": ' + "9" * 10_000 + "}", BAD, id="limit-10000-digits"
    ),
    pytest.param(
        '{"type": "read", "room": "general", "seq": 1' + "0" * 400 + ".5e-400}", BAD, id="seq-long-float"
    ),
    pytest.param('{"type": "ping", "x": ' + str(10**400) + "}", EITHER, id="ping-with-10**400-extra"),
]


@pytest.mark.parametrize(("text", "verdict"), DEEP_AND_HUGE)
def test_deep_nesting_and_huge_numbers_as_raw_text(
    fuzz_socket: FuzzSocket, caplog, text: str, verdict: str
) -> None:
    answers = fuzz_socket.answers_to_text(text)

    try:
        sent: Any = json.loads(text)
    except (ValueError, RecursionError):
        sent = text
    check_answer(answers, verdict, sent, caplog)


@FUZZ_SETTINGS
@given(data=st.binary(max_size=200))
@example(data=b"")
@example(data=b'{"type": "ping"}')
@example(data=b'{"type": "send", "room": "general", "body": "hi", "client_id": "bin"}')
@example(data=b"\xff\xfe\x00\x00")
@example(data=b"\xed\xa0\x80")  # a surrogate encoded as UTF-8 (CESU-8)
@example(data=b"\xc0\x80")  # an overlong NUL
def test_binary_frames_are_a_bad_request(fuzz_socket: FuzzSocket, caplog, data: bytes) -> None:
    answers = fuzz_socket.answers_to_bytes(data)

    check_answer(answers, BAD, data, caplog)
