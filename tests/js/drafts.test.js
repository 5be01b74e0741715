// drafts.js: one unsent draft per user and room, in this tab's sessionStorage.
import { Draft } from "/static/chat/drafts.js";
import { assertEqual, onCleanup, test } from "./harness.js";

function fresh() {
  window.sessionStorage.clear();
  onCleanup(() => window.sessionStorage.clear());
}

test("Draft keeps text per user and room until cleared", () => {
  fresh();
  const draft = new Draft({ user: "alice", room: "general" });
  assertEqual(draft.load(), "", "nothing saved yet");
  draft.save("half a thought");
  assertEqual(new Draft({ user: "alice", room: "general" }).load(), "half a thought", "a new Draft reads it back");
  assertEqual(new Draft({ user: "alice", room: "random" }).load(), "", "another room");
  assertEqual(new Draft({ user: "bob", room: "general" }).load(), "", "another user");
  draft.clear();
  assertEqual(draft.load(), "", "after clear");
  assertEqual(window.sessionStorage.length, 0, "clear removes the key");
});

test("Draft keys do not collide when names contain the separator", () => {
  fresh();
  new Draft({ user: "a:b", room: "c" }).save("first");
  new Draft({ user: "a", room: "b:c" }).save("second");
  assertEqual(new Draft({ user: "a:b", room: "c" }).load(), "first");
  assertEqual(new Draft({ user: "a", room: "b:c" }).load(), "second");
});

test("Draft saving an empty text removes the draft", () => {
  fresh();
  const draft = new Draft({ user: "alice", room: "general" });
  draft.save("x");
  draft.save("");
  assertEqual(window.sessionStorage.length, 0);
});

test("Draft keeps a thread's reply apart from its room's text and from other threads", () => {
  fresh();
  new Draft({ user: "alice", room: "general" }).save("to the room");
  new Draft({ user: "alice", room: "general", thread: 4 }).save("to thread 4");
  assertEqual(new Draft({ user: "alice", room: "general" }).load(), "to the room");
  assertEqual(new Draft({ user: "alice", room: "general", thread: 4 }).load(), "to thread 4");
  assertEqual(new Draft({ user: "alice", room: "general", thread: 5 }).load(), "", "another thread");
  assertEqual(new Draft({ user: "alice", room: "random", thread: 4 }).load(), "", "the same seq in another room");
});
