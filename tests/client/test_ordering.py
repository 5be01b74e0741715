"""Each message once, in seq order; waits between reconnects that grow, jitter and stop growing."""

from __future__ import annotations

import pytest

from chat.client.events import Message, parse_event
from chat.client.ordering import Backoff, Sequencer
from tests.client.frames import message_frame


def msg(seq: int, room: str = "general") -> Message:
    event = parse_event(message_frame(room, seq))
    assert isinstance(event, Message)
    return event


def seqs(messages: list[Message]) -> list[int]:
    return [m.seq for m in messages]


def test_messages_in_order_are_delivered_at_once() -> None:
    sequencer = Sequencer()
    sequencer.start("general", 4)

    assert seqs(sequencer.accept(msg(5))) == [5]
    assert seqs(sequencer.accept(msg(6))) == [6]
    assert not sequencer.behind("general")


def test_what_came_before_the_room_was_first_seen_is_not_delivered() -> None:
    sequencer = Sequencer()
    sequencer.start("general", 4)

    assert sequencer.accept(msg(4)) == []
    assert sequencer.accept(msg(2)) == []


def test_a_duplicate_is_dropped_whether_delivered_or_held() -> None:
    sequencer = Sequencer()
    sequencer.start("general", 0)
    sequencer.accept(msg(1))
    sequencer.accept(msg(3))

    assert sequencer.accept(msg(1)) == []
    assert sequencer.accept(msg(3)) == []
    assert sequencer.held("general") == 1


def test_a_message_past_a_gap_waits_until_the_gap_is_filled() -> None:
    sequencer = Sequencer()
    sequencer.start("general", 2)

    assert sequencer.accept(msg(5)) == []
    assert sequencer.accept(msg(6)) == []
    assert sequencer.behind("general")
    assert sequencer.after_seq("general") == 2

    # History after seq 2 brings 3..6; the live 5 and 6 are not delivered a second time.
    delivered = [m for seq in (3, 4, 5, 6) for m in sequencer.accept(msg(seq))]

    assert seqs(delivered) == [3, 4, 5, 6]
    assert not sequencer.behind("general")
    assert sequencer.held("general") == 0


def test_a_later_last_seq_means_catching_up() -> None:
    sequencer = Sequencer()
    sequencer.start("general", 3)

    sequencer.note_latest("general", 7)
    sequencer.note_latest("general", 5)  # an older summary does not move it back

    assert sequencer.behind("general")
    assert sequencer.after_seq("general") == 3
    assert seqs([m for seq in range(4, 8) for m in sequencer.accept(msg(seq))]) == [4, 5, 6, 7]
    assert not sequencer.behind("general")


def test_rooms_are_independent() -> None:
    sequencer = Sequencer()
    sequencer.start("general", 0)
    sequencer.start("random", 10)

    assert sequencer.accept(msg(2, "general")) == []
    assert seqs(sequencer.accept(msg(11, "random"))) == [11]
    assert sequencer.behind("general")
    assert not sequencer.behind("random")


def test_starting_a_room_again_keeps_its_place() -> None:
    sequencer = Sequencer()
    sequencer.start("general", 3)
    sequencer.start("general", 9)

    assert sequencer.after_seq("general") == 3


def test_a_forgotten_room_starts_afresh() -> None:
    sequencer = Sequencer()
    sequencer.start("general", 3)
    sequencer.forget("general")
    sequencer.note_latest("general", 9)

    assert sequencer.after_seq("general") == 9
    assert not sequencer.behind("general")


def test_a_message_of_a_room_not_seen_yet_is_delivered() -> None:
    sequencer = Sequencer()

    assert seqs(sequencer.accept(msg(8, "design"))) == [8]
    assert seqs(sequencer.accept(msg(9, "design"))) == [9]


@pytest.mark.parametrize("attempt", range(12))
def test_backoff_stays_between_half_and_all_of_its_ceiling(attempt: int) -> None:
    lowest = Backoff(initial=0.5, maximum=15.0, draw=lambda: 0.0)
    highest = Backoff(initial=0.5, maximum=15.0, draw=lambda: 0.999999)
    ceiling = min(15.0, 0.5 * 2**attempt)

    assert lowest.delay(attempt) == pytest.approx(ceiling / 2)
    assert highest.delay(attempt) == pytest.approx(ceiling, rel=1e-5)


def test_backoff_grows_and_is_capped() -> None:
    backoff = Backoff(initial=0.1, maximum=2.0)

    ceilings = [backoff.ceiling(n) for n in range(8)]

    assert ceilings == sorted(ceilings)
    assert ceilings[0] == pytest.approx(0.1)
    assert max(ceilings) == 2.0
    assert backoff.ceiling(10_000) == 2.0


def test_backoff_jitters() -> None:
    backoff = Backoff(initial=1.0, maximum=1.0)

    assert len({backoff.delay(3) for _ in range(20)}) > 1
