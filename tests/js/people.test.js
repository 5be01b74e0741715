// people.js: the "Message someone" picker, with a fake search endpoint.
import { PeoplePicker } from "/static/chat/people.js";
import { assertDeepEqual, assertEqual, onCleanup, test } from "./harness.js";

const bob = { username: "bob", display_name: "Roberta Quill" };
const rob = { username: "rob", display_name: "Rob Quillan" };

function picker(answers) {
  const form = document.createElement("form");
  form.addEventListener("submit", (event) => event.preventDefault());
  const input = document.createElement("input");
  const list = document.createElement("ul");
  list.id = `people-${Math.random().toString(36).slice(2)}`;
  form.append(input, list);
  document.body.append(form);
  onCleanup(() => form.remove());
  const asked = [];
  const fetchImpl = async (url) => {
    asked.push(new URL(url, window.location.href).searchParams.get("q"));
    return new Response(JSON.stringify({ people: answers[asked.at(-1)] || [] }), {
      status: 200,
      headers: { "Content-Type": "application/json" },
    });
  };
  return { people: new PeoplePicker({ input, list, url: "/people/", fetchImpl }), input, list, asked };
}

const chosen = (list) =>
  [...list.querySelectorAll("[aria-selected=true]")].map((option) => option.dataset.username);

test("An answer that comes after Down keeps the person chosen, if still listed", async () => {
  const { people, input, list, asked } = picker({ quil: [bob, rob], quill: [rob, bob], quilla: [rob] });
  await people.search("quil");
  people.move(1);
  assertDeepEqual(chosen(list), ["bob"]);
  await people.search("quill"); // the answer to the last keystroke, late: bob is second now
  assertDeepEqual(chosen(list), ["bob"], "still bob, where he is now");
  assertEqual(input.getAttribute("aria-activedescendant"), `${list.id}-1`);
  assertEqual(people.active, 1);
  await people.search("quilla"); // bob no longer matches: nothing is chosen
  assertDeepEqual(chosen(list), []);
  assertEqual(people.active, -1);
  assertEqual(input.hasAttribute("aria-activedescendant"), false);
  assertDeepEqual(asked, ["quil", "quill", "quilla"]);
});

test("Enter picks the one chosen: their username goes in the field and the form is sent", async () => {
  const { people, input } = picker({ quil: [bob, rob] });
  let sent = 0;
  input.form.addEventListener("submit", () => {
    sent += 1;
  });
  await people.search("quil");
  people.move(-1); // from nothing, Up goes to the last
  input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
  assertEqual(input.value, "rob");
  assertEqual(sent, 1);
  assertEqual(people.isOpen, false);
});
