// connection.js: the reconnect delay (full jitter under a capped exponential bound).
import { backoffDelay } from "/static/chat/connection.js";
import { assert, assertEqual, onCleanup, test } from "./harness.js";

const BASE_MS = 500;
const CAP_MS = 15000;

const always = (value) => () => value;

test("backoffDelay is zero when the random draw is zero", () => {
  for (let attempt = 0; attempt < 30; attempt += 1) assertEqual(backoffDelay(attempt, always(0)), 0, `attempt ${attempt}`);
});

test("backoffDelay's bound starts at half a second and doubles with each attempt", () => {
  const bounds = [0, 1, 2, 3, 4].map((attempt) => backoffDelay(attempt, always(1)));
  assertEqual(bounds[0], BASE_MS, "first attempt");
  for (let i = 1; i < bounds.length; i += 1) assertEqual(bounds[i], bounds[i - 1] * 2, `attempt ${i}`);
});

test("backoffDelay never waits longer than 15 s, however many attempts failed", () => {
  for (const attempt of [5, 6, 10, 50, 1000, 5000]) {
    const delay = backoffDelay(attempt, always(1));
    assertEqual(delay, CAP_MS, `attempt ${attempt}`);
  }
});

test("backoffDelay stays within [0, bound) for draws just under 1", () => {
  const justUnder = 1 - Number.EPSILON;
  for (let attempt = 0; attempt < 12; attempt += 1) {
    const bound = Math.min(CAP_MS, BASE_MS * 2 ** attempt);
    const delay = backoffDelay(attempt, always(justUnder));
    assert(delay >= 0 && delay < bound, `attempt ${attempt}: ${delay} outside [0, ${bound})`);
  }
});

test("backoffDelay scales with the random draw (full jitter)", () => {
  assertEqual(backoffDelay(2, always(0.5)), 1000);
  assertEqual(backoffDelay(3, always(0.25)), 1000);
  assertEqual(backoffDelay(20, always(0.1)), CAP_MS * 0.1);
});

test("backoffDelay draws once per call, and from Math.random by default", () => {
  let draws = 0;
  backoffDelay(3, () => {
    draws += 1;
    return 0.5;
  });
  assertEqual(draws, 1, "draws per call");
  const original = Math.random;
  Math.random = () => 0.75;
  onCleanup(() => {
    Math.random = original;
  });
  assertEqual(backoffDelay(1), 750, "with Math.random stubbed");
});
