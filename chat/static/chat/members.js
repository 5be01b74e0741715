// The open room's member list (the popover in the room header), kept live by the
// server's member_joined and member_left frames.

import { el, hueFor, initialsFor } from "./format.js";
import { formatNumber, gettext, interpolate, ngettext } from "./i18n.js";

/** "3 members": the member list's count. */
export function memberCount(count) {
  return interpolate(ngettext("%(count)s member", "%(count)s members", count), { count: formatNumber(count) });
}

export class MemberList {
  constructor(root) {
    this.list = root.querySelector(".member-list");
    this.count = root.querySelector("[data-member-count]");
  }

  /** Someone joined or was added: show them once, in name order. */
  add(member) {
    if (!this.list || this.find(member.username)) return;
    const shown = member.display_name || member.username;
    const avatar = el("span", {
      className: "avatar avatar--sm",
      attrs: { "aria-hidden": "true" },
      text: initialsFor(shown),
      dataset: { avatarFor: member.username, avatarName: shown },
    });
    avatar.style.setProperty("--avatar-hue", String(hueFor(member.username)));
    const item = el(
      "li",
      { className: "member", dataset: { username: member.username } },
      avatar,
      el("span", { className: "member__name", text: shown }),
      el("span", { className: "member__username", text: `@${member.username}` }),
      member.bot ? el("span", { className: "tag tag--bot", text: gettext("bot") }) : null,
      member.role === "admin" ? el("span", { className: "tag", text: gettext("admin") }) : null,
    );
    const after = [...this.list.children].find(
      (node) => (node.querySelector(".member__name")?.textContent ?? "").localeCompare(shown) > 0,
    );
    this.list.insertBefore(item, after ?? null);
    this.updateCount();
  }

  /** Someone left, was removed, or is gone. */
  remove(username) {
    this.find(username)?.remove();
    this.updateCount();
  }

  find(username) {
    return [...(this.list?.children ?? [])].find((node) => node.dataset.username === username);
  }

  /** Everyone listed, as {username, display_name} (the shown name): whom "@" offers. */
  all() {
    return [...(this.list?.children ?? [])].map((node) => ({
      username: node.dataset.username,
      display_name: node.querySelector(".member__name")?.textContent ?? "",
    }));
  }

  updateCount() {
    if (this.count && this.list) this.count.textContent = memberCount(this.list.children.length);
  }
}
