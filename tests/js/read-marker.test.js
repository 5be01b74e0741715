// read-marker.js: a room is read once its newest message has been seen, and the
// server hears of it once for a run of messages.
import { ReadMarker } from "/static/chat/read-marker.js";
import { RoomDirectory } from "/static/chat/store.js";
import { assertDeepEqual, assertEqual, fakeClock, test } from "./harness.js";

function setUp({ shown = 10, attentive = true } = {}) {
  const directory = new RoomDirectory([{ slug: "general", last_seq: 10, last_read_seq: 4, mentions: 0 }]);
  const sent = [];
  let marked = 0;
  const state = { shown, attentive };
  const reader = new ReadMarker({
    room: "general",
    directory,
    send: (frame) => sent.push(frame) > 0,
    hasShown: (seq) => seq <= state.shown,
    attentive: () => state.attentive,
    onMarked: () => {
      marked += 1;
    },
    sent: 4,
  });
  return { reader, directory, sent, state, marked: () => marked };
}

test("The newest message seen marks the room read, locally at once and on the server after a pause", () => {
  const clock = fakeClock();
  const { reader, directory, sent, marked } = setUp();
  reader.consider(10);
  assertEqual(directory.unread("general"), 0, "the badge drops at once");
  assertEqual(marked(), 1);
  assertEqual(sent.length, 0, "not yet");
  clock.tick(400);
  assertDeepEqual(sent, [{ type: "read", room: "general", seq: 10 }]);
  reader.consider(10);
  clock.tick(400);
  assertEqual(sent.length, 1, "once");
});

test("A run of messages is one read frame, for the last", () => {
  const clock = fakeClock();
  const { reader, sent, state } = setUp();
  for (const seq of [8, 9, 10]) {
    state.shown = seq;
    reader.consider(seq);
    clock.tick(100);
  }
  clock.tick(400);
  assertDeepEqual(sent, [{ type: "read", room: "general", seq: 10 }]);
});

test("Loaded is not read: nothing moves until the message is on screen and the window attended", () => {
  const clock = fakeClock();
  const { reader, directory, sent, state } = setUp({ shown: 6, attentive: false });
  reader.consider(10);
  state.attentive = true;
  reader.consider(10);
  clock.tick(1000);
  assertEqual(directory.unread("general"), 6);
  assertEqual(sent.length, 0);
});

test("A marker the server already has is not sent again; reset follows the server", () => {
  const clock = fakeClock();
  const { reader, sent } = setUp();
  reader.reset(10);
  reader.consider(10);
  clock.tick(1000);
  assertEqual(sent.length, 0);
});
