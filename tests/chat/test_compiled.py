"""chat.compiled: a values_list QuerySet compiled once, run with new parameters."""

from __future__ import annotations

import pytest
from django.db.models import QuerySet

from chat.compiled import CompiledQuery
from chat.models import Membership, Room
from tests.factories import MembershipFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db


def memberships_of(user_id: int) -> QuerySet:
    return (
        Membership.objects.filter(user_id=user_id, room__is_archived=False)
        .order_by("room__slug")
        .values_list("room__slug", "muted", "joined_at")
    )


def test_rows_are_what_the_queryset_gives_for_each_value() -> None:
    query = CompiledQuery(memberships_of, 1_234_567_891)
    one, two = UserFactory(), UserFactory()
    for slug in ("b-room", "a-room"):
        MembershipFactory(room=RoomFactory(slug=slug), user=one, muted=slug == "a-room")
    MembershipFactory(room=RoomFactory(slug="c-room"), user=two)
    MembershipFactory(room=RoomFactory(slug="old", is_archived=True), user=two)

    for user in (one, two, one):
        assert query.rows(user.pk) == list(memberships_of(user.pk))
    # The backend's converters ran: booleans are booleans, times are aware times.
    slug, muted, joined = query.rows(one.pk)[0]
    assert (slug, muted) == ("a-room", True)
    assert joined.tzinfo is not None


def test_several_parameters_take_their_own_places_and_constants_stay() -> None:
    def rooms(low: int, high: int) -> QuerySet:
        return Room.objects.filter(pk__gte=low, pk__lte=high, is_private=False).values_list(
            "slug", flat=False
        )

    query = CompiledQuery(rooms, 1_234_567_891, 1_234_567_892)
    made = [RoomFactory(slug=f"r{n}", is_private=n == 2) for n in range(4)]

    assert query.rows(made[1].pk, made[3].pk) == [("r1",), ("r3",)]
    assert query.rows(made[0].pk, made[0].pk) == [("r0",)]


@pytest.mark.parametrize("samples", [(1_234_567_891,), (1,)])
def test_a_sample_must_stand_for_exactly_one_parameter(samples: tuple[int, ...]) -> None:
    # 1_234_567_891 twice; 1 not at all (the query's own constant is True, not 1).
    def twice(value: int) -> QuerySet:
        return Room.objects.filter(pk=1_234_567_891, last_seq=1_234_567_891, is_private=True).values_list(
            "slug"
        )

    with pytest.raises(ValueError, match="not one"):
        CompiledQuery(twice, *samples).rows(5)


def test_it_takes_as_many_values_as_samples() -> None:
    with pytest.raises(TypeError):
        CompiledQuery(memberships_of, 1_234_567_891).rows(1, 2)


def test_a_sample_the_backend_wraps_is_found_and_each_value_wrapped_alike() -> None:
    # On PostgreSQL psycopg passes a big integer (last_seq) as its Int8, a subclass of int.
    def at(seq: int) -> QuerySet:
        return Room.objects.filter(last_seq=seq).order_by("slug").values_list("slug")

    query = CompiledQuery(at, 1_234_567_891)
    for slug, seq in (("seven", 7), ("eight", 8)):
        Room.objects.filter(pk=RoomFactory(slug=slug).pk).update(last_seq=seq)

    assert query.rows(7) == [("seven",)]
    assert query.rows(8) == [("eight",)]
