// "bob is typing…": who is typing in the open room. A typist is forgotten a
// few seconds after their last typing frame, or as soon as their message lands.

import { gettext, interpolate } from "./i18n.js";

const FORGET_AFTER_MS = 5000;

export class TypingView {
  constructor({ element, nameFor }) {
    this.element = element;
    this.nameFor = nameFor;
    this.typists = new Map(); // username -> timer
    this.render();
  }

  add(username) {
    clearTimeout(this.typists.get(username));
    this.typists.set(
      username,
      setTimeout(() => this.remove(username), FORGET_AFTER_MS),
    );
    this.render();
  }

  remove(username) {
    if (!this.typists.has(username)) return;
    clearTimeout(this.typists.get(username));
    this.typists.delete(username);
    this.render();
  }

  clear() {
    for (const timer of this.typists.values()) clearTimeout(timer);
    this.typists.clear();
    this.render();
  }

  render() {
    const names = [...this.typists.keys()].map((username) => this.nameFor(username));
    let message = "";
    if (names.length === 1) message = interpolate(gettext("%(name)s is typing…"), { name: names[0] });
    else if (names.length === 2) message = interpolate(gettext("%(first)s and %(second)s are typing…"), { first: names[0], second: names[1] });
    else if (names.length > 2) message = gettext("Several people are typing…");
    this.element.textContent = message;
    this.element.classList.toggle("is-active", names.length > 0);
  }
}
