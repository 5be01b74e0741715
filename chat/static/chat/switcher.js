// The room switcher: Ctrl+K (Cmd+K on a Mac) opens a dialog whose search field
// filters the user's rooms by name; the arrow keys move, Enter opens the room,
// Escape closes and puts focus back where it was. It follows the ARIA combobox
// pattern: focus stays in the field, which controls a listbox and names the
// highlighted option with aria-activedescendant.

import { el, icon } from "./format.js";
import { gettext } from "./i18n.js";

export class RoomSwitcher {
  /** rooms() -> room summaries in the sidebar's order; roomUrl(slug) -> its address; activeSlug: the open room. */
  constructor({ rooms, roomUrl, activeSlug = null, doc = document }) {
    this.rooms = rooms;
    this.roomUrl = roomUrl;
    this.activeSlug = activeSlug;
    this.doc = doc;
    this.matches = [];
    this.active = 0;
    this.returnTo = null;

    this.input = el("input", {
      className: "switcher__input",
      dataset: { testid: "switcher-input" },
      attrs: {
        type: "text",
        role: "combobox",
        "aria-labelledby": "switcher-title",
        "aria-controls": "switcher-list",
        "aria-expanded": "true",
        "aria-autocomplete": "list",
        autocomplete: "off",
        spellcheck: "false",
        placeholder: gettext("Find a room by name"),
      },
    });
    this.list = el("ul", {
      className: "switcher__list",
      dataset: { testid: "switcher-list" },
      attrs: { id: "switcher-list", role: "listbox", "aria-label": gettext("Rooms") },
    });
    this.empty = el("p", { className: "switcher__empty", text: gettext("No room matches.") });
    this.dialog = el(
      "dialog",
      { className: "switcher", dataset: { testid: "switcher" }, attrs: { "aria-labelledby": "switcher-title" } },
      el("h2", { className: "visually-hidden", text: gettext("Switch to a room"), attrs: { id: "switcher-title" } }),
      this.input,
      this.list,
      this.empty,
      el("p", { className: "switcher__hint", text: gettext("↑ ↓ to move · Enter to open · Esc to close"), attrs: { "aria-hidden": "true" } }),
    );
    doc.body.append(this.dialog);

    doc.addEventListener("keydown", (event) => {
      if (isSwitcherKey(event)) {
        event.preventDefault();
        if (this.dialog.open) this.close();
        else this.open();
      }
    });
    this.input.addEventListener("input", () => this.filter());
    this.input.addEventListener("keydown", (event) => this.keydown(event));
    // The browser's own Escape handling for a modal dialog: close it our way.
    this.dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      this.close();
    });
    this.dialog.addEventListener("click", (event) => {
      // A click on the backdrop lands on the dialog itself.
      if (event.target === this.dialog) this.close();
    });
    this.list.addEventListener("mousedown", (event) => event.preventDefault()); // focus stays in the field
    this.list.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) this.go(this.matches[Number(option.dataset.index)]);
    });
    this.list.addEventListener("mousemove", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) this.highlight(Number(option.dataset.index));
    });
  }

  open() {
    this.returnTo = this.doc.activeElement;
    this.input.value = "";
    this.filter();
    this.dialog.showModal();
    this.input.focus();
  }

  close() {
    if (!this.dialog.open) return;
    this.dialog.close();
    if (this.returnTo && this.returnTo.isConnected) this.returnTo.focus();
    this.returnTo = null;
  }

  keydown(event) {
    if (event.isComposing) return;
    const count = this.matches.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (count) this.highlight((this.active + (event.key === "ArrowDown" ? 1 : -1) + count) % count);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (count) this.go(this.matches[this.active]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      this.close();
    }
  }

  /** Rooms whose name holds what was typed, those starting with it first. */
  filter() {
    const query = this.input.value.trim().toLocaleLowerCase();
    const named = this.rooms().map((room) => ({ room, name: room.name.toLocaleLowerCase() }));
    const starting = named.filter((entry) => entry.name.startsWith(query));
    const containing = named.filter((entry) => !entry.name.startsWith(query) && entry.name.includes(query));
    this.matches = [...starting, ...containing].map((entry) => entry.room);
    this.list.replaceChildren(...this.matches.map((room, index) => this.option(room, index)));
    this.list.hidden = !this.matches.length;
    this.empty.hidden = this.matches.length > 0;
    this.highlight(0);
  }

  option(room, index) {
    const current = room.slug === this.activeSlug;
    return el(
      "li",
      {
        className: "switcher__option",
        dataset: { index: String(index), slug: room.slug, testid: `switcher-option-${room.slug}` },
        attrs: { id: `switcher-option-${index}`, role: "option", "aria-selected": "false" },
      },
      el("span", { className: "switcher__icon" }, icon(room.direct ? "at" : room.private ? "lock" : "hash")),
      el("span", { className: "switcher__name", text: room.name }),
      current ? el("span", { className: "switcher__current", text: gettext("current") }) : null,
    );
  }

  highlight(index) {
    const options = this.list.children;
    if (!options.length) {
      this.active = 0;
      this.input.removeAttribute("aria-activedescendant");
      return;
    }
    options[this.active]?.setAttribute("aria-selected", "false");
    this.active = index;
    const option = options[index];
    option.setAttribute("aria-selected", "true");
    this.input.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  }

  go(room) {
    if (!room) return;
    if (room.slug === this.activeSlug) {
      this.close();
      return;
    }
    this.dialog.close();
    window.location.assign(this.roomUrl(room.slug));
  }
}

/** Ctrl+K, or Cmd+K (the Mac's way), and nothing else held. */
function isSwitcherKey(event) {
  return (
    (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && (event.key || "").toLowerCase() === "k"
  );
}
