"""chat.rendering: a body becomes safe HTML with mentions and links, and nothing else."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chat.rendering import EMOJI, _emoji_class, mentioned_names, render_body

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

    assert html == 'hi <span class="mention" data-username="bob">@bob</span> and @nobody'


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("@bob, hi", '<span class="mention" data-username="bob">@bob</span>, hi'),
        ("thanks @bob!", 'thanks <span class="mention" data-username="bob">@bob</span>!'),
        ("(@bob)", '(<span class="mention" data-username="bob">@bob</span>)'),
        ("ask @bob.", 'ask <span class="mention" data-username="bob">@bob</span>.'),
    ],
)
def test_a_mention_leaves_trailing_punctuation_outside(body: str, html: str) -> None:
    assert render_body(body, ["bob"]) == html


def test_an_email_address_is_not_a_mention() -> None:
    assert render_body("write to bob@example.org", ["bob"]) == "write to bob@example.org"


def test_a_mention_of_a_name_with_markup_is_escaped() -> None:
    assert render_body("@bob<script>", ["bob"]) == (
        '<span class="mention" data-username="bob">@bob</span>&lt;script&gt;'
    )


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


def _mention(name: str, username: str | None = None) -> str:
    return f'<span class="mention" data-username="{username or name}">@{name}</span>'


# Chinese text: no spaces between words, and full-width punctuation -----------------


def test_a_mention_and_a_link_inside_a_chinese_sentence() -> None:
    # The report: no mention at all, and the link swallowed the rest of the sentence.
    html = render_body("你好@yan，看https://example.org/x。明天见", ["yan"])

    assert html == f"你好{_mention('yan')}，看{LINK.format('https://example.org/x')}。明天见"


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("你好@yan", "你好" + _mention("yan")),
        ("@yan，你好", _mention("yan") + "，你好"),
        ("@yan。", _mention("yan") + "。"),
        ("请@yan看一下", "请" + _mention("yan") + "看一下"),
        ("（@yan）", "（" + _mention("yan") + "）"),
        ("「@yan」：好", "「" + _mention("yan") + "」：好"),
        ("@yan、@bob", _mention("yan") + "、" + _mention("bob")),
        ("@yan明天@bob", _mention("yan") + "明天" + _mention("bob")),
        ("@nobody明天@bob", "@nobody明天" + _mention("bob")),
        ("こんにちは@yanさん", "こんにちは" + _mention("yan") + "さん"),
    ],
)
def test_mentions_beside_chinese_letters_and_full_width_punctuation(body: str, html: str) -> None:
    assert render_body(body, ["yan", "bob"]) == html


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("你好＠yan", "你好" + _mention("yan")),
        ("＠yan，你好", _mention("yan") + "，你好"),
        ("＠张伟你好", _mention("张伟") + "你好"),
        ("＠nobody明天＠bob", "＠nobody明天" + _mention("bob")),
        ("bob＠example.org", "bob＠example.org"),
        ("＠＠bob", "＠＠bob"),
    ],
)
def test_the_full_width_at_sign_of_a_chinese_input_method_mentions_too(body: str, html: str) -> None:
    assert render_body(body, ["yan", "bob", "张伟"]) == html
    assert mentioned_names("请＠yan看一下") >= {"yan"}


def test_a_chinese_username_is_the_longest_name_that_is_someone() -> None:
    assert render_body("@张伟你好", ["张伟"]) == _mention("张伟") + "你好"
    assert render_body("@张伟你好", ["张伟", "张"]) == _mention("张伟") + "你好"
    assert render_body("@张伟你好", ["张伟你好", "张伟"]) == _mention("张伟你好")
    assert render_body("@张伟，你好", ["张伟"]) == _mention("张伟") + "，你好"


def test_an_email_address_beside_chinese_text_is_still_not_a_mention() -> None:
    assert render_body("邮件发到bob@example.org", ["bob", "example.org"]) == "邮件发到bob@example.org"


@pytest.mark.parametrize(
    "stop", ["。", "，", "、", "：", "；", "！", "？", "）", "」", "』", "”", "’", "…", "　", "明"]
)
def test_a_link_ends_at_full_width_punctuation_and_chinese_letters(stop: str) -> None:
    html = render_body(f"看https://example.org/a?b=1{stop}后面")

    assert html == f"看{LINK.format('https://example.org/a?b=1')}{stop}后面"


def test_a_markdown_link_may_hold_chinese_letters_in_its_address() -> None:
    html = render_body("[维基](https://zh.wikipedia.org/wiki/部署)。")

    assert html == (
        '<span class="md-mark">[</span><a href="https://zh.wikipedia.org/wiki/部署" target="_blank"'
        ' rel="noopener noreferrer nofollow">维基</a><span class="md-mark">](https://zh.wikipedia.org/wiki/部署)'
        "</span>。"
    )


def test_the_names_a_chinese_sentence_may_mention_are_all_looked_up() -> None:
    assert mentioned_names("你好@yan明天见，@张伟") == {"yan明天见", "yan明天", "yan明", "yan", "张伟", "张"}


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

    assert _elements(html) == [("span", {"class": "mention", "data-username": "bob"})]


# Markdown ------------------------------------------------------------------------------------


def mark(text: str) -> str:
    """A Markdown marker: kept in the text, hidden by the stylesheet."""
    return f'<span class="md-mark">{text}</span>'


def bold(text: str, run: str = "*") -> str:
    return f"{mark(run)}<strong>{text}</strong>{mark(run)}"


def italic(text: str) -> str:
    return f"{mark('_')}<em>{text}</em>{mark('_')}"


def code(text: str, ticks: str = "`") -> str:
    return f"{mark(ticks)}<code>{text}</code>{mark(ticks)}"


def labelled_link(label: str, href: str) -> str:
    anchor = f'<a href="{href}" target="_blank" rel="noopener noreferrer nofollow">{label}</a>'
    return f"{mark('[')}{anchor}{mark(f']({href})')}"


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("*bold*", bold("bold")),
        ("**bold**", bold("bold", "**")),
        ("a *bold* word", f"a {bold('bold')} word"),
        ("_italic_", italic("italic")),
        ("(_italic_)", f"({italic('italic')})"),
        ("`code`", code("code")),
        ("``a ` tick``", code("a ` tick", "``")),
        ("[the docs](https://example.org/guide)", labelled_link("the docs", "https://example.org/guide")),
        (
            "[wiki](https://en.wikipedia.org/wiki/Foo_(bar)).",
            labelled_link("wiki", "https://en.wikipedia.org/wiki/Foo_(bar)") + ".",
        ),
        (":tada:", f'<span class="emoji emoji-1f389">{mark(":tada:")}</span>'),
        ("ok :+1:", f'ok <span class="emoji emoji-1f44d">{mark(":+1:")}</span>'),
        (":heart:", f'<span class="emoji emoji-2764-fe0f">{mark(":heart:")}</span>'),
    ],
)
def test_inline_markdown(body: str, html: str) -> None:
    assert render_body(body) == html


def test_a_code_block_keeps_its_fences_hidden_and_its_lines_as_typed() -> None:
    body = "look:\n```python\nif a < b:\n    *x* = @bob  # https://example.org\n```\nthen"

    html = render_body(body, ["bob"])

    assert html == (
        "look:\n"
        f"<pre>{mark('```python' + chr(10))}"
        "<code>if a &lt; b:\n    *x* = @bob  # https://example.org</code>"
        f"{mark(chr(10) + '```' + chr(10))}</pre>"
        "then"
    )


def test_an_empty_code_block_is_still_a_block() -> None:
    assert render_body("```\n```") == f"<pre>{mark('```' + chr(10))}<code></code>{mark('```')}</pre>"


def test_consecutive_quote_lines_make_one_block_quote() -> None:
    html = render_body("> first\n> *second*\nafter")

    assert html == (f"<blockquote>{mark('&gt; ')}first\n{mark('&gt; ')}{bold('second')}\n</blockquote>after")


def test_a_bulleted_list_shows_bullets_for_its_hidden_dashes() -> None:
    html = render_body("- one\n- two\n\nafter")

    assert html == f"<ul><li>{mark('- ')}one\n</li><li>{mark('- ')}two\n</li></ul>\nafter"


def test_a_numbered_list_shows_the_numbers_as_typed() -> None:
    assert render_body("3. three\n4. four") == "<ol><li>3. three\n</li><li>4. four</li></ol>"


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("- *bold* item", f"<ul><li>{mark('- ')}{bold('bold')} item</li></ul>"),
        (
            "> see [the docs](https://example.org)",
            f"<blockquote>{mark('&gt; ')}see {labelled_link('the docs', 'https://example.org')}</blockquote>",
        ),
        (
            "> https://example.org",
            f"<blockquote>{mark('&gt; ')}{LINK.format('https://example.org')}</blockquote>",
        ),
        ("*bold _and italic_*", bold(f"bold {italic('and italic')}")),
        ("_italic `code`_", italic(f"italic {code('code')}")),
        ("*see https://example.org*", bold(f"see {LINK.format('https://example.org')}")),
        ("[*bold* link](https://example.org)", labelled_link(bold("bold") + " link", "https://example.org")),
        ("*hi @bob*", bold('hi <span class="mention" data-username="bob">@bob</span>')),
        (
            "1. ship it :rocket:",
            f'<ol><li>1. ship it <span class="emoji emoji-1f680">{mark(":rocket:")}</span></li></ol>',
        ),
    ],
)
def test_nesting_that_makes_sense(body: str, html: str) -> None:
    assert render_body(body, ["bob"]) == html


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("snake_case_names", "snake_case_names"),
        ("2*3*4", "2*3*4"),
        ("__init__", "__init__"),
        ("***", "***"),
        ("* not a list", "* not a list"),
        ("*not closed", "*not closed"),
        ("* spaced *", "* spaced *"),
        ("*across\nlines*", "*across\nlines*"),
        ("unknown :nope: shortcode", "unknown :nope: shortcode"),
        ("10:30:45", "10:30:45"),
        ("[x](javascript:alert(1))", "[x](javascript:alert(1))"),
        ("[x](ftp://example.org)", "[x](ftp://example.org)"),
        ("[x](/relative)", "[x](/relative)"),
        ("```\nnever closed", "```\nnever closed"),
        ("- ", "- "),
        (">no space", "&gt;no space"),
        ("`unclosed", "`unclosed"),
        ("x -> y", "x -&gt; y"),
    ],
)
def test_what_is_not_markdown_stays_as_typed(body: str, html: str) -> None:
    assert render_body(body) == html


@pytest.mark.parametrize(
    "body",
    [
        "`@bob *b* _i_ https://example.org [x](https://example.org) :tada:`",
        "```\n@bob *b* _i_ https://example.org [x](https://example.org) :tada:\n```",
    ],
)
def test_code_is_literal(body: str) -> None:
    html = render_body(body, ["bob"])

    assert [tag for tag, _attributes in _elements(html)] in (
        ["span", "code", "span"],
        ["pre", "span", "code", "span"],
    )
    assert "@bob *b* _i_ https://example.org [x](https://example.org) :tada:" in html


def test_mentions_in_code_are_not_collected() -> None:
    assert mentioned_names("@alice `@bob`\n```\n@carol\n```\n> @dave") == {"alice", "dave"}


def test_an_asterisk_at_the_end_of_a_url_is_kept_without_an_opener() -> None:
    assert render_body("https://example.org/a*") == LINK.format("https://example.org/a*")
    assert render_body("https://example.org/a_b_") == LINK.format("https://example.org/a_b_")


@pytest.mark.parametrize(
    "body",
    [
        "plain text",
        "a line\nanother line\n\n  indented, with trailing spaces  ",
        "hi @bob, see https://example.org/a?b=1&c=2 (or http://example.org).",
        "3 < 4 > 2 & 'quotes' \"double\" #hash ~tilde ^caret |pipe",
    ],
)
def test_a_body_without_markdown_renders_as_escaped_text_with_links_and_mentions(body: str) -> None:
    html = render_body(body, ["bob"])

    assert {tag for tag, _attributes in _elements(html)} <= {"a", "span"}
    assert "md-mark" not in html


def test_the_stylesheet_hides_the_markers_and_draws_every_emoji() -> None:
    css = (Path(__file__).parents[2] / "chat" / "static" / "chat" / "chat.css").read_text()

    assert re.search(r"\.msg__body \.md-mark \{\s*display: none;\s*\}", css)
    for shortcode, emoji in EMOJI.items():
        escapes = "".join(f"\\{ord(char):X}" for char in emoji)
        rule = f'.{_emoji_class(emoji)}::before {{\n  content: "{escapes}";\n}}'
        assert rule in css, shortcode


# Random bodies of Markdown punctuation and HTML fragments: only the allow-listed markup comes
# out, and the text reads as typed.
MARKDOWN_FRAGMENTS = [
    "*", "**", "***", "_", "__", "`", "``", "```", "```js", "\n", "\n> ", "> ", "\n- ", "- ", "\n1. ",
    "1. ", "[", "]", "(", ")", "](", "](https://example.org)", "](javascript:alert(1))", ":", ":tada:",
    ":+1:", ":nope:", "@bob", "@", "https://example.org/", "http://", "x", "y_z", "2*3", " ", "\t",
    "<", ">", "</", "/>", "&", "&lt;", '"', "'", "=", "<script>", "</code>", "</pre>", "<a href=",
    "<strong>", "<span class=md-mark>", "onerror=", "javascript:", "data:", "<!--", "-->",
]  # fmt: skip
_CLASSES = {"mention", "md-mark", "emoji"} | {_emoji_class(emoji) for emoji in EMOJI.values()}
_ALLOWED = {
    "a": {"href", "rel", "target"},
    "span": {"class", "data-username"},
    "strong": set(),
    "em": set(),
    "code": set(),
    "pre": set(),
    "blockquote": set(),
    "ul": set(),
    "ol": set(),
    "li": set(),
}


class _Reading(_Elements):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@settings(max_examples=400, deadline=None, database=None)
@given(
    body=st.lists(
        st.one_of(
            st.sampled_from(MARKDOWN_FRAGMENTS),
            st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=3),
        ),
        max_size=40,
    ).map("".join)
)
def test_any_markdown_renders_within_the_allow_list_and_reads_as_typed(body: str) -> None:
    html = render_body(body, ["bob"])

    reading = _Reading()
    reading.feed(html)
    reading.close()
    for tag, attributes in reading.found:
        assert tag in _ALLOWED, html
        assert set(attributes) <= _ALLOWED[tag], html
        assert set((attributes.get("class") or "").split()) <= _CLASSES, html
        if "data-username" in attributes:
            # Only a mention names a user, and only one the renderer was given.
            assert attributes == {"class": "mention", "data-username": "bob"}, html
        if tag == "a":
            # nh3 drops an href it cannot parse ("https://example.org)](" has no valid host).
            assert (attributes.get("href") or "https://").startswith(("https://", "http://")), html
            assert attributes.get("target") == "_blank", html
            assert attributes.get("rel") == "noopener noreferrer nofollow", html
    assert "".join(reading.text) == body.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")
