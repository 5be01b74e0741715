// The offline banner: while the socket is down, a line across the room says so,
// counts down to the next try (Connection's `retryAt`) and offers to try now.
// The status pill in the footer still shows the state; this makes it hard to miss.

import { el } from "./format.js";
import { formatNumber, gettext, interpolate } from "./i18n.js";

// Ticks faster than once a second, so the shown second changes on time.
const TICK_MS = 250;

export class OfflineBanner {
  /** onRetryNow(): try to connect at once; focusAfter() -> where focus goes if it was on the banner. */
  constructor({ onRetryNow, focusAfter = () => null }) {
    this.focusAfter = focusAfter;
    this.retryAt = null;
    this.timer = null;
    // Only the banner's arrival is announced, not every tick of the countdown.
    this.countdown = el("span", { dataset: { testid: "offline-countdown" }, attrs: { "aria-live": "off" } });
    this.button = el("button", {
      className: "button button--small button--secondary",
      text: gettext("Retry now"),
      attrs: { type: "button" },
      dataset: { testid: "offline-retry" },
    });
    this.button.addEventListener("click", () => {
      if (this.retryAt) onRetryNow();
    });
    this.element = el(
      "div",
      { className: "offline-banner", attrs: { role: "status" }, dataset: { testid: "offline-banner" } },
      el("span", { className: "offline-banner__text" }, el("strong", { text: gettext("You're offline.") }), " ", this.countdown),
      this.button,
    );
    this.element.hidden = true;
  }

  /** Follow the connection's status (see Connection): shown only while reconnecting. */
  update(state, detail = {}) {
    if (state !== "reconnecting") {
      this.hide();
      return;
    }
    // Between tries (an attempt under way) there is no retryAt: no countdown then.
    this.retryAt = detail.retryAt || null;
    // aria-disabled, not disabled: a focused button keeps its focus meanwhile.
    this.button.setAttribute("aria-disabled", String(!this.retryAt));
    this.element.hidden = false;
    this.tick();
    if (this.retryAt && !this.timer) this.timer = setInterval(() => this.tick(), TICK_MS);
    if (!this.retryAt) this.stopTicking();
  }

  tick() {
    const seconds = this.retryAt ? Math.ceil((this.retryAt - Date.now()) / 1000) : 0;
    const label = seconds > 0 ? interpolate(gettext("Reconnecting in %(seconds)s s…"), { seconds: formatNumber(seconds) }) : gettext("Reconnecting…");
    if (this.countdown.textContent !== label) this.countdown.textContent = label;
  }

  hide() {
    this.stopTicking();
    this.retryAt = null;
    if (this.element.hidden) return;
    const hadFocus = this.element.contains(document.activeElement);
    this.element.hidden = true;
    if (hadFocus) this.focusAfter()?.focus();
  }

  stopTicking() {
    clearInterval(this.timer);
    this.timer = null;
  }
}
