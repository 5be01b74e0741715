"""Cross-site scripting in a real browser: headless Chromium (Playwright) against a real
server process (``live_chat``).

One user puts the payload corpus of tests/chat/test_xss.py everywhere they can
write text that others see: message bodies, the names of files they send, their
display name (profile page), room names and topics (room creation page). Another user looks at all of it: the
room page, the sidebar, the list of rooms to join, the members list, and the
history after a reload. Nothing may run: no dialog opens, no element carrying the
payloads' ``data-xss`` marker exists, ``window.__xss`` stays unset, no element has
an event-handler attribute and no link leads anywhere but http(s); and each text
shows exactly as typed.

Room creation is rate limited (10 in a burst, per user and per address), and so
are sign-ups (5) and joins (5): the module stays well under each.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from tests.browser.conftest import sign_up_through_the_page
from tests.chat.test_xss import CORPUS

pytestmark = pytest.mark.browser

from tests.browser.conftest import CHROMIUM  # noqa: E402

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, Page, expect  # noqa: E402

PASSWORD = "an-xss-test-password-9"
PAYLOADS = dict(CORPUS)

# Short enough for each field: display name 64, room name 100, topic 250 characters.
DISPLAY_NAMES = ["double-quote-breakout", "svg-onload", "script-tag"]
ROOMS = [  # (name payload, topic payload)
    ("script-breakout", "iframe-srcdoc"),
    ("title-breakout", "meta-refresh"),
    ("img-onerror", "attribute-injection"),
    ("textarea-breakout", "template-injection"),
    ("single-quote-breakout", "javascript-link"),
]


@dataclass
class Person:
    username: str
    page: Page
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def sign_up(browser: Browser, live_chat) -> Iterator[Callable[[str], Person]]:
    """``sign_up("alice")``: a new user, signed up through the page, in a browser context of their own,
    with every dialog the page opens recorded (and dismissed)."""
    contexts: list[BrowserContext] = []

    def _sign_up(name: str) -> Person:
        context = browser.new_context(base_url=live_chat.url, viewport={"width": 1280, "height": 800})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        person = Person("", page)

        def on_dialog(dialog) -> None:
            person.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        person.username = sign_up_through_the_page(page, name, PASSWORD)
        return person

    yield _sign_up
    for context in contexts:
        context.close()


def connected(page: Page) -> None:
    expect(page.get_by_test_id("status")).to_have_text("Connected")


def new_room(page: Page, name: str, topic: str = "") -> str:
    page.goto("/rooms/new/")
    page.fill("#id_name", name)
    page.fill("#id_topic", topic)
    page.click("[data-testid=room-create-submit]")
    expect(page).to_have_url(re.compile(r"/r/[\w-]+/$"))
    connected(page)
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def post(page: Page, body: str) -> None:
    composer = page.get_by_test_id("composer")
    composer.fill(body)
    composer.press("Enter")


def drop_files(page: Page, names: list[str]) -> None:
    """Drop small text files with these names on the room, as from the desktop."""
    page.locator("#main").evaluate(
        """(main, names) => {
            const transfer = new DataTransfer();
            for (const name of names) transfer.items.add(new File(["x"], name, { type: "text/plain" }));
            const options = { dataTransfer: transfer, bubbles: true, cancelable: true };
            main.dispatchEvent(new DragEvent("dragover", options));
            main.dispatchEvent(new DragEvent("drop", options));
        }""",
        names,
    )


def injections(person: Person) -> list[str]:
    """Every trace a payload that ran would leave on the person's current page."""
    page = person.page
    found = [f"dialog {dialog}" for dialog in person.dialogs]
    marked = page.locator("[data-xss]").count()
    if marked:
        found.append(
            f"{marked} injected elements: {page.locator('[data-xss]').first.evaluate('e => e.outerHTML')}"
        )
    if page.evaluate("() => window.__xss !== undefined"):
        found.append("window.__xss was set")
    found += page.evaluate(
        """() => {
            const found = [];
            for (const element of document.querySelectorAll("*")) {
                for (const attribute of element.attributes) {
                    if (/^on/i.test(attribute.name)) found.push(`<${element.localName} ${attribute.name}>`);
                }
            }
            const safe = ["http:", "https:", "mailto:"];
            for (const link of document.querySelectorAll("a[href], area[href]")) {
                if (!safe.includes(link.protocol)) found.push(`link to ${link.href}`);
            }
            const foreign = "iframe, frame, object, embed, base, meta[http-equiv]";
            const inline = "body script:not([src]):not([type='application/json'])";
            for (const element of document.querySelectorAll(`${foreign}, ${inline}`)) {
                found.push(`<${element.localName}>`);
            }
            return found;
        }"""
    )
    return found


def shown_bodies(page: Page) -> list[str]:
    """The text of every message body on the page, in the page's order (the outbox keeps
    typing order, even past the send rate limit)."""
    return page.eval_on_selector_all(
        "[data-testid=message-body]", "els => els.map(e => e.textContent.trim())"
    )


def test_message_bodies_show_as_text_and_run_nothing(sign_up) -> None:
    alice, bob = sign_up("alice"), sign_up("bob")
    room = new_room(alice.page, f"Payloads {uuid.uuid4().hex[:4]}")
    bob.page.goto(f"/r/{room}/")
    connected(bob.page)
    bob.page.get_by_test_id("join").click()
    connected(bob.page)
    expect(bob.page.get_by_test_id("composer")).to_be_visible()
    payloads = [payload for _name, payload in CORPUS]
    expected = [payload.strip() for payload in payloads]

    for payload in payloads:
        post(alice.page, payload)

    # Live, as each message arrives over the socket. Past the send limit's burst the
    # outbox sends a few a second, so the last arrive seconds after the loop ends: the
    # wait is that long (at 5 a second, more than the usual 5 s), not a timing claim.
    bodies = bob.page.get_by_test_id("message-body")
    expect(bodies).to_have_count(len(payloads), timeout=30_000)
    expect(alice.page.get_by_test_id("message-body")).to_have_count(len(payloads), timeout=30_000)
    expect(alice.page.get_by_test_id("pending-message")).to_have_count(0)
    assert shown_bodies(bob.page) == expected
    assert shown_bodies(alice.page) == expected
    assert injections(bob) == []
    assert injections(alice) == []
    # From history, after a reload.
    bob.page.reload()
    connected(bob.page)
    expect(bodies).to_have_count(len(payloads))
    assert shown_bodies(bob.page) == expected
    assert injections(bob) == []
    # The template-injection payload was not evaluated: no body reads 7*7's value (the
    # times beside the messages may, at 49 minutes past the hour).
    assert not [body for body in shown_bodies(bob.page) if "49" in body]

    # File names: dropped on the room as files so called, sent, shown as link text.
    names = [payload.strip() for payload in payloads if "/" not in payload and "\\" not in payload]
    names = [name for name in names if name.isprintable()][:10]  # a message takes 10 files
    drop_files(alice.page, names)
    expect(alice.page.locator("[data-testid=upload][data-state=done]")).to_have_count(len(names))
    post(alice.page, "files with strange names")
    for person in (bob, alice):
        links = person.page.get_by_test_id("message").filter(has_text="files with strange names")
        expect(links.get_by_test_id("attachment-download")).to_have_count(len(names))
        assert links.get_by_test_id("attachment-download").all_text_contents() == names
        assert injections(person) == []
    bob.page.reload()
    connected(bob.page)
    links = bob.page.get_by_test_id("message").filter(has_text="files with strange names")
    expect(links.get_by_test_id("attachment-download")).to_have_count(len(names))
    assert injections(bob) == []


def test_display_names_room_names_and_topics_show_as_text_and_run_nothing(sign_up) -> None:
    alice, bob = sign_up("alice"), sign_up("bob")
    rooms: list[tuple[str, str, str]] = []
    for name_id, topic_id in ROOMS:
        name, topic = PAYLOADS[name_id], PAYLOADS[topic_id]
        rooms.append((new_room(alice.page, name, topic), name.strip(), topic.strip()))
    assert injections(alice) == []

    # Rooms to join, as a passer-by sees them.
    bob.page.goto("/")
    for slug, name, _topic in rooms:
        expect(bob.page.get_by_test_id(f"public-room-{slug}")).to_contain_text(name)
    assert injections(bob) == []

    # Each room's page before joining (header, topic, join panel), then joined: the sidebar too.
    for slug, name, topic in rooms[:4]:
        bob.page.goto(f"/r/{slug}/")
        connected(bob.page)
        expect(bob.page.get_by_test_id("room-name")).to_have_text(name)
        expect(bob.page.locator("[data-room-topic]")).to_have_text(topic)
        assert injections(bob) == []
        bob.page.get_by_test_id("join").click()
        connected(bob.page)
        expect(bob.page.get_by_test_id("composer")).to_be_visible()
        assert injections(bob) == []
    for slug, name, _topic in rooms[:4]:
        expect(bob.page.get_by_test_id(f"room-link-{slug}").locator(".room-link__name")).to_have_text(name)
    for slug, name, _topic in rooms:
        expect(alice.page.get_by_test_id(f"room-link-{slug}").locator(".room-link__name")).to_have_text(name)
    assert injections(alice) == []

    # Display names, beside messages and in the members list, live and after a reload.
    slug, _name, _topic = rooms[0]
    for n, display_id in enumerate(DISPLAY_NAMES):
        display_name = PAYLOADS[display_id]
        alice.page.goto("/accounts/profile/")
        alice.page.fill("#id_display_name", display_name)
        alice.page.click("[data-testid=profile-submit]")
        expect(alice.page.locator("#id_display_name")).to_have_value(display_name)
        assert injections(alice) == []
        bob.page.goto(f"/r/{slug}/")
        connected(bob.page)
        alice.page.goto(f"/r/{slug}/")
        connected(alice.page)
        post(alice.page, f"message {n} from a display name")
        message = bob.page.get_by_test_id("message").filter(has_text=f"message {n} from a display name")
        expect(message.get_by_test_id("message-author")).to_have_text(display_name.strip())
        bob.page.get_by_test_id("members-toggle").click()
        expect(bob.page.locator(".member__name").filter(has_text=display_name.strip())).to_have_count(1)
        assert injections(bob) == []
        assert injections(alice) == []
        bob.page.reload()
        connected(bob.page)
        expect(message.get_by_test_id("message-author")).to_have_text(display_name.strip())
        assert injections(bob) == []
