// The sidebar's lists of rooms and direct conversations, with unread badges, and
// the Threads entry with the unread replies in the user's threads.
// The server renders the first version (chat/_sidebar.html); this keeps it
// up to date, reusing one element per room so focus is not lost.

import { el, icon, unreadRepliesText } from "./format.js";
import { formatNumber, gettext, interpolate, ngettext } from "./i18n.js";
import { presenceDot } from "./presence.js";

export class SidebarView {
  constructor({ root, roomUrl, activeSlug, presenceOf = () => null }) {
    this.root = root;
    this.presenceOf = presenceOf; // room -> true/false (a direct conversation's other person), or null
    this.roomUrl = roomUrl;
    this.activeSlug = activeSlug;
    this.lists = {
      rooms: root.querySelector("[data-room-list=rooms]"),
      direct: root.querySelector("[data-room-list=direct]"),
    };
    this.items = new Map();
    for (const item of root.querySelectorAll("li[data-slug]")) this.items.set(item.dataset.slug, item);
    this.threadsLink = root.querySelector("[data-testid=threads-link]");
  }

  render(directory) {
    this.renderThreads(directory.totalThreadUnread());
    const sections = directory.sections();
    const seen = new Set();
    for (const [section, rooms] of Object.entries(sections)) {
      const list = this.lists[section];
      if (!list) continue;
      let previous = null;
      for (const room of rooms) {
        seen.add(room.slug);
        const unread = directory.unread(room.slug);
        const mentions = directory.mentions(room.slug);
        const online = this.presenceOf(room);
        const key = [room.name, room.private, room.archived, room.direct, unread, room.slug === this.activeSlug, online, mentions, room.muted].join("|");
        let item = this.items.get(room.slug);
        if (!item) {
          item = el("li", { dataset: { slug: room.slug } });
          this.items.set(room.slug, item);
        }
        if (item.dataset.key !== key) {
          item.dataset.key = key;
          item.replaceChildren(this.link(room, unread, online, mentions));
        }
        const expected = previous ? previous.nextElementSibling : list.firstElementChild;
        if (item !== expected) {
          if (previous) previous.after(item);
          else list.prepend(item);
        }
        previous = item;
      }
      list.querySelector("li.room-list__empty")?.remove();
      if (!rooms.length) {
        list.append(
          el("li", { className: "room-list__empty", text: section === "direct" ? gettext("No conversations yet.") : gettext("No rooms yet.") }),
        );
      }
    }
    for (const [slug, item] of this.items) {
      if (!seen.has(slug)) {
        item.remove();
        this.items.delete(slug);
      }
    }
  }

  renderThreads(unread) {
    if (!this.threadsLink) return;
    const badge = this.threadsLink.querySelector("[data-testid=threads-unread]");
    const shown = formatNumber(unread);
    if (badge.textContent === shown && badge.hidden === (unread === 0)) return;
    badge.textContent = shown;
    badge.setAttribute("aria-label", unreadRepliesText(unread));
    badge.hidden = unread === 0;
    this.threadsLink.classList.toggle("has-unread", unread > 0);
  }

  link(room, unread, online = null, mentions = 0) {
    const active = room.slug === this.activeSlug;
    const classes = ["room-link"];
    if (active) classes.push("is-active");
    // A muted room keeps its count, quietly: not bold, a grey badge.
    if (unread && !room.muted) classes.push("has-unread");
    if (room.archived) classes.push("is-archived");
    if (room.muted) classes.push("is-muted");
    const badge = el("span", {
      className: room.muted ? "badge badge--quiet" : "badge",
      text: String(unread),
      dataset: { testid: `unread-${room.slug}` },
      attrs: { "aria-label": interpolate(ngettext("%(count)s unread", "%(count)s unread", unread), { count: formatNumber(unread) }) },
    });
    badge.hidden = unread === 0;
    // Apart from unread: the messages among them that mention me.
    const mentionBadge = el("span", {
      className: "badge badge--mention",
      text: `@${formatNumber(mentions)}`,
      dataset: { testid: `mentions-${room.slug}` },
      attrs: { "aria-label": interpolate(ngettext("%(count)s mention", "%(count)s mentions", mentions), { count: formatNumber(mentions) }) },
    });
    mentionBadge.hidden = mentions === 0;
    return el(
      "a",
      {
        className: classes.join(" "),
        dataset: { testid: `room-link-${room.slug}` },
        attrs: { href: this.roomUrl(room.slug), "aria-current": active ? "page" : null },
      },
      el("span", { className: "room-link__icon" }, icon(room.direct ? "at" : room.private ? "lock" : "hash")),
      el("span", { className: "room-link__name", text: room.name }),
      room.muted
        ? el("span", { className: "room-link__muted", attrs: { role: "img", "aria-label": gettext("Muted"), title: gettext("Muted") } }, icon("bell-off"))
        : null,
      online === null ? null : presenceDot(online),
      mentionBadge,
      badge,
    );
  }
}
