// Popovers and menus (the members list, the user menu, the narrow-screen room
// list): at most one is open; Escape or a click outside closes it, and Escape
// puts focus back on the button that opened it. Each toggle carries
// aria-expanded. A <details> popover still opens and closes without script;
// this module only adds the closing rules, and keeps an open panel on screen.

// Room kept between a panel and the edge of the window.
const VIEWPORT_MARGIN_PX = 8;

export class Popovers {
  constructor(doc = document) {
    this.doc = doc;
    this.entries = [];
    doc.addEventListener("keydown", (event) => this.keydown(event));
    // Capture: a click that something else handles still counts as outside.
    doc.addEventListener("click", (event) => this.clicked(event), true);
    doc.defaultView?.addEventListener("resize", () => this.refit());
  }

  /**
   * Manage one popover. entry: toggle (the button), container (what counts as
   * inside: the panel and its toggle), isOpen(), close(), and optionally panel
   * (what is kept within the window). Call opened(entry) when it opens, so the
   * others close.
   */
  add(entry) {
    this.entries.push(entry);
    return entry;
  }

  /** A <details> whose <summary> is the toggle. */
  addDetails(details) {
    const toggle = details.querySelector(":scope > summary");
    if (!toggle) return null;
    const entry = this.add({
      toggle,
      container: details,
      panel: details.querySelector(":scope > :not(summary)"),
      isOpen: () => details.open,
      close: () => {
        details.open = false;
      },
    });
    const sync = () => toggle.setAttribute("aria-expanded", String(details.open));
    sync();
    details.addEventListener("toggle", () => {
      sync();
      if (details.open) this.opened(entry);
    });
    return entry;
  }

  /** ``entry`` has just opened: close every other one, and bring it on screen. */
  opened(entry) {
    for (const other of this.entries) {
      if (other !== entry && other.isOpen()) other.close();
    }
    fitWithinViewport(entry.panel);
  }

  refit() {
    for (const entry of this.entries) {
      if (entry.isOpen()) fitWithinViewport(entry.panel);
    }
  }

  keydown(event) {
    // An Escape that a field or a dialog inside the page already used is theirs.
    if (event.key !== "Escape" || event.defaultPrevented) return;
    const open = this.entries.filter((entry) => entry.isOpen());
    if (!open.length) return;
    event.preventDefault();
    const active = this.doc.activeElement;
    const focusWasAway = !active || active === this.doc.body;
    for (const entry of open) {
      const focusInside = entry.container.contains(active) || entry.toggle.contains(active);
      entry.close();
      if (focusInside || focusWasAway) entry.toggle.focus();
    }
  }

  clicked(event) {
    for (const entry of this.entries) {
      if (!entry.isOpen()) continue;
      if (entry.container.contains(event.target) || entry.toggle.contains(event.target)) continue;
      entry.close();
    }
  }
}

/**
 * Shift ``panel`` sideways so it lies within the window. The stylesheet anchors
 * it to its toggle, which on a narrow screen may sit too far in for the panel.
 */
function fitWithinViewport(panel) {
  if (!panel) return;
  panel.style.translate = "";
  const box = panel.getBoundingClientRect();
  const width = panel.ownerDocument.documentElement.clientWidth;
  let shift = 0;
  if (box.right > width - VIEWPORT_MARGIN_PX) shift = width - VIEWPORT_MARGIN_PX - box.right;
  // The left edge wins: the start of the panel is what must be readable.
  if (box.left + shift < VIEWPORT_MARGIN_PX) shift = VIEWPORT_MARGIN_PX - box.left;
  if (shift) panel.style.translate = `${Math.round(shift)}px 0`;
}
