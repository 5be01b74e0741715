// history.js: which history page the open room asks for, and what each arriving page does.
import { CATCH_UP_PAGE_SIZE, PAGE_SIZE, RoomHistory, UNREAD_CONTEXT, historyFrame } from "/static/chat/history.js";
import { RoomLog } from "/static/chat/store.js";
import { assertDeepEqual, assertEqual, test } from "./harness.js";

function msgs(from, to) {
  const list = [];
  for (let seq = from; seq <= to; seq += 1) list.push({ seq, body: `m${seq}`, author: { username: "bob" } });
  return list;
}

function setUp({ firstUnread = 0, focusSeq = 0, online = true } = {}) {
  const sent = [];
  const view = {
    loadingOlder: false,
    shownFrom: 0,
    shown: 0,
    filled: true,
    showUnreadFrom(seq) {
      this.shownFrom = seq;
    },
    showMessage(seq) {
      this.shown = seq;
    },
    underfilled() {
      return !this.filled;
    },
  };
  const log = new RoomLog("general");
  const pages = [];
  const history = new RoomHistory({
    room: "general",
    log,
    view,
    send: (frame) => online && sent.push(frame) > 0,
    firstUnread: () => firstUnread,
    focusSeq,
    onPage: (messages) => pages.push(messages.map((m) => m.seq)),
  });
  return { history, log, view, sent, pages };
}

test("historyFrame asks for each kind of page", () => {
  const log = { low: 40, high: 90 };
  assertDeepEqual(historyFrame("newest", { room: "r", log }), { type: "history", room: "r", limit: PAGE_SIZE });
  assertDeepEqual(historyFrame("before", { room: "r", log }), { type: "history", room: "r", limit: PAGE_SIZE, before_seq: 40 });
  assertDeepEqual(historyFrame("after", { room: "r", log }), {
    type: "history",
    room: "r",
    limit: CATCH_UP_PAGE_SIZE,
    after_seq: 90,
  });
  assertEqual(historyFrame("unread", { room: "r", log, unreadFrom: 61 }).after_seq, 60 - UNREAD_CONTEXT);
  assertEqual(historyFrame("unread", { room: "r", log, unreadFrom: 3 }).after_seq, 0, "never below zero");
  assertEqual(historyFrame("focus", { room: "r", log, focusSeq: 25 }).after_seq, 24 - UNREAD_CONTEXT);
});

test("A room opens at its newest page, and one opening is asked for at a time", () => {
  const { history, sent, log, pages } = setUp();
  history.catchUp({ last_seq: 5 });
  history.catchUp({ last_seq: 5 }); // a second hello before the answer
  history.request("unread");
  assertEqual(sent.length, 1, "one opening request in flight");
  const page = history.receive({ messages: msgs(1, 5), has_more: false });
  assertEqual(page.stickToBottom, true);
  assertEqual(log.high, 5);
  assertDeepEqual(pages, [[1, 2, 3, 4, 5]]);
});

test("A room with unread messages opens at the first of them", () => {
  const { history, sent, view } = setUp({ firstUnread: 30 });
  history.catchUp({ last_seq: 60 });
  assertEqual(sent[0].after_seq, 29 - UNREAD_CONTEXT);
  const page = history.receive({ messages: msgs(19, 60), has_more: false });
  assertEqual(view.shownFrom, 30);
  assertEqual(page.stickToBottom, false);
});

test("An empty unread page falls back to the newest page", () => {
  const { history, sent } = setUp({ firstUnread: 30 });
  history.catchUp({ last_seq: 60 });
  assertEqual(history.receive({ messages: [], has_more: false }), null);
  assertDeepEqual(sent[1], { type: "history", room: "general", limit: PAGE_SIZE });
});

test("After a reconnect, what was missed is asked for, page after page", () => {
  const { history, sent, log } = setUp();
  history.catchUp({ last_seq: 3 });
  history.followUp(history.receive({ messages: msgs(1, 3), has_more: false }));
  history.catchUp({ last_seq: 3 });
  assertEqual(sent.length, 1, "nothing missed, nothing asked");
  history.catchUp({ last_seq: 250 });
  assertEqual(sent[1].after_seq, 3);
  history.followUp(history.receive({ messages: msgs(4, 103), has_more: true }));
  assertEqual(sent[2].after_seq, 103, "more to come: the next page");
  history.followUp(history.receive({ messages: msgs(104, 203), has_more: true }));
  history.followUp(history.receive({ messages: msgs(204, 250), has_more: false }));
  assertEqual(sent.length, 4);
  assertEqual(log.high, 250);
});

test("A gap in the log is filled from its lower edge", () => {
  const { history, sent, log } = setUp();
  history.catchUp({ last_seq: 3 });
  history.followUp(history.receive({ messages: msgs(1, 3), has_more: false }));
  log.put({ seq: 7, body: "live", author: null }); // 4..6 never came
  history.catchUp({ last_seq: 7 });
  assertEqual(sent[1].after_seq, 3);
});

test("Older pages load one at a time and fill a short view", () => {
  const { history, sent, view } = setUp();
  view.filled = false;
  history.catchUp({ last_seq: 200 });
  history.followUp(history.receive({ messages: msgs(151, 200), has_more: true }));
  assertDeepEqual(sent[1], { type: "history", room: "general", limit: PAGE_SIZE, before_seq: 151 });
  assertEqual(view.loadingOlder, true);
  history.loadOlder();
  assertEqual(sent.length, 2, "one older page at a time");
  history.followUp(history.receive({ messages: msgs(101, 150), has_more: true }));
  assertEqual(view.loadingOlder, true, "still short: the next older page");
  assertEqual(sent[2].before_seq, 101);
});

test("A request that cannot go out is not remembered; a reset forgets the rest", () => {
  let online = false;
  const sent = [];
  const view = { loadingOlder: false, underfilled: () => false };
  const history = new RoomHistory({
    room: "general",
    log: new RoomLog("general"),
    view,
    send: (frame) => online && sent.push(frame) > 0,
    firstUnread: () => 0,
  });
  history.catchUp(null);
  assertEqual(history.inflight.length, 0);
  online = true;
  history.catchUp(null);
  assertEqual(history.inflight.length, 1);
  history.reset();
  history.catchUp(null);
  assertEqual(sent.length, 2, "asked again after the socket came back");
});

test("A search result opens the room at its message", () => {
  const { history, sent, view } = setUp({ focusSeq: 40 });
  history.catchUp({ last_seq: 90 });
  assertEqual(sent[0].after_seq, 39 - UNREAD_CONTEXT);
  history.receive({ messages: msgs(29, 90), has_more: false });
  assertEqual(view.shown, 40);
  assertEqual(history.focusSeq, 0, "only the first opening");
});
