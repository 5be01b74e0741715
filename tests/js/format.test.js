// format.js: avatar initials and hues, days and times in the page's language, time parsing.
import { dayKey, dayLabel, fullTime, gutterTime, hueFor, initialsFor, parseTime, shortTime, when } from "/static/chat/format.js";
import { memberCount } from "/static/chat/members.js";
import { assert, assertDeepEqual, assertEqual, onCleanup, test } from "./harness.js";

/** Run the rest of the test with the page in ``language`` (its <html lang>). */
function pageIn(language) {
  const before = document.documentElement.lang;
  document.documentElement.lang = language;
  onCleanup(() => {
    document.documentElement.lang = before;
  });
}

/** Intl writes "2:03 PM" with a narrow no-break space in some versions: compare with plain spaces. */
function plain(value) {
  return value.replace(/\s/g, " ");
}

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
  pageIn("en");
  const now = new Date(2024, 2, 1, 8, 30); // 1 March 2024, a leap year
  assertEqual(dayLabel(new Date(2024, 2, 1, 0, 1), now), "Today", "earlier the same day");
  assertEqual(dayLabel(new Date(2024, 1, 29, 23, 59), now), "Yesterday", "29 February");
  const older = dayLabel(new Date(2024, 1, 28, 12), now);
  assertEqual(older, "Wednesday, February 28", "28 February is neither");
});

test("dayLabel speaks the page's language", () => {
  pageIn("zh-hans");
  const now = new Date(2024, 2, 1, 8, 30);
  assertEqual(dayLabel(new Date(2024, 2, 1, 0, 1), now), "今天");
  assertEqual(dayLabel(new Date(2024, 1, 29, 23, 59), now), "昨天");
  assertEqual(dayLabel(new Date(2024, 1, 28, 12), now), "2月28日星期三");
  assertEqual(dayLabel(new Date(2023, 11, 10), now), "2023年12月10日星期日");
});

test("times are written as the page's language writes them", () => {
  const afternoon = new Date(2024, 2, 1, 14, 3, 9);
  pageIn("en");
  assertEqual(plain(shortTime(afternoon)), "2:03 PM");
  assertEqual(gutterTime(afternoon), "2:03", "no AM/PM in the gutter");
  assert(plain(fullTime(afternoon)).startsWith("Friday, March 1, 2024"), fullTime(afternoon));
  document.documentElement.lang = "zh-hans";
  assertEqual(shortTime(afternoon), "14:03");
  assertEqual(gutterTime(afternoon), "14:03");
  assert(fullTime(afternoon).startsWith("2024年3月1日星期五"), fullTime(afternoon));
});

test("when says a moment briefly, with Yesterday and Today in the page's language", () => {
  const now = new Date(2024, 2, 1, 8, 30);
  const yesterday = new Date(2024, 1, 29, 14, 3);
  pageIn("en");
  assertEqual(plain(when(yesterday, now)), "Yesterday 2:03 PM");
  assertEqual(plain(when(new Date(2024, 2, 1, 7, 5), now)), "Today 7:05 AM");
  assertEqual(plain(when(new Date(2024, 1, 20, 9, 0), now)), "Feb 20 9:00 AM");
  assertEqual(plain(when(new Date(2023, 1, 20, 9, 0), now)), "Feb 20, 2023 9:00 AM");
  document.documentElement.lang = "zh-hans";
  assertEqual(when(yesterday, now), "昨天 14:03");
  assertEqual(when(new Date(2024, 2, 1, 7, 5), now), "今天 7:05");
  assertEqual(when(new Date(2024, 1, 20, 9, 0), now), "2月20日 9:00");
  assertEqual(when(new Date(2023, 1, 20, 9, 0), now), "2023年2月20日 9:00");
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

test("memberCount says 1 member and N members", () => {
  pageIn("en");
  assertEqual(memberCount(1), "1 member");
  assertEqual(memberCount(1234), "1,234 members");
});
