// Browser notifications: a mention of the user, or a direct message, that arrives
// while this tab is hidden, unless the room is muted. The browser's permission
// is asked for only when the user clicks "Enable notifications", never on load.

import { gettext, interpolate } from "./i18n.js";

const BODY_MAX = 200;

/** Whether a live message deserves a notification. Pure: the caller says what it knows. */
export function shouldNotify({ message, room, me, hidden }) {
  if (!hidden || !message || !room || message.deleted) return false;
  if (!message.author || message.author.username === me) return false; // system notes, one's own
  if (room.muted) return false;
  return Boolean(room.direct) || (message.mentions || []).includes(me);
}

/** The notification's title and body for a message in a room. */
export function notificationFor(message, room) {
  const author = message.author.display_name || message.author.username;
  const title = room.direct ? author : interpolate(gettext("%(author)s in #%(room)s"), { author, room: room.name });
  const body = message.body.length > BODY_MAX ? `${message.body.slice(0, BODY_MAX - 1)}…` : message.body;
  return { title, body };
}

/** Where a click on the notification leads: the message in its room, or in its thread. */
export function notificationLink(roomUrl, message) {
  const thread = message.parent_seq ? `&thread=${message.parent_seq}` : "";
  return `${roomUrl}?seq=${message.seq}${thread}`;
}

export class Notifier {
  /**
   * ``button``: the "Enable notifications" button (shown only while the browser
   * has not been asked); ``roomUrl(slug)``: where a click on a notification leads.
   */
  constructor({ me, button, roomUrl }) {
    this.me = me;
    this.button = button;
    this.roomUrl = roomUrl;
    this.button?.addEventListener("click", () => this.enable());
    this.renderButton();
  }

  get supported() {
    return typeof window.Notification === "function";
  }

  get permission() {
    return this.supported ? window.Notification.permission : "denied";
  }

  renderButton() {
    if (this.button) this.button.hidden = this.permission !== "default";
  }

  async enable() {
    if (!this.supported) return;
    try {
      await window.Notification.requestPermission();
    } finally {
      this.renderButton();
    }
  }

  /** A live message arrived in ``room`` (its ROOM_SUMMARY): notify if it deserves it. */
  notify(message, room) {
    if (this.permission !== "granted") return null;
    if (!shouldNotify({ message, room, me: this.me, hidden: document.visibilityState === "hidden" })) return null;
    const { title, body } = notificationFor(message, room);
    // One tag per message: the user's other hidden tabs show the same one, not another.
    const notification = new window.Notification(title, { body, tag: `chat:${room.slug}:${message.seq}` });
    notification.onclick = () => {
      window.focus();
      window.location.assign(notificationLink(this.roomUrl(room.slug), message));
      notification.close();
    };
    return notification;
  }
}
