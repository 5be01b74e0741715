// Small helpers shared by the views: times and days in the page's language,
// avatars, and building elements. The page's strings come from i18n.js.

import { formatNumber, gettext, interpolate, ngettext, pageLanguage } from "./i18n.js";

const formats = new Map(); // "language|options" -> Intl.DateTimeFormat

function dateFormat(options) {
  const language = pageLanguage();
  const key = `${language}|${JSON.stringify(options)}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(language, options);
    formats.set(key, format);
  }
  return format;
}

const TIME = { hour: "numeric", minute: "2-digit" };
const FULL = { dateStyle: "full", timeStyle: "medium" };
const DAY = { weekday: "long", month: "long", day: "numeric" };
const DAY_WITH_YEAR = { weekday: "long", year: "numeric", month: "long", day: "numeric" };
const DATE = { month: "short", day: "numeric" };
const DATE_WITH_YEAR = { year: "numeric", month: "short", day: "numeric" };

export function parseTime(value) {
  const date = value ? new Date(value) : new Date();
  return Number.isNaN(date.getTime()) ? new Date() : date;
}

/** The time of day as the page's language writes it: "2:03 PM", "14:03". */
export function shortTime(date) {
  return dateFormat(TIME).format(date);
}

/** Hours and minutes only (no AM/PM), for the narrow gutter of a grouped message. */
export function gutterTime(date) {
  return dateFormat(TIME)
    .formatToParts(date)
    .filter((part) => part.type !== "dayPeriod")
    .map((part) => part.value)
    .join("")
    .trim();
}

export function fullTime(date) {
  return dateFormat(FULL).format(date);
}

export function dayKey(date) {
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

/** How many days ``date`` is after ``now`` by the calendar (-1: yesterday), or null beyond a day. */
function daysFrom(date, now) {
  if (dayKey(date) === dayKey(now)) return 0;
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  return dayKey(date) === dayKey(yesterday) ? -1 : null;
}

/** "Today", "Yesterday" ("今天", "昨天"): Intl's words, the first letter upper-cased for a label. */
function relativeDay(days) {
  const language = pageLanguage();
  const word = new Intl.RelativeTimeFormat(language, { numeric: "auto" }).format(days, "day");
  return word.charAt(0).toLocaleUpperCase(language) + word.slice(1);
}

/** A day divider's label: Today, Yesterday, else the weekday and date (the year if another). */
export function dayLabel(date, now = new Date()) {
  const days = daysFrom(date, now);
  if (days !== null) return relativeDay(days);
  return dateFormat(date.getFullYear() === now.getFullYear() ? DAY : DAY_WITH_YEAR).format(date);
}

/** A moment, briefly: "Today 2:03 PM", "Yesterday 2:03 PM" ("昨天 14:03"), else its date and time. */
export function when(date, now = new Date()) {
  const days = daysFrom(date, now);
  const time = shortTime(date);
  if (days !== null) return `${relativeDay(days)} ${time}`;
  const day = dateFormat(date.getFullYear() === now.getFullYear() ? DATE : DATE_WITH_YEAR).format(date);
  return `${day} ${time}`;
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

/** A size for people: "820 bytes", "12.5 KB", "3.4 MB" (powers of 1,024, as the server says them). */
export function formatSize(bytes) {
  if (bytes < 1024) return interpolate(ngettext("%(count)s byte", "%(count)s bytes", bytes), { count: formatNumber(bytes) });
  const units = [gettext("KB"), gettext("MB"), gettext("GB")];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const number = value.toLocaleString(pageLanguage(), { maximumFractionDigits: 1 });
  return interpolate(gettext("%(number)s %(unit)s"), { number, unit: units[unit] });
}

/** A thread's replies: "1 reply", "3 replies" (threads.js). */
export function repliesText(count) {
  return interpolate(ngettext("%(count)s reply", "%(count)s replies", count), { count: formatNumber(count) });
}

/** The replies one has not read: "1 unread reply", "3 unread replies". */
export function unreadRepliesText(count) {
  return interpolate(ngettext("%(count)s unread reply", "%(count)s unread replies", count), {
    count: formatNumber(count),
  });
}
