"""chat.realtime.hub and envelope: who hears an event, and the envelope's wire form."""

from __future__ import annotations

import pytest

from chat.realtime.envelope import (
    ALL,
    CLOSE,
    FRAME,
    RESYNC,
    ROOM,
    SUBSCRIBE,
    UNSUBSCRIBE,
    USER,
    Envelope,
    from_wire,
)
from chat.realtime.hub import Hub
from tests.fakes import FakeSocket


@pytest.fixture
def hub() -> Hub:
    return Hub()


def socket_in(hub: Hub, socket_id: str, user_id: int, *rooms: int) -> FakeSocket:
    socket = FakeSocket(socket_id, user_id)
    hub.attach(socket)
    for room_id in rooms:
        hub.subscribe(socket, room_id, f"r{room_id}")
    return socket


def test_a_room_frame_reaches_the_sockets_hearing_the_room_except_the_skipped(hub: Hub) -> None:
    alice_tab1 = socket_in(hub, "a1", 1, 10)
    alice_tab2 = socket_in(hub, "a2", 1, 10)
    bob = socket_in(hub, "b1", 2, 10, 11)
    carol = socket_in(hub, "c1", 3, 11)

    hub.dispatch(Envelope(op=FRAME, audience=ROOM, target=10, frame="m1"))
    hub.dispatch(Envelope(op=FRAME, audience=ROOM, target=10, frame="typing", skip_user=1))
    hub.dispatch(Envelope(op=FRAME, audience=ROOM, target=10, frame="m2", skip="a2"))

    assert alice_tab1.received == ["m1", "m2"]
    assert alice_tab2.received == ["m1"]
    assert bob.received == ["m1", "typing", "m2"]
    assert carol.received == []


def test_a_user_frame_about_a_room_skips_sockets_that_no_longer_hear_it(hub: Hub) -> None:
    hearing = socket_in(hub, "a1", 1, 10)
    not_hearing = socket_in(hub, "a2", 1)
    other_user = socket_in(hub, "b1", 2, 10)

    hub.dispatch(Envelope(op=FRAME, audience=USER, target=1, frame="room_updated", room_id=10))
    hub.dispatch(Envelope(op=FRAME, audience=USER, target=1, frame="read"))

    assert hearing.received == ["room_updated", "read"]
    assert not_hearing.received == ["read"]
    assert other_user.received == []


def test_subscribe_and_unsubscribe_change_what_every_socket_of_the_user_hears(hub: Hub) -> None:
    tab1 = socket_in(hub, "a1", 1)
    tab2 = socket_in(hub, "a2", 1)

    hub.dispatch(
        Envelope(op=SUBSCRIBE, audience=USER, target=1, room_id=10, room="r10", frame="added", skip="a2")
    )
    hub.dispatch(Envelope(op=FRAME, audience=ROOM, target=10, frame="m1"))
    hub.dispatch(Envelope(op=UNSUBSCRIBE, audience=USER, target=1, room_id=10, room="r10", frame="removed"))
    hub.dispatch(Envelope(op=FRAME, audience=ROOM, target=10, frame="m2"))

    assert tab1.received == ["added", "m1", "removed"]
    assert tab2.received == ["m1", "removed"]  # the tab that joined got "joined" instead of "added"
    assert hub.by_room == {}


def test_detach_forgets_the_socket_everywhere(hub: Hub) -> None:
    socket = socket_in(hub, "a1", 1, 10, 11)

    hub.detach(socket)
    hub.dispatch(Envelope(op=FRAME, audience=ROOM, target=10, frame="m1"))

    assert (hub.by_room, hub.by_user, socket.received, len(hub)) == ({}, {}, [], 0)


def test_close_closes_the_users_sockets_or_only_those_of_one_session(hub: Hub) -> None:
    first = socket_in(hub, "a1", 1)
    second = socket_in(hub, "a2", 1)
    second.session_key = "s2"
    other = socket_in(hub, "b1", 2)

    hub.dispatch(Envelope(op=CLOSE, audience=USER, target=1, code=4401, session="s2"))
    assert (first.closed, second.closed) == ([], [4401])

    hub.dispatch(Envelope(op=CLOSE, audience=USER, target=1, code=4401))
    assert (first.closed, other.closed) == ([4401], [])


def test_resync_names_the_sockets_of_its_rooms_and_users(hub: Hub) -> None:
    socket_in(hub, "a1", 1, 10)
    socket_in(hub, "b1", 2, 11)
    neither = socket_in(hub, "c1", 3, 12)
    asked: list[set[str]] = []
    hub.on_resync = lambda sockets: asked.append({socket.socket_id for socket in sockets})

    hub.dispatch(Envelope(op=RESYNC, audience=ROOM, rooms=(10,), users=(2,)))
    hub.dispatch(Envelope(op=RESYNC, audience=ALL))

    assert asked == [{"a1", "b1"}, {"a1", "b1", "c1"}]
    assert neither.received == []


def test_reconcile_keeps_changes_made_by_events_after_the_read(hub: Hub) -> None:
    socket = socket_in(hub, "a1", 1, 10, 11)
    since = hub.changes
    # After the read: an event adds room 12 and removes room 11.
    hub.dispatch(Envelope(op=SUBSCRIBE, audience=USER, target=1, room_id=12, room="r12"))
    hub.dispatch(Envelope(op=UNSUBSCRIBE, audience=USER, target=1, room_id=11, room="r11"))

    # The read (older) says: rooms 10, 11 and 13.
    hub.reconcile(socket, [(10, "r10"), (11, "r11"), (13, "r13")], since)

    assert set(socket.rooms) == {10, 12, 13}


def test_reconcile_drops_rooms_the_read_no_longer_lists(hub: Hub) -> None:
    socket = socket_in(hub, "a1", 1, 10, 11)

    hub.reconcile(socket, [(11, "r11")], hub.changes)

    assert set(socket.rooms) == {11}
    assert set(hub.by_room) == {11}


def test_an_envelope_survives_the_wire() -> None:
    envelope = Envelope(
        op=SUBSCRIBE,
        audience=USER,
        target=7,
        frame='{"type":"added","room":{"name":"Café ☕"}}',
        room_id=3,
        room="cafe",
        skip="p.1",
        rooms=(1, 2),
        users=(3,),
    )

    origin, decoded = from_wire(envelope.to_wire("process-1"))

    assert (origin, decoded) == ("process-1", envelope)


@pytest.mark.parametrize("data", [b"", b"not json\n{}", b"[1,2]\n{}"])
def test_garbage_is_not_an_envelope(data: bytes) -> None:
    with pytest.raises(ValueError):
        from_wire(data)
