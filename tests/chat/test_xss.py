"""Cross-site scripting: user text never becomes markup (docs/protocol.md: ``html`` "is
safe to insert as HTML").

A corpus of payloads, each built so that if it worked it would leave a trace: an
element carrying a ``data-xss`` attribute, a ``window.__xss`` flag, or a dialog.
They go (a) through chat.rendering.render_body, whose output the browser inserts
as HTML, and (b) into the pages that show user text (room name and topic, display
name), rendered by Django. tests/browser/test_xss_browser.py sends the same corpus
through a real browser.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import User
from chat import services
from chat.models import Membership
from chat.rendering import render_body
from tests.factories import MessageFactory, UserFactory

JS = "window.__xss=1"

# (id, payload). Every payload that injects an element gives it a data-xss attribute.
CORPUS: list[tuple[str, str]] = [
    # Script elements.
    ("script-tag", f"<script data-xss>{JS}</script>"),
    ("script-mixed-case", f"<ScRiPt data-xss>{JS};alert(1)</sCrIpT>"),
    ("script-src", "<script data-xss src=https://evil.example/x.js></script>"),
    ("script-breakout", f"</script><script data-xss>{JS}</script>"),
    ("textarea-breakout", f"</textarea><img data-xss src=x onerror={JS}>"),
    ("title-breakout", f"</title><svg data-xss onload={JS}>"),
    # Event handler attributes.
    ("img-onerror", f'<img data-xss src=x onerror="{JS};alert(1)">'),
    ("img-onerror-no-quotes", f"<IMG data-xss SRC=x ONERROR={JS}>"),
    ("img-onerror-slash", f"<img/data-xss/src=x/onerror={JS}>"),
    ("body-onload", f"<body data-xss onload={JS}>"),
    ("details-ontoggle", f"<details data-xss open ontoggle={JS}>"),
    ("input-autofocus", f"<input data-xss autofocus onfocus={JS}>"),
    ("unclosed-tag", f"<img data-xss src=x onerror={JS} "),
    ("comment-trick", f'<!--<img src="--><img data-xss src=x onerror={JS}>'),
    ("noscript-trick", f'<noscript><p title="</noscript><img data-xss src=x onerror={JS}>">'),
    # Attribute breakouts.
    ("double-quote-breakout", f'"><img data-xss src=x onerror={JS}>'),
    ("single-quote-breakout", f"'><svg data-xss onload={JS}>"),
    ("attribute-injection", f'" data-xss onmouseover="{JS}" x="'),
    ("url-quote-breakout", f'https://example.org/"data-xss="1"onmouseover="{JS}'),
    ("url-then-tag", f"https://example.org/<img data-xss src=x onerror={JS}>"),
    # Dangerous URLs.
    ("javascript-link", f'<a data-xss href="javascript:{JS}">click</a>'),
    ("javascript-mixed-case", f"<a data-xss href='JaVaScRiPt:{JS}'>click</a>"),
    ("javascript-entity", f'<a data-xss href="&#106;avascript&colon;{JS}">click</a>'),
    ("javascript-hex-entity-tab", f'<a data-xss href="java&#x09;script:{JS}">click</a>'),
    ("javascript-leading-space", f'<a data-xss href=" \x01javascript:{JS}">click</a>'),
    ("data-url-link", '<a data-xss href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>'),
    ("vbscript-link", '<a data-xss href="vbscript:MsgBox(1)">vb</a>'),
    ("markdown-javascript", f"[click me](javascript:{JS})"),
    ("markdown-data", "[open](data:text/html,<script>alert(1)</script>)"),
    ("bare-javascript-url", f"javascript:{JS}//https://example.org"),
    ("https-lookalike", f"https:javascript:{JS}"),
    # SVG and MathML namespaces.
    ("svg-onload", f"<svg data-xss onload={JS}>"),
    ("svg-script", f"<svg><script data-xss>{JS}</script></svg>"),
    (
        "svg-animate-href",
        f'<svg><a data-xss><animate attributeName=href values="javascript:{JS}"/>x</a></svg>',
    ),
    ("mathml-confusion", f"<math><mtext><table><mglyph><style><img data-xss src=x onerror={JS}>"),
    ("svg-foreign-object", "<svg><foreignObject><iframe data-xss srcdoc='<script>top.__xss=1</script>'>"),
    # Frames, plugins, base, meta, forms.
    ("iframe-javascript", f'<iframe data-xss src="javascript:{JS}"></iframe>'),
    ("iframe-srcdoc", '<iframe data-xss srcdoc="<script>top.__xss=1</script>"></iframe>'),
    ("object-data", f'<object data-xss data="javascript:{JS}"></object>'),
    ("embed-svg", "<embed data-xss src=\"data:image/svg+xml,<svg onload='top.__xss=1'>\">"),
    ("base-href", '<base data-xss href="https://evil.example/">'),
    ("meta-refresh", f'<meta data-xss http-equiv="refresh" content="0;url=javascript:{JS}">'),
    ("form-action", f'<form data-xss action="javascript:{JS}"><button>go</button></form>'),
    ("button-formaction", f'<button data-xss formaction="javascript:{JS}">go</button>'),
    # CSS.
    ("css-expression", f'<div data-xss style="width:expression({JS})">css</div>'),
    ("css-url", f"<p data-xss style=\"background:url('javascript:{JS}')\">css</p>"),
    ("style-element", "<style data-xss>@import 'https://evil.example/x.css';</style>"),
    ("link-stylesheet", '<link data-xss rel=stylesheet href="https://evil.example/x.css">'),
    # Pre-encoded and template syntax: shown as typed, never decoded or evaluated.
    ("pre-escaped-script", f"&lt;script data-xss&gt;{JS}&lt;/script&gt;"),
    (
        "template-injection",
        "{{7*7}} ${7*7} {% debug %} <%= 7*7 %> #{7*7} {{constructor.constructor('alert(1)')()}}",
    ),
]

PAYLOADS = [pytest.param(payload, id=name) for name, payload in CORPUS]

# The only markup render_body makes (chat/rendering.py): links, mentions, hidden Markdown
# markers and emoji (span), and the Markdown subset's elements, which carry no attributes.
RENDER_TAGS = {
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
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "srcdoc",
}
DANGEROUS_TAGS = {
    "script",
    "iframe",
    "frame",
    "object",
    "embed",
    "base",
    "style",
    "link",
    "form",
    "svg",
    "math",
}


def url_is_safe(value: str) -> bool:
    """http(s), mailto or relative, read the way a browser reads it (leading controls and
    spaces dropped, tabs and newlines removed anywhere)."""
    cleaned = re.sub(r"[\t\n\r]", "", value).lstrip("".join(chr(c) for c in range(0x21)))
    scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", cleaned)
    if scheme is None:
        return ":" not in cleaned.split("/", 1)[0]
    return scheme.group(1).lower() in {"http", "https", "mailto"}


class MarkupAudit(HTMLParser):
    """Reads HTML as a browser would, noting every element, attribute and text run."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.json_scripts: dict[str, str] = {}
        self._json_script_id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "script" and attributes.get("type") == "application/json":
            self._json_script_id = attributes.get("id") or ""

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._json_script_id = None

    def handle_data(self, data: str) -> None:
        if self._json_script_id is not None:
            self.json_scripts[self._json_script_id] = self.json_scripts.get(self._json_script_id, "") + data
        else:
            self.text.append(data)

    def problems(self) -> list[str]:
        """Anything in the markup that could run script or load something foreign."""
        found = []
        for tag, attributes in self.elements:
            for name, value in attributes.items():
                if name == "data-xss":
                    found.append(f"an injected <{tag} data-xss>")
                if name.startswith("on"):
                    found.append(f"<{tag} {name}>")
                if name in URL_ATTRIBUTES and value is not None and not url_is_safe(value):
                    found.append(f"<{tag} {name}={value!r}>")
                if name == "srcdoc":
                    found.append(f"<{tag} srcdoc>")
                # A link may open a new tab only without a handle back to the chat.
                if name == "target" and (
                    value != "_blank" or "noopener" not in (attributes.get("rel") or "").split()
                ):
                    found.append(f"<{tag} target={value!r} rel={attributes.get('rel')!r}>")
                if name == "style" and re.search(r"expression|javascript|url\(", value or "", re.I):
                    found.append(f"<{tag} style={value!r}>")
            if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
                found.append("<meta http-equiv=refresh>")
        return found


def audit(markup: str) -> MarkupAudit:
    parser = MarkupAudit()
    parser.feed(markup)
    parser.close()
    return parser


def same_text(text: str) -> str:
    # An HTML parser turns CR and CRLF into LF and drops a leading byte order mark;
    # nothing else may change.
    return text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")


# Payloads that are plain text to an HTML parser: dangerous only to a renderer that
# understands markdown, autolinks any scheme, decodes entities, evaluates templates, or
# (mathml, noscript, unclosed) parses differently from html.parser, which the browser
# test covers.
INERT_AS_HTML = {
    "unclosed-tag",
    "noscript-trick",
    "markdown-javascript",
    "markdown-data",
    "bare-javascript-url",
    "https-lookalike",
    "mathml-confusion",
    "pre-escaped-script",
    "template-injection",
}


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if p.id not in INERT_AS_HTML])
def test_the_audit_catches_each_payload_left_unescaped(payload: str) -> None:
    """The checker is not blind: the raw payload, as markup or inside an attribute, is caught."""
    contexts = [payload, f'<a title="{payload}">', f"<a title='{payload}'>", f'<a href="{payload}">']

    assert any(audit(markup).problems() for markup in contexts)


# (a) chat.rendering.render_body ---------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_rendered_payload_has_no_executable_markup_and_reads_as_typed(payload: str) -> None:
    rendered = render_body(payload, ["alice"])

    found = audit(rendered)
    assert found.problems() == [], rendered
    for tag, attributes in found.elements:
        assert tag in RENDER_TAGS, rendered
        assert set(attributes) <= RENDER_TAGS[tag], rendered
        # Only a mention names a user, and only the one the renderer was given.
        assert attributes.get("data-username", "alice") == "alice", rendered
    assert "".join(found.text) == same_text(payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_around_a_mention_and_a_link_stays_inert(payload: str) -> None:
    body = f"@alice {payload} https://example.org/?q={payload[:20]} @alice{payload[:10]}"

    rendered = render_body(body, ["alice"])

    found = audit(rendered)
    assert found.problems() == [], rendered
    assert {tag for tag, _attributes in found.elements} <= set(RENDER_TAGS), rendered
    assert "".join(found.text) == same_text(body)


def test_links_are_made_only_for_http_and_https() -> None:
    rendered = render_body("https://example.org/a and http://example.org/b and javascript:alert(1) ftp://x")

    hrefs = [attributes["href"] for tag, attributes in audit(rendered).elements if tag == "a"]
    assert hrefs == ["https://example.org/a", "http://example.org/b"]


FRAGMENTS = [
    "<", ">", "</", "/>", '"', "'", "`", "=", "&", "&lt;", "&#", "&#x", "x3c;", ";", ":", "(", ")",
    " ", "\t", "\n", "\r", "\x0b", "\x0c", "\u2028", "\ufeff",
    "script", "img", "svg", "iframe", "a", "href", "src", "onerror", "onload", "style", "data-xss",
    "javascript:", "JaVaScRiPt:", "data:", "vbscript:", "http://", "https://", "example.org", "@alice", "@",
    "<!--", "-->", "<![CDATA[", "]]>", "{{", "}}", "\\", "%3C", "\u00a0", "\u0130", "ﬀ",
]  # fmt: skip


@settings(max_examples=300, deadline=None, database=None)
@given(
    body=st.lists(
        st.one_of(
            st.sampled_from(FRAGMENTS), st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=4)
        ),
        max_size=30,
    ).map("".join)
)
def test_any_body_renders_to_links_and_mentions_only(body: str) -> None:
    body = body.replace("\x00", "")  # NUL never reaches the renderer: the protocol refuses it

    rendered = render_body(body, ["alice"])

    found = audit(rendered)
    assert found.problems() == [], rendered
    for tag, attributes in found.elements:
        assert tag in RENDER_TAGS, rendered
        assert set(attributes) <= RENDER_TAGS[tag], rendered
        assert attributes.get("data-username", "alice") == "alice", rendered
    assert "".join(found.text) == same_text(body)


# (b) The pages that show user text --------------------------------------------------------

NAME_MAX, TOPIC_MAX, DISPLAY_NAME_MAX = 100, 250, 64


CATALOG_SRC = re.compile(r"/jsi18n/(en|zh-hans)/\?v=[0-9a-f]{12}")


def page_problems(markup: str) -> list[str]:
    """What a page rendered by Django holds that a payload could have put there."""
    found = audit(markup)
    problems = found.problems()
    for tag, attributes in found.elements:
        # The one classic script a page loads is the site's JavaScript catalog (chatsite.catalog).
        catalog = (
            tag == "script"
            and attributes.get("type") is None
            and CATALOG_SRC.fullmatch(attributes.get("src") or "")
        )
        if tag == "script" and attributes.get("type") not in ("application/json", "module") and not catalog:
            problems.append(f"<script {attributes}>")
        if (
            tag == "script"
            and attributes.get("type") == "module"
            and not (attributes.get("src") or "").startswith("/static/")
        ):
            problems.append(f"<script {attributes}>")
        if tag in DANGEROUS_TAGS - {"script", "svg", "form", "link"}:
            problems.append(f"<{tag}>")
    for script_id, content in found.json_scripts.items():
        try:
            json.loads(content)
        except ValueError:
            problems.append(f"json_script #{script_id} is not JSON: {content[:200]!r}")
    return problems


@pytest.mark.django_db
@pytest.mark.parametrize("payload", PAYLOADS)
def test_pages_show_a_payload_as_text(payload: str) -> None:
    author = UserFactory(username="author", display_name=payload[:DISPLAY_NAME_MAX].strip() or "x")
    viewer = UserFactory(username="viewer", display_name="Viewer")
    passer_by = UserFactory(username="passer-by")
    room = services.room_create(
        creator=author, name=payload[:NAME_MAX].strip() or "x", slug="xss-room", topic=payload[:TOPIC_MAX]
    )
    Membership.objects.create(room=room, user=viewer)
    MessageFactory(room=room, author=author, body=payload)
    room.refresh_from_db()
    viewer_client, passer_by_client, author_client = Client(), Client(), Client()
    viewer_client.force_login(viewer)
    passer_by_client.force_login(passer_by)
    author_client.force_login(author)

    pages = {
        "room page (member)": viewer_client.get(reverse("chat:room", args=["xss-room"])),
        "room list (member)": viewer_client.get(reverse("chat:index")),
        "room page (not yet a member)": passer_by_client.get(reverse("chat:room", args=["xss-room"])),
        "room list (rooms to join)": passer_by_client.get(reverse("chat:index")),
        "profile": author_client.get(reverse("profile")),
    }

    for where, response in pages.items():
        assert response.status_code == 200, where
        markup = response.content.decode()
        assert page_problems(markup) == [], where
    shown = {
        "room page (member)": [room.name, room.topic, author.display_name],
        "room list (member)": [room.name],
        "room page (not yet a member)": [room.name, room.topic],
        "room list (rooms to join)": [room.name],
        "profile": [author.display_name],
    }
    for where, texts in shown.items():
        markup = pages[where].content.decode()
        for text in texts:
            assert html.escape(text) in markup, (where, text)
    room_data = audit(pages["room page (member)"].content.decode()).json_scripts
    assert json.loads(room_data["chat-room"])["name"] == room.name
    assert json.loads(room_data["chat-room"])["topic"] == room.topic


@pytest.mark.django_db
def test_the_message_frame_carries_the_rendered_html_not_the_body(alice: User, bob: User) -> None:
    from chat import protocol

    room = services.room_create(creator=alice, name="Frames", slug="frames")
    payloads = [payload for _name, payload in CORPUS]
    messages = [MessageFactory(room=room, author=alice, body=payload) for payload in payloads]

    for message, payload in zip(messages, payloads, strict=True):
        frame = protocol.message_payload(message)
        assert frame["body"] == payload
        found = audit(frame["html"])
        assert found.problems() == [], frame["html"]
        assert {tag for tag, _attributes in found.elements} <= set(RENDER_TAGS)


# File names ------------------------------------------------------------------------------

# A file's name loses any path (everything up to a slash): the payloads without one.
FILE_NAMES = [
    pytest.param(payload, id=name) for name, payload in CORPUS if "/" not in payload and "\\" not in payload
]


@pytest.mark.django_db
@pytest.mark.parametrize("payload", FILE_NAMES)
def test_a_file_name_is_text_in_every_payload_and_page(payload: str, settings, tmp_path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chat import protocol, uploads

    settings.MEDIA_ROOT = str(tmp_path)
    author = UserFactory(username="author")
    staff = UserFactory(username="root", is_staff=True, is_superuser=True)
    room = services.room_create(creator=author, name="Files", slug="files")
    upload = SimpleUploadedFile(payload.strip() or "x", b"data")
    attachment = services.attachment_upload(user=author, room_slug="files", upload=upload)
    assert attachment.name == uploads.clean_name(payload.strip() or "x")
    message = services.message_create(
        user=author, room_slug="files", body="", client_id="f", attachments=[attachment.pk]
    ).message
    assert protocol.message_payload(message, "files")["attachments"][0]["name"] == attachment.name
    assert attachment.name not in attachment.file

    admin = Client()
    admin.force_login(staff)
    for url in (
        reverse("admin:chat_message_change", args=[message.pk]),
        reverse("admin:chat_attachment_changelist"),
        reverse("admin:chat_attachment_change", args=[attachment.pk]),
    ):
        markup = admin.get(url).content.decode()
        # The admin's own scripts are its business; what a payload could add is ours.
        assert audit(markup).problems() == [], url
        assert html.escape(attachment.name) in markup, url
    assert room.slug == "files"
