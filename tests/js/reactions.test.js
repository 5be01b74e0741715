// reactions.js: the toggle, who reacted, the picker's choices, and the picker from the keyboard.
import { Popovers } from "/static/chat/popover.js";
import {
  NAMES_SHOWN,
  ReactionPicker,
  choiceName,
  emojiChoices,
  filterChoices,
  reactionToggle,
  whoReacted,
} from "/static/chat/reactions.js";
import { assert, assertDeepEqual, assertEqual, onCleanup, test } from "./harness.js";

const THUMBS = "\u{1F44D}";
const PARTY = "\u{1F389}";
const HEART = "\u2764\uFE0F";
const EYES = "\u{1F440}";
const TABLE = [
  ["+1", THUMBS],
  ["thumbsup", THUMBS],
  ["heart", HEART],
  ["tada", PARTY],
  ["heart_eyes", "\u{1F60D}"],
  ["eyes", EYES],
  ["100", "\u{1F4AF}"],
];

test("A click reacts, or takes back my own reaction", () => {
  const reactions = [
    { emoji: THUMBS, count: 2, users: ["bob", "carol"] },
    { emoji: PARTY, count: 1, users: ["alice"] },
  ];
  assertEqual(reactionToggle(reactions, THUMBS, "alice"), "react");
  assertEqual(reactionToggle(reactions, PARTY, "alice"), "unreact");
  assertEqual(reactionToggle(reactions, HEART, "alice"), "react", "an emoji not there yet");
  assertEqual(reactionToggle(undefined, HEART, "alice"), "react", "a message without reactions");
});

test("Who reacted: names where known, in the order they came", () => {
  const names = { alice: "Alice", bob: "Bob" };
  const nameFor = (username) => names[username];
  assertEqual(whoReacted({ emoji: THUMBS, count: 1, users: ["alice"] }, nameFor), `Alice reacted with ${THUMBS}`);
  assertEqual(whoReacted({ emoji: THUMBS, count: 2, users: ["alice", "bob"] }, nameFor), `Alice and Bob reacted with ${THUMBS}`);
  assertEqual(
    whoReacted({ emoji: PARTY, count: 3, users: ["bob", "carol", "alice"] }, nameFor),
    `Bob, carol and Alice reacted with ${PARTY}`,
    "an unknown name stays the username",
  );
});

test("Who reacted: a long list ends with how many others", () => {
  const users = Array.from({ length: NAMES_SHOWN + 3 }, (_, index) => `u${index}`);
  const said = whoReacted({ emoji: HEART, count: users.length, users });
  assert(said.startsWith("u0, u1, u2"), said);
  assert(said.endsWith(`u9 and 3 others reacted with ${HEART}`), said);
  assertEqual(whoReacted({ emoji: HEART, count: 2, users: ["a"] }, undefined, 1), `a and 1 other reacted with ${HEART}`);
});

test("The picker's choices: each emoji once, the most used first", () => {
  const choices = emojiChoices(TABLE, [PARTY, EYES]);
  assertDeepEqual(
    choices.map((choice) => choice.emoji),
    [PARTY, EYES, THUMBS, HEART, "\u{1F60D}", "\u{1F4AF}"],
    "in the table's order, a name like 100 too",
  );
  assertDeepEqual(choices[2].names, ["+1", "thumbsup"]);
  const withUnknown = emojiChoices(TABLE, ["\u{1F980}"]);
  assertDeepEqual(withUnknown[0], { emoji: "\u{1F980}", names: [] }, "a favourite outside the table is kept");
  assertEqual(choiceName(choices[2]), "+1");
  assertEqual(choiceName({ emoji: "\u{1F60D}", names: ["heart_eyes"] }), "heart eyes");
  assertEqual(choiceName(withUnknown[0]), "\u{1F980}");
});

test("Search filters by shortcode, ignoring case, the names that start with it first", () => {
  const choices = emojiChoices(TABLE, [EYES]);
  const emoji = (query) => filterChoices(choices, query).map((choice) => choice.emoji);
  assertDeepEqual(emoji("TADA"), [PARTY]);
  assertDeepEqual(emoji("+1"), [THUMBS]);
  assertDeepEqual(emoji(":thumbsup:"), [THUMBS]);
  assertDeepEqual(emoji("eyes"), [EYES, "\u{1F60D}"], "eyes starts a name; heart_eyes holds it");
  assertDeepEqual(emoji("heart eyes"), ["\u{1F60D}"]);
  assertDeepEqual(emoji("heart"), [HEART, "\u{1F60D}"]);
  assertDeepEqual(emoji("  "), choices.map((choice) => choice.emoji), "an empty search keeps all");
  assertDeepEqual(emoji("nothing-like-it"), []);
});

function openPicker() {
  const host = document.createElement("div");
  const opener = document.createElement("button");
  opener.textContent = "open";
  document.body.append(host, opener);
  onCleanup(() => {
    host.remove();
    opener.remove();
  });
  const picked = [];
  const closed = [];
  const picker = new ReactionPicker({
    host,
    popovers: new Popovers(document),
    choices: emojiChoices(TABLE, [EYES]),
    onPick: (seq, emoji) => picked.push([seq, emoji]),
    onClose: (seq, refocus) => closed.push([seq, refocus]),
  });
  opener.focus();
  picker.open(7, opener);
  return { picker, host, opener, picked, closed };
}

function key(target, name) {
  target.dispatchEvent(new KeyboardEvent("keydown", { key: name, bubbles: true, cancelable: true }));
}

function type(input, value) {
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

test("The picker opens on its search field, named, the favourites first", () => {
  const { picker, host } = openPicker();
  const dialog = host.querySelector("[role=dialog]");
  assertEqual(dialog.getAttribute("aria-label"), "Add reaction");
  assertEqual(document.activeElement, picker.search);
  assertEqual(picker.search.getAttribute("aria-label"), "Search emoji");
  const buttons = [...host.querySelectorAll("button[data-emoji]")];
  assertDeepEqual(
    buttons.map((button) => button.dataset.emoji),
    [EYES, THUMBS, HEART, PARTY, "\u{1F60D}", "\u{1F4AF}"],
  );
  assertEqual(buttons[3].getAttribute("aria-label"), "tada");
  assertDeepEqual(
    buttons.map((button) => button.tabIndex),
    [0, -1, -1, -1, -1, -1],
    "the grid is one Tab stop",
  );
  picker.close();
});

test("Typing filters the grid, and Enter in the field picks the first match", () => {
  const { picker, host, picked, closed } = openPicker();
  type(picker.search, "TaDa");
  assertDeepEqual([...host.querySelectorAll("button[data-emoji]")].map((b) => b.dataset.emoji), [PARTY]);
  key(picker.search, "Enter");
  assertDeepEqual(picked, [[7, PARTY]]);
  assertDeepEqual(closed, [[7, true]], "focus goes back to where it opened");
  assertEqual(picker.isOpen(), false);
  assertEqual(host.children.length, 0);
});

test("No match says so, and Enter then picks nothing", () => {
  const { picker, host, picked } = openPicker();
  type(picker.search, "zzz");
  assertEqual(host.querySelector(".reaction-picker__empty").hidden, false);
  key(picker.search, "Enter");
  assertDeepEqual(picked, []);
  assertEqual(picker.isOpen(), true);
  picker.close();
});

test("Down goes into the grid, the arrows move, Enter picks the one focused", () => {
  const { picker, host, picked } = openPicker();
  key(picker.search, "ArrowDown");
  const buttons = [...host.querySelectorAll("button[data-emoji]")];
  assertEqual(document.activeElement, buttons[0]);
  key(buttons[0], "ArrowRight");
  assertEqual(document.activeElement, buttons[1]);
  assertEqual(buttons[1].tabIndex, 0);
  assertEqual(buttons[0].tabIndex, -1);
  key(buttons[1], "End");
  assertEqual(document.activeElement, buttons[5]);
  key(buttons[5], "Home");
  assertEqual(document.activeElement, buttons[0]);
  key(buttons[0], "ArrowUp");
  assertEqual(document.activeElement, picker.search, "up from the first row: back to the field");
  key(picker.search, "ArrowDown");
  key(buttons[0], "ArrowRight");
  buttons[1].click(); // what Enter does on a button
  assertDeepEqual(picked, [[7, THUMBS]]);
});

test("Escape closes the picker and asks for focus back", () => {
  const { picker, closed, picked } = openPicker();
  key(picker.search, "Escape");
  assertEqual(picker.isOpen(), false);
  assertDeepEqual(closed, [[7, true]]);
  assertDeepEqual(picked, []);
});

test("A click outside closes the picker without moving focus", () => {
  const { picker, opener, closed } = openPicker();
  const outside = document.createElement("p");
  document.body.append(outside);
  onCleanup(() => outside.remove());
  outside.click();
  assertEqual(picker.isOpen(), false);
  assertDeepEqual(closed, [[7, false]]);
  picker.open(8, opener);
  opener.click(); // its own toggle: the view decides (a second click closes)
  assertEqual(picker.isOpen(), true);
  picker.close();
});
