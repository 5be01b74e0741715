"""Sign-in and sign-up are throttled (settings.CHAT_RATE_LIMITS, "login" and "signup"):
sign-in attempts per username and per address, sign-ups per address. A refused
submission gets status 429 and a form error, and changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_login_failed
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ATTACKER, NEIGHBOUR = "203.0.113.7", "198.51.100.20"
THROTTLED_SIGN_IN = re.compile(r"^Too many failed sign-in attempts\. Try again in \d+ seconds?\.$")
THROTTLED_SIGN_UP = re.compile(r"^Too many sign-ups from your address\. Try again in \d+ seconds?\.$")


def burst(action: str) -> int:
    return int(settings.CHAT_RATE_LIMITS[action][1])


def sign_in(username: str, password: str, address: str, client: Client | None = None):
    return (client or Client()).post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def sign_up(username: str, address: str, password: str = PASSWORD, client: Client | None = None):
    return (client or Client()).post(
        reverse("signup"),
        {"username": username, "password1": password, "password2": password},
        REMOTE_ADDR=address,
    )


def form_errors(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


def assert_throttled(response, message: re.Pattern[str]) -> None:
    assert response.status_code == 429
    assert [error for error in form_errors(response) if message.match(error)], form_errors(response)
    assert int(response["Retry-After"]) >= 1


@pytest.fixture
def dora() -> User:
    return UserFactory(username="dora")


@pytest.fixture
def failed_logins() -> Iterator[list[str]]:
    """The usernames Django checked a password for and found it wrong."""
    failed: list[str] = []

    def record(sender: object, credentials: dict[str, str], **kwargs: object) -> None:
        failed.append(credentials["username"])

    user_login_failed.connect(record)
    yield failed
    user_login_failed.disconnect(record)


# Signing in --------------------------------------------------------------------------------------


def test_after_the_allowed_attempts_even_the_right_password_is_refused(dora: User) -> None:
    for _ in range(burst("login")):
        response = sign_in("dora", "wrong", ATTACKER)
        assert response.status_code == 200
        assert response.context["form"].errors
        assert not any(THROTTLED_SIGN_IN.match(error) for error in form_errors(response))
    client = Client()

    response = sign_in("dora", PASSWORD, ATTACKER, client)

    assert_throttled(response, THROTTLED_SIGN_IN)
    assert client.session.get(SESSION_KEY) is None


def test_a_refused_attempt_does_not_check_the_password(dora: User, failed_logins: list[str]) -> None:
    for _ in range(burst("login")):
        sign_in("dora", "wrong", ATTACKER)
    assert len(failed_logins) == burst("login")

    response = sign_in("dora", "another guess", ATTACKER)

    assert response.status_code == 429
    assert len(failed_logins) == burst("login")


def test_a_username_is_limited_from_every_address_whatever_its_case(dora: User) -> None:
    spellings = ["dora", "Dora", "DORA"]
    for n in range(burst("login")):
        sign_in(spellings[n % len(spellings)], "wrong", f"192.0.2.{n + 1}")

    assert_throttled(sign_in("dora", PASSWORD, NEIGHBOUR), THROTTLED_SIGN_IN)


def test_an_address_is_limited_whatever_the_username(dora: User) -> None:
    for n in range(burst("login")):
        sign_in(f"someone{n}", "wrong", ATTACKER)

    assert_throttled(sign_in("dora", PASSWORD, ATTACKER), THROTTLED_SIGN_IN)
    # The same person from elsewhere is not: only the address was used up.
    assert sign_in("dora", PASSWORD, NEIGHBOUR).status_code == 302


def test_other_usernames_from_other_addresses_are_unaffected(dora: User) -> None:
    UserFactory(username="erin")
    for _ in range(burst("login")):
        sign_in("dora", "wrong", ATTACKER)
    client = Client()

    response = sign_in("erin", PASSWORD, NEIGHBOUR, client)

    assert response.status_code == 302
    assert response.url == reverse("chat:index")
    assert client.session.get(SESSION_KEY) == str(User.objects.get(username="erin").pk)


def test_successful_sign_ins_are_not_counted(dora: User) -> None:
    # An office behind one address, everyone signing in in the morning.
    colleagues = [UserFactory(username=f"colleague{n}") for n in range(burst("login") + 5)]
    for colleague in [dora, dora, *colleagues]:
        assert sign_in(colleague.username, PASSWORD, ATTACKER).status_code == 302


def test_an_incomplete_form_is_not_an_attempt(dora: User) -> None:
    for _ in range(burst("login") + 1):
        assert sign_in("dora", "", ATTACKER).status_code == 200

    assert sign_in("dora", PASSWORD, ATTACKER).status_code == 302


# Signing up --------------------------------------------------------------------------------------


def test_sign_ups_from_one_address_are_limited() -> None:
    for n in range(burst("signup")):
        assert sign_up(f"new{n}", ATTACKER).status_code == 302
    client = Client()

    response = sign_up("one-too-many", ATTACKER, client=client)

    assert_throttled(response, THROTTLED_SIGN_UP)
    assert not User.objects.filter(username="one-too-many").exists()
    assert client.session.get(SESSION_KEY) is None


def test_every_sign_up_post_counts_even_a_refused_one() -> None:
    for n in range(burst("signup")):
        response = sign_up(f"new{n}", ATTACKER, password="123")
        assert response.status_code == 200
        assert response.context["form"].errors

    assert_throttled(sign_up("valid", ATTACKER), THROTTLED_SIGN_UP)
    assert not User.objects.filter(username="valid").exists()


def test_sign_ups_from_another_address_are_unaffected() -> None:
    for n in range(burst("signup") + 1):
        sign_up(f"new{n}", ATTACKER)

    response = sign_up("neighbour", NEIGHBOUR)

    assert response.status_code == 302
    assert User.objects.filter(username="neighbour").exists()
