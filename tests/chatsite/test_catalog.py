"""The browser client's strings: Django's JavaScript catalog (chatsite.catalog), one
address per language and version, loaded by every page before its modules."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from chatsite.catalog import catalog_url, catalog_version
from tests.factories import RoomFactory, UserFactory

pytestmark = pytest.mark.django_db


def scripts(html: str) -> list[str]:
    """The src of each classic script (no type) of a page, in order, then "module:<src>" of the modules."""
    classic = re.findall(r'<script src="([^"]+)" defer></script>', html)
    modules = [f"module:{src}" for src in re.findall(r'<script type="module" src="([^"]+)"', html)]
    return classic + modules


def test_every_page_loads_its_languages_catalog_once_before_its_modules() -> None:
    user = UserFactory(language="zh-hans")
    room = RoomFactory(created_by=user)
    client = Client()
    client.force_login(user)

    html = client.get(room.get_absolute_url()).content.decode()

    assert scripts(html) == [catalog_url("zh-hans"), "module:/static/chat/app.js"]
    assert catalog_url("zh-hans") == f"/jsi18n/zh-hans/?v={catalog_version('zh-hans')}"
    # Deferred, in the head: it runs before the modules, which are deferred too.
    assert html.index(catalog_url("zh-hans")) < html.index("</head>") < html.index("chat/app.js")


def test_an_anonymous_page_loads_the_catalog_of_the_browsers_language() -> None:
    html = Client(headers={"accept-language": "zh-CN"}).get(reverse("login")).content.decode()

    assert scripts(html)[:1] == [catalog_url("zh-hans")]


def test_the_catalog_of_the_current_version_is_cached_for_a_year_by_anyone() -> None:
    response = Client().get(catalog_url("zh-hans"))

    assert response.status_code == 200
    assert response["Content-Type"] == 'text/javascript; charset="utf-8"'
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    # The same for everyone: it varies with neither the cookie nor the browser's language.
    assert "Vary" not in response
    assert "Set-Cookie" not in response
    assert "django.gettext = function" in response.content.decode()


def test_the_catalog_does_not_depend_on_who_asks() -> None:
    signed_in = Client(headers={"accept-language": "en"})
    signed_in.force_login(UserFactory(language="en"))

    mine = signed_in.get(catalog_url("zh-hans"))
    anyone = Client().get(catalog_url("zh-hans"))

    assert mine.content == anyone.content
    assert "Vary" not in mine


def test_without_the_current_version_the_catalog_is_not_cached() -> None:
    for url in ("/jsi18n/zh-hans/", "/jsi18n/zh-hans/?v=0123456789ab"):
        response = Client().get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("language", ["fr", "zh", "en-us", "..", "zh-hans.js"])
def test_only_the_sites_languages_have_a_catalog(language: str) -> None:
    assert Client().get(f"/jsi18n/{language}/").status_code == 404


def test_the_catalog_is_only_read() -> None:
    assert Client().post(catalog_url("en")).status_code == 405


def test_each_language_has_its_own_version() -> None:
    assert catalog_version("zh-hans") != catalog_version("en")
    assert re.fullmatch(r"[0-9a-f]{12}", catalog_version("zh-hans"))
