// The room page's chrome: the header (name, topic, badges, the mute button),
// the notice under it, what a member or a visitor is offered (composer, Join),
// the connection pill and the short-lived toast. It shows what the server's
// room summary says; it decides nothing.

import { el } from "./format.js";
import { gettext } from "./i18n.js";

const TOAST_MS = 6000;

/**
 * Draw ``summary`` (the room's ROOM_SUMMARY) for a user who is a ``member`` or not;
 * ``lostAccess``: why they no longer are (removed, left), or "". Returns whether
 * they may write.
 */
export function applyRoomChrome(summary, { member, lostAccess, composer, placeholder }) {
  for (const node of document.querySelectorAll("[data-room-name]")) node.textContent = summary.name;
  const topic = document.querySelector("[data-room-topic]");
  if (topic) {
    topic.textContent = summary.topic || "";
    topic.hidden = !summary.topic;
  }
  const archivedBadge = document.querySelector("[data-badge=archived]");
  if (archivedBadge) archivedBadge.hidden = !summary.archived;
  const privateBadge = document.querySelector("[data-badge=private]");
  if (privateBadge) privateBadge.hidden = !summary.private || summary.direct;
  const muteForm = document.querySelector("[data-mute-form]");
  if (muteForm) {
    muteForm.querySelector("[data-mute-value]").value = summary.muted ? "0" : "1";
    muteForm.querySelector("[data-mute-label]").textContent = summary.muted ? gettext("Unmute") : gettext("Mute");
  }

  const notice = document.getElementById("room-notice");
  const shown = lostAccess || (summary.archived ? gettext("This room is archived and read-only.") : "");
  notice.textContent = shown;
  notice.hidden = !shown;
  for (const node of document.querySelectorAll("[data-member-only]")) node.hidden = !member || Boolean(lostAccess);
  // A public room can be joined again after leaving it or being removed: the
  // summary lists `join` for members too, for what applies once they are out.
  const can = member && !lostAccess ? summary.can || [] : [];
  const joinable = !member && (summary.can || []).includes("join");
  const joinPanel = document.getElementById("join-panel");
  if (joinPanel) joinPanel.hidden = !joinable;
  document.getElementById("composer").hidden = !member && (!lostAccess || joinable);
  const canWrite = can.includes("send");
  composer.setEnabled(canWrite);
  composer.input.placeholder = canWrite ? placeholder : "";
  return canWrite;
}

/** The connection pill ("Connected", "Reconnecting…"), with what the user can do about it. */
export class StatusPill {
  constructor(element, { onUseHere }) {
    this.element = element;
    element?.addEventListener("click", (event) => {
      if (event.target.closest("[data-action=use-here]")) onUseHere();
    });
  }

  show(state) {
    document.body.classList.toggle("is-offline", state === "reconnecting" || state === "replaced");
    const element = this.element;
    if (!element) return;
    element.dataset.state = state;
    const label = {
      connecting: gettext("Connecting…"),
      online: gettext("Connected"),
      reconnecting: gettext("Reconnecting…"),
      unauthorized: gettext("Signed out. Taking you to the login page…"),
      replaced: gettext("Disconnected: you have this chat open in too many tabs."),
    }[state];
    element.replaceChildren(el("span", { className: "status__dot", attrs: { "aria-hidden": "true" } }), label);
    // Another tab took the connection (4409): take it back. Retrying now is the
    // offline banner's.
    if (state === "replaced") {
      element.append(
        " ",
        el("button", {
          className: "link-button",
          text: gettext("Use here"),
          attrs: { type: "button" },
          dataset: { action: "use-here" },
        }),
      );
    }
  }
}

/** A short message at the bottom of the page (an error the server sent). */
export class Toast {
  constructor(element) {
    this.element = element;
    this.timer = null;
  }

  show(message) {
    if (!this.element || !message) return;
    this.element.textContent = message;
    this.element.hidden = false;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.element.hidden = true;
    }, TOAST_MS);
  }
}

/** Post a small form (mute) in the background; the server's frame then updates the page. */
export async function submitQuietly(event) {
  const form = event.currentTarget;
  event.preventDefault();
  try {
    const response = await fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
  } catch {
    form.submit(); // the page's way, with its error shown after the redirect
  }
}
