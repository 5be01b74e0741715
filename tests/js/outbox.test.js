// The Outbox: one send in flight, oldest first; a refusal for now holds back the
// rest and the same client_id goes again after retry_after; sessionStorage
// keeps the entries across a reload.
import { Outbox } from "/static/chat/outbox.js";
import { assert, assertDeepEqual, assertEqual, fakeClock, onCleanup, test } from "./harness.js";

const STORAGE_KEY = "chat.outbox.v1";

/** An Outbox over a fresh sessionStorage and a wire that records what it is given. */
function outbox({ online = true } = {}) {
  window.sessionStorage.clear();
  onCleanup(() => window.sessionStorage.clear());
  return connect({ online });
}

/** A new Outbox over whatever sessionStorage holds now, as after a reload. */
function connect({ online = true } = {}) {
  const wire = { online, frames: [], changes: 0 };
  const box = new Outbox({
    send: (frame) => {
      if (!wire.online) return false;
      wire.frames.push(frame);
      return true;
    },
    onChange: () => {
      wire.changes += 1;
    },
  });
  return { box, wire };
}

function bodies(frames) {
  return frames.map((frame) => frame.body);
}

function saved() {
  return JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
}

test("Outbox puts one message on the wire at a time, oldest first", () => {
  const { box, wire } = outbox();
  const first = box.add("general", "one");
  const second = box.add("general", "two");
  const third = box.add("general", "three");
  assertDeepEqual(bodies(wire.frames), ["one"], "only the first goes before its ack");
  assertDeepEqual([first.state, second.state, third.state], ["sent", "queued", "queued"]);
  box.resolve(first.client_id);
  assertDeepEqual(bodies(wire.frames), ["one", "two"], "after the first ack");
  box.resolve(second.client_id);
  assertDeepEqual(bodies(wire.frames), ["one", "two", "three"], "after the second ack");
  box.resolve(third.client_id);
  assertEqual(box.entries.size, 0, "entries left");
});

test("Outbox frames carry the room, the body and the entry's client_id", () => {
  const { box, wire } = outbox();
  const entry = box.add("random", "hello");
  assertDeepEqual(wire.frames, [{ type: "send", room: "random", body: "hello", client_id: entry.client_id }]);
  const other = box.add("random", "again");
  assert(entry.client_id && entry.client_id !== other.client_id, "client_ids are set and unique");
});

test("Outbox keeps messages queued while the socket is down and sends the oldest on flush", () => {
  const { box, wire } = outbox({ online: false });
  const first = box.add("general", "one");
  box.add("general", "two");
  assertDeepEqual(wire.frames, [], "nothing on the wire");
  assertEqual(first.state, "queued");
  wire.online = true;
  box.flush();
  assertDeepEqual(bodies(wire.frames), ["one"]);
});

test("Outbox rate_limited holds back the rest and resends the same client_id after retry_after", () => {
  const clock = fakeClock();
  const { box, wire } = outbox();
  const first = box.add("general", "one");
  const second = box.add("general", "two");
  box.fail(first.client_id, { code: "rate_limited", retry_after: 2, message: "slow down" });
  assertEqual(first.state, "waiting", "state of the refused entry");
  assertEqual(first.error, "slow down", "error shown meanwhile");
  box.flush();
  assertDeepEqual(bodies(wire.frames), ["one"], "flush sends nothing while the first waits");
  clock.tick(1999);
  assertDeepEqual(bodies(wire.frames), ["one"], "nothing before retry_after");
  clock.tick(100);
  assertEqual(wire.frames.length, 2, "one resend after retry_after");
  assertEqual(wire.frames[1].client_id, first.client_id, "the resend keeps its client_id");
  assertEqual(wire.frames[1].body, "one", "and its body");
  assertEqual(second.state, "queued", "the second still waits");
  box.resolve(first.client_id);
  assertDeepEqual(bodies(wire.frames), ["one", "one", "two"]);
});

test("Outbox waits retry_after plus a small margin, and says when in retryAt", () => {
  const clock = fakeClock();
  const { box, wire } = outbox();
  const entry = box.add("general", "one");
  box.fail(entry.client_id, { code: "rate_limited", retry_after: 0.5 });
  const waited = entry.retryAt - clock.now();
  assert(waited > 500 && waited <= 1000, `waits a little over 500 ms, not ${waited}`);
  clock.tick(waited - 1);
  assertEqual(wire.frames.length, 1, "not sent one ms early");
  clock.tick(1);
  assertEqual(wire.frames.length, 2, "sent at retryAt");
});

test("Outbox unavailable holds back the rest and retries after a few seconds", () => {
  const clock = fakeClock();
  const { box, wire } = outbox();
  const first = box.add("general", "one");
  box.add("general", "two");
  box.fail(first.client_id, { code: "unavailable" });
  assertEqual(first.state, "waiting");
  clock.tick(500);
  assertDeepEqual(bodies(wire.frames), ["one"], "not at once");
  clock.tick(10_000);
  assertDeepEqual(bodies(wire.frames), ["one", "one"], "the same one again, the second still held");
  assertEqual(wire.frames[1].client_id, first.client_id);
});

test("Outbox a refused message (too_long) fails on its own and the next goes on", () => {
  const { box, wire } = outbox();
  const first = box.add("general", "far too long");
  const second = box.add("general", "two");
  box.fail(first.client_id, { code: "too_long", message: "Too long" });
  assertDeepEqual([first.state, first.error], ["failed", "Too long"]);
  assertDeepEqual(bodies(wire.frames), ["far too long", "two"]);
  assertEqual(second.state, "sent");
});

test("Outbox retry of a failed message sends it again with the same client_id, in turn", () => {
  const { box, wire } = outbox();
  const first = box.add("general", "one");
  const second = box.add("general", "two");
  box.fail(first.client_id, { code: "forbidden", message: "no" });
  box.retry(first.client_id);
  assertEqual(first.state, "queued", "waits while the second is in flight");
  box.resolve(second.client_id);
  assertEqual(wire.frames.at(-1).client_id, first.client_id, "then goes with its client_id");
  assertEqual(first.error, "", "error cleared");
});

test("Outbox an ack during the wait cancels the pending resend", () => {
  const clock = fakeClock();
  const { box, wire } = outbox();
  const first = box.add("general", "one");
  box.fail(first.client_id, { code: "rate_limited", retry_after: 1 });
  assertEqual(clock.pending(), 1, "a resend is scheduled");
  box.resolve(first.client_id);
  assertEqual(clock.pending(), 0, "the ack cancels it");
  clock.tick(5000);
  assertDeepEqual(bodies(wire.frames), ["one"], "no resend of a stored message");
});

test("Outbox discarding the waiting message lets the next one go", () => {
  const clock = fakeClock();
  const { box, wire } = outbox();
  const first = box.add("general", "one");
  box.add("general", "two");
  box.fail(first.client_id, { code: "rate_limited", retry_after: 1 });
  box.discard(first.client_id);
  assertDeepEqual(bodies(wire.frames), ["one", "two"]);
  clock.tick(5000);
  assertDeepEqual(bodies(wire.frames), ["one", "two"], "the discarded one never goes again");
});

test("Outbox after a lost connection resends the unacked message with the same client_id", () => {
  const { box, wire } = outbox();
  const first = box.add("general", "one");
  box.add("general", "two");
  box.connectionLost();
  assertEqual(first.state, "queued");
  box.flush({ resendUnacked: true });
  assertDeepEqual(bodies(wire.frames), ["one", "one"], "the unacked one again, not the next");
  assertEqual(wire.frames[1].client_id, first.client_id);
});

test("Outbox flush without resendUnacked does not send an unacked message twice", () => {
  const { box, wire } = outbox();
  box.add("general", "one");
  box.flush();
  assertEqual(wire.frames.length, 1);
  box.flush({ resendUnacked: true });
  assertEqual(wire.frames.length, 2, "resendUnacked does");
});

test("Outbox fail and resolve ignore client_ids that are not its own", () => {
  const { box } = outbox();
  box.add("general", "one");
  assertEqual(box.fail("someone-else", { code: "rate_limited", retry_after: 1 }), false);
  assertEqual(box.resolve("someone-else"), null);
  assertEqual(box.entries.size, 1);
});

test("Outbox forRoom lists a room's entries in the order typed", () => {
  const { box } = outbox({ online: false });
  box.add("a", "a1");
  box.add("b", "b1");
  box.add("a", "a2");
  assertDeepEqual(box.forRoom("a").map((e) => e.body), ["a1", "a2"]);
});

test("Outbox saves its entries to sessionStorage on every change", () => {
  const { box, wire } = outbox();
  const first = box.add("general", "one");
  const second = box.add("general", "two");
  assert(wire.changes >= 2, `onChange called on each add, got ${wire.changes}`);
  const stored = saved();
  assertDeepEqual(
    stored.map((e) => [e.client_id, e.room, e.body, e.state]),
    [
      [first.client_id, "general", "one", "queued"],
      [second.client_id, "general", "two", "queued"],
    ],
    "an entry on the wire is saved as queued, to go again after a reload",
  );
  box.resolve(first.client_id);
  assertDeepEqual(saved().map((e) => e.body), ["two"], "a stored message leaves storage");
});

test("Outbox keeps a failed entry's error across a reload, and only a failed one's", () => {
  const { box } = outbox();
  const first = box.add("general", "one");
  box.add("general", "two");
  box.fail(first.client_id, { code: "too_long", message: "Too long" });
  assertDeepEqual(saved().map((e) => [e.state, e.error]), [["failed", "Too long"], ["queued", ""]]);
});

test("Outbox restores its entries after a reload and sends the oldest with the same client_id", () => {
  const before = outbox({ online: false });
  const first = before.box.add("general", "one");
  const second = before.box.add("general", "two");
  const after = connect();
  assertDeepEqual([...after.box.entries.keys()], [first.client_id, second.client_id], "restored in order");
  assertDeepEqual(after.wire.frames, [], "nothing goes before the socket says hello");
  after.box.flush({ resendUnacked: true });
  assertDeepEqual(after.wire.frames.map((f) => [f.client_id, f.body]), [[first.client_id, "one"]]);
});

test("Outbox starts empty from corrupt or foreign data in sessionStorage", () => {
  window.sessionStorage.clear();
  onCleanup(() => window.sessionStorage.clear());
  for (const junk of ["{not json", '{"a": 1}', "42", '[null, {"body": "no id"}, {"client_id": 7, "body": "x"}]']) {
    window.sessionStorage.setItem(STORAGE_KEY, junk);
    const { box } = connect();
    assertEqual(box.entries.size, 0, `entries restored from ${junk}`);
  }
});

test("Outbox keeps working when sessionStorage refuses writes", () => {
  const { box, wire } = outbox();
  const original = Storage.prototype.setItem;
  Storage.prototype.setItem = () => {
    throw new DOMException("full", "QuotaExceededError");
  };
  onCleanup(() => {
    Storage.prototype.setItem = original;
  });
  const entry = box.add("general", "one");
  assertEqual(entry.state, "sent");
  assertEqual(wire.frames.length, 1);
});

test("A message with files names them once, and keeps them across a reload", () => {
  const { box, wire } = outbox();
  const files = [
    { id: 7, name: "plan.png", size: 10, content_type: "image/png", image: true },
    { id: 9, name: "notes.txt", size: 4, content_type: "text/plain", image: false },
  ];
  const entry = box.add("general", "", { clientId: "draft-1", attachments: files });
  assertEqual(entry.client_id, "draft-1", "the client_id its files were uploaded for");
  assertDeepEqual(wire.frames, [{ type: "send", room: "general", body: "", client_id: "draft-1", attachments: [7, 9] }]);
  box.add("general", "no files");
  box.connectionLost();
  const after = connect();
  assertDeepEqual(after.box.get("draft-1").attachments, files);
  after.box.flush({ resendUnacked: true });
  assertDeepEqual(after.wire.frames[0].attachments, [7, 9], "the same files again, with the same client_id");
  after.box.resolve("draft-1");
  assert(!("attachments" in after.wire.frames[1]), "a message without files has no attachments field");
  assertEqual(after.box.discard("nothing"), null);
});
