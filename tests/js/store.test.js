// RoomLog (messages by seq, gaps, edits, deletions) and RoomDirectory (unread).
import { RoomDirectory, RoomLog } from "/static/chat/store.js";
import { assert, assertDeepEqual, assertEqual, test } from "./harness.js";

function message(seq, fields = {}) {
  return { seq, body: `message ${seq}`, html: `<p>message ${seq}</p>`, edited_at: null, deleted: false, ...fields };
}

function seqs(log) {
  return log.sorted().map((m) => m.seq);
}

/** The first seq the log is missing above what it shows contiguously. */
function firstMissing(log) {
  return log.hasGap() ? log.high + 1 : null;
}

test("RoomLog keeps messages in seq order whatever order they arrive in", () => {
  const log = new RoomLog("general");
  log.loadNewest([], false);
  for (const seq of [3, 1, 5, 2, 4]) log.put(message(seq));
  log.advance();
  assertDeepEqual(seqs(log), [1, 2, 3, 4, 5]);
  assertEqual(log.high, 5, "high");
  assertEqual(log.hasGap(), false, "hasGap");
});

test("RoomLog ignores a duplicate of a message it holds", () => {
  const log = new RoomLog("general");
  log.loadNewest([message(1), message(2)], false);
  assertEqual(log.put(message(2)), false, "put of an identical copy reports no change");
  log.loadNewer([message(1), message(2)]);
  assertEqual(log.messages.size, 2, "messages held");
  assertDeepEqual(seqs(log), [1, 2]);
});

test("RoomLog reports the first missing seq when a later one arrives", () => {
  const log = new RoomLog("general");
  log.loadNewest([message(1), message(2), message(3)], false);
  assertEqual(firstMissing(log), null, "nothing missing yet");
  log.loadNewer([message(5), message(7)]);
  assertEqual(log.hasGap(), true, "hasGap with 4 and 6 missing");
  assertEqual(firstMissing(log), 4, "first missing");
  log.loadNewer([message(4)]);
  assertEqual(firstMissing(log), 6, "first missing once 4 came");
  log.loadNewer([message(6)]);
  assertEqual(firstMissing(log), null, "nothing missing once 6 came");
  assertEqual(log.high, 7, "high");
});

test("RoomLog sees no gap before its newest page has loaded", () => {
  const log = new RoomLog("general");
  log.put(message(9));
  assertEqual(log.hasGap(), false);
  assertEqual(log.loaded, false);
});

test("RoomLog loadNewest of an empty room starts before seq 1", () => {
  const log = new RoomLog("general");
  log.loadNewest([], false);
  assertDeepEqual([log.low, log.high, log.hasMoreBefore, log.hasGap()], [1, 0, false, false]);
  log.loadNewer([message(2)]);
  assertEqual(firstMissing(log), 1, "seq 1 is missing");
  log.loadNewer([message(1)]);
  assertEqual(log.high, 2, "high");
});

test("RoomLog loadFrom knows older messages exist when the page starts above seq 1", () => {
  const fromMiddle = new RoomLog("general");
  fromMiddle.loadFrom([message(40), message(41)]);
  assertDeepEqual([fromMiddle.low, fromMiddle.high, fromMiddle.hasMoreBefore], [40, 41, true]);
  const fromStart = new RoomLog("general");
  fromStart.loadFrom([message(1), message(2)]);
  assertEqual(fromStart.hasMoreBefore, false, "hasMoreBefore from seq 1");
});

test("RoomLog loadOlder moves low down and stops when a page comes back empty", () => {
  const log = new RoomLog("general");
  log.loadNewest([message(10), message(11)], true);
  log.loadOlder([message(8), message(9)], true);
  assertDeepEqual([log.low, log.hasMoreBefore], [8, true]);
  log.loadOlder([], true);
  assertDeepEqual([log.low, log.hasMoreBefore], [8, false]);
  assertDeepEqual(seqs(log), [8, 9, 10, 11]);
});

test("RoomLog applies an edit to the message with the same seq", () => {
  const log = new RoomLog("general");
  log.loadNewest([message(1), message(2), message(3)], false);
  const edited = message(2, { body: "fixed", html: "<p>fixed</p>", edited_at: "2024-05-01T10:00:00Z" });
  assertEqual(log.put(edited), true, "put of the edit reports a change");
  assertEqual(log.messages.get(2).body, "fixed", "body of seq 2");
  assertEqual(log.messages.get(2).edited_at, "2024-05-01T10:00:00Z", "edited_at of seq 2");
  assertEqual(log.messages.get(1).body, "message 1", "seq 1 untouched");
  assertEqual(log.messages.get(3).body, "message 3", "seq 3 untouched");
  assertEqual(log.messages.size, 3, "an edit adds no message");
});

test("RoomLog deletes by seq, and a tombstone stays one whatever arrives after", () => {
  const log = new RoomLog("general");
  log.loadNewest([message(1), message(2)], false);
  assertEqual(log.markDeleted(2), true, "first delete");
  assertDeepEqual(
    { deleted: log.messages.get(2).deleted, body: log.messages.get(2).body, html: log.messages.get(2).html },
    { deleted: true, body: "", html: "" },
  );
  assertEqual(log.markDeleted(2), false, "deleting again changes nothing");
  assertEqual(log.markDeleted(99), false, "deleting an unknown seq changes nothing");
  assertEqual(log.put(message(2)), false, "a late live copy does not bring it back");
  assertEqual(log.messages.get(2).deleted, true, "still deleted");
  assertEqual(log.messages.get(1).deleted, false, "seq 1 untouched");
});

test("RoomLog never lets a provisional copy replace the real message", () => {
  const log = new RoomLog("general");
  log.loadNewest([message(1, { body: "real" })], false);
  assertEqual(log.put(message(1, { body: "from the ack", provisional: true })), false);
  assertEqual(log.messages.get(1).body, "real");
  const fresh = new RoomLog("general");
  fresh.loadNewest([], false);
  fresh.put(message(1, { body: "from the ack", provisional: true }));
  assertEqual(fresh.put(message(1, { body: "real" })), true, "the real one replaces the provisional one");
  assertEqual(fresh.messages.get(1).body, "real");
});

function summary(slug, fields = {}) {
  return { slug, name: slug, last_seq: 0, last_read_seq: 0, direct: false, ...fields };
}

test("RoomDirectory counts unread as last_seq minus last_read_seq", () => {
  const rooms = new RoomDirectory([summary("a", { last_seq: 10, last_read_seq: 4 }), summary("b", { last_seq: 3, last_read_seq: 3 })]);
  assertEqual(rooms.unread("a"), 6, "unread a");
  assertEqual(rooms.unread("b"), 0, "unread b");
  assertEqual(rooms.unread("nowhere"), 0, "unread of an unknown room");
  assertEqual(rooms.totalUnread(), 6, "total");
});

test("RoomDirectory counts others' messages as unread and mine as read", () => {
  const rooms = new RoomDirectory([summary("a", { last_seq: 5, last_read_seq: 5 })]);
  rooms.noteMessage("a", { seq: 6, author: { username: "bob" } }, "alice");
  rooms.noteMessage("a", { seq: 7, author: { username: "bob" } }, "alice");
  assertEqual(rooms.unread("a"), 2, "after two from bob");
  rooms.noteMessage("a", { seq: 8, author: { username: "alice" } }, "alice");
  assertEqual(rooms.unread("a"), 0, "my own message reads up to it");
  assertEqual(rooms.noteMessage("elsewhere", { seq: 1 }, "alice"), false, "unknown room");
});

test("RoomDirectory ignores a late, older message when counting", () => {
  const rooms = new RoomDirectory([summary("a", { last_seq: 9, last_read_seq: 2 })]);
  rooms.noteMessage("a", { seq: 4, author: { username: "bob" } }, "alice");
  assertEqual(rooms.get("a").last_seq, 9, "last_seq never goes back");
  assertEqual(rooms.unread("a"), 7);
});

test("RoomDirectory markRead only moves forward and never goes negative", () => {
  const rooms = new RoomDirectory([summary("a", { last_seq: 10, last_read_seq: 4 })]);
  assertEqual(rooms.markRead("a", 8), true, "read up to 8");
  assertEqual(rooms.unread("a"), 2, "unread after reading up to 8");
  assertEqual(rooms.markRead("a", 6), false, "reading back to 6 changes nothing");
  assertEqual(rooms.unread("a"), 2, "still 2");
  assertEqual(rooms.markRead("a", 12), true, "read past the last known seq");
  assertDeepEqual([rooms.get("a").last_seq, rooms.unread("a")], [12, 0]);
  assertEqual(rooms.markRead("nowhere", 3), false, "unknown room");
  rooms.upsert(summary("ahead", { last_seq: 3, last_read_seq: 5 }));
  assertEqual(rooms.unread("ahead"), 0, "a summary read past its last seq");
  assertEqual(rooms.totalUnread(), 0, "total");
});

test("RoomDirectory keeps copies, so the summaries it was given are not changed", () => {
  const given = summary("a", { last_seq: 1, last_read_seq: 1 });
  const rooms = new RoomDirectory([given]);
  rooms.noteMessage("a", { seq: 2, author: { username: "bob" } }, "alice");
  assertEqual(given.last_seq, 1, "caller's summary");
  assertEqual(rooms.unread("a"), 1);
});

test("RoomDirectory upsert, remove and replaceAll change what is counted", () => {
  const rooms = new RoomDirectory([summary("a", { last_seq: 3 })]);
  rooms.upsert(summary("b", { last_seq: 2 }));
  assertEqual(rooms.totalUnread(), 5, "a and b");
  assertEqual(rooms.remove("a"), true, "remove a");
  assertEqual(rooms.has("a"), false, "a is gone");
  assertEqual(rooms.totalUnread(), 2, "b only");
  rooms.replaceAll([summary("c", { last_seq: 1 })]);
  assertDeepEqual([...rooms.rooms.keys()], ["c"]);
});

test("RoomDirectory sections split rooms from direct conversations, sorted by name", () => {
  const rooms = new RoomDirectory([
    summary("z", { name: "zebra" }),
    summary("d1", { name: "Mallory", direct: true }),
    summary("b", { name: "Banana" }),
    summary("a", { name: "apple" }),
    summary("d2", { name: "alice", direct: true }),
  ]);
  const { rooms: plain, direct } = rooms.sections();
  assertDeepEqual(plain.map((r) => r.name), ["apple", "Banana", "zebra"]);
  assertDeepEqual(direct.map((r) => r.name), ["alice", "Mallory"]);
  assert(plain.every((r) => !r.direct), "no direct conversation among the rooms");
});
