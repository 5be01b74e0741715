"""{% include_cached %} (chat/templatetags/fragments.py) and {% url %}'s memo (memo.py)."""

from __future__ import annotations

import re

import pytest
from django.http import HttpRequest
from django.middleware.csrf import _unmask_cipher_token
from django.template import Context, RequestContext, Template
from django.test import override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix
from django.utils import translation

from chat.templatetags import fragments
from chat.templatetags.fragments import FragmentCache
from tests.factories import UserFactory

FRAGMENTS = {
    "t/hello.html": "Hello {{ name }}{% if user %} and {{ user.username }}{% endif %}{{ request.path }}!",
    "t/form.html": "<form>{% csrf_token %}{{ what }}</form>",
    "t/outer.html": '{% load fragments %}[{% include_cached "t/form.html" what=what %}]',
}


@pytest.fixture
def templates():
    """The project's engine with a few templates of the tests' own beside its files."""
    from django.conf import settings

    engine = {**settings.TEMPLATES[0]}
    options = {**engine["OPTIONS"]}
    options["loaders"] = [
        ("django.template.loaders.locmem.Loader", FRAGMENTS),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    engine["OPTIONS"] = options
    engine["APP_DIRS"] = False
    with override_settings(TEMPLATES=[engine]):
        yield


def render(source: str, context: Context | None = None) -> str:
    return Template("{% load fragments %}" + source).render(context or Context())


def test_the_same_values_are_drawn_once(templates) -> None:
    before = fragments.fragments.hits

    first = render('{% include_cached "t/hello.html" name=name %}', Context({"name": "Ann"}))
    again = render('{% include_cached "t/hello.html" name=name %}', Context({"name": "Ann"}))
    other = render('{% include_cached "t/hello.html" name="Bo" %}')

    assert (first, again, other) == ("Hello Ann!", "Hello Ann!", "Hello Bo!")
    assert fragments.fragments.hits == before + 1


@pytest.mark.django_db
def test_a_fragment_sees_only_what_it_is_given(templates, rf) -> None:
    request = rf.get("/somewhere/")
    request.user = UserFactory(username="secret-name")

    html = Template('{% load fragments %}{% include_cached "t/hello.html" name="Ann" %}').render(
        RequestContext(request, {"user": request.user})
    )

    assert html == "Hello Ann!"  # neither the user nor the request reached it


def test_the_language_is_part_of_the_key(templates) -> None:
    with translation.override("en"):
        render('{% include_cached "t/hello.html" name="Lang" %}')
    before = fragments.fragments.misses
    with translation.override("de"):
        render('{% include_cached "t/hello.html" name="Lang" %}')

    assert fragments.fragments.misses == before + 1


def test_only_plain_data_can_key_a_fragment(templates) -> None:
    with pytest.raises(TypeError, match="plain data"):
        render('{% include_cached "t/hello.html" name=thing %}', Context({"thing": object()}))


def tokens_in(html: str) -> list[str]:
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)


@pytest.mark.parametrize(
    "source", ['{% include_cached "t/form.html" what="x" %}', '{% include_cached "t/outer.html" what="x" %}']
)
def test_each_response_gets_its_own_csrf_token_in_a_kept_fragment(templates, source: str) -> None:
    secret = "a" * 32
    drawn = []
    for _ in range(2):
        request = HttpRequest()
        request.META["CSRF_COOKIE"] = secret
        drawn += tokens_in(render(source, RequestContext(request)))

    assert len(drawn) == 2
    # Each is the request's secret, masked afresh for each response as Django's own tag does.
    assert [_unmask_cipher_token(token) for token in drawn] == [secret, secret]
    assert drawn[0] != drawn[1]
    assert fragments.CSRF_PLACEHOLDER not in "".join(drawn)


def test_the_least_recently_used_fragment_goes_first() -> None:
    cache = FragmentCache(size=2)
    cache.put(("a",), "A")
    cache.put(("b",), "B")
    assert cache.get(("a",)) == "A"
    cache.put(("c",), "C")

    assert (cache.get(("a",)), cache.get(("b",)), cache.get(("c",))) == ("A", None, "C")
    assert len(cache) == 2


@pytest.mark.parametrize(
    ("source", "name", "args"),
    [
        ("{% url 'chat:index' %}", "chat:index", []),
        ("{% url 'chat:room' 'general' %}", "chat:room", ["general"]),
        ("{% url 'chat:room' slug='x-y' %}", "chat:room", None),
    ],
)
def test_url_reverses_as_django_does(source: str, name: str, args: list[str] | None) -> None:
    expected = reverse(name, args=args) if args is not None else reverse(name, kwargs={"slug": "x-y"})

    assert Template(source).render(Context()) == expected
    assert Template(source).render(Context()) == expected  # remembered, the same


def test_url_follows_the_script_prefix() -> None:
    try:
        set_script_prefix("/chat/")
        behind_a_prefix = Template("{% url 'chat:index' %}").render(Context())
    finally:
        set_script_prefix("/")

    assert behind_a_prefix == "/chat/"
    assert Template("{% url 'chat:index' %}").render(Context()) == "/"


def test_url_still_refuses_what_does_not_reverse() -> None:
    with pytest.raises(NoReverseMatch):
        Template("{% url 'chat:nowhere' %}").render(Context())
    context = Context()
    assert Template("{% url 'chat:nowhere' as there %}[{{ there }}]").render(context) == "[]"
