// A tiny test harness for the browser client's pure modules, without a build
// step: test modules call `test(name, fn)` as they are imported, and `runPage()`
// (from index.html) imports the suites named in the page's query string, runs
// every test in order, and leaves the results on `window.__jsTests` for
// tests/browser/test_js_units.py to collect.

// Captured before any test can replace them with a fake clock.
const realSetTimeout = globalThis.setTimeout.bind(globalThis);
const realClearTimeout = globalThis.clearTimeout.bind(globalThis);

const ASYNC_TIMEOUT_MS = 2000;

const registered = [];
let currentFile = "";
let cleanups = [];

export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = "AssertionError";
  }
}

/** Register a test; `fn` may be async. Names are unique within a file. */
export function test(name, fn) {
  if (registered.some((t) => t.file === currentFile && t.name === name)) {
    throw new Error(`duplicate test name in ${currentFile}: ${name}`);
  }
  registered.push({ file: currentFile, name, fn });
}

/** Run `fn` after the current test, pass or fail (restoring globals, say). */
export function onCleanup(fn) {
  cleanups.push(fn);
}

export function show(value) {
  if (value instanceof Map) return `Map(${show([...value.entries()])})`;
  if (value instanceof Set) return `Set(${show([...value])})`;
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "bigint" || value === undefined) return String(value);
  if (typeof value === "function") return `[function ${value.name || "anonymous"}]`;
  try {
    return JSON.stringify(value, (_key, v) =>
      v === undefined ? "<undefined>" : v instanceof Map || v instanceof Set ? show(v) : v,
    );
  } catch {
    return String(value);
  }
}

function prefix(message) {
  return message ? `${message}: ` : "";
}

export function assert(condition, message = "assertion failed") {
  if (!condition) throw new AssertionError(message);
}

/** Strict equality (Object.is, so NaN equals NaN and 0 differs from -0). */
export function assertEqual(actual, expected, message = "") {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(`${prefix(message)}expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Structural equality of primitives, arrays, plain objects, Maps, Sets and Dates; names the first difference. */
export function assertDeepEqual(actual, expected, message = "") {
  const difference = firstDifference(actual, expected, "");
  if (difference !== null) {
    const where = difference.path ? ` at ${difference.path}` : "";
    throw new AssertionError(
      `${prefix(message)}differs${where}: expected ${show(difference.expected)}, got ${show(difference.actual)}` +
        (difference.path ? `\n  expected ${show(expected)}\n  got      ${show(actual)}` : ""),
    );
  }
}

function firstDifference(actual, expected, path) {
  if (Object.is(actual, expected)) return null;
  const differ = { path, actual, expected };
  if (typeof actual !== "object" || typeof expected !== "object" || actual === null || expected === null) {
    return differ;
  }
  if (Object.getPrototypeOf(actual) !== Object.getPrototypeOf(expected)) return differ;
  if (actual instanceof Date) return actual.getTime() === expected.getTime() ? null : differ;
  if (actual instanceof Set) {
    if (actual.size !== expected.size) return { path: `${path}.size`, actual: actual.size, expected: expected.size };
    for (const item of expected) if (!actual.has(item)) return { path: `${path}{${show(item)}}`, actual: undefined, expected: item };
    return null;
  }
  if (actual instanceof Map) {
    const keys = new Set([...actual.keys(), ...expected.keys()]);
    for (const key of keys) {
      const inner = firstDifference(actual.get(key), expected.get(key), `${path}.get(${show(key)})`);
      if (inner) return inner;
    }
    return null;
  }
  if (Array.isArray(actual) && actual.length !== expected.length) {
    return { path: `${path}.length`, actual: actual.length, expected: expected.length };
  }
  const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  for (const key of keys) {
    const step = Array.isArray(actual) ? `${path}[${key}]` : `${path}.${key}`;
    if (Object.hasOwn(actual, key) !== Object.hasOwn(expected, key)) {
      return { path: step, actual: actual[key], expected: expected[key] };
    }
    const inner = firstDifference(actual[key], expected[key], step);
    if (inner) return inner;
  }
  return null;
}

export function assertThrows(fn, message = "") {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new AssertionError(`${prefix(message)}expected an exception, none was thrown`);
}

/**
 * Replace setTimeout, clearTimeout and Date.now until the test ends: time only
 * moves when the test calls `tick(ms)`, which runs the timers that fall due, in
 * order. Code under test that calls the global names sees the fake ones.
 */
export function fakeClock(start = 1_700_000_000_000) {
  const saved = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout, now: Date.now };
  let now = start;
  let nextId = 1;
  const timers = new Map(); // id -> { at, fn, args, order }
  globalThis.setTimeout = (fn, delay = 0, ...args) => {
    const id = nextId++;
    timers.set(id, { at: now + Math.max(0, Number(delay) || 0), fn, args, order: id });
    return id;
  };
  globalThis.clearTimeout = (id) => {
    timers.delete(id);
  };
  Date.now = () => now;
  const clock = {
    now: () => now,
    pending: () => timers.size,
    tick(ms) {
      const until = now + ms;
      for (;;) {
        let due = null;
        for (const [id, timer] of timers) {
          if (timer.at <= until && (!due || timer.at < due[1].at || (timer.at === due[1].at && timer.order < due[1].order))) {
            due = [id, timer];
          }
        }
        if (!due) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].fn(...due[1].args);
      }
      now = until;
    },
    restore() {
      globalThis.setTimeout = saved.setTimeout;
      globalThis.clearTimeout = saved.clearTimeout;
      Date.now = saved.now;
    },
  };
  onCleanup(() => clock.restore());
  return clock;
}

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_resolve, reject) => {
    timer = realSetTimeout(() => reject(new AssertionError(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => realClearTimeout(timer));
}

function describe(error) {
  if (error instanceof Error) {
    // The first stack frame in a test module says where it failed.
    const frame = (error.stack || "").split("\n").find((line) => line.includes("/__js_tests__/") && !line.includes("/harness.js"));
    const where = frame ? frame.trim().replace(/^at\s+/, "").replace(/^.*\/__js_tests__\//, "").replace(/\)$/, "") : "";
    return { message: `${error.name}: ${error.message}`, where };
  }
  return { message: `thrown: ${show(error)}`, where: "" };
}

/** Run every registered test in order; one result per test. */
export async function run({ timeoutMs = ASYNC_TIMEOUT_MS } = {}) {
  const results = [];
  for (const { file, name, fn } of registered) {
    const started = performance.now();
    let outcome = { ok: true, message: "", where: "" };
    try {
      const value = fn();
      if (value && typeof value.then === "function") await withTimeout(value, timeoutMs);
    } catch (error) {
      outcome = { ok: false, ...describe(error) };
    }
    for (const cleanup of cleanups.reverse()) {
      try {
        cleanup();
      } catch (error) {
        if (outcome.ok) outcome = { ok: false, ...describe(error) };
      }
    }
    cleanups = [];
    results.push({ file, name, ...outcome, ms: Math.round(performance.now() - started) });
  }
  return results;
}

/** Import the suites named by `?suite=` (paths under tests/js/), run them, publish the results. */
export async function runPage() {
  const files = new URLSearchParams(window.location.search).getAll("suite");
  const loadErrors = [];
  for (const file of files) {
    currentFile = file;
    try {
      await import(new URL(file, import.meta.url).href);
    } catch (error) {
      loadErrors.push({ file, ...describe(error) });
    }
  }
  currentFile = "";
  const results = await run();
  window.__jsTests = { done: true, files, results, loadErrors };
}
