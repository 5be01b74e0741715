// The message composer: Enter sends, Shift+Enter starts a new line, empty
// text is not sent, and over the length limit it says so instead of sending.
// Up in an empty box asks to edit the user's last message (`onEditLast`).
// With a `draft` (see drafts.js), unsent text is kept and comes back when the
// room (or the thread, see useDraft) is opened again. With an `autocomplete` (see mentions.js), its open list
// takes the keys it uses (Up, Down, Enter, Tab, Escape) before the composer does.
// With `files` (attachments.js's Uploads), a message may be only files, and it
// waits until they are uploaded.

import { formatNumber, gettext, interpolate, ngettext } from "./i18n.js";

const TYPING_EVERY_MS = 3000;
const WARN_WITHIN = 200;

function charactersLeft(left) {
  return interpolate(ngettext("%(count)s character left", "%(count)s characters left", left), {
    count: formatNumber(left),
  });
}

export class Composer {
  constructor({ form, input, button, counter, maxLength, onSend, onTyping, onEditLast = () => false, draft = null, autocomplete = null, files = null }) {
    this.form = form;
    this.input = input;
    this.button = button;
    this.counter = counter;
    this.maxLength = maxLength;
    this.onSend = onSend;
    this.onTyping = onTyping;
    this.onEditLast = onEditLast;
    this.draft = draft;
    this.autocomplete = autocomplete;
    this.files = files;
    this.enabled = true;
    this.lastTyping = 0;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    input.addEventListener("keydown", (event) => {
      if (this.autocomplete?.keydown(event)) return;
      if (event.key === "Enter" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey) {
        // Enter while an input method composes (pinyin, kana) picks its candidate: it
        // is the input method's, not a send. Safari tells so by keyCode 229 alone.
        if (event.isComposing || event.keyCode === 229) return;
        event.preventDefault();
        this.submit();
      } else if (event.key === "ArrowUp" && this.wantsEditLast(event)) {
        // Only when it opened an editor: otherwise Up moves the caret as usual.
        if (this.onEditLast()) event.preventDefault();
      }
    });
    input.addEventListener("input", () => {
      this.draft?.save(this.input.value);
      this.update();
      this.typed();
    });
    const saved = draft ? draft.load() : "";
    if (saved) input.value = saved;
    this.update();
  }

  /** Keep what is typed in ``draft`` from now on (null: in none), and show what it holds:
   * the thread panel's one composer writes each thread's reply in that thread's draft. */
  useDraft(draft) {
    this.draft = draft;
    this.input.value = draft ? draft.load() : "";
    this.lastTyping = 0;
    this.update();
  }

  length() {
    // The server counts code points, as Array.from does.
    return Array.from(this.input.value).length;
  }

  submit() {
    if (!this.enabled) return;
    const body = this.input.value;
    if (this.files?.busy()) {
      this.counter.textContent = gettext("Wait until the files are uploaded.");
      return;
    }
    if ((!body.trim() && !this.hasFiles()) || this.length() > this.maxLength) return;
    this.onSend(body);
    this.draft?.clear();
    this.input.value = "";
    this.lastTyping = 0;
    this.update();
    this.input.focus();
  }

  hasFiles() {
    return Boolean(this.files && this.files.ready().length);
  }

  wantsEditLast(event) {
    const modified = event.shiftKey || event.altKey || event.ctrlKey || event.metaKey;
    return this.enabled && !modified && !event.isComposing && this.input.value === "";
  }

  focus() {
    this.input.focus();
  }

  typed() {
    if (!this.enabled || !this.input.value.trim()) return;
    const now = Date.now();
    if (now - this.lastTyping >= TYPING_EVERY_MS) {
      this.lastTyping = now;
      this.onTyping();
    }
  }

  update() {
    const length = this.length();
    const over = length > this.maxLength;
    if (over) this.counter.textContent = interpolate(gettext("Too long: %(length)s / %(max)s characters"), {
        length: formatNumber(length),
        max: formatNumber(this.maxLength),
      });
    else if (length > this.maxLength - WARN_WITHIN) this.counter.textContent = charactersLeft(this.maxLength - length);
    else this.counter.textContent = "";
    this.counter.classList.toggle("is-error", over);
    this.input.setAttribute("aria-invalid", over ? "true" : "false");
    const empty = !this.input.value.trim() && !this.hasFiles();
    this.button.disabled = !this.enabled || over || empty || Boolean(this.files?.busy());
    this.autosize();
  }

  autosize() {
    this.input.style.height = "auto";
    this.input.style.height = `${this.input.scrollHeight}px`;
  }

  setEnabled(enabled) {
    this.enabled = enabled;
    this.input.disabled = !enabled;
    this.update();
  }
}
