// presence.js: who is online, from per-room lists; and the dots in a member list.
import { PresenceState, showPresence } from "/static/chat/presence.js";
import { assertEqual, test } from "./harness.js";

test("PresenceState knows nothing until a list comes", () => {
  const state = new PresenceState("alice");
  assertEqual(state.isOnline("bob"), null, "unknown, not offline");
  assertEqual(state.othersOnline("dm-1-2"), null);
});

test("A user is online if any room's latest list has them", () => {
  const state = new PresenceState("alice");
  assertEqual(state.update("general", ["alice", "bob"]), true, "a first list is a change");
  assertEqual(state.update("general", ["bob", "alice"]), false, "the same names in another order is not");
  state.update("random", ["carol"]);
  assertEqual(state.isOnline("bob"), true);
  assertEqual(state.isOnline("carol"), true);
  assertEqual(state.isOnline("dave"), false);
  state.update("general", ["alice"]);
  assertEqual(state.isOnline("bob"), false, "the latest list replaces the one before");
  state.forget("random");
  assertEqual(state.isOnline("carol"), false, "a room left takes its list along");
  state.clear();
  assertEqual(state.isOnline("alice"), null, "disconnected: nothing is claimed");
});

test("A direct conversation's other person is online when the list has anyone else", () => {
  const state = new PresenceState("alice");
  state.update("dm-1-2", ["alice"]);
  assertEqual(state.othersOnline("dm-1-2"), false);
  state.update("dm-1-2", ["alice", "bob"]);
  assertEqual(state.othersOnline("dm-1-2"), true);
});

test("showPresence puts one dot per member, and takes them away when unknown", () => {
  const list = document.createElement("ul");
  for (const name of ["alice", "bob"]) {
    const item = document.createElement("li");
    item.dataset.username = name;
    item.innerHTML = '<span class="avatar"></span><span class="member__name"></span>';
    list.append(item);
  }
  const state = new PresenceState("alice");
  state.update("general", ["alice"]);
  showPresence(list, state);
  showPresence(list, state);
  const dots = [...list.querySelectorAll(".presence")].map((dot) => dot.dataset.presence);
  assertEqual(dots.join(","), "online,offline", "one dot each, after the avatar");
  assertEqual(list.children[0].children[1].classList.contains("presence"), true);
  assertEqual(list.children[1].querySelector(".presence").getAttribute("aria-label"), "Offline");
  state.clear();
  showPresence(list, state);
  assertEqual(list.querySelectorAll(".presence").length, 0);
});

test("showPresence leaves a room without a list of its own unmarked", () => {
  const list = document.createElement("ul");
  const item = document.createElement("li");
  item.dataset.username = "bob";
  list.append(item);
  const state = new PresenceState("alice");
  state.update("small", ["bob"]);
  showPresence(list, state, "big"); // a big room: no presence frames for it
  assertEqual(list.querySelectorAll(".presence").length, 0, "unknown, not online or offline");
  showPresence(list, state, "small");
  assertEqual(list.querySelector(".presence").dataset.presence, "online");
});
