// i18n.js: the client's strings through Django's JavaScript catalog, and the system
// notes written from their events in the page's language (message-view.js).
import { formatNumber, gettext, interpolate, ngettext, pageLanguage, pgettext } from "/static/chat/i18n.js";
import { memberCount } from "/static/chat/members.js";
import { noteText } from "/static/chat/message-view.js";
import { nameList } from "/static/chat/reactions.js";
import { assert, assertEqual, onCleanup, test } from "./harness.js";

/** Load the site's catalog of `language` as a page does (a classic script), until the test ends. */
async function loadCatalog(language) {
  const before = { django: globalThis.django, lang: document.documentElement.lang };
  delete globalThis.django;
  document.documentElement.lang = language;
  onCleanup(() => {
    globalThis.django = before.django;
    if (before.django === undefined) delete globalThis.django;
    document.documentElement.lang = before.lang;
  });
  await new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = `/jsi18n/${language}/`;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`no catalog at ${script.src}`));
    document.head.append(script);
    onCleanup(() => script.remove());
  });
}

test("interpolate fills named placeholders and leaves unknown ones", () => {
  assertEqual(interpolate("%(name)s is typing…", { name: "Bob" }), "Bob is typing…");
  assertEqual(interpolate("%(a)s and %(b)s, %(a)s", { a: 1, b: "x" }), "1 and x, 1");
  assertEqual(interpolate("%(missing)s stays", {}), "%(missing)s stays");
  assertEqual(interpolate("100%", {}), "100%");
});

test("without a catalog each string is its English source", () => {
  const before = globalThis.django;
  delete globalThis.django;
  onCleanup(() => {
    if (before !== undefined) globalThis.django = before;
  });
  assertEqual(gettext("Connecting…"), "Connecting…");
  assertEqual(ngettext("%(count)s member", "%(count)s members", 1), "%(count)s member");
  assertEqual(ngettext("%(count)s member", "%(count)s members", 2), "%(count)s members");
  assertEqual(pgettext("between the names of a list", ", "), ", ");
});

test("the Chinese catalog translates the client's strings", async () => {
  await loadCatalog("zh-hans");
  assertEqual(pageLanguage(), "zh-hans");
  assertEqual(gettext("Connecting…"), "连接中…");
  assertEqual(gettext("New messages"), "新消息");
  assertEqual(memberCount(1), "1 名成员");
  assertEqual(memberCount(12345), "12,345 名成员");
  assertEqual(nameList(["张伟", "Bob", "Carol"]), "张伟、Bob和Carol");
  assertEqual(nameList(["张伟"], 3), "张伟和另外 3 人");
});

test("the English catalog is the source strings", async () => {
  await loadCatalog("en");
  assertEqual(gettext("Connecting…"), "Connecting…");
  assertEqual(memberCount(1), "1 member");
  assertEqual(memberCount(2), "2 members");
  assertEqual(nameList(["Alice", "Bob", "Carol"]), "Alice, Bob and Carol");
  assertEqual(formatNumber(1234), "1,234");
});

test("a system note is written from its event in the page's language", async () => {
  const event = { kind: "joined", user: { username: "zhangwei", display_name: "张伟" } };
  assertEqual(noteText(event), "张伟 joined.", "no catalog: English");
  await loadCatalog("zh-hans");
  assertEqual(noteText(event), "张伟 加入了房间。");
  assertEqual(noteText({ kind: "left", user: { username: "bob", display_name: "Bob" } }), "Bob 离开了房间。");
  assertEqual(noteText({ kind: "removed", user: { username: null, display_name: "Old Name" } }), "Old Name 被移出了房间。");
});

test("a note without an event, or of a kind unknown here, says nothing (the page shows its html)", () => {
  assertEqual(noteText(null), "");
  assertEqual(noteText(undefined), "");
  assertEqual(noteText({ kind: "renamed", user: { username: "bob", display_name: "Bob" } }), "");
  assertEqual(noteText({ kind: "toString", user: { username: "bob", display_name: "Bob" } }), "");
  assert(noteText({ kind: "added", user: { username: "bob", display_name: "" } }).startsWith("bob "), "the username when no name");
});
