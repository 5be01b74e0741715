// Not a suite of the client: tests/browser/test_js_units.py runs this to check
// that the harness reports each kind of failure as a failure, with its message.
import { assert, assertDeepEqual, assertEqual, assertThrows, fakeClock, test } from "../harness.js";

test("passes", () => {
  assertEqual(1 + 1, 2);
});

test("assertEqual mismatch", () => {
  assertEqual(2, 3, "the answer");
});

test("assertDeepEqual mismatch", () => {
  assertDeepEqual({ seqs: [1, 2, 3] }, { seqs: [1, 2, 4] });
});

test("assert false", () => {
  assert(false, "a condition that does not hold");
});

test("thrown error", () => {
  throw new TypeError("boom");
});

test("async rejection", async () => {
  await Promise.resolve();
  throw new Error("rejected later");
});

test("async never settles", () => new Promise(() => {}));

test("assertThrows without a throw", () => {
  assertThrows(() => {}, "expected to throw");
});

test("a failing test restores a fake clock", () => {
  fakeClock(0);
  throw new Error("failed with a fake clock installed");
});

test("the clock is real again afterwards", () => {
  assert(Date.now() > 1_000_000, `Date.now() is ${Date.now()}`);
});
