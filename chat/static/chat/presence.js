// Who is online, as the server's presence frames say: one list per room, of the
// members with an open socket anywhere. A user is online if any list has them.
// While this page is disconnected nothing is known, and nothing is claimed.

import { el } from "./format.js";
import { gettext } from "./i18n.js";

export class PresenceState {
  constructor(me) {
    this.me = me;
    this.rooms = new Map(); // slug -> Set of usernames
  }

  /** A presence frame: ``online`` is the room's whole list. Returns whether it changed. */
  update(room, online) {
    const next = new Set(online);
    const before = this.rooms.get(room);
    if (before && before.size === next.size && [...next].every((name) => before.has(name))) return false;
    this.rooms.set(room, next);
    return true;
  }

  forget(room) {
    this.rooms.delete(room);
  }

  clear() {
    this.rooms.clear();
  }

  /** true or false once a list has come; null while nothing is known. */
  isOnline(username) {
    if (!this.rooms.size) return null;
    for (const names of this.rooms.values()) if (names.has(username)) return true;
    return false;
  }

  /** For a direct conversation: is the other person online (null: not known). */
  othersOnline(room) {
    const names = this.rooms.get(room);
    if (!names) return null;
    for (const name of names) if (name !== this.me) return true;
    return false;
  }
}

/** The dot beside a name: green when online, hollow when not, absent when unknown. */
export function presenceDot(online) {
  const label = online ? gettext("Online") : gettext("Offline");
  return el("span", {
    className: `presence ${online ? "presence--online" : "presence--offline"}`,
    dataset: { presence: online ? "online" : "offline" },
    attrs: { role: "img", "aria-label": label, title: label },
  });
}

/**
 * Mark each member of a member list (li.member[data-username]) online or offline.
 * With ``room``, only once that room has a list of its own (a big room gets none).
 */
export function showPresence(list, state, room = null) {
  if (!list) return;
  const known = room === null || state.rooms.has(room);
  for (const item of list.querySelectorAll("li[data-username]")) {
    const online = known ? state.isOnline(item.dataset.username) : null;
    const current = item.querySelector(".presence");
    if (online === null) {
      current?.remove();
      item.classList.remove("is-online");
      continue;
    }
    if (current?.dataset.presence !== (online ? "online" : "offline")) {
      const dot = presenceDot(online);
      const avatar = item.querySelector(".avatar");
      if (current) current.replaceWith(dot);
      else if (avatar) avatar.after(dot);
      else item.prepend(dot);
    }
    item.classList.toggle("is-online", online);
  }
}
