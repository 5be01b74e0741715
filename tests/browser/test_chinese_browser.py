"""The chat in Chinese, in a real browser: a browser that asks for Chinese (Playwright's
locale zh-CN) gets the pages and the client in Chinese, beside a user whose browser
asks for English; Chinese text in rooms, mentions, links, the people picker, long
lines and input methods."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

pytestmark = pytest.mark.browser

from tests.browser.conftest import CHROMIUM  # noqa: E402

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.conftest import CHINESE, ENGLISH, new_context, sign_up_through_the_page  # noqa: E402
from tests.browser.test_chat_browser import Person, create_room, messages, send, wait_connected  # noqa: E402


@dataclass
class People:
    yan: Person  # her browser asks for Chinese
    bob: Person  # his for English
    wei: Person  # Chinese, called 张伟


@pytest.fixture(scope="module")
def people(browser, live_chat) -> Iterator[People]:
    """Three people signed up once for the module (sign-ups are limited per address)."""
    contexts = []

    def person(name: str, locale: str) -> Person:
        context = new_context(browser, live_chat.url, locale=locale)
        contexts.append(context)
        page = context.new_page()
        return Person(sign_up_through_the_page(page, name), page)

    try:
        found = People(person("yan", CHINESE), person("bob", ENGLISH), person("wei", CHINESE))
        set_display_name(found.wei.page, "张伟")
        yield found
    finally:
        for context in contexts:
            context.close()


def set_display_name(page: Page, display_name: str) -> None:
    page.goto("/accounts/profile/")
    page.fill("#id_display_name", display_name)
    page.click("[data-testid=profile-submit]")
    expect(page.locator("#id_display_name")).to_have_value(display_name)


def join(page: Page, slug: str) -> None:
    page.goto(f"/r/{slug}/")
    wait_connected(page)
    page.get_by_test_id("join").click()
    wait_connected(page)


def test_pages_and_client_in_the_browsers_language_and_a_note_in_each_readers(people: People) -> None:
    yan, bob = people.yan, people.bob

    yan.page.goto("/")
    assert yan.page.locator("html").get_attribute("lang") == "zh-hans"
    expect(yan.page.get_by_role("link", name="创建房间").first).to_be_visible()
    expect(bob.page.get_by_role("link", name="Create a room").first).to_be_visible()

    slug = create_room(yan.page, "产品讨论")
    assert slug == "chan-pin-tao-lun"
    expect(yan.page.get_by_test_id("status")).to_have_text("已连接")
    expect(yan.page.get_by_test_id("composer")).to_have_attribute("placeholder", "发消息到 #产品讨论")
    join(bob.page, slug)
    expect(bob.page.get_by_test_id("status")).to_have_text("Connected")

    # One note, stored once: each reader's page writes it in its language.
    note = f"{bob.username} 加入了房间。"
    expect(messages(yan.page).filter(has_text=note)).to_have_count(1)
    expect(messages(bob.page).filter(has_text=f"{bob.username} joined.")).to_have_count(1)
    # The day divider (drawn from data-day) says which day in Intl's words.
    expect(messages(yan.page).first).to_have_attribute("data-day", "今天")
    expect(messages(bob.page).first).to_have_attribute("data-day", "Today")

    # Reloaded, from history: the same in each language.
    yan.page.reload()
    wait_connected(yan.page)
    expect(messages(yan.page).filter(has_text=note)).to_have_count(1)
    expect(yan.page.locator(".member-list")).to_have_count(1)
    expect(yan.page.get_by_test_id("members-toggle")).to_contain_text("2 名成员")


def test_mentions_and_links_beside_chinese_text(people: People) -> None:
    yan, wei = people.yan, people.wei
    slug = create_room(yan.page, f"讨论 {uuid.uuid4().hex[:4]}")
    join(wei.page, slug)

    send(wei.page, f"你好@{yan.username}，看https://example.org/x。明天见")

    body = messages(yan.page).last.get_by_test_id("message-body")
    expect(body).to_have_text(f"你好@{yan.username}，看https://example.org/x。明天见")
    expect(body.locator(".mention-me")).to_have_text(f"@{yan.username}")
    expect(body.locator("a")).to_have_attribute("href", "https://example.org/x")
    expect(body.locator("a")).to_have_text("https://example.org/x")


def test_search_finds_a_chinese_word_inside_a_sentence_and_says_when_in_chinese(people: People) -> None:
    yan = people.yan
    create_room(yan.page, f"搜索 {uuid.uuid4().hex[:4]}")
    send(yan.page, "我们明天部署新版本")
    expect(messages(yan.page).last).to_contain_text("我们明天部署新版本")

    yan.page.goto("/search/?q=部署")

    result = yan.page.get_by_test_id("search-result").filter(has_text="我们明天部署新版本")
    expect(result).to_have_count(1)
    expect(result.locator("mark")).to_have_text("部署")
    expect(result.locator("time")).to_have_text(re.compile(r"^今天 \d{1,2}:\d\d$"))
    expect(yan.page.get_by_role("heading", level=1)).to_have_text("与“部署”匹配的消息")


def test_typing_at_after_chinese_text_offers_the_members(people: People) -> None:
    yan, wei = people.yan, people.wei
    slug = create_room(yan.page, f"提及 {uuid.uuid4().hex[:4]}")
    join(wei.page, slug)
    yan.page.reload()
    wait_connected(yan.page)

    composer = yan.page.get_by_test_id("composer")
    composer.fill("你好@伟")
    composer.dispatch_event("input")

    options = yan.page.get_by_role("listbox", name="可提及的人").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("张伟")


def test_the_people_picker_finds_a_chinese_name_by_any_part(people: People) -> None:
    yan = people.yan

    yan.page.goto("/")
    field = yan.page.get_by_role("combobox", name="发私信")
    for part in ("伟", "张", "张伟"):
        field.fill("")
        field.press_sequentially(part, delay=20)
        option = yan.page.get_by_role("listbox", name="用户").get_by_role("option")
        expect(option).to_have_count(1)
        expect(option).to_contain_text("张伟")


def test_a_long_chinese_line_wraps_inside_the_message_column(people: People) -> None:
    yan = people.yan
    slug = create_room(yan.page, f"长文 {uuid.uuid4().hex[:4]}")
    yan.page.goto(f"/r/{slug}/")
    wait_connected(yan.page)

    line = "我们明天部署新版本" * 60 + "，链接https://example.org/" + "很长" * 80
    send(yan.page, line)

    body = messages(yan.page).last.get_by_test_id("message-body")
    expect(body).to_contain_text("我们明天部署新版本")
    sizes = body.evaluate(
        """el => ({body: el.getBoundingClientRect(), list: el.closest('.messages').getBoundingClientRect(),
                   overflow: el.closest('.messages').scrollWidth - el.closest('.messages').clientWidth})"""
    )
    assert sizes["overflow"] <= 0, sizes
    assert sizes["body"]["right"] <= sizes["list"]["right"], sizes
    assert sizes["body"]["height"] > 100, "the line should wrap over many lines"


# A keydown of Enter as an input method sends it while composing (Playwright types no IME).
PRESS_ENTER = """(el, [composing, keyCode]) => {
    const options = {key: "Enter", bubbles: true, cancelable: true, isComposing: composing};
    const event = new KeyboardEvent("keydown", options);
    Object.defineProperty(event, "keyCode", {get: () => keyCode});
    el.dispatchEvent(event);
}"""


def test_enter_while_an_input_method_composes_sends_nothing(people: People) -> None:
    yan = people.yan
    slug = create_room(yan.page, f"输入法 {uuid.uuid4().hex[:4]}")
    yan.page.goto(f"/r/{slug}/")
    wait_connected(yan.page)
    composer = yan.page.get_by_test_id("composer")
    composer.fill("nihao")

    # Enter picks the input method's candidate: Chrome marks the key as composing,
    # Safari only by keyCode 229. Neither sends.
    for composing, key_code in ((True, 13), (False, 229)):
        composer.evaluate(PRESS_ENTER, [composing, key_code])
    yan.page.wait_for_timeout(300)
    expect(composer).to_have_value("nihao")
    expect(yan.page.get_by_test_id("pending-message")).to_have_count(0)
    expect(messages(yan.page)).to_have_count(0)

    composer.fill("你好")
    composer.press("Enter")
    expect(messages(yan.page).last).to_contain_text("你好")
    expect(composer).to_have_value("")


def test_the_catalog_is_one_request_and_then_comes_from_the_cache(people: People) -> None:
    yan = people.yan
    catalogs: list[str] = []
    yan.page.on("request", lambda request: "/jsi18n/" in request.url and catalogs.append(request.url))

    yan.page.goto("/")
    wait_connected(yan.page)
    yan.page.goto("/mentions/")
    yan.page.goto("/")
    wait_connected(yan.page)

    entries = yan.page.evaluate(
        "performance.getEntriesByType('resource').filter(e => e.name.includes('/jsi18n/'))"
        ".map(e => ({name: e.name, transferSize: e.transferSize}))"
    )
    assert len(entries) == 1 and re.search(r"/jsi18n/zh-hans/\?v=[0-9a-f]{12}$", entries[0]["name"]), entries
    # Loaded before, by the first page: this time from the browser's cache, nothing sent.
    assert entries[0]["transferSize"] == 0, entries
    assert len(set(catalogs)) == 1, catalogs
