// notifications.js: which live messages deserve a browser notification, and its text.
import { notificationFor, notificationLink, shouldNotify } from "/static/chat/notifications.js";
import { assertEqual, test } from "./harness.js";

const bob = { username: "bob", display_name: "Bob Chen" };
const room = { slug: "launch", name: "Launch", direct: false, muted: false };
const direct = { slug: "dm-1-2", name: "Bob Chen", direct: true, muted: false };

function message(fields = {}) {
  return { seq: 7, author: bob, body: "hello", mentions: [], deleted: false, ...fields };
}

test("A mention or a direct message notifies while the tab is hidden", () => {
  const mention = message({ mentions: ["alice"] });
  assertEqual(shouldNotify({ message: mention, room, me: "alice", hidden: true }), true, "a mention");
  assertEqual(shouldNotify({ message: message(), room: direct, me: "alice", hidden: true }), true, "a DM");
  assertEqual(shouldNotify({ message: message(), room, me: "alice", hidden: true }), false, "plain talk");
  assertEqual(shouldNotify({ message: message({ mentions: ["carol"] }), room, me: "alice", hidden: true }), false);
});

test("Nothing notifies in a visible tab, in a muted room, from oneself or the system", () => {
  const mention = message({ mentions: ["alice"] });
  assertEqual(shouldNotify({ message: mention, room, me: "alice", hidden: false }), false, "visible");
  assertEqual(shouldNotify({ message: mention, room: { ...room, muted: true }, me: "alice", hidden: true }), false);
  assertEqual(shouldNotify({ message: message(), room: { ...direct, muted: true }, me: "alice", hidden: true }), false);
  assertEqual(shouldNotify({ message: message({ author: { username: "alice" } }), room: direct, me: "alice", hidden: true }), false);
  assertEqual(shouldNotify({ message: message({ author: null }), room: direct, me: "alice", hidden: true }), false);
  assertEqual(shouldNotify({ message: message({ deleted: true }), room: direct, me: "alice", hidden: true }), false);
  assertEqual(shouldNotify({ message: message(), room: undefined, me: "alice", hidden: true }), false, "unknown room");
});

test("A notification names the author, and the room unless it is a direct message", () => {
  assertEqual(notificationFor(message(), direct).title, "Bob Chen");
  assertEqual(notificationFor(message(), room).title, "Bob Chen in #Launch");
  const long = notificationFor(message({ body: "x".repeat(500) }), room).body;
  assertEqual(long.length, 200, "long bodies are cut");
  assertEqual(long.endsWith("…"), true);
});

test("A click leads to the message, and to a reply inside its open thread", () => {
  assertEqual(notificationLink("/r/launch/", message()), "/r/launch/?seq=7");
  assertEqual(notificationLink("/r/launch/", message({ parent_seq: null })), "/r/launch/?seq=7");
  assertEqual(notificationLink("/r/launch/", message({ seq: 9, parent_seq: 4 })), "/r/launch/?seq=9&thread=4");
});
