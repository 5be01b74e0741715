// @mentions in the composer: typing "@" opens a list of the room's members that
// match what follows it (username or display name, by prefix, ignoring case).
// The textarea is an ARIA combobox and the list its listbox: Up and Down move,
// Enter or Tab puts "@username " in the text, Escape closes the list. While the
// list is open it takes those keys before the composer does (see composer.js).
// The server decides who is mentioned; this only helps to type the name.

import { el } from "./format.js";
import { formatNumber, gettext } from "./i18n.js";

const LIMIT = 8;
// Letters of the scripts written without spaces between words (chat/rendering.py's
// NO_SPACE_LETTERS): a word may start after any of them.
const NO_SPACE = "\\p{sc=Han}\\p{sc=Hiragana}\\p{sc=Katakana}\\p{sc=Bopomofo}\\p{sc=Thai}\\p{sc=Lao}\\p{sc=Khmer}\\p{sc=Myanmar}";
const NO_SPACE_LETTER = new RegExp(`[${NO_SPACE}]`, "u");
// What may follow "@" (or the full-width "＠" of a Chinese input method) in a mention
// being typed: the server's username characters (letters, digits and . + - _), less
// "@", which would start an e-mail address. The "@" starts a word, or follows a letter
// of a script written without spaces ("你好@").
const TYPED_MENTION = new RegExp(`(?:^|[^\\p{L}\\p{N}_@＠]|[${NO_SPACE}])[@＠]([\\p{L}\\p{N}_.+-]{0,150})$`, "u");

/**
 * The mention being typed at `caret` in `value`: {start, query}, where `start` is the
 * index of its "@", or null if the caret is not in one.
 */
export function mentionAt(value, caret) {
  const match = TYPED_MENTION.exec(value.slice(0, caret));
  if (!match) return null;
  const query = match[1];
  return { start: caret - query.length - 1, query };
}

/**
 * The members (`{username, display_name}`) that `query` names: its start is the start
 * of their username, of their display name, or of a word of it, ignoring case; a query
 * that starts with a letter of a script written without spaces ("伟") may be anywhere
 * in the name ("张伟"), as a word may start at any letter there. Those whose username
 * starts with it come first, then by shown name; `exclude` (my own username) is left
 * out, and at most `limit` are returned.
 */
export function matchMembers(members, query, { exclude = "", limit = LIMIT } = {}) {
  const folded = query.toLocaleLowerCase();
  const anywhere = NO_SPACE_LETTER.test(folded.charAt(0));
  const found = [];
  for (const member of members) {
    if (member.username === exclude) continue;
    const shown = member.display_name || member.username;
    const byUsername = member.username.toLocaleLowerCase().startsWith(folded);
    const byName = shown
      .toLocaleLowerCase()
      .split(/\s+/)
      .concat(shown.toLocaleLowerCase())
      .some((word) => (anywhere ? word.includes(folded) : word.startsWith(folded)));
    if (byUsername || byName) found.push({ member, rank: byUsername ? 0 : 1, shown });
  }
  found.sort(
    (a, b) =>
      a.rank - b.rank ||
      a.shown.localeCompare(b.shown, undefined, { sensitivity: "base" }) ||
      a.member.username.localeCompare(b.member.username),
  );
  return found.slice(0, limit).map((entry) => entry.member);
}

/** Give each mention of `me` in `root` the class that makes it stand out. */
export function markOwnMentions(root, me) {
  for (const node of root.querySelectorAll(".mention")) {
    // Messages rendered before mentions named their user show only the text.
    const username = node.dataset.username || node.textContent.slice(1);
    node.classList.toggle("mention-me", username === me);
  }
}

/** The tab's title: "@2 (5) #general · Chat" for 5 unread messages, 2 of them mentioning me. */
export function titleWith(base, unread, mentions) {
  const marks = [mentions ? `@${formatNumber(mentions)}` : "", unread ? `(${formatNumber(unread)})` : ""];
  return [...marks.filter(Boolean), base].join(" ");
}

let lists = 0;

export class MentionAutocomplete {
  /**
   * input: the composer's textarea; members() -> [{username, display_name}] of the
   * open room; me: my username (not offered).
   */
  constructor({ input, members, me }) {
    this.input = input;
    this.members = members;
    this.me = me;
    this.matches = [];
    this.active = -1;
    this.mention = null;
    this.dismissed = -1; // the start of a mention whose list Escape closed
    lists += 1;
    this.list = el("ul", {
      className: "mention-picker",
      attrs: { id: `mention-list-${lists}`, role: "listbox", "aria-label": gettext("People to mention") },
      dataset: { testid: "mention-list" },
    });
    this.list.hidden = true;
    input.before(this.list);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", this.list.id);
    input.setAttribute("aria-expanded", "false");

    input.addEventListener("input", () => this.update());
    input.addEventListener("click", () => this.update());
    input.addEventListener("blur", () => this.close());
    // Pressing on an option must not take the focus from the textarea (its blur closes the list).
    this.list.addEventListener("mousedown", (event) => event.preventDefault());
    this.list.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option && this.list.contains(option)) this.pick(Number(option.dataset.index));
    });
  }

  get isOpen() {
    return !this.list.hidden;
  }

  /** Look at the text before the caret again: open, refresh or close the list. */
  update() {
    const { value, selectionStart, selectionEnd } = this.input;
    const mention = selectionStart === selectionEnd ? mentionAt(value, selectionStart) : null;
    if (!mention || mention.start === this.dismissed) {
      if (!mention) this.dismissed = -1;
      this.close();
      return;
    }
    this.dismissed = -1;
    this.mention = mention;
    this.matches = matchMembers(this.members(), mention.query, { exclude: this.me });
    if (!this.matches.length) {
      this.close();
      return;
    }
    this.active = Math.min(Math.max(this.active, 0), this.matches.length - 1);
    this.render();
  }

  render() {
    this.list.replaceChildren(
      ...this.matches.map((member, index) => {
        const shown = member.display_name || member.username;
        return el(
          "li",
          {
            className: `mention-picker__option${index === this.active ? " is-active" : ""}`,
            attrs: {
              id: `${this.list.id}-${index}`,
              role: "option",
              "aria-selected": index === this.active ? "true" : "false",
            },
            dataset: { index: String(index), username: member.username, testid: "mention-option" },
          },
          el("span", { className: "mention-picker__name", text: shown }),
          shown === member.username ? null : el("span", { className: "mention-picker__username", text: `@${member.username}` }),
        );
      }),
    );
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.input.setAttribute("aria-activedescendant", `${this.list.id}-${this.active}`);
    this.list.children[this.active]?.scrollIntoView({ block: "nearest" });
  }

  close() {
    this.list.hidden = true;
    this.list.replaceChildren();
    this.matches = [];
    this.active = -1;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }

  /** A key pressed in the textarea; true if the list used it (the composer then leaves it alone). */
  keydown(event) {
    if (!this.isOpen || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return false;
    switch (event.key) {
      case "ArrowDown":
      case "ArrowUp": {
        const step = event.key === "ArrowDown" ? 1 : -1;
        this.active = (this.active + step + this.matches.length) % this.matches.length;
        this.render();
        break;
      }
      case "Enter":
      case "Tab":
        if (event.shiftKey) return false;
        this.pick(this.active);
        break;
      case "Escape":
        // Only the list closes: no editor, popover or dialog hears this Escape.
        this.dismissed = this.mention ? this.mention.start : -1;
        this.close();
        event.stopPropagation();
        break;
      default:
        return false;
    }
    event.preventDefault();
    return true;
  }

  /** Put "@username " in place of the mention being typed. */
  pick(index) {
    const member = this.matches[index];
    if (!member || !this.mention) return;
    const { value, selectionStart } = this.input;
    const inserted = `@${member.username} `;
    const after = value.slice(selectionStart).replace(/^ /, "");
    this.input.value = value.slice(0, this.mention.start) + inserted + after;
    const caret = this.mention.start + inserted.length;
    this.input.setSelectionRange(caret, caret);
    this.close();
    // The composer keeps the draft, the counter and the typing notice up to date.
    this.input.dispatchEvent(new Event("input", { bubbles: true }));
  }
}
