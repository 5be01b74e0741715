"""Accessibility in a real browser (headless Chromium, Playwright, against a live
server): axe-core finds no serious or critical violation on the main pages, in the
light and the dark scheme and on a phone; new messages are announced; the chat
works from the keyboard alone, with focus visible; a message arriving moves
nothing on screen.

Sign-ups are rate limited per address (5 in a burst): the module signs up two
people, once, and every test opens pages as them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.axe import assert_no_serious_violation
from tests.browser.conftest import sign_up_through_the_page
from tests.browser.test_chat_browser import Person, create_room, messages, send, wait_connected

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
HISTORY = 12


@dataclass
class Chat:
    """Two people who share a room with some history and a direct conversation."""

    url: str
    alice: Person
    bob: Person
    room: str
    direct: str
    word: str


def _context(browser: Browser, url: str, **options) -> BrowserContext:
    context = browser.new_context(base_url=url, **options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture(scope="module")
def chat(browser: Browser, live_chat) -> Iterator[Chat]:
    contexts = [_context(browser, live_chat.url, viewport=DESKTOP) for _ in range(2)]
    try:
        people = []
        for context, name in zip(contexts, ("alice", "bob"), strict=True):
            page = context.new_page()
            people.append(Person(sign_up_through_the_page(page, name), page))
            wait_connected(page)
        alice, bob = people
        word = f"heron{uuid.uuid4().hex[:6]}"
        room = create_room(alice.page, f"Access {uuid.uuid4().hex[:4]}")
        bob.page.goto(f"/r/{room}/")
        bob.page.get_by_test_id("join").click()
        wait_connected(bob.page)
        # Everything a message can show: emphasis, code, a quote, a list, a link.
        send(alice.page, f"Welcome! The **{word}** plan is in `plan.md`, see https://docs.example/plan")
        send(bob.page, "> a quote to start\n\n- one item\n- another item")
        send(bob.page, f"_noted_, the {word} it is")
        # Enough talk to fill the message list: new messages then scroll it (see the layout test).
        for n in range(HISTORY):
            send((alice, bob)[n % 2].page, f"history {n}")
        expect(messages(alice.page).filter(has_text=f"history {HISTORY - 1}")).to_have_count(1)

        alice.page.goto("/")
        alice.page.get_by_test_id("dm-username").fill(bob.username)
        alice.page.get_by_test_id("dm-submit").click()
        expect(alice.page).to_have_url(re.compile(r"/r/dm-\d+-\d+/$"))
        wait_connected(alice.page)
        send(alice.page, "just between us")
        expect(messages(alice.page).filter(has_text="just between us")).to_have_count(1)
        direct = alice.page.url.rstrip("/").rsplit("/", 1)[-1]
        yield Chat(live_chat.url, alice, bob, room, direct, word)
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def open_page(browser: Browser, chat: Chat) -> Iterator[Callable[..., Page]]:
    """``open_page(person_or_None, **context_options)``: a fresh page, signed in as ``person``."""
    contexts: list[BrowserContext] = []

    def _open(person: Person | None, **options) -> Page:
        options.setdefault("viewport", DESKTOP)
        if person is not None:
            options["storage_state"] = person.page.context.storage_state()
        context = _context(browser, chat.url, **options)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


# 1. axe-core on the main pages ------------------------------------------------------------


def room_loaded(page: Page, slug: str) -> None:
    page.goto(f"/r/{slug}/")
    wait_connected(page)
    history = page.get_by_test_id("history-status")
    expect(history).to_have_attribute("data-state", re.compile("^(beginning|more)$"))
    expect(messages(page).first).to_be_visible()


def visit_login(page: Page, chat: Chat) -> None:
    page.goto("/accounts/login/")


def visit_login_refused(page: Page, chat: Chat) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", chat.alice.username)
    page.fill("#id_password", "not-the-password")
    page.click("[data-testid=login-submit]")
    expect(page.locator(".errorlist")).to_be_visible()


def visit_signup(page: Page, chat: Chat) -> None:
    page.goto("/accounts/signup/")


def visit_room(page: Page, chat: Chat) -> None:
    room_loaded(page, chat.room)


def visit_room_with_an_unread_conversation(page: Page, chat: Chat) -> None:
    room_loaded(page, chat.room)
    room_loaded(chat.bob.page, chat.direct)
    send(chat.bob.page, f"unread {uuid.uuid4().hex[:6]}")
    expect(page.get_by_test_id(f"unread-{chat.direct}")).to_be_visible()


def visit_room_members(page: Page, chat: Chat) -> None:
    room_loaded(page, chat.room)
    page.get_by_test_id("members-toggle").click()
    expect(page.get_by_test_id("members")).to_be_visible()


def visit_room_message_actions(page: Page, chat: Chat) -> None:
    room_loaded(page, chat.room)
    mine = messages(page).filter(has_text=f"history {HISTORY - 2}")
    mine.hover()
    expect(mine.get_by_role("button").first).to_be_visible()


def visit_room_deleting(page: Page, chat: Chat) -> None:
    room_loaded(page, chat.room)
    mine = messages(page).filter(has_text=f"history {HISTORY - 2}")
    mine.hover()
    mine.get_by_test_id("delete").click()
    expect(mine.get_by_test_id("delete-confirm-button")).to_be_visible()


def visit_room_thread(page: Page, chat: Chat) -> None:
    room_loaded(page, chat.room)
    mine = messages(page).filter(has_text=f"history {HISTORY - 3}")
    mine.hover()
    mine.get_by_role("button", name="Reply in thread").click()
    thread = page.get_by_role("complementary", name=re.compile("^Thread"))
    expect(thread).to_be_visible()
    body = f"a reply {uuid.uuid4().hex[:6]}"
    page.get_by_test_id("thread-input").fill(body)
    page.get_by_test_id("thread-input").press("Enter")
    expect(thread.get_by_test_id("message").filter(has_text=body)).to_have_count(1)
    expect(mine.get_by_test_id("thread-summary")).to_be_visible()


def visit_threads(page: Page, chat: Chat) -> None:
    visit_room_thread(page, chat)
    page.goto("/threads/")
    wait_connected(page)
    expect(page.get_by_test_id("thread-result").first).to_be_visible()


def visit_direct(page: Page, chat: Chat) -> None:
    room_loaded(page, chat.direct)


def visit_search(page: Page, chat: Chat) -> None:
    page.goto(f"/search/?q={chat.word}")
    expect(page.get_by_test_id("search-result").first).to_be_visible()


def visit_people_picker(page: Page, chat: Chat) -> None:
    page.goto("/")
    wait_connected(page)
    field = page.get_by_role("combobox", name="Message someone")
    field.press_sequentially(chat.bob.username[:5], delay=20)
    expect(page.get_by_role("listbox", name="People").get_by_role("option").first).to_be_visible()
    field.press("ArrowDown")


def visit_profile(page: Page, chat: Chat) -> None:
    page.goto("/accounts/profile/")


def visit_room_sidebar_on_a_phone(page: Page, chat: Chat) -> None:
    room_loaded(page, chat.room)
    page.get_by_role("button", name="Show rooms").click()
    expect(page.get_by_test_id(f"room-link-{chat.room}")).to_be_in_viewport()


PAGES = [
    # (id, signed in, visit, viewport)
    ("login", False, visit_login, DESKTOP),
    ("login-refused", False, visit_login_refused, DESKTOP),
    ("signup", False, visit_signup, DESKTOP),
    ("room", True, visit_room, DESKTOP),
    ("room-unread", True, visit_room_with_an_unread_conversation, DESKTOP),
    ("room-members", True, visit_room_members, DESKTOP),
    ("room-message-actions", True, visit_room_message_actions, DESKTOP),
    ("room-deleting", True, visit_room_deleting, DESKTOP),
    ("room-thread", True, visit_room_thread, DESKTOP),
    ("threads", True, visit_threads, DESKTOP),
    ("direct", True, visit_direct, DESKTOP),
    ("search", True, visit_search, DESKTOP),
    ("people-picker", True, visit_people_picker, DESKTOP),
    ("profile", True, visit_profile, DESKTOP),
    ("room-phone", True, visit_room, PHONE),
    ("room-sidebar-phone", True, visit_room_sidebar_on_a_phone, PHONE),
    ("room-thread-phone", True, visit_room_thread, PHONE),
    ("login-phone", False, visit_login, PHONE),
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    ("signed_in", "visit", "viewport"), [page[1:] for page in PAGES], ids=[page[0] for page in PAGES]
)
def test_axe_finds_no_serious_violation(open_page, chat: Chat, signed_in, visit, viewport, scheme) -> None:
    page = open_page(chat.alice if signed_in else None, viewport=viewport, color_scheme=scheme)
    visit(page, chat)
    assert_no_serious_violation(page)


# 2. New messages are announced ------------------------------------------------------------


def test_a_message_from_someone_else_is_added_to_the_polite_live_region(open_page, chat: Chat) -> None:
    page = open_page(chat.alice)
    room_loaded(page, chat.room)
    room_loaded(chat.bob.page, chat.room)
    log = page.get_by_role("log", name="Messages")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(log).to_have_attribute("aria-relevant", "additions")
    # Only an addition is read out: the messages already shown must stay the same nodes.
    page.evaluate("window.shownBefore = [...document.querySelectorAll('[data-testid=message]')]")

    body = f"announce {uuid.uuid4().hex[:6]}"
    send(chat.bob.page, body)

    arrived = log.get_by_test_id("message").filter(has_text=body)
    expect(arrived).to_have_count(1)
    # What a screen reader reads: who said it, and what.
    expect(arrived).to_contain_text(chat.bob.username)
    region = arrived.evaluate(
        "el => { const region = el.closest('[aria-live]'); return [region.id, region.ariaLive]; }"
    )
    assert region == ["message-list", "polite"]
    assert arrived.evaluate("el => el.closest('[aria-hidden=true]') === null")
    assert page.evaluate(
        "window.shownBefore.length > 0 && window.shownBefore.every((node) => node.isConnected)"
    )


# 3. The keyboard alone, with focus visible -----------------------------------------------

# Where focus shows on a focused element: its outline, or a box-shadow ring on it or
# on the box that draws its border (the composer's form for its text field), and the
# colour behind the outline (the nearest ancestor with an opaque background).
FOCUS_STYLE = """(el) => {
    const style = getComputedStyle(el);
    const frame = el.closest('.composer') || el;
    let backdrop = el.parentElement;
    while (backdrop && getComputedStyle(backdrop).backgroundColor.match(/^rgba\\(.*, 0\\)$|^transparent$/)) {
        backdrop = backdrop.parentElement;
    }
    return {
        outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
        outlineColor: style.outlineColor,
        ring: style.boxShadow !== 'none' || getComputedStyle(frame).boxShadow !== 'none',
        backdrop: backdrop ? getComputedStyle(backdrop).backgroundColor : 'rgb(255, 255, 255)',
    };
}"""


def luminance(color: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", color)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def assert_focus_visible(target: Locator) -> None:
    expect(target).to_be_focused()
    shown = target.evaluate(FOCUS_STYLE)
    assert shown["outline"] or shown["ring"], f"no focus indicator: {shown}"
    if shown["outline"]:
        # WCAG 1.4.11: an indicator needs 3:1 against what is next to it.
        ratio = contrast(shown["outlineColor"], shown["backdrop"])
        assert ratio >= 3, f"focus outline contrast {ratio:.2f}: {shown}"


def tab_to(page: Page, target: Locator, *, key: str = "Tab", limit: int = 30) -> None:
    """Press ``key`` until ``target`` has the focus; fail after ``limit`` presses."""
    for _ in range(limit):
        page.keyboard.press(key)
        if target.evaluate("el => el === document.activeElement"):
            return
    focused = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"{limit} presses of {key} did not reach {target}; focus is on {focused}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_chat_works_from_the_keyboard_alone_and_focus_shows(open_page, chat: Chat, scheme) -> None:
    page = open_page(chat.alice, color_scheme=scheme)
    room_loaded(page, chat.room)

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert_focus_visible(skip)
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    composer = page.get_by_test_id("composer")
    tab_to(page, composer)
    assert_focus_visible(composer)
    body = f"typed {uuid.uuid4().hex[:6]}"
    page.keyboard.type(body)
    page.keyboard.press("Enter")
    expect(messages(page).filter(has_text=body)).to_have_count(1)
    expect(page.get_by_test_id("pending-message")).to_have_count(0)
    expect(composer).to_have_value("")
    expect(composer).to_be_focused()

    # The Send button, reached and pressed from the keyboard.
    body = f"pressed {uuid.uuid4().hex[:6]}"
    page.keyboard.type(body)
    page.keyboard.press("Tab")
    assert_focus_visible(page.get_by_test_id("send"))
    page.keyboard.press("Space")
    expect(messages(page).filter(has_text=body)).to_have_count(1)

    # Back up through the room to the room list, on its dark background.
    current = page.get_by_test_id(f"room-link-{chat.room}")
    tab_to(page, current, key="Shift+Tab")
    assert_focus_visible(current)
    direct = page.get_by_test_id(f"room-link-{chat.direct}")
    tab_to(page, direct, key="Shift+Tab")
    assert_focus_visible(direct)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/r/{chat.direct}/$"))
    wait_connected(page)

    # The top bar, dark as well: the search field.
    search = page.get_by_role("searchbox", name="Search messages")
    tab_to(page, search)
    assert_focus_visible(search)


def test_messages_are_reached_and_acted_on_from_the_keyboard(open_page, chat: Chat) -> None:
    """The message list is one Tab stop (the newest message); arrows move among the
    messages, and Tab goes on to the focused message's own actions."""
    page = open_page(chat.alice)
    room_loaded(page, chat.room)
    body = f"by keyboard {uuid.uuid4().hex[:6]}"
    send(page, body)
    own = messages(page).filter(has_text=body)
    expect(own).to_have_attribute("tabindex", "0")

    page.get_by_test_id("composer").focus()
    page.keyboard.press("Shift+Tab")
    expect(own).to_be_focused()
    assert_focus_visible(own)
    page.keyboard.press("ArrowUp")
    above = messages(page).nth(-2)
    expect(above).to_be_focused()
    expect(above).to_have_attribute("tabindex", "0")
    expect(own).to_have_attribute("tabindex", "-1")
    page.keyboard.press("End")
    expect(own).to_be_focused()

    page.keyboard.press("Tab")
    edit = own.get_by_role("button", name="Edit")
    expect(edit).to_be_focused()
    assert_focus_visible(edit)
    page.keyboard.press("Enter")
    editor = own.get_by_role("textbox")
    expect(editor).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("composer")).to_be_focused()

    # Escape on a message goes back to the composer as well.
    page.keyboard.press("Shift+Tab")
    expect(own).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("composer")).to_be_focused()


# 4. Nothing moves when a message arrives -------------------------------------------------

# Collects the page's layout-shift entries from now on (not those of its loading).
WATCH_SHIFTS = """() => {
    window.layoutShifts = [];
    window.shiftObserver = new PerformanceObserver((list) => window.layoutShifts.push(...list.getEntries()));
    window.shiftObserver.observe({ type: "layout-shift" });
}"""
# Takes the entries not yet delivered too, so no wait is needed; input-driven ones excluded.
LAYOUT_SHIFT = """() => {
    window.layoutShifts.push(...window.shiftObserver.takeRecords());
    const unexpected = window.layoutShifts.filter((entry) => !entry.hadRecentInput);
    return unexpected.reduce((sum, entry) => sum + entry.value, 0);
}"""
# A shift scores the fraction of the viewport that moved times how far it moved. One
# message pushing the list up by its own height scores about 0.007 at 1280x800
# (measured in a short conversation, which sits at the bottom and grows upwards). A
# tenth of that fails on any such jump and passes sub-pixel rounding.
SHIFT_TOLERANCE = 0.0007


def test_a_message_arriving_shifts_nothing_on_screen(open_page, chat: Chat) -> None:
    page = open_page(chat.alice)
    room_loaded(page, chat.room)
    room_loaded(chat.bob.page, chat.room)
    # The premise: the list is full, so a new message scrolls it rather than pushing it.
    assert page.evaluate("(el => el.scrollHeight > el.clientHeight)(document.getElementById('scroller'))")
    page.evaluate(WATCH_SHIFTS)

    composer = chat.bob.page.get_by_test_id("composer")
    for n in range(2):
        body = f"arriving {n} {uuid.uuid4().hex[:6]}"
        composer.press_sequentially(body, delay=10)  # Alice sees "bob is typing" first
        expect(page.get_by_test_id("typing")).to_contain_text(chat.bob.username)
        composer.press("Enter")
        expect(messages(page).filter(has_text=body)).to_be_in_viewport()
    expect(page.get_by_test_id("typing")).to_have_text("")

    shift = page.evaluate(LAYOUT_SHIFT)
    assert shift < SHIFT_TOLERANCE, f"cumulative layout shift {shift:.4f} while messages arrived"
