// Catching up on changes (history.js, store.js): the rev kept for the open room, the
// changes frames asked for after a hello or resync, and what their answers replace.
import { CATCH_UP_PAGE_SIZE, RoomHistory, changesFrame } from "/static/chat/history.js";
import { RoomLog } from "/static/chat/store.js";
import { assertDeepEqual, assertEqual, test } from "./harness.js";

const THUMBS = "\u{1F44D}";

function msgs(from, to) {
  const list = [];
  for (let seq = from; seq <= to; seq += 1) {
    list.push({ seq, body: `m${seq}`, html: `m${seq}`, author: { username: "bob" }, reactions: [] });
  }
  return list;
}

function setUp({ online = true, initialRev = 0 } = {}) {
  const sent = [];
  const view = {
    loadingOlder: false,
    showUnreadFrom() {},
    showMessage() {},
    underfilled: () => false,
  };
  const log = new RoomLog("general");
  const state = { online };
  const history = new RoomHistory({
    room: "general",
    log,
    view,
    send: (frame) => state.online && sent.push(frame) > 0,
    firstUnread: () => 0,
    initialRev,
  });
  const changes = () => sent.filter((frame) => frame.type === "changes");
  return { history, log, sent, changes, state };
}

/** The room opened with summary {last_seq, last_rev}, and its first page arrived. */
function opened(history, summary, messages) {
  history.catchUp(summary);
  history.followUp(history.receive({ messages, has_more: false }));
}

test("changesFrame asks after a rev, a catch-up page at a time", () => {
  assertDeepEqual(changesFrame("r", 12), { type: "changes", room: "r", after_rev: 12, limit: CATCH_UP_PAGE_SIZE });
});

test("The rev starts from the summary of the hello the first page followed", () => {
  const { history, changes } = setUp();
  history.catchUp({ last_seq: 3, last_rev: 5 });
  assertEqual(history.rev, null, "unknown until the page is in");
  history.catchUp({ last_seq: 3, last_rev: 6 }); // a second hello before the answer
  history.receive({ messages: msgs(1, 3), has_more: false });
  assertEqual(history.rev, 6);
  assertEqual(changes().length, 0, "the first page holds every change so far");
});

test("A hello with a higher last_rev asks what changed, one request at a time", () => {
  const { history, changes } = setUp();
  opened(history, { last_seq: 3, last_rev: 5 }, msgs(1, 3));
  history.catchUp({ last_seq: 3, last_rev: 5 });
  assertEqual(changes().length, 0, "nothing changed, nothing asked");
  history.catchUp({ last_seq: 3, last_rev: 8 });
  history.catchUp({ last_seq: 3, last_rev: 8 }); // a resync before the answer
  assertDeepEqual(changes(), [changesFrame("general", 5)]);
});

test("The answer replaces the messages held and ignores the others", () => {
  const { history, log } = setUp();
  opened(history, { last_seq: 3, last_rev: 5 }, msgs(2, 3));
  history.catchUp({ last_seq: 3, last_rev: 9 });
  const reacted = { ...msgs(2, 2)[0], reactions: [{ emoji: THUMBS, count: 1, users: ["carol"] }] };
  const edited = { ...msgs(3, 3)[0], body: "fixed", html: "fixed", edited_at: "2026-01-01T00:00:00.000Z" };
  const notHeld = msgs(1, 1)[0];
  const changed = history.receiveChanges({
    type: "changes",
    room: "general",
    messages: [edited, notHeld, reacted],
    rev: 9,
    has_more: false,
  });
  assertEqual(changed, true);
  assertDeepEqual(log.messages.get(2).reactions, reacted.reactions);
  assertEqual(log.messages.get(3).body, "fixed");
  assertEqual(log.messages.has(1), false, "an older message not held stays out");
  assertEqual(history.rev, 9);
  assertEqual(
    history.receiveChanges({ type: "changes", room: "general", messages: [reacted], rev: 9, has_more: false }),
    false,
    "the same again changes nothing",
  );
});

test("While has_more, the next page is asked from the answer's rev", () => {
  const { history, changes } = setUp();
  opened(history, { last_seq: 3, last_rev: 1 }, msgs(1, 3));
  history.catchUp({ last_seq: 3, last_rev: 300 });
  history.receiveChanges({ type: "changes", room: "general", messages: msgs(1, 1), rev: 120, has_more: true });
  history.receiveChanges({ type: "changes", room: "general", messages: msgs(2, 2), rev: 250, has_more: true });
  history.receiveChanges({ type: "changes", room: "general", messages: msgs(3, 3), rev: 300, has_more: false });
  assertDeepEqual(
    changes().map((frame) => frame.after_rev),
    [1, 120, 250],
  );
  assertEqual(history.rev, 300);
});

test("A resync during a request asks again once the answer is short of it", () => {
  const { history, changes } = setUp();
  opened(history, { last_seq: 3, last_rev: 2 }, msgs(1, 3));
  history.catchUp({ last_seq: 3, last_rev: 4 });
  history.catchUp({ last_seq: 3, last_rev: 7 }); // a later change, while the first is out
  history.receiveChanges({ type: "changes", room: "general", messages: [], rev: 4, has_more: false });
  assertDeepEqual(
    changes().map((frame) => frame.after_rev),
    [2, 4],
  );
  history.receiveChanges({ type: "changes", room: "general", messages: [], rev: 7, has_more: false });
  assertEqual(changes().length, 2);
});

test("A request lost with the socket is asked again on the next hello", () => {
  const { history, changes, state } = setUp();
  opened(history, { last_seq: 3, last_rev: 2 }, msgs(1, 3));
  history.catchUp({ last_seq: 3, last_rev: 4 });
  history.reset(); // the socket dropped before the answer
  state.online = false;
  history.catchUp({ last_seq: 3, last_rev: 4 });
  assertEqual(changes().length, 1, "nothing goes out while offline");
  state.online = true;
  history.catchUp({ last_seq: 3, last_rev: 5 });
  assertDeepEqual(
    changes().map((frame) => frame.after_rev),
    [2, 2],
  );
});

test("Looking at a room without being in it: the page's rev, and always ask", () => {
  const { history, changes } = setUp({ initialRev: 4 });
  opened(history, null, msgs(1, 3));
  assertEqual(history.rev, 4);
  history.catchUp(null); // a reconnect: no summary to compare with
  assertDeepEqual(changes(), [changesFrame("general", 4)]);
});

test("RoomLog: reactions_changed sets the list of a message held", () => {
  const log = new RoomLog("general");
  log.loadNewest(msgs(1, 2), false);
  const reactions = [{ emoji: THUMBS, count: 1, users: ["bob"] }];
  assertEqual(log.setReactions(2, reactions), true);
  assertDeepEqual(log.messages.get(2).reactions, reactions);
  assertEqual(log.setReactions(2, [{ emoji: THUMBS, count: 1, users: ["bob"] }]), false, "no change");
  assertEqual(log.setReactions(9, reactions), false, "not held");
  log.markDeleted(2);
  assertDeepEqual(log.messages.get(2).reactions, [], "a deleted message has none");
  assertEqual(log.setReactions(2, reactions), false, "nor gets any");
});

test("RoomLog: a message with new reactions replaces the one held", () => {
  const log = new RoomLog("general");
  log.loadNewest(msgs(1, 1), false);
  const reacted = { ...msgs(1, 1)[0], reactions: [{ emoji: THUMBS, count: 1, users: ["bob"] }] };
  assertEqual(log.put(reacted), true);
  assertEqual(log.put({ ...reacted }), false);
});
