// Threads (threads.js, store.js, history.js, outbox.js): which messages the room's
// main list shows, the seqs a main-view page accounts for, a thread's log and the
// frames that page through it, replies in the outbox, and the panel itself.
import { RoomHistory, historyFrame, pageRange } from "/static/chat/history.js";
import { Outbox } from "/static/chat/outbox.js";
import { RoomDirectory, RoomLog } from "/static/chat/store.js";
import { ThreadList, ThreadLog, ThreadPanel, inMainView, isReply, threadFrame } from "/static/chat/threads.js";
import { assert, assertDeepEqual, assertEqual, onCleanup, test } from "./harness.js";

function msg(seq, fields = {}) {
  return {
    seq,
    body: `m${seq}`,
    html: `m${seq}`,
    author: { username: "bob", display_name: "Bob" },
    created_at: "2026-12-03T10:00:00.000Z",
    edited_at: null,
    deleted: false,
    reactions: [],
    parent_seq: null,
    ...fields,
  };
}

function reply(seq, parentSeq, fields = {}) {
  return msg(seq, { parent_seq: parentSeq, also_to_room: false, ...fields });
}

test("Replies are left out of the main view unless also sent to the room", () => {
  assertEqual(isReply(msg(1)), false);
  assertEqual(isReply(reply(2, 1)), true);
  assertEqual(inMainView(msg(1)), true);
  assertEqual(inMainView(reply(2, 1)), false);
  assertEqual(inMainView(reply(3, 1, { also_to_room: true })), true);
  assertEqual(inMainView({ seq: 4 }), true, "a message from before threads");
});

test("historyFrame asks for the main view when told to", () => {
  const log = new RoomLog("r");
  assertDeepEqual(historyFrame("newest", { room: "r", log, view: "main" }), {
    type: "history",
    room: "r",
    limit: 50,
    view: "main",
  });
  assertDeepEqual(historyFrame("newest", { room: "r", log }), { type: "history", room: "r", limit: 50 });
});

test("pageRange reads from_seq and to_seq, or nothing", () => {
  assertDeepEqual(pageRange({ from_seq: 3, to_seq: 9 }), { from: 3, to: 9 });
  assertEqual(pageRange({ messages: [] }), null);
  assertEqual(pageRange({ from_seq: "3", to_seq: 9 }), null);
});

test("A main-view page moves high over the replies it left out", () => {
  const log = new RoomLog("r");
  // Seqs 1..6: 2, 3 and 5 are replies.
  log.loadNewest([msg(1), msg(4), msg(6)], false, { from: 1, to: 6 });
  assertEqual(log.high, 6);
  assertEqual(log.low, 1);
  assertEqual(log.hasGap(), false);
  log.loadNewer([], { from: 7, to: 9 }); // nothing but replies after 6
  assertEqual(log.high, 9);
  log.loadNewer([msg(11)], { from: 10, to: 11 });
  assertEqual(log.high, 11);
  assertDeepEqual(log.sorted().map((m) => m.seq), [1, 4, 6, 11]);
});

test("Without a range a newer page still has to hold every seq", () => {
  const log = new RoomLog("r");
  log.loadNewest([msg(1), msg(2)], false);
  log.loadNewer([msg(4)]);
  assertEqual(log.high, 2, "3 is missing as far as it knows");
  assertEqual(log.hasGap(), true);
});

test("A live reply is accounted for, so the next message is no gap", () => {
  const log = new RoomLog("r");
  log.loadNewest([msg(1)], false, { from: 1, to: 1 });
  log.cover(2);
  log.put(msg(3));
  log.advance();
  assertEqual(log.high, 3);
  assertEqual(log.hasGap(), false);
  assertEqual(log.covered.size, 0, "covered seqs are dropped once high passes them");
});

test("A reply arriving past a gap is a gap like any message", () => {
  const log = new RoomLog("r");
  log.loadNewest([msg(1)], false, { from: 1, to: 1 });
  log.cover(3);
  assertEqual(log.high, 1);
  assertEqual(log.hasGap(), true);
  log.loadNewer([], { from: 2, to: 3 });
  assertEqual(log.high, 3);
  assertEqual(log.hasGap(), false);
});

test("An older main-view page lowers low to where it accounts from", () => {
  const log = new RoomLog("r");
  log.loadNewest([msg(8), msg(10)], true, { from: 8, to: 10 });
  log.loadOlder([msg(3), msg(5)], false, { from: 1, to: 7 });
  assertEqual(log.low, 1);
  assertEqual(log.hasMoreBefore, false);
  log.loadFrom([msg(12)], { from: 12, to: 12 });
  assertEqual(log.hasMoreBefore, true, "a page that accounts from above 1 has older messages below");
});

test("RoomHistory in the main view asks for it and keeps the log moving over replies", () => {
  const sent = [];
  const view = { loadingOlder: false, showUnreadFrom() {}, showMessage() {}, underfilled: () => false };
  const log = new RoomLog("r");
  const history = new RoomHistory({
    room: "r",
    log,
    view,
    send: (frame) => sent.push(frame) > 0,
    firstUnread: () => 0,
    timeline: "main",
  });
  history.catchUp({ last_seq: 5, last_rev: 0 });
  assertEqual(sent[0].view, "main");
  history.followUp(history.receive({ messages: [msg(1), msg(5)], has_more: false, from_seq: 1, to_seq: 5 }));
  assertEqual(log.high, 5);
  history.catchUp({ last_seq: 8, last_rev: 0 });
  assertDeepEqual(sent[1], { type: "history", room: "r", limit: 100, view: "main", after_seq: 5 });
  history.followUp(history.receive({ messages: [], has_more: false, from_seq: 6, to_seq: 8 }));
  assertEqual(log.high, 8);
  assertEqual(sent.length, 2, "nothing more to ask: 6 to 8 are replies");
});

test("setThread puts a thread's new summary on its first message", () => {
  const log = new RoomLog("r");
  log.loadNewest([msg(1)], false, { from: 1, to: 1 });
  const summary = { reply_count: 2, last_reply_seq: 3, last_reply_at: "2026-12-03T10:05:00.000Z", repliers: ["carol"] };
  assertEqual(log.setThread(1, summary), true);
  assertEqual(log.messages.get(1).reply_count, 2);
  assertEqual(log.setThread(1, { ...summary }), false, "the same summary changes nothing");
  assertEqual(log.setThread(9, summary), false, "a message not held");
  assertEqual(log.put({ ...log.messages.get(1), reply_count: 3 }), true, "a page with a newer summary replaces it");
});

test("RoomDirectory keeps each room's unread replies and their total", () => {
  const directory = new RoomDirectory([
    { slug: "a", name: "A", last_seq: 1, last_read_seq: 1, thread_unread: 2 },
    { slug: "b", name: "B", last_seq: 1, last_read_seq: 1 },
  ]);
  assertEqual(directory.totalThreadUnread(), 2);
  assertEqual(directory.setThreadUnread("b", 3), true);
  assertEqual(directory.setThreadUnread("b", 3), false);
  assertEqual(directory.setThreadUnread("gone", 1), false);
  assertEqual(directory.totalThreadUnread(), 5);
});

test("threadFrame pages through one thread", () => {
  const log = new ThreadLog("r", 4);
  assertDeepEqual(threadFrame("newest", { room: "r", parentSeq: 4, log }), {
    type: "history",
    room: "r",
    parent_seq: 4,
    limit: 50,
  });
  log.put(msg(4));
  log.put(reply(7, 4));
  log.put(reply(9, 4));
  assertEqual(threadFrame("before", { room: "r", parentSeq: 4, log }).before_seq, 7);
  const after = threadFrame("after", { room: "r", parentSeq: 4, log });
  assertDeepEqual([after.after_seq, after.limit], [9, 100]);
  assertEqual(threadFrame("focus", { room: "r", parentSeq: 4, log, focusSeq: 7 }).before_seq, 8);
  assertEqual(threadFrame("after", { room: "r", parentSeq: 4, log: new ThreadLog("r", 4) }).after_seq, 4);
});

test("ThreadLog holds its first message and its replies only", () => {
  const log = new ThreadLog("r", 4);
  const replies = log.loadPage("newest", {
    parent: msg(4, { reply_count: 2 }),
    messages: [reply(6, 4), reply(8, 4), reply(9, 5)],
    has_more: true,
  });
  assertDeepEqual(replies.map((m) => m.seq), [6, 8]);
  assertDeepEqual(log.sorted().map((m) => m.seq), [4, 6, 8]);
  assertEqual(log.root.reply_count, 2);
  assertDeepEqual([log.loaded, log.hasMoreBefore, log.newestReply(), log.oldestReply()], [true, true, 8, 6]);
  log.loadPage("before", { parent: msg(4), messages: [reply(5, 4)], has_more: false });
  assertEqual(log.hasMoreBefore, false);
  log.loadPage("after", { parent: msg(4), messages: [reply(12, 4)], has_more: false });
  assertEqual(log.newestReply(), 12);
  assertEqual(log.hasGap(), false, "its seqs are not a range");
  assertEqual(log.holds(reply(20, 4)), true);
  assertEqual(log.holds(msg(20)), false);
});

test("The outbox sends a reply with its parent and keeps it across a reload", () => {
  window.sessionStorage.clear();
  onCleanup(() => window.sessionStorage.clear());
  const frames = [];
  const box = new Outbox({ send: (frame) => frames.push(frame) > 0, onChange: () => {} });
  const entry = box.add("r", "agreed", { reply: { parent_seq: 4, also_to_room: true } });
  assertDeepEqual(frames[0], {
    type: "send",
    room: "r",
    body: "agreed",
    client_id: entry.client_id,
    parent_seq: 4,
    also_to_room: true,
  });
  box.resolve(entry.client_id);
  box.add("r", "plain");
  assertEqual("parent_seq" in frames[1], false);
  const quiet = box.add("r", "not to the room", { reply: { parent_seq: 4, also_to_room: false } });
  const again = new Outbox({ send: () => false, onChange: () => {} });
  const restored = again.get(quiet.client_id);
  assertDeepEqual([restored.parent_seq, restored.also_to_room], [4, false]);
});

/** A thread panel over the markup room.html draws, with a wire and what it heard. */
function panel({ canWrite = true } = {}) {
  const element = document.createElement("aside");
  element.hidden = true;
  element.innerHTML = `
    <h2 data-thread-title tabindex="-1">Thread</h2>
    <button type="button" data-thread-close>Close</button>
    <div data-thread-scroller style="height: 200px; overflow-y: auto">
      <p data-thread-status></p><div data-thread-list></div><div data-thread-pending></div>
    </div>
    <button type="button" data-thread-jump hidden>New replies</button>
    <form><textarea></textarea><button type="submit">Reply</button><input type="checkbox" data-thread-also></form>
    <span data-thread-counter></span>`;
  const opener = document.createElement("button");
  const fallback = document.createElement("textarea");
  document.body.append(element, opener, fallback);
  onCleanup(() => {
    element.remove();
    opener.remove();
    fallback.remove();
  });
  const wire = { frames: [], replies: [], toggles: [] };
  const threads = new ThreadPanel({
    element,
    room: "r",
    send: (frame) => wire.frames.push(frame) > 0,
    view: {
      me: "alice",
      myName: "Alice",
      permissions: () => ({ can: canWrite ? ["send", "react"] : [] }),
      onRetry() {},
      onDiscard() {},
    },
    pending: () => [],
    onReply: (body, parentSeq, alsoToRoom) => wire.replies.push([body, parentSeq, alsoToRoom]),
    onTyping() {},
    members: () => [],
    maxLength: 4000,
    attentive: () => true,
    online: () => true,
    onToggle: (open) => wire.toggles.push(open),
    fallbackFocus: () => fallback,
  });
  threads.setCanWrite(canWrite);
  return { threads, element, opener, fallback, wire };
}

function bodies(element) {
  return [...element.querySelectorAll("[data-thread-list] article")].map((node) => node.querySelector(".msg__body").textContent);
}

test("The panel opens on a thread, asks for it, shows it and moves focus in and back", () => {
  const { threads, element, opener, wire } = panel();
  threads.open(4, { opener, root: msg(4, { body: "the plan", html: "the plan" }) });
  assertEqual(element.hidden, false);
  assertDeepEqual(wire.toggles, [true]);
  assertDeepEqual(wire.frames, [{ type: "history", room: "r", parent_seq: 4, limit: 50 }]);
  assertEqual(document.activeElement, element.querySelector("textarea"), "focus goes to its composer");
  assertDeepEqual(bodies(element), ["the plan"], "its first message shows at once");

  threads.receive({
    type: "history",
    room: "r",
    parent_seq: 4,
    parent: msg(4, { body: "the plan", html: "the plan" }),
    messages: [reply(6, 4, { html: "yes" }), reply(7, 4, { html: "no" })],
    has_more: false,
  });
  assertDeepEqual(bodies(element), ["the plan", "yes", "no"]);
  assertEqual(element.querySelectorAll("[id^=thread-msg-]").length, 3, "ids apart from the room's list");

  element.querySelector("textarea").dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
  assertEqual(element.hidden, true, "Escape closes it");
  assertDeepEqual(wire.toggles, [true, false]);
  assertEqual(document.activeElement, opener, "focus goes back to what opened it");
});

test("The panel keeps each thread's unsent reply, and a sent one is gone from it", () => {
  window.sessionStorage.clear();
  onCleanup(() => window.sessionStorage.clear());
  const { threads, element, wire } = panel();
  const input = element.querySelector("textarea");
  const type = (text) => {
    input.value = text;
    input.dispatchEvent(new Event("input"));
  };
  threads.open(4);
  type("half a reply to 4");
  threads.open(5);
  assertEqual(input.value, "", "thread 5 has nothing typed yet");
  type("for 5");
  threads.open(4);
  assertEqual(input.value, "half a reply to 4", "4's text comes back");
  threads.close({ refocus: false });
  assertEqual(input.value, "", "closed, the box is empty");
  threads.open(5);
  assertEqual(input.value, "for 5");
  element.querySelector("form").requestSubmit();
  assertDeepEqual(wire.replies, [["for 5", 5, false]]);
  threads.close({ refocus: false });
  threads.open(5);
  assertEqual(input.value, "", "sent: no draft left");
  threads.open(4);
  assertEqual(input.value, "half a reply to 4");
});

test("The panel's replies carry their thread, and also to the room when ticked", () => {
  const { threads, element, wire } = panel();
  threads.open(4);
  const input = element.querySelector("textarea");
  input.value = "agreed";
  element.querySelector("[data-thread-also]").checked = true;
  element.querySelector("form").requestSubmit();
  assertDeepEqual(wire.replies, [["agreed", 4, true]]);
  assertEqual(element.querySelector("[data-thread-also]").checked, false, "ticked for one reply only");
});

test("The panel files live replies of its thread only, and asks for one it missed", () => {
  const { threads, element, wire } = panel();
  threads.open(4);
  threads.receive({ parent_seq: 4, parent: msg(4), messages: [reply(6, 4)], has_more: false });
  threads.put(reply(8, 4, { html: "new" }));
  threads.put(reply(9, 5, { html: "another thread" }));
  threads.put(msg(10, { html: "the room" }));
  assertDeepEqual(bodies(element), ["m4", "m6", "new"]);
  // The summary says 11 is its newest reply: it never came, so the panel asks after 8.
  threads.threadUpdated({ seq: 4, reply_count: 3, last_reply_seq: 11, last_reply_at: null, repliers: [] });
  const asked = wire.frames.filter((frame) => frame.after_seq !== undefined);
  assertDeepEqual(asked, [{ type: "history", room: "r", parent_seq: 4, limit: 100, after_seq: 8 }]);
});

test("The panel marks a thread read once its newest reply is on screen, once", () => {
  const { threads, wire } = panel();
  threads.open(4);
  threads.receive({ parent_seq: 4, parent: msg(4), messages: [reply(6, 4)], has_more: false });
  threads.markRead();
  const reads = wire.frames.filter((frame) => frame.type === "thread_read");
  assertDeepEqual(reads, [{ type: "thread_read", room: "r", parent_seq: 4, seq: 6 }]);
});

test("Without the right to write, the panel has no composer and focus goes to its title", () => {
  const { threads, element } = panel({ canWrite: false });
  threads.open(4);
  assertEqual(element.querySelector("form").hidden, true);
  assertEqual(document.activeElement, element.querySelector("[data-thread-title]"));
});

test("A thread the server does not have says so instead of loading forever", () => {
  const { threads, element } = panel();
  threads.open(99);
  assert(threads.awaiting());
  threads.failed();
  assertEqual(threads.awaiting(), false);
  assert(element.querySelector("[data-thread-status]").textContent.length > 0);
});

test("An answer for a thread no longer open is dropped", () => {
  const { threads, element } = panel();
  threads.open(4);
  threads.open(5);
  assertEqual(threads.receive({ parent_seq: 4, parent: msg(4), messages: [reply(6, 4)], has_more: false }), false);
  assertEqual(threads.receive({ parent_seq: 5, parent: msg(5), messages: [reply(7, 5)], has_more: false }), true);
  assertDeepEqual(bodies(element), ["m5", "m7"]);
});

test("ThreadList keeps the threads page's counts live", () => {
  const root = document.createElement("ol");
  root.innerHTML = `<li data-room="r" data-parent-seq="4"><span data-testid="thread-unread" hidden>0</span></li>`;
  const list = new ThreadList(root);
  assertEqual(list.update({ room: "r", parent_seq: 4, unread: 2, thread_unread: 2 }), true);
  const badge = root.querySelector("[data-testid=thread-unread]");
  assertDeepEqual([badge.textContent, badge.hidden], ["2", false]);
  assertEqual(list.update({ room: "other", parent_seq: 4, unread: 1, thread_unread: 1 }), false);
  list.update({ room: "r", parent_seq: 4, unread: 0, thread_unread: 0 });
  assertEqual(badge.hidden, true);
});

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function listing(page, items) {
  const root = document.createElement("div");
  root.dataset.page = String(page);
  root.innerHTML = items;
  return root;
}

const item = (room, seq, unread) =>
  `<li data-room="${room}" data-parent-seq="${seq}" data-testid="thread-result">` +
  `<a href="/r/${room}/?thread=${seq}"><span data-testid="thread-unread"${unread ? "" : " hidden"}>${unread}</span></a></li>`;

test("ThreadList brings the first page again after replies, once per burst, new threads first", async () => {
  const root = listing(1, `<ol>${item("r", 4, 0)}</ol>`);
  const asked = [];
  const served = `<html><body><main><div data-testid="thread-listing" data-page="1"><ol>${item("s", 9, 1)}${item("r", 4, 0)}</ol></div></main></body></html>`;
  const list = new ThreadList(root, {
    fetchPage: async (url) => {
      asked.push(url);
      return new Response(served, { status: 200, headers: { "Content-Type": "text/html" } });
    },
  });
  document.body.append(root);
  onCleanup(() => root.remove());
  root.querySelector("a").focus();
  assertEqual(list.update({ room: "s", parent_seq: 9, unread: 1, thread_unread: 1 }), false, "not listed yet");
  list.update({ room: "r", parent_seq: 4, unread: 0, thread_unread: 0 });
  await pause(800);
  assertEqual(document.activeElement.getAttribute("href"), "/r/r/?thread=4", "the focused thread keeps the focus");
  assert(root.contains(document.activeElement), "in the new list");
  assertDeepEqual(asked, [window.location.href], "one fetch for the burst, of this page");
  const shown = [...root.querySelectorAll("[data-parent-seq]")].map((node) => `${node.dataset.room}:${node.dataset.parentSeq}`);
  assertDeepEqual(shown, ["s:9", "r:4"]);
  assertEqual(list.update({ room: "s", parent_seq: 9, unread: 3, thread_unread: 3 }), true, "listed now, and live");
  assertEqual(root.querySelector("[data-room=s] [data-testid=thread-unread]").textContent, "3");
});

test("ThreadList keeps its list when the fetch fails, and later pages are not fetched", async () => {
  let asked = 0;
  const failing = async () => {
    asked += 1;
    throw new TypeError("offline");
  };
  const first = listing(1, `<ol>${item("r", 4, 0)}</ol>`);
  new ThreadList(first, { fetchPage: failing }).update({ room: "r", parent_seq: 4, unread: 2, thread_unread: 2 });
  const second = listing(2, `<ol>${item("r", 5, 0)}</ol>`);
  new ThreadList(second, { fetchPage: failing }).update({ room: "r", parent_seq: 5, unread: 1, thread_unread: 1 });
  await pause(800);
  assertEqual(asked, 1, "only the first page asks");
  assertEqual(first.querySelector("[data-testid=thread-unread]").textContent, "2", "the list stays, its count live");
  assertEqual(second.querySelector("[data-testid=thread-unread]").textContent, "1");
});
