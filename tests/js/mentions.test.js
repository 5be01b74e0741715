// mentions.js (the mention being typed, the members it names, one's own mentions, the
// title) and RoomDirectory's count of unread mentions (store.js).
import { markOwnMentions, matchMembers, mentionAt, titleWith } from "/static/chat/mentions.js";
import { RoomDirectory } from "/static/chat/store.js";
import { assertDeepEqual, assertEqual, test } from "./harness.js";

test("mentionAt finds the mention being typed before the caret", () => {
  assertDeepEqual(mentionAt("@", 1), { start: 0, query: "" });
  assertDeepEqual(mentionAt("hi @bo", 6), { start: 3, query: "bo" });
  assertDeepEqual(mentionAt("hi @bo and more", 6), { start: 3, query: "bo" }, "caret in the middle of the text");
  assertDeepEqual(mentionAt("(@zoë.k", 7), { start: 1, query: "zoë.k" }, "after punctuation, with any letters");
  assertDeepEqual(mentionAt("line\n@a", 7), { start: 5, query: "a" }, "at the start of a line");
});

test("mentionAt finds nothing outside a mention", () => {
  assertEqual(mentionAt("", 0), null, "empty");
  assertEqual(mentionAt("mail me at a@b", 14), null, "an e-mail address");
  assertEqual(mentionAt("@bob hi", 7), null, "after a space");
  assertEqual(mentionAt("@@bob", 5), null, "a doubled @");
  assertEqual(mentionAt("hi @bob", 2), null, "caret before the @");
});

test("mentionAt finds a mention typed right after Chinese or Japanese text", () => {
  assertDeepEqual(mentionAt("你好@ya", 5), { start: 2, query: "ya" });
  assertDeepEqual(mentionAt("，@张", 3), { start: 1, query: "张" }, "after full-width punctuation");
  assertDeepEqual(mentionAt("こんにちは@", 6), { start: 5, query: "" });
  assertEqual(mentionAt("mail me at josé@b", 17), null, "after a letter of a spaced script it is still an address");
});

test("mentionAt finds a mention begun with the full-width ＠ of a Chinese input method", () => {
  assertDeepEqual(mentionAt("＠", 1), { start: 0, query: "" });
  assertDeepEqual(mentionAt("你好＠ya", 5), { start: 2, query: "ya" });
  assertEqual(mentionAt("bob＠b", 5), null, "after a letter of a spaced script it is an address");
  assertEqual(mentionAt("＠＠bob", 5), null, "a doubled ＠");
});

const MEMBERS = [
  { username: "alice", display_name: "Alice Liddell" },
  { username: "bob", display_name: "Bob" },
  { username: "bobby-tables", display_name: "Robert Tables" },
  { username: "zed", display_name: "Bob Zed" },
  { username: "carol", display_name: "" },
];

const names = (members) => members.map((member) => member.username);

test("matchMembers matches usernames and display names by prefix, ignoring case", () => {
  assertDeepEqual(names(matchMembers(MEMBERS, "BO")), ["bob", "bobby-tables", "zed"], "usernames first, then names");
  assertDeepEqual(names(matchMembers(MEMBERS, "lid")), ["alice"], "a word of the display name");
  assertDeepEqual(names(matchMembers(MEMBERS, "rob")), ["bobby-tables"]);
  assertDeepEqual(names(matchMembers(MEMBERS, "car")), ["carol"], "no display name");
  assertDeepEqual(names(matchMembers(MEMBERS, "ob")), [], "not in the middle of a name");
  assertDeepEqual(names(matchMembers(MEMBERS, "")), ["alice", "bob", "zed", "carol", "bobby-tables"], "everyone, by shown name");
});

test("matchMembers leaves me out and keeps to the limit", () => {
  assertDeepEqual(names(matchMembers(MEMBERS, "b", { exclude: "bob" })), ["bobby-tables", "zed"]);
  assertEqual(matchMembers(MEMBERS, "", { limit: 2 }).length, 2);
});

test("matchMembers finds a Chinese name by any part of it", () => {
  const members = [
    { username: "zhangwei", display_name: "张伟" },
    { username: "wangfang", display_name: "王芳" },
    { username: "lisi", display_name: "" },
  ];
  assertDeepEqual(matchMembers(members, "伟").map((m) => m.username), ["zhangwei"], "the given name");
  assertDeepEqual(matchMembers(members, "张").map((m) => m.username), ["zhangwei"], "the family name");
  assertDeepEqual(matchMembers(members, "张伟").map((m) => m.username), ["zhangwei"], "the whole name");
  assertDeepEqual(matchMembers(members, "zhang").map((m) => m.username), ["zhangwei"], "the username");
  assertDeepEqual(matchMembers(members, "ei").map((m) => m.username), [], "latin letters still match by prefix");
});

test("markOwnMentions marks only the mentions of me", () => {
  const root = document.createElement("div");
  root.innerHTML =
    '<span class="mention" data-username="bob">@BOB</span> <span class="mention" data-username="alice">@alice</span> <span class="mention">@bob</span>';
  markOwnMentions(root, "bob");
  assertDeepEqual(
    [...root.querySelectorAll(".mention")].map((node) => node.classList.contains("mention-me")),
    [true, false, true],
  );
});

test("titleWith shows unread, and the mentions among them apart", () => {
  assertEqual(titleWith("#general · Chat", 0, 0), "#general · Chat");
  assertEqual(titleWith("#general · Chat", 5, 0), "(5) #general · Chat");
  assertEqual(titleWith("#general · Chat", 5, 2), "@2 (5) #general · Chat");
});

function summary(slug, fields = {}) {
  return { slug, name: slug, last_seq: 0, last_read_seq: 0, mentions: 0, direct: false, ...fields };
}

const from = (username, seq, mentions = [], fields = {}) => ({ seq, author: { username }, mentions, deleted: false, ...fields });

test("RoomDirectory counts the summary's mentions and the new messages that mention me", () => {
  const rooms = new RoomDirectory([summary("a", { last_seq: 5, last_read_seq: 3, mentions: 1 }), summary("b")]);
  assertEqual(rooms.mentions("a"), 1, "from the summary");
  rooms.noteMessage("a", from("bob", 6, ["alice"]), "alice");
  rooms.noteMessage("a", from("bob", 7, ["carol"]), "alice");
  rooms.noteMessage("b", from("bob", 1, ["alice", "carol"]), "alice");
  assertDeepEqual([rooms.mentions("a"), rooms.mentions("b"), rooms.totalMentions()], [2, 1, 3]);
  // My own message reads the room up to it, and mentioning myself counts for nothing.
  rooms.noteMessage("a", from("alice", 8, ["alice"]), "alice");
  assertDeepEqual([rooms.unread("a"), rooms.mentions("a"), rooms.totalMentions()], [0, 0, 1]);
});

test("RoomDirectory counts a message once, and follows its edits and its deletion", () => {
  const rooms = new RoomDirectory([summary("a", { last_seq: 5, last_read_seq: 5 })]);
  rooms.noteMessage("a", from("bob", 6, ["alice"]), "alice");
  rooms.noteMessage("a", from("bob", 6, ["alice"]), "alice");
  assertEqual(rooms.mentions("a"), 1, "the same message twice");
  assertEqual(rooms.noteMentions("a", from("bob", 6, []), "alice"), true, "an edit took the mention out");
  assertEqual(rooms.mentions("a"), 0);
  rooms.noteMentions("a", from("bob", 6, ["alice"]), "alice");
  assertEqual(rooms.mentions("a"), 1, "and put it back");
  assertEqual(rooms.noteDeleted("a", 6), true);
  assertEqual(rooms.mentions("a"), 0, "deleted");
  // An edit of a message the summary counted (seq 5 or less) is left to the next summary.
  assertEqual(rooms.noteMentions("a", from("bob", 4, ["alice"]), "alice"), false);
  assertEqual(rooms.mentions("a"), 0);
});

test("RoomDirectory clears mentions as the room is read", () => {
  const rooms = new RoomDirectory([summary("a", { last_seq: 10, last_read_seq: 2, mentions: 3 })]);
  rooms.noteMessage("a", from("bob", 11, ["alice"]), "alice");
  rooms.noteMessage("a", from("bob", 12, ["alice"]), "alice");
  assertEqual(rooms.mentions("a"), 5);
  rooms.markRead("a", 8);
  assertEqual(rooms.mentions("a"), 4, "at most two of the summary's are still unread");
  rooms.markRead("a", 11);
  assertEqual(rooms.mentions("a"), 1, "the summary's all read, and seq 11");
  rooms.markRead("a", 12);
  assertEqual(rooms.mentions("a"), 0);
  rooms.upsert(summary("a", { last_seq: 20, last_read_seq: 12, mentions: 2 }));
  assertEqual(rooms.mentions("a"), 2, "a new summary is the count");
  rooms.remove("a");
  assertEqual(rooms.totalMentions(), 0, "a room left");
});
