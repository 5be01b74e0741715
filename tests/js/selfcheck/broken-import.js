// Not a suite of the client: imports a module the server does not have, which
// tests/browser/test_js_units.py expects to be reported as a load failure.
import { nothing } from "/static/chat/no-such-module.js";
import { test } from "../harness.js";

test("never registered", () => nothing());
