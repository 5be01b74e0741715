"""accounts: sign up, log in, log out, profile."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def logged_in_user_id(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


# Sign up -------------------------------------------------------------------------------


def test_the_signup_page() -> None:
    response = Client().get(reverse("signup"))

    assert response.status_code == 200
    assert b'data-testid="signup-submit"' in response.content


def test_signup_creates_and_logs_in_the_user_then_shows_the_rooms() -> None:
    client = Client()

    response = client.post(
        reverse("signup"), {"username": "dora", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == reverse("chat:index")
    user = User.objects.get(username="dora")
    assert user.check_password(PASSWORD)
    assert logged_in_user_id(client) == str(user.pk)
    assert client.get(reverse("chat:index")).status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        {"username": "dora", "password1": PASSWORD, "password2": PASSWORD + "x"},
        {"username": "dora", "password1": "123", "password2": "123"},
        {"username": "", "password1": PASSWORD, "password2": PASSWORD},
        {"username": "taken", "password1": PASSWORD, "password2": PASSWORD},
    ],
)
def test_an_invalid_signup_shows_the_form_again(data: dict[str, str]) -> None:
    UserFactory(username="taken")
    client = Client()

    response = client.post(reverse("signup"), data)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not User.objects.filter(username="dora").exists()
    assert logged_in_user_id(client) is None


def test_a_logged_in_user_is_sent_from_signup_to_the_rooms() -> None:
    client = Client()
    client.force_login(UserFactory())

    response = client.get(reverse("signup"))

    assert response.status_code == 302
    assert response.url == reverse("chat:index")


# Log in and log out ------------------------------------------------------------------------


def test_the_login_page() -> None:
    response = Client().get(reverse("login"))

    assert response.status_code == 200
    assert b'data-testid="login-submit"' in response.content


@pytest.mark.parametrize(("password", "logged_in"), [(PASSWORD, True), ("wrong", False)])
def test_login(password: str, logged_in: bool) -> None:
    user = UserFactory(username="dora")
    client = Client()

    response = client.post(reverse("login"), {"username": "dora", "password": password})

    if logged_in:
        assert response.status_code == 302
        assert response.url == reverse("chat:index")
        assert logged_in_user_id(client) == str(user.pk)
    else:
        assert response.status_code == 200
        assert response.context["form"].errors
        assert logged_in_user_id(client) is None


def test_login_returns_to_the_page_asked_for() -> None:
    UserFactory(username="dora")
    target = reverse("chat:room_create")

    response = Client().post(
        f"{reverse('login')}?next={target}", {"username": "dora", "password": PASSWORD, "next": target}
    )

    assert response.url == target


def test_logout_by_post() -> None:
    client = Client()
    client.force_login(UserFactory())

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == reverse("login")
    assert logged_in_user_id(client) is None


def test_logout_is_not_a_get() -> None:
    client = Client()
    user = UserFactory()
    client.force_login(user)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert logged_in_user_id(client) == str(user.pk)


# Profile --------------------------------------------------------------------------------------


def test_the_profile_page() -> None:
    client = Client()
    client.force_login(UserFactory(display_name="Dora"))

    response = client.get(reverse("profile"))

    assert response.status_code == 200
    assert response.context["form"].initial["display_name"] == "Dora"


def test_the_profile_sets_the_display_name() -> None:
    user = UserFactory(username="dora", display_name="")
    client = Client()
    client.force_login(user)

    response = client.post(reverse("profile"), {"display_name": "Dora the Explorer"})

    assert response.status_code == 302
    assert response.url == reverse("profile")
    user.refresh_from_db()
    assert user.display_name == "Dora the Explorer"
    assert user.shown_name == "Dora the Explorer"


def test_the_profile_needs_a_login() -> None:
    response = Client().get(reverse("profile"))

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse('profile')}"
