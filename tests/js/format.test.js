// format.js: avatar initials and hues, day labels, time parsing.
import { dayKey, dayLabel, hueFor, initialsFor, parseTime, text } from "/static/chat/format.js";
import { assert, assertDeepEqual, assertEqual, test } from "./harness.js";

test("initialsFor takes the first letters of the first and last words, upper-cased", () => {
  assertEqual(initialsFor("Ada Lovelace"), "AL");
  assertEqual(initialsFor("grace brewster murray hopper"), "GH");
  assertEqual(initialsFor("linus"), "L");
});

test("initialsFor ignores surrounding and repeated whitespace", () => {
  assertEqual(initialsFor("  ada \t  lovelace \n"), "AL");
});

test("initialsFor of an empty or blank name is a question mark", () => {
  assertEqual(initialsFor(""), "?");
  assertEqual(initialsFor("   "), "?");
});

test("initialsFor keeps whole characters beyond ASCII", () => {
  assertEqual(initialsFor("élodie durand"), "ÉD");
  assertEqual(initialsFor("😀 smile"), "😀S", "an emoji is one character, not half a surrogate pair");
  assertEqual(initialsFor("𝒜lpha"), "𝒜");
});

test("hueFor is stable: the same name always gets the same hue", () => {
  for (const name of ["alice", "Bob Smith", "émile", "😀", ""]) {
    const rebuilt = [...name].join("");
    assertEqual(hueFor(rebuilt), hueFor(name), `hue of ${JSON.stringify(name)} rebuilt`);
    assertEqual(hueFor(name), hueFor(name), `hue of ${JSON.stringify(name)} twice`);
  }
});

test("hueFor is a whole number of degrees from 0 to 359", () => {
  for (let i = 0; i < 500; i += 1) {
    const hue = hueFor(`user-${i}-${"x".repeat(i % 17)}`);
    assert(Number.isInteger(hue) && hue >= 0 && hue < 360, `hue ${hue} for user-${i}`);
  }
});

test("hueFor spreads different names over many hues", () => {
  const hues = new Set();
  for (let i = 0; i < 100; i += 1) hues.add(hueFor(`person${i}`));
  assert(hues.size >= 40, `100 names got only ${hues.size} distinct hues`);
  assert(hueFor("alice") !== hueFor("bob"), "alice and bob share a hue");
});

test("hueFor keeps today's colours in later releases", () => {
  // A person's avatar colour should not change when the client is updated.
  assertDeepEqual(["", "a", "ab"].map(hueFor), [0, 97, 225]);
});

test("dayLabel says Today and Yesterday, across a month boundary too", () => {
  const now = new Date(2024, 2, 1, 8, 30); // 1 March 2024, a leap year
  assertEqual(dayLabel(new Date(2024, 2, 1, 0, 1), now), text.today, "earlier the same day");
  assertEqual(dayLabel(new Date(2024, 1, 29, 23, 59), now), text.yesterday, "29 February");
  const older = dayLabel(new Date(2024, 1, 28, 12), now);
  assert(older !== text.today && older !== text.yesterday, `28 February is neither: ${older}`);
});

test("dayLabel names the year only for another year", () => {
  const now = new Date(2024, 5, 15, 12);
  assert(!dayLabel(new Date(2024, 0, 10), now).includes("2024"), "same year");
  assert(dayLabel(new Date(2023, 11, 10), now).includes("2023"), "last year");
});

test("dayKey tells days apart and puts times of one day together", () => {
  assertEqual(dayKey(new Date(2024, 4, 1, 0, 0)), dayKey(new Date(2024, 4, 1, 23, 59)));
  assert(dayKey(new Date(2024, 4, 1)) !== dayKey(new Date(2024, 4, 2)), "next day");
  assert(dayKey(new Date(2024, 0, 11)) !== dayKey(new Date(2024, 10, 1)), "11 Jan vs 1 Nov");
});

test("parseTime reads ISO times and falls back to now for nonsense", () => {
  assertEqual(parseTime("2024-05-01T10:00:00Z").getTime(), Date.UTC(2024, 4, 1, 10));
  const before = Date.now();
  const fallback = parseTime("not a time");
  assert(!Number.isNaN(fallback.getTime()) && fallback.getTime() >= before, "now for nonsense");
  assert(!Number.isNaN(parseTime(null).getTime()), "now for null");
});

test("text.members says 1 member and N members", () => {
  assertEqual(text.members(1), "1 member");
  assert(text.members(2).endsWith(" members"), text.members(2));
});
