// Reactions: what a click on a reaction means, who to name in its tooltip, and the
// emoji picker (a search field over the server's shortcode table, the user's most
// used emoji first). The server keeps the counts; this only sends react or unreact
// and shows what reactions_changed says.

import { el } from "./format.js";
import { formatNumber, gettext, interpolate, ngettext, pgettext } from "./i18n.js";

// Names shown in a reaction's tooltip before "and N others".
export const NAMES_SHOWN = 10;

/** "👍 2 reactions": what a reaction says it is. */
export function reactionCount(emoji, count) {
  return interpolate(ngettext("%(emoji)s %(count)s reaction", "%(emoji)s %(count)s reactions", count), {
    emoji,
    count: formatNumber(count),
  });
}

/** "Alice", "Alice and Bob", "Alice, Bob and Carol", "Alice, Bob and 3 others". */
export function nameList(names, others = 0) {
  const shown =
    others > 0
      ? [...names, interpolate(ngettext("%(count)s other", "%(count)s others", others), { count: formatNumber(others) })]
      : names;
  if (shown.length <= 1) return shown.join("");
  return interpolate(gettext("%(names)s and %(last)s"), {
    names: shown.slice(0, -1).join(pgettext("between the names of a list", ", ")),
    last: shown[shown.length - 1],
  });
}
// Room kept between the picker and the edge of the window.
const MARGIN_PX = 8;

/** The frame type a click on ``emoji`` sends: "unreact" if ``me`` is among its users, else "react". */
export function reactionToggle(reactions, emoji, me) {
  const mine = (reactions || []).some((reaction) => reaction.emoji === emoji && reaction.users.includes(me));
  return mine ? "unreact" : "react";
}

/** "Alice and Bob reacted with 👍": ``nameFor(username)`` gives the name to show. */
export function whoReacted(reaction, nameFor = (username) => username, limit = NAMES_SHOWN) {
  const names = reaction.users.slice(0, limit).map((username) => nameFor(username) || username);
  const others = Math.max(reaction.count, reaction.users.length) - names.length;
  return interpolate(gettext("%(names)s reacted with %(emoji)s"), { names: nameList(names, others), emoji: reaction.emoji });
}

/**
 * The picker's choices, [{emoji, names}]: each emoji once, ``frequent`` (most used
 * first) ahead of the rest of ``table`` ([shortcode, emoji] pairs: a JSON object
 * would put "100" first) in its order.
 */
export function emojiChoices(table, frequent = []) {
  const namesOf = new Map();
  for (const [name, emoji] of table) {
    if (!namesOf.has(emoji)) namesOf.set(emoji, []);
    namesOf.get(emoji).push(name);
  }
  const choices = [];
  const seen = new Set();
  for (const emoji of [...frequent, ...namesOf.keys()]) {
    if (seen.has(emoji)) continue;
    seen.add(emoji);
    choices.push({ emoji, names: namesOf.get(emoji) ?? [] });
  }
  return choices;
}

/**
 * The choices whose shortcode names hold ``query``, ignoring case (":tada:" and
 * "heart eyes" work too): those with a name starting with it first, each group in
 * the choices' order. An empty query keeps them all.
 */
export function filterChoices(choices, query) {
  const folded = query.trim().toLowerCase().replace(/^:+|:+$/g, "").replace(/\s+/g, "_");
  if (!folded) return choices;
  const starting = [];
  const containing = [];
  for (const choice of choices) {
    const names = choice.names.map((name) => name.toLowerCase());
    if (names.some((name) => name.startsWith(folded))) starting.push(choice);
    else if (names.some((name) => name.includes(folded))) containing.push(choice);
  }
  return [...starting, ...containing];
}

/** What a choice is called: its first shortcode, in words ("heart eyes"), or the emoji itself. */
export function choiceName(choice) {
  return choice.names.length ? choice.names[0].replaceAll("_", " ") : choice.emoji;
}

/**
 * The emoji picker: a popover with a search field and a grid of emoji buttons, for
 * one message at a time. Down (or Tab) goes from the field to the grid, the arrow
 * keys move in it, Enter picks (in the field: the first match), Escape closes and
 * ``onClose(seq, true)`` puts focus back. A click outside closes it (``popovers``).
 */
export class ReactionPicker {
  /**
   * host: the element it goes in; popovers: the page's Popovers; choices: emojiChoices();
   * onPick(seq, emoji); onClose(seq, refocus).
   */
  constructor({ host, popovers, choices, onPick, onClose = () => {} }) {
    this.host = host;
    this.popovers = popovers;
    this.choices = choices;
    this.onPick = onPick;
    this.onClose = onClose;
    this.element = null;
    this.seq = 0;
    this.shown = []; // the buttons of the grid, in order
    this.active = 0; // the grid's one Tab stop
    this.entry = popovers.add({
      toggle: null,
      container: null,
      panel: null,
      isOpen: () => this.isOpen(),
      close: () => this.close(),
    });
  }

  isOpen() {
    return Boolean(this.element && this.element.isConnected);
  }

  /** Open for message ``seq``, next to ``anchor`` (the button or message that asked). */
  open(seq, anchor) {
    this.close();
    this.seq = seq;
    this.search = el("input", {
      className: "reaction-picker__search",
      dataset: { testid: "reaction-search" },
      attrs: { type: "search", "aria-label": gettext("Search emoji"), placeholder: gettext("Search emoji"), autocomplete: "off" },
    });
    this.grid = el("div", {
      className: "reaction-picker__grid",
      dataset: { testid: "reaction-choices" },
      attrs: { role: "group", "aria-label": gettext("Emoji") },
    });
    this.empty = el("p", { className: "reaction-picker__empty", text: gettext("No emoji found."), attrs: { hidden: true } });
    const element = el(
      "div",
      {
        className: "reaction-picker",
        dataset: { testid: "reaction-picker" },
        attrs: { role: "dialog", "aria-label": gettext("Add reaction") },
      },
      this.search,
      this.grid,
      this.empty,
    );
    this.element = element;
    this.search.addEventListener("input", () => this.fill());
    this.search.addEventListener("keydown", (event) => this.keyedInSearch(event));
    this.grid.addEventListener("keydown", (event) => this.keyedInGrid(event));
    this.grid.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-emoji]");
      if (button) this.pick(button.dataset.emoji);
    });
    element.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || event.defaultPrevented) return;
      event.preventDefault(); // handled here, not by Popovers: focus goes back to the message
      this.close({ refocus: true });
    });
    element.addEventListener("focusout", (event) => {
      // Tabbing away closes it; a window losing focus (no related target) does not.
      if (this.element === element && event.relatedTarget && !element.contains(event.relatedTarget)) this.close();
    });
    this.fill();
    this.host.append(element);
    Object.assign(this.entry, { toggle: anchor, container: element, panel: element });
    this.place(anchor);
    this.popovers.opened(this.entry);
    this.search.focus({ preventScroll: true });
  }

  /** Close; ``refocus``: the user closed it from within, so focus goes back (onClose). */
  close({ refocus = false } = {}) {
    const element = this.element;
    if (!element) return;
    const focusInside = element.contains(element.ownerDocument.activeElement);
    this.element = null;
    this.shown = [];
    element.remove();
    this.onClose(this.seq, refocus && focusInside);
  }

  pick(emoji) {
    const seq = this.seq;
    this.close({ refocus: true });
    this.onPick(seq, emoji);
  }

  /** The grid, for what the search field holds. */
  fill() {
    const choices = filterChoices(this.choices, this.search.value);
    this.shown = choices.map((choice) =>
      el("button", {
        className: "reaction-picker__emoji",
        text: choice.emoji,
        dataset: { emoji: choice.emoji, testid: "reaction-choice" },
        attrs: {
          type: "button",
          tabindex: "-1",
          "aria-label": choiceName(choice),
          title: choice.names.length ? `:${choice.names[0]}:` : choice.emoji,
        },
      }),
    );
    this.grid.replaceChildren(...this.shown);
    this.empty.hidden = this.shown.length > 0;
    this.setActive(0);
  }

  setActive(index) {
    if (!this.shown.length) return;
    this.shown[this.active]?.setAttribute("tabindex", "-1");
    this.active = Math.max(0, Math.min(index, this.shown.length - 1));
    this.shown[this.active].setAttribute("tabindex", "0");
  }

  keyedInSearch(event) {
    if (event.isComposing) return;
    if (event.key === "ArrowDown" && this.shown.length) {
      event.preventDefault();
      this.setActive(0);
      this.shown[0].focus();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (this.shown.length) this.pick(this.shown[0].dataset.emoji);
    }
  }

  /** Arrow keys, Home and End move among the emoji; Up from the first row goes back to the field. */
  keyedInGrid(event) {
    const index = this.shown.indexOf(event.target);
    if (index < 0) return;
    const columns = this.columns();
    let next = null;
    if (event.key === "ArrowRight") next = index + 1;
    else if (event.key === "ArrowLeft") next = index - 1;
    else if (event.key === "ArrowDown") next = index + columns;
    else if (event.key === "ArrowUp") next = index - columns;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = this.shown.length - 1;
    if (next === null) return;
    event.preventDefault();
    if (next < 0) {
      this.search.focus();
      return;
    }
    if (next >= this.shown.length) return;
    this.setActive(next);
    this.shown[next].focus();
  }

  /** How many emoji a row of the grid holds, as laid out. */
  columns() {
    const top = this.shown[0]?.offsetTop;
    const inFirstRow = this.shown.filter((button) => button.offsetTop === top).length;
    return Math.max(1, inFirstRow);
  }

  /** Below ``anchor`` if it fits, else above; within the window either way. */
  place(anchor) {
    const element = this.element;
    const view = element.ownerDocument.documentElement;
    const box = anchor.getBoundingClientRect();
    const width = element.offsetWidth;
    const height = element.offsetHeight;
    const left = Math.min(Math.max(MARGIN_PX, box.right - width), view.clientWidth - width - MARGIN_PX);
    let top = box.bottom + 4;
    if (top + height > view.clientHeight - MARGIN_PX) top = Math.max(MARGIN_PX, box.top - height - 4);
    element.style.left = `${Math.round(Math.max(MARGIN_PX, left))}px`;
    element.style.top = `${Math.round(top)}px`;
  }
}
