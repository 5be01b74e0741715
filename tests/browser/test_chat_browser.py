"""The chat page in a real browser: headless Chromium, driven by Playwright,
against a real server process (the ``live_chat`` fixture).

Each user is a separate browser context, so each has their own session
cookie, exactly like two people on two machines.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

pytestmark = pytest.mark.browser

from tests.browser.conftest import CHROMIUM  # noqa: E402

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, Page, WebSocketRoute, expect  # noqa: E402

from tests.browser.conftest import (  # noqa: E402, F401
    CHROMIUM_ARGS,
    ENGLISH,
    PASSWORD,
    new_context,
    sign_up_through_the_page,
)


@dataclass
class Person:
    username: str
    page: Page


@pytest.fixture
def new_user(browser: Browser, live_chat) -> Iterator[Callable[..., Person]]:
    """``new_user("alice")`` signs a fresh user up through the signup page, in a browser of
    their own; ``new_user("yan", locale=CHINESE)`` in a browser that asks for Chinese."""
    contexts: list[BrowserContext] = []

    def _new_user(name: str, *, locale: str = ENGLISH) -> Person:
        context = new_context(browser, live_chat.url, locale=locale)
        contexts.append(context)
        page = context.new_page()
        username = sign_up_through_the_page(page, name)
        wait_connected(page)
        return Person(username, page)

    yield _new_user
    for context in contexts:
        context.close()


def wait_connected(page: Page) -> None:
    """The page's module has run and its socket has had its hello (in any language)."""
    expect(page.get_by_test_id("status")).to_have_attribute("data-state", "online")


CHAT_SOCKET = re.compile(r"/ws/chat/")


@dataclass
class SocketGate:
    """The page's chat socket behind a gate the test opens: while ``reachable`` is False
    each try to connect is refused at once (closed); then it goes through to the
    server, and ``sent`` keeps each frame the page sends from there on."""

    reachable: bool = False
    sent: list[dict] = field(default_factory=list)

    def route(self, ws: WebSocketRoute) -> None:
        if not self.reachable:
            ws.close()
            return
        upstream = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            self.sent.append(json.loads(message))
            upstream.send(message)

        ws.on_message(to_server)


def socket_gate(page: Page) -> SocketGate:
    """From now on the page's chat socket goes through a SocketGate, shut to begin with
    (the socket already open stays open: close it to go offline)."""
    gate = SocketGate()
    page.route_web_socket(CHAT_SOCKET, gate.route)
    return gate


def reconnect_now(page: Page) -> None:
    """Once the server is reachable again: connect without waiting out the backoff.

    The page's own retry may be under way (then "Retry now" does nothing, and if that
    try was refused the next one waits out a longer backoff), so ask again until online.
    """
    page.wait_for_function(
        """() => {
            window.chatApp.connection.retryNow();
            return document.querySelector('[data-testid="status"]').dataset.state === "online";
        }""",
        polling=100,
    )


def create_room(page: Page, name: str, *, private: bool = False) -> str:
    page.goto("/rooms/new/")
    page.fill("#id_name", name)
    if private:
        page.check("#id_is_private")
    page.click("[data-testid=room-create-submit]")
    expect(page).to_have_url(re.compile(r"/r/[\w-]+/$"))
    wait_connected(page)
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def send(page: Page, body: str) -> None:
    composer = page.get_by_test_id("composer")
    composer.fill(body)
    composer.press("Enter")


def messages(page: Page):
    return page.get_by_test_id("message")


def shown_seqs(page: Page) -> list[int]:
    return [
        int(seq)
        for seq in page.eval_on_selector_all("[data-testid=message]", "els => els.map(e => e.dataset.seq)")
    ]


def record_frames(page: Page) -> list[str]:
    """Every WebSocket frame the page receives, as text."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    return frames


def test_two_users_chat_live_and_history_survives_reload(new_user) -> None:
    alice_user, bob_user, carol_user = new_user("alice"), new_user("bob"), new_user("carol")
    alice, bob, carol = alice_user.page, bob_user.page, carol_user.page

    # Carol sits in a room of her own, listening.
    carol_frames = record_frames(carol)
    elsewhere = create_room(carol, "Elsewhere")

    room = create_room(alice, f"Plans {uuid.uuid4().hex[:4]}")
    bob.goto("/")
    bob.get_by_test_id(f"join-{room}").click()
    expect(bob).to_have_url(re.compile(rf"/r/{room}/$"))
    wait_connected(bob)
    expect(alice.get_by_test_id(f"room-link-{room}")).to_be_visible()

    send(alice, "hello from alice")
    expect(messages(bob).last).to_contain_text("hello from alice")
    expect(messages(bob).last.get_by_test_id("message-author")).to_have_text(alice_user.username)
    expect(messages(bob).last.get_by_test_id("message-time")).to_have_attribute(
        "datetime", re.compile(r"^\d{4}-")
    )

    send(bob, "hi alice, bob here")
    expect(messages(alice).last).to_contain_text("hi alice, bob here")
    expect(messages(alice).last.get_by_test_id("message-author")).to_have_text(bob_user.username)
    # The sender's own page shows it once, confirmed by the server.
    expect(bob.get_by_test_id("message-body").filter(has_text="hi alice, bob here")).to_have_count(1)
    expect(bob.get_by_test_id("pending-message")).to_have_count(0)

    # History comes back over the socket after a reload, in seq order.
    alice.reload()
    wait_connected(alice)
    expect(messages(alice).filter(has_text="hello from alice")).to_have_count(1)
    expect(messages(alice).filter(has_text="hi alice, bob here")).to_have_count(1)
    seqs = shown_seqs(alice)
    assert seqs == list(range(1, len(seqs) + 1))

    # Carol hears her own room (a round trip on her socket) but nothing of theirs.
    send(carol, "anyone here?")
    expect(messages(carol).last).to_contain_text("anyone here?")
    assert carol.url.endswith(f"/r/{elsewhere}/")
    expect(messages(carol).filter(has_text="alice")).to_have_count(0)
    expect(carol.get_by_test_id(f"room-link-{room}")).to_have_count(0)
    leaked = [frame for frame in carol_frames if "hello from alice" in frame or "bob here" in frame]
    assert leaked == []
    assert any(json.loads(frame).get("type") == "hello" for frame in carol_frames)


def test_offline_message_is_sent_once_and_missed_messages_are_caught_up(new_user) -> None:
    alice, bob = new_user("alice").page, new_user("bob").page
    room = create_room(alice, f"Ops {uuid.uuid4().hex[:4]}")
    bob.goto(f"/r/{room}/")
    bob.get_by_test_id("join").click()
    wait_connected(bob)
    send(bob, "before the outage")
    expect(messages(alice).last).to_contain_text("before the outage")

    # Alice's network goes away and her socket with it.
    alice.context.set_offline(True)
    alice.evaluate("window.chatApp.connection.socket.close()")
    expect(alice.get_by_test_id("status")).to_contain_text("Reconnecting")

    for n in range(3):
        send(bob, f"missed {n}")
    expect(messages(bob).filter(has_text="missed 2")).to_have_count(1)
    send(alice, "typed while offline")
    pending = alice.get_by_test_id("pending-message")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text("Waiting for connection")

    alice.context.set_offline(False)
    wait_connected(alice)
    expect(pending).to_have_count(0)
    for n in range(3):
        expect(messages(alice).filter(has_text=f"missed {n}")).to_have_count(1)
    expect(messages(alice).last).to_contain_text("typed while offline")
    expect(messages(bob).last).to_contain_text("typed while offline")
    expect(bob.get_by_test_id("message-body").filter(has_text="typed while offline")).to_have_count(1)
    seqs = shown_seqs(alice)
    assert seqs == list(range(1, len(seqs) + 1))
    assert seqs == shown_seqs(bob)
