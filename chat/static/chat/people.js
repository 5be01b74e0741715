// The people picker: the index page's "Message someone" field as an ARIA combobox
// (the WAI-ARIA list-autocomplete pattern, selection by hand). As one types, it asks
// GET /people/?q= (debounced; an answer to an older query is dropped) and lists each
// match's display name and @username. Up/Down move through the list, Enter or a click
// picks, Escape closes it. Picking puts the username in the field and submits the
// form, so the server (direct_open) decides as it does for a typed name. Without this
// module the field is a plain text field and the form still works.

import { el } from "./format.js";
import { gettext } from "./i18n.js";

const DEBOUNCE_MS = 150;

export class PeoplePicker {
  /**
   * input: the text field (in a form); list: an empty element to hold the options;
   * url: the search endpoint; status: an optional live region for "no one found";
   * texts: { label, none } shown to people.
   */
  constructor({ input, list, url, status = null, texts = {}, fetchImpl = (...args) => fetch(...args) }) {
    this.input = input;
    this.list = list;
    this.url = url;
    this.status = status;
    this.texts = { label: texts.label || gettext("People"), none: texts.none || gettext("No one found.") };
    this.fetch = fetchImpl;
    this.people = [];
    this.active = -1;
    this.timer = null;
    this.request = null; // the AbortController of the search in flight
    this.asked = 0; // counts searches, so only the answer to the latest one is shown

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", this.texts.label);
    list.hidden = true;

    input.addEventListener("input", () => this.changed());
    input.addEventListener("keydown", (event) => this.keydown(event));
    input.addEventListener("blur", () => this.close());
    // Pressing on an option must not take the focus from the field (its blur closes the list).
    list.addEventListener("mousedown", (event) => event.preventDefault());
    list.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option && list.contains(option)) this.choose(Number(option.dataset.index));
    });
  }

  get isOpen() {
    return !this.list.hidden;
  }

  changed() {
    clearTimeout(this.timer);
    const query = this.input.value.trim();
    if (!query) {
      this.cancel();
      this.show([]);
      this.say("");
      return;
    }
    this.timer = setTimeout(() => this.search(query), DEBOUNCE_MS);
  }

  cancel() {
    clearTimeout(this.timer);
    this.asked += 1;
    if (this.request) this.request.abort();
    this.request = null;
  }

  async search(query) {
    this.cancel();
    const asked = this.asked;
    const request = new AbortController();
    this.request = request;
    let people;
    try {
      const response = await this.fetch(`${this.url}?q=${encodeURIComponent(query)}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: request.signal,
      });
      // Signed out, the answer is the login page: nothing to list.
      if (!response.ok || response.redirected) throw new Error(`people search: ${response.status}`);
      people = (await response.json()).people;
    } catch {
      people = []; // aborted (a newer search or a close) or failed: list no one
    }
    if (asked !== this.asked) return;
    this.request = null;
    if (!Array.isArray(people)) people = [];
    this.show(people);
    this.say(people.length ? "" : this.texts.none);
  }

  /** List ``people``; the one chosen with the arrows stays chosen if still listed
   * (an answer may come after Down was pressed: Enter must still pick them). */
  show(people) {
    const chosen = this.people[this.active]?.username;
    this.people = people;
    this.active = -1;
    this.list.replaceChildren(
      ...people.map((person, index) =>
        el(
          "li",
          {
            className: "people-picker__option",
            dataset: { index: String(index), username: person.username },
            attrs: { id: `${this.list.id}-${index}`, role: "option", "aria-selected": "false" },
          },
          // Someone without a display name is shown by username alone.
          person.display_name && el("span", { className: "people-picker__name", text: person.display_name }),
          el("span", { className: "people-picker__username", text: `@${person.username}` }),
        ),
      ),
    );
    this.setOpen(people.length > 0);
    this.highlight(chosen === undefined ? -1 : people.findIndex((person) => person.username === chosen));
  }

  setOpen(open) {
    this.list.hidden = !open;
    this.input.setAttribute("aria-expanded", String(open));
    if (!open) this.highlight(-1);
  }

  close() {
    this.cancel();
    this.setOpen(false);
  }

  say(message) {
    if (this.status) this.status.textContent = message;
  }

  highlight(index) {
    this.active = index;
    for (const option of this.list.children) {
      const on = Number(option.dataset.index) === index;
      option.setAttribute("aria-selected", String(on));
      option.classList.toggle("is-active", on);
      if (on) option.scrollIntoView({ block: "nearest" });
    }
    if (index >= 0) this.input.setAttribute("aria-activedescendant", `${this.list.id}-${index}`);
    else this.input.removeAttribute("aria-activedescendant");
  }

  move(step) {
    if (!this.people.length) return;
    if (!this.isOpen) this.setOpen(true);
    const count = this.people.length;
    // From nothing chosen, Down goes to the first and Up to the last.
    const next = this.active < 0 ? (step > 0 ? 0 : count - 1) : (this.active + step + count) % count;
    this.highlight(next);
  }

  keydown(event) {
    if (event.isComposing) return;
    switch (event.key) {
      case "ArrowDown":
      case "ArrowUp":
        event.preventDefault();
        this.move(event.key === "ArrowDown" ? 1 : -1);
        break;
      case "Enter":
        // With no option chosen, Enter submits what was typed.
        if (this.isOpen && this.active >= 0) {
          event.preventDefault();
          this.choose(this.active);
        }
        break;
      case "Escape":
        if (this.isOpen) {
          event.preventDefault(); // this Escape was the list's, not a popover's
          this.close();
        }
        break;
      default:
        break;
    }
  }

  choose(index) {
    const person = this.people[index];
    if (!person) return;
    this.input.value = person.username;
    this.close();
    this.input.form?.requestSubmit();
  }
}

/** The picker of the page's DM form, if the page has one. */
export function startPeoplePicker(doc = document) {
  const list = doc.getElementById("dm-people");
  const input = list && doc.getElementById(list.dataset.for);
  if (!input) return null;
  return new PeoplePicker({
    input,
    list,
    url: list.dataset.url,
    status: doc.getElementById(list.dataset.status),
    texts: { label: list.dataset.label, none: list.dataset.none },
  });
}

startPeoplePicker();
