"""The language of the interface: the user's choice on the profile page, else the
browser's Accept-Language, else settings.LANGUAGE_CODE (accounts.languages and
chatsite.middleware.UserLocaleMiddleware)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.languages import from_accept_language, language_for
from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)">', response.content.decode())
    assert match, "no <html lang>"
    return match[1]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-hans"),
        ("zh-Hans-CN", "zh-hans"),
        ("zh", "zh-hans"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR,fr;q=0.9,zh-CN;q=0.5", "zh-hans"),  # the first one the site speaks
        ("fr-FR,de;q=0.5", None),
        ("*", None),
        ("", None),
        ("x" * 5000, None),
    ],
)
def test_the_browsers_language_is_the_first_the_site_speaks(header: str, language: str | None) -> None:
    assert from_accept_language(header) == language


def test_an_anonymous_page_follows_the_browser_else_english() -> None:
    chinese = Client(headers={"accept-language": "zh-CN,zh;q=0.9"}).get(reverse("login"))
    french = Client(headers={"accept-language": "fr"}).get(reverse("login"))
    none = Client().get(reverse("login"))

    assert (html_lang(chinese), chinese["Content-Language"]) == ("zh-hans", "zh-hans")
    assert (html_lang(french), french["Content-Language"]) == ("en", "en")
    assert html_lang(none) == "en"
    assert "Accept-Language" in chinese["Vary"]


def test_the_users_choice_comes_before_the_browsers() -> None:
    user = UserFactory(language="zh-hans")
    client = Client(headers={"accept-language": "en-US"})
    client.force_login(user)

    assert html_lang(client.get(reverse("chat:index"))) == "zh-hans"
    user.language = ""
    user.save()
    assert html_lang(client.get(reverse("chat:index"))) == "en"


def test_a_language_the_site_no_longer_speaks_falls_back_to_the_browsers() -> None:
    user = UserFactory(language="fr")

    assert language_for(user, "zh-CN") == "zh-hans"
    assert language_for(user, "") == "en"


def test_the_profile_offers_each_language_in_itself_and_the_browsers() -> None:
    response = signed_in(UserFactory()).get(reverse("profile"))

    choices = list(response.context["form"].fields["language"].choices)
    assert [code for code, _label in choices] == ["", "en", "zh-hans"]
    assert dict(choices)["zh-hans"] == "简体中文"
    assert 'name="language"' in response.content.decode()


def test_the_profile_saves_the_language_and_the_next_page_speaks_it() -> None:
    user = UserFactory(display_name="Dora")
    client = signed_in(user)

    response = client.post(reverse("profile"), {"display_name": "Dora", "language": "zh-hans"}, follow=True)

    user.refresh_from_db()
    assert user.language == "zh-hans"
    assert html_lang(response) == "zh-hans"


def test_the_profile_refuses_a_language_it_does_not_offer() -> None:
    user = UserFactory(display_name="Dora")

    response = signed_in(user).post(reverse("profile"), {"display_name": "Dora", "language": "fr"})

    assert response.status_code == 200
    assert "language" in response.context["form"].errors
    user.refresh_from_db()
    assert user.language == ""


# The pages in Chinese -------------------------------------------------------------------


def test_the_login_page_in_chinese() -> None:
    client = Client(headers={"accept-language": "zh-CN"})

    page = client.get(reverse("login")).content.decode()
    refused = client.post(reverse("login"), {"username": "nobody", "password": "wrong"}).content.decode()

    assert "欢迎回来" in page and "创建账号" in page and ">登录<" in page
    # Django's own messages come from Django's catalog.
    assert "请输入一个正确的" in refused


def test_the_pages_of_a_user_who_chose_chinese(alice_in_chinese: User) -> None:
    client = signed_in(alice_in_chinese)

    index = client.get(reverse("chat:index")).content.decode()
    profile = client.get(reverse("profile")).content.decode()
    saved = client.post(reverse("profile"), {"display_name": "Alice", "language": "zh-hans"}, follow=True)

    assert "欢迎，Alice" in index and "可加入的公开房间" in index and "创建房间" in index
    assert "你的个人资料" in profile and "简体中文" in profile and "跟随浏览器" in profile
    assert "个人资料已保存。" in saved.content.decode()


def test_choosing_english_again_says_so_in_english(alice_in_chinese: User) -> None:
    response = signed_in(alice_in_chinese).post(
        reverse("profile"), {"display_name": "Alice", "language": "en"}, follow=True
    )

    assert "Your profile was saved." in response.content.decode()
    assert html_lang(response) == "en"


@pytest.fixture
def alice_in_chinese() -> User:
    return UserFactory(username="alice", display_name="Alice", language="zh-hans")
