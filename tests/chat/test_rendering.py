"""chat.rendering: a body becomes safe HTML with mentions and links, and nothing else."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from chat.rendering import mentioned_names, render_body

LINK = '<a href="{0}" target="_blank" rel="noopener noreferrer nofollow">{0}</a>'


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('<img src=x onerror="alert(1)">', '&lt;img src=x onerror="alert(1)"&gt;'),
        ("a & b < c > d", "a &amp; b &lt; c &gt; d"),
        (
            "<a href='https://evil.example'>x</a>",
            "&lt;a href='" + LINK.format("https://evil.example") + "'&gt;x&lt;/a&gt;",
        ),
        ("plain text", "plain text"),
    ],
)
def test_markup_in_a_body_stays_text(body: str, html: str) -> None:
    assert render_body(body) == html


def test_only_existing_users_are_mentioned() -> None:
    html = render_body("hi @bob and @nobody", ["bob", "alice"])

    assert html == 'hi <span class="mention">@bob</span> and @nobody'


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("@bob, hi", '<span class="mention">@bob</span>, hi'),
        ("thanks @bob!", 'thanks <span class="mention">@bob</span>!'),
        ("(@bob)", '(<span class="mention">@bob</span>)'),
        ("ask @bob.", 'ask <span class="mention">@bob</span>.'),
    ],
)
def test_a_mention_leaves_trailing_punctuation_outside(body: str, html: str) -> None:
    assert render_body(body, ["bob"]) == html


def test_an_email_address_is_not_a_mention() -> None:
    assert render_body("write to bob@example.org", ["bob"]) == "write to bob@example.org"


def test_a_mention_of_a_name_with_markup_is_escaped() -> None:
    assert render_body("@bob<script>", ["bob"]) == '<span class="mention">@bob</span>&lt;script&gt;'


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("see https://example.org", "see " + LINK.format("https://example.org")),
        ("see http://example.org/a/b", "see " + LINK.format("http://example.org/a/b")),
        ("see https://example.org.", "see " + LINK.format("https://example.org") + "."),
        ("https://example.org, then", LINK.format("https://example.org") + ", then"),
        ("is it https://example.org/?", "is it " + LINK.format("https://example.org/") + "?"),
        ("(https://example.org)", "(" + LINK.format("https://example.org") + ")"),
        (
            "https://en.wikipedia.org/wiki/Foo_(bar).",
            LINK.format("https://en.wikipedia.org/wiki/Foo_(bar)") + ".",
        ),
        (
            "https://example.org/?a=1&b=2",
            LINK.format("https://example.org/?a=1&amp;b=2"),
        ),
    ],
)
def test_http_and_https_urls_become_nofollow_links(body: str, html: str) -> None:
    assert render_body(body) == html


@pytest.mark.parametrize(
    "body",
    [
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "ftp://example.org/file",
        "mailto:bob@example.org",
        "vbscript:msgbox(1)",
    ],
)
def test_other_schemes_are_not_linked(body: str) -> None:
    html = render_body(body)

    assert "<a" not in html
    assert "href" not in html


def test_a_quote_ends_a_url_so_it_cannot_break_out_of_the_attribute() -> None:
    html = render_body('https://example.org/"onmouseover="alert(1)')

    assert html == LINK.format("https://example.org/") + '"onmouseover="alert(1)'


def test_mentioned_names_are_collected_without_trailing_punctuation() -> None:
    assert mentioned_names("@alice, @bob! and @carol. not a@b.c https://x.org/@dave") == {
        "alice",
        "bob",
        "carol",
    }


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def _elements(markup: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(markup)
    parser.close()
    return parser.found


def test_a_link_opens_in_a_new_tab_with_no_handle_on_the_chat() -> None:
    html = render_body("docs at https://example.org/guide and http://example.org/b", ["bob"])

    assert _elements(html) == [
        (
            "a",
            {"href": "https://example.org/guide", "target": "_blank", "rel": "noopener noreferrer nofollow"},
        ),
        ("a", {"href": "http://example.org/b", "target": "_blank", "rel": "noopener noreferrer nofollow"}),
    ]


def test_a_typed_target_or_rel_stays_text_and_cannot_change_the_links() -> None:
    body = '<a target="_self" rel="opener" href="https://evil.example">x</a> https://example.org'

    html = render_body(body)

    links = [attributes for tag, attributes in _elements(html) if tag == "a"]
    assert links == [
        {"href": "https://evil.example", "target": "_blank", "rel": "noopener noreferrer nofollow"},
        {"href": "https://example.org", "target": "_blank", "rel": "noopener noreferrer nofollow"},
    ]
    assert html.startswith('&lt;a target="_self" rel="opener" href="<a ')


def test_only_links_get_a_target() -> None:
    html = render_body("hi @bob", ["bob"])

    assert _elements(html) == [("span", {"class": "mention"})]
