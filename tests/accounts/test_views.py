"""accounts: sign up, log in, log out, profile."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from accounts.models import User
from chat.models import Message
from tests.factories import PASSWORD, RoomFactory, UserFactory

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


def sign_up(client: Client, username: str = "dora") -> None:
    response = client.post(
        reverse("signup"), {"username": username, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302


def test_signup_joins_the_default_rooms(settings) -> None:
    settings.CHAT_DEFAULT_ROOMS = ["general", "#Help"]
    founder = UserFactory(username="founder")
    general = RoomFactory(name="General", slug="general", created_by=founder)
    RoomFactory(name="Help", slug="help", created_by=founder)
    RoomFactory(name="Elsewhere", slug="elsewhere", created_by=founder)
    client = Client()

    sign_up(client)

    dora = User.objects.get(username="dora")
    assert set(dora.memberships.values_list("room__slug", flat=True)) == {"general", "help"}
    # Joined as any join: with its note, and read up to it.
    note = Message.objects.get(room=general, author=None)
    assert note.body == "dora joined."
    assert dora.memberships.get(room=general).last_read_seq == note.seq
    page = client.get(reverse("chat:index"))
    assert [room["slug"] for room in page.context["rooms"]] == ["general", "help"]


def test_signup_joins_general_by_default() -> None:
    RoomFactory(name="General", slug="general")

    sign_up(Client())

    assert list(User.objects.get(username="dora").memberships.values_list("room__slug", flat=True)) == [
        "general"
    ]


def test_signup_skips_default_rooms_that_are_missing_private_or_archived(settings) -> None:
    settings.CHAT_DEFAULT_ROOMS = ["nowhere", "secret", "old", "general", ""]
    founder = UserFactory(username="founder")
    RoomFactory(name="Secret", slug="secret", created_by=founder, is_private=True)
    RoomFactory(name="Old", slug="old", created_by=founder, is_archived=True)
    RoomFactory(name="General", slug="general", created_by=founder)
    client = Client()

    sign_up(client)

    dora = User.objects.get(username="dora")
    assert list(dora.memberships.values_list("room__slug", flat=True)) == ["general"]
    assert logged_in_user_id(client) == str(dora.pk)
    assert not Message.objects.exclude(room__slug="general").exists()


def test_signup_with_no_default_rooms(settings) -> None:
    settings.CHAT_DEFAULT_ROOMS = []
    RoomFactory(name="General", slug="general")

    sign_up(Client())

    assert not User.objects.get(username="dora").memberships.exists()


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


# The top bar ----------------------------------------------------------------------------------


def top_bar_avatar(html: str) -> str:
    """The opening tag and letters of the avatar in the top bar's user menu."""
    menu = html[html.index('data-testid="user-menu"') :]
    start = menu.index('<span class="avatar')
    return menu[start : menu.index("</span>", start)]


def test_the_top_bar_avatar_looks_the_same_on_every_page() -> None:
    user = UserFactory(username="bob", display_name="Bob Marley")
    room = RoomFactory(name="General", slug="general", created_by=user)
    client = Client()
    client.force_login(user)

    pages = [reverse("chat:index"), room.get_absolute_url(), reverse("profile")]
    avatars = {page: top_bar_avatar(client.get(page).content.decode()) for page in pages}

    # hueFor("bob") and initialsFor("Bob Marley") of chat/static/chat/format.js.
    assert set(avatars.values()) == {
        '<span class="avatar avatar--sm" aria-hidden="true" style="--avatar-hue: 157" '
        'data-avatar-for="bob" data-avatar-name="Bob Marley">BM'
    }, avatars


@pytest.mark.parametrize(
    ("username", "name", "hue", "letters"),
    [
        # Checked against hueFor() and initialsFor() of chat/static/chat/format.js.
        ("alice", "alice", 0, "A"),
        ("zoë", "  zoë  van  der berg ", 318, "ZB"),
        ("a😀b", "😀 smile", 187, "😀S"),
        ("x", "ß straße", 120, "SSS"),
        ("y", "   ", 121, "?"),
    ],
)
def test_avatars_are_drawn_as_the_client_draws_them(username: str, name: str, hue: int, letters: str) -> None:
    from chat.templatetags.chat_tags import avatar_hue, avatar_initials

    assert (avatar_hue(username), avatar_initials(name)) == (hue, letters)
