// Small helpers shared by the views: local times, day labels, avatars, and
// the page's user-facing strings in one place.

export const text = {
  connecting: "Connecting…",
  online: "Connected",
  reconnecting: "Reconnecting…",
  retryNow: "Retry now",
  unauthorized: "Signed out. Taking you to the login page…",
  replaced: "Disconnected: you have this chat open in too many tabs.",
  useHere: "Use here",
  offline: "You're offline.",
  reconnectingIn: (seconds) => `Reconnecting in ${seconds} s…`,
  switcherTitle: "Switch to a room",
  switcherPlaceholder: "Find a room by name",
  switcherRooms: "Rooms",
  switcherEmpty: "No room matches.",
  switcherHint: "↑ ↓ to move · Enter to open · Esc to close",
  currentRoom: "current",
  edited: "(edited)",
  deleted: "message deleted",
  edit: "Edit",
  delete: "Delete",
  messageActions: "Message actions",
  save: "Save",
  cancel: "Cancel",
  retry: "Retry",
  discard: "Discard",
  confirmDelete: "Delete this message? It will show as deleted for everyone.",
  sending: "Sending…",
  waitingForConnection: "Waiting for connection…",
  retrying: (seconds) => `Sending too fast; retrying in ${seconds} s…`,
  retryingSoon: "Retrying shortly…",
  notSent: (reason) => `Not sent: ${reason}`,
  loadingOlder: "Loading older messages…",
  beginning: (name) => `This is the very beginning of #${name}.`,
  beginningDirect: (name) => `This is the beginning of your conversation with ${name}.`,
  tooLong: (length, max) => `Too long: ${length.toLocaleString()} / ${max.toLocaleString()} characters`,
  charactersLeft: (left) => `${left.toLocaleString()} characters left`,
  archived: "This room is archived and read-only.",
  removed: "You no longer have access to this room.",
  admin: "admin",
  bot: "bot",
  notificationTitle: (author, room) => `${author} in #${room}`,
  mute: "Mute",
  unmute: "Unmute",
  muted: "Muted",
  userOnline: "Online",
  userOffline: "Offline",
  members: (n) => (n === 1 ? "1 member" : `${n.toLocaleString()} members`),
  left: "You left this room.",
  notMember: "Join this room to post messages.",
  typingOne: (a) => `${a} is typing…`,
  typingTwo: (a, b) => `${a} and ${b} are typing…`,
  typingMany: "Several people are typing…",
  unread: (n) => `${n} unread`,
  mentions: (n) => (n === 1 ? "1 mention" : `${n.toLocaleString()} mentions`),
  mentionBadge: (n) => `@${n.toLocaleString()}`,
  mentionList: "People to mention",
  // The tab's title: unread messages, and the mentions among them apart.
  titleUnread: (n) => `(${n.toLocaleString()})`,
  titleMentions: (n) => `@${n.toLocaleString()}`,
  noRooms: "No rooms yet.",
  noDirect: "No conversations yet.",
  newMessages: "New messages",
  system: "System",
  today: "Today",
  yesterday: "Yesterday",
  // Reactions (reactions.js)
  reactions: "Reactions",
  addReaction: "Add reaction",
  reactionCount: (emoji, n) => (n === 1 ? `${emoji} 1 reaction` : `${emoji} ${n.toLocaleString()} reactions`),
  reactedWith: (who, emoji) => `${who} reacted with ${emoji}`,
  // "Alice", "Alice and Bob", "Alice, Bob and Carol", "Alice, Bob and 3 others".
  nameList: (names, others = 0) => {
    const shown = others > 0 ? [...names, others === 1 ? "1 other" : `${others.toLocaleString()} others`] : names;
    if (shown.length <= 1) return shown.join("");
    return `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
  },
  emojiSearch: "Search emoji",
  emojiList: "Emoji",
  emojiNone: "No emoji found.",
  // Threads (threads.js)
  replyInThread: "Reply in thread",
  replies: (n) => (n === 1 ? "1 reply" : `${n.toLocaleString()} replies`),
  unreadReplies: (n) => (n === 1 ? "1 unread reply" : `${n.toLocaleString()} unread replies`),
  lastReply: (time) => `Last reply ${time}`,
  viewThread: "View thread",
  repliedInThread: "Replied in a thread",
  alsoSentToRoom: "Also sent to the room",
  threadGone: "This thread is not there (any more).",
};

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });
const dayWithYearFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  year: "numeric",
  month: "long",
  day: "numeric",
});

export function parseTime(value) {
  const date = value ? new Date(value) : new Date();
  return Number.isNaN(date.getTime()) ? new Date() : date;
}

export function shortTime(date) {
  return timeFormat.format(date);
}

/** Hours and minutes only (no AM/PM), for the narrow gutter of a grouped message. */
export function gutterTime(date) {
  return timeFormat
    .formatToParts(date)
    .filter((part) => part.type !== "dayPeriod")
    .map((part) => part.value)
    .join("")
    .trim();
}

export function fullTime(date) {
  return fullFormat.format(date);
}

export function dayKey(date) {
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

export function dayLabel(date, now = new Date()) {
  if (dayKey(date) === dayKey(now)) return text.today;
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (dayKey(date) === dayKey(yesterday)) return text.yesterday;
  return (date.getFullYear() === now.getFullYear() ? dayFormat : dayWithYearFormat).format(date);
}

/** A stable hue for a username, so each person keeps their avatar colour. */
export function hueFor(name) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) % 360;
  return hash;
}

export function initialsFor(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (!words.length) return "?";
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : [words[0]];
  return letters
    .map((word) => Array.from(word)[0])
    .join("")
    .toUpperCase();
}

/** Build an element: el("span", {className, text, dataset, attrs}, ...children). */
export function el(tag, { className, text: content, dataset, attrs } = {}, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (dataset) Object.assign(node.dataset, dataset);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
    }
  }
  if (content !== undefined) node.textContent = content;
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

const SVG = "http://www.w3.org/2000/svg";
let iconSprite = "";

/** Where icons.svg is served (the page knows its static URL). */
export function setIconSprite(url) {
  iconSprite = url || "";
}

/** An icon from icons.svg, hidden from screen readers (the text beside it says what it is). */
export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const use = document.createElementNS(SVG, "use");
  use.setAttribute("href", `${iconSprite}#${name}`);
  svg.append(use);
  return svg;
}

export function avatar(name, username, size = "") {
  const node = el("span", { className: `avatar${size ? ` avatar--${size}` : ""}`, attrs: { "aria-hidden": "true" } });
  node.textContent = initialsFor(name || username);
  node.style.setProperty("--avatar-hue", String(hueFor(username || name)));
  return node;
}
