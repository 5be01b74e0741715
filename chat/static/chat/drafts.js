// What the user has typed in a room's composer but not sent yet. Going to
// another room is a page load, so the text is kept in sessionStorage (this
// tab only), one draft per user and room, until it is sent.

const KEY_PREFIX = "chat.draft.v1";

export class Draft {
  constructor({ user, room }) {
    this.key = `${KEY_PREFIX}:${encodeURIComponent(user)}:${encodeURIComponent(room)}`;
  }

  load() {
    try {
      return window.sessionStorage.getItem(this.key) || "";
    } catch {
      return "";
    }
  }

  save(text) {
    try {
      if (text) window.sessionStorage.setItem(this.key, text);
      else window.sessionStorage.removeItem(this.key);
    } catch {
      // Storage full or disabled: the draft lasts as long as the page.
    }
  }

  clear() {
    this.save("");
  }
}
