// What the user has typed in a room's composer, or in a thread's, but not sent
// yet. Going to another room is a page load, so the text is kept in sessionStorage
// (this tab only), one draft per user and room and one per thread (``thread``: its
// first message's seq), until it is sent.

const KEY_PREFIX = "chat.draft.v1";

export class Draft {
  constructor({ user, room, thread = 0 }) {
    const key = `${KEY_PREFIX}:${encodeURIComponent(user)}:${encodeURIComponent(room)}`;
    this.key = thread ? `${key}:thread:${thread}` : key;
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
