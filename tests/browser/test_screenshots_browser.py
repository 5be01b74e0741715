"""Screenshots of the main screens, taken by every test run, with checks that each
shows what it should: the room list, a room with history, files in a message, a
thread beside the room, search results, a direct conversation, the people picker,
a phone-sized screen (and a thread on it) and dark mode; and in Chinese
(``*-zh.png``) for browsers that ask for it.

They go to test-artifacts/screenshots/ (not committed); ``make screenshots``
writes them to docs/screenshots/, where the README shows them. Look at them.

Sign-ups are rate limited per address (5 in a burst): the module signs up four people.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import test_chat_browser
from tests.browser.conftest import CHINESE
from tests.browser.test_chat_browser import create_room, messages, send, wait_connected

pytestmark = pytest.mark.browser

new_user = test_chat_browser.new_user

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("CHAT_SCREENSHOTS_DIR") or ROOT / "test-artifacts" / "screenshots")
PNG = b"\x89PNG\r\n\x1a\n"

THREAD = [
    ("bob", "I can take the release notes if you do the status page."),
    ("alice", "Deal. Keep them short: three bullets at most."),
    ("bob", "Three bullets it is. Draft in an hour."),
]

CONVERSATION = [
    ("alice", "Morning! The *launch checklist* is in the wiki, please have a look :tada:"),
    ("bob", "Thanks. I moved `deploy.sh` to the new runner, so builds take 4 minutes now."),
    ("alice", "Great. Two things left:\n- the release notes\n- the status page"),
    ("bob", "@{alice} I'll write the notes. Draft by noon: https://example.com/notes"),
    ("alice", "> Draft by noon\nPerfect, I'll review it right after lunch."),
]


def set_display_name(page: Page, display_name: str) -> None:
    page.goto("/accounts/profile/")
    page.fill("#id_display_name", display_name)
    page.click("[data-testid=profile-submit]")
    expect(page.locator("#id_display_name")).to_have_value(display_name)


def shoot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    # Wait for web fonts and for animations (the flash fade) to end.
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(400)
    page.screenshot(path=str(path))
    assert path.read_bytes().startswith(PNG)
    return path


def timeline_picture() -> bytes:
    """A small chart to share: the weeks to the launch, drawn with Pillow."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (720, 360), (248, 249, 252))
    draw = ImageDraw.Draw(image)
    colors = [(79, 70, 229), (18, 183, 106), (247, 144, 9), (217, 48, 54)]
    for week in range(4):
        top = 50 + week * 72
        draw.rectangle((60 + week * 120, top, 300 + week * 100, top + 44), fill=colors[week])
    for x in range(60, 700, 80):
        draw.line((x, 30, x, 340), fill=(220, 224, 232), width=1)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def attach_files(page: Page, files: list[tuple[str, str, bytes]]) -> None:
    """Attach files through the composer's attach button (its file chooser)."""
    with page.expect_file_chooser() as choosing:
        page.get_by_test_id("attach").click()
    choosing.value.set_files([{"name": name, "mimeType": kind, "buffer": data} for name, kind, data in files])


def test_screenshots_of_the_main_screens(new_user) -> None:
    alice, bob = new_user("alice"), new_user("bob")
    set_display_name(alice.page, "Alice Moreau")
    set_display_name(bob.page, "Bob Chen")
    people = {"alice": alice, "bob": bob}

    slug = create_room(alice.page, f"Launch {uuid.uuid4().hex[:4]}")
    bob.page.goto(f"/r/{slug}/")
    wait_connected(bob.page)
    bob.page.get_by_test_id("join").click()
    wait_connected(bob.page)
    for who, template in CONVERSATION:
        body = template.format(alice=alice.username)
        send(people[who].page, body)
        expect(messages(alice.page).last).to_contain_text(body.split("\n")[-1].lstrip("> ")[:20])
    expect(messages(alice.page).locator("strong")).to_have_text("launch checklist")
    expect(messages(alice.page).locator(".mention-me")).to_have_count(1)
    # Reactions on the first message (the picker itself is tests/browser/test_reactions_browser.py's).
    checklist = messages(alice.page).filter(has_text="launch checklist")
    first = int(checklist.get_attribute("data-seq"))
    for person, emoji in ((bob, "\U0001f389"), (alice, "\U0001f389"), (bob, "\U0001f44d")):
        person.page.evaluate(
            "([room, seq, emoji]) => window.chatApp.connection.send({type: 'react', room, seq, emoji})",
            [slug, first, emoji],
        )
    expect(checklist.locator("[aria-pressed]")).to_have_count(2)

    shoot(alice.page, "room")

    # Files: a picture and a document, sent with a line of text (the uploads themselves
    # are tests/browser/test_attachments_browser.py's).
    attach_files(
        bob.page,
        [
            ("release-timeline.png", "image/png", timeline_picture()),
            ("release-notes-draft.pdf", "application/pdf", b"%PDF-1.4\n% draft\n" + b"0" * 18_000),
        ],
    )
    expect(bob.page.locator("[data-testid=upload][data-state=done]")).to_have_count(2)
    bob.page.get_by_test_id("composer").fill("Timeline and the first draft of the notes:")
    shoot(bob.page, "file-upload")
    bob.page.get_by_test_id("composer").press("Enter")
    shared = messages(alice.page).filter(has_text="first draft of the notes")
    expect(shared.get_by_test_id("attachment")).to_have_count(2)
    alice.page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0",
        arg=shared.locator("img").element_handle(),
    )
    shoot(alice.page, "files")

    # A thread on the release notes (tests/browser/test_threads_browser.py tests it).
    notes = messages(alice.page).filter(has_text="the release notes").first
    parent = int(notes.get_attribute("data-seq"))
    for count, (who, body) in enumerate(THREAD, start=1):
        people[who].page.evaluate(
            "([parent, body]) => window.chatApp.sendReply(body, parent, false)", [parent, body]
        )
        expect(notes.get_by_test_id("thread-summary")).to_contain_text(
            "1 reply" if count == 1 else f"{count} replies"
        )
    notes.get_by_test_id("thread-summary").click()
    thread = alice.page.get_by_test_id("thread-messages").get_by_test_id("message")
    expect(thread).to_have_count(len(THREAD) + 1)
    alice.page.get_by_test_id("thread-input").fill("I'll merge them into one page tonight.")
    alice.page.mouse.move(640, 20)  # over the top bar: no message shows its hover actions
    shoot(alice.page, "thread")
    alice.page.get_by_test_id("thread-input").fill("")
    alice.page.get_by_test_id("thread-close").click()

    alice.page.emulate_media(color_scheme="dark")
    alice.page.reload()
    wait_connected(alice.page)
    expect(messages(alice.page)).to_have_count(len(CONVERSATION) + 2)  # "Bob joined." and the files
    background = alice.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)", "dark mode should not have a white page"
    shoot(alice.page, "dark-mode")
    alice.page.emulate_media(color_scheme="light")

    # A direct conversation, started from the people picker.
    alice.page.goto("/")
    wait_connected(alice.page)
    field = alice.page.get_by_role("combobox", name="Message someone")
    field.press_sequentially("bob c", delay=20)
    option = (
        alice.page.get_by_role("listbox", name="People")
        .get_by_role("option")
        .filter(has_text=f"@{bob.username}")
    )
    expect(option).to_be_visible()
    shoot(alice.page, "people-picker")
    option.click()
    expect(alice.page).to_have_url(re.compile(r"/r/dm-\d+-\d+/$"))
    wait_connected(alice.page)
    send(alice.page, "Got a minute to go over the release notes?")
    dm = alice.page.url.rstrip("/").rsplit("/", 1)[-1]
    bob.page.goto(f"/r/{dm}/")
    wait_connected(bob.page)
    send(bob.page, "Sure, calling you now.")
    expect(messages(alice.page).filter(has_text="calling you now")).to_have_count(1)
    shoot(alice.page, "direct-message")

    # The room list, with unread messages waiting.
    send(bob.page, "One more thing: the demo is at 3.")
    alice.page.goto("/")
    wait_connected(alice.page)
    expect(alice.page.get_by_test_id(f"unread-{dm}")).to_have_text("1")
    shoot(alice.page, "room-list")

    alice.page.goto("/search/?q=notes")
    expect(alice.page.get_by_test_id("search-result").first).to_be_visible()
    shoot(alice.page, "search")

    phone = bob.page.context.browser.new_context(
        base_url=bob.page.url.split("/r/")[0],
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
    try:
        phone.add_cookies(bob.page.context.cookies())
        small = phone.new_page()
        small.goto(f"/r/{slug}/")
        wait_connected(small)
        expect(messages(small).last).to_be_visible()
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page is {width}px wide on a 360px screen"
        shoot(small, "mobile-360")
        small.get_by_test_id("thread-summary").first.tap()
        expect(small.get_by_test_id("thread-panel")).to_be_visible()
        expect(small.get_by_test_id("thread-messages").get_by_test_id("message")).to_have_count(
            len(THREAD) + 1
        )
        shoot(small, "thread-mobile-360")
    finally:
        phone.close()


CONVERSATION_ZH = [
    ("alice", "早上好！*上线清单* 已经放到 wiki 里了，大家看一下 :tada:"),
    ("bob", "收到。我把 `deploy.sh` 挪到新的 runner 上了，现在构建只要 4 分钟。"),
    ("alice", "太好了。还剩两件事：\n- 发布说明\n- 状态页"),
    ("bob", "@{alice} 发布说明我来写，中午前出初稿：https://example.com/notes"),
    ("alice", "> 中午前出初稿\n好的，我午饭后马上看。"),
    ("bob", "我们明天部署新版本，部署窗口是晚上 8 点。"),
]


def test_screenshots_in_chinese(new_user) -> None:
    """The same screens for two people whose browsers ask for Chinese (locale zh-CN)."""
    alice, bob = new_user("wangfang", locale=CHINESE), new_user("zhangwei", locale=CHINESE)
    set_display_name(alice.page, "王芳")
    set_display_name(bob.page, "张伟")
    people = {"alice": alice, "bob": bob}

    slug = create_room(alice.page, "上线准备")
    assert slug == "shang-xian-zhun-bei"
    bob.page.goto(f"/r/{slug}/")
    wait_connected(bob.page)
    bob.page.get_by_test_id("join").click()
    wait_connected(bob.page)
    for who, template in CONVERSATION_ZH:
        body = template.format(alice=alice.username)
        send(people[who].page, body)
        expect(messages(alice.page).last).to_contain_text(body.split("\n")[-1].lstrip("> ")[:10])
    expect(messages(alice.page).locator(".mention-me")).to_have_count(1)
    expect(messages(alice.page).first).to_contain_text("张伟 加入了房间。")
    expect(alice.page.get_by_test_id("status")).to_have_text("已连接")
    shoot(alice.page, "room-zh")

    alice.page.goto("/")
    field = alice.page.get_by_role("combobox", name="发私信")
    field.press_sequentially("伟", delay=20)
    option = alice.page.get_by_role("listbox", name="用户").get_by_role("option").filter(has_text="张伟")
    expect(option).to_be_visible()
    shoot(alice.page, "people-picker-zh")
    option.click()
    expect(alice.page).to_have_url(re.compile(r"/r/dm-\d+-\d+/$"))
    wait_connected(alice.page)
    send(alice.page, "有空一起过一下发布说明吗？")
    dm = alice.page.url.rstrip("/").rsplit("/", 1)[-1]
    bob.page.goto(f"/r/{dm}/")
    wait_connected(bob.page)
    send(bob.page, "好的，我现在给你打电话。")
    alice.page.goto("/")
    wait_connected(alice.page)
    expect(alice.page.get_by_test_id(f"unread-{dm}")).to_have_text("1")
    shoot(alice.page, "room-list-zh")

    alice.page.goto("/search/?q=部署")
    expect(alice.page.get_by_test_id("search-result").first.locator("mark").first).to_have_text("部署")
    shoot(alice.page, "search-zh")

    phone = bob.page.context.browser.new_context(
        base_url=bob.page.url.split("/r/")[0],
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale=CHINESE,
    )
    try:
        phone.add_cookies(bob.page.context.cookies())
        small = phone.new_page()
        small.goto(f"/r/{slug}/")
        wait_connected(small)
        expect(messages(small).last).to_be_visible()
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page is {width}px wide on a 360px screen"
        shoot(small, "mobile-360-zh")
    finally:
        phone.close()
