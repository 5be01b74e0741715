// The message list of the open room: one element per seq, in seq order,
// followed by the user's pending sends. User text goes in with textContent;
// the only HTML inserted is a message's `html`, which the server sanitized.

import {
  avatar,
  dayKey,
  dayLabel,
  el,
  fullTime,
  gutterTime,
  icon,
  parseTime,
  repliesText,
  shortTime,
  unreadRepliesText,
} from "./format.js";
import { formatNumber, gettext, interpolate } from "./i18n.js";
import { markOwnMentions } from "./mentions.js";
import { Popovers } from "./popover.js";
import { ReactionPicker, emojiChoices, reactionCount, reactionToggle, whoReacted } from "./reactions.js";
import { ImageViewer, attachmentList } from "./attachments.js";

// Messages by the same person within this long read as one block.
const GROUP_WINDOW_MS = 5 * 60 * 1000;
const NEAR_TOP_PX = 150;
const NEAR_BOTTOM_PX = 80;
// Room left above the "New messages" line when the room opens at it.
const UNREAD_MARGIN_PX = 8;
// A screen that cannot hover has no way to reveal a message's actions: there,
// chat.css hides them and a tap on the message opens them as a menu.
const NO_HOVER = "(hover: none)";

// What a system note says, by its event's kind (chat/notes.py): the event names who,
// and the sentence is the page's language's.
const NOTES = {
  joined: () => gettext("%(name)s joined."),
  left: () => gettext("%(name)s left."),
  added: () => gettext("%(name)s was added."),
  removed: () => gettext("%(name)s was removed."),
};

/** The text of a system note's `event` in the page's language; "" for none, or a kind unknown here. */
export function noteText(event) {
  const sentence = event && Object.prototype.hasOwnProperty.call(NOTES, event.kind) ? NOTES[event.kind] : null;
  const user = (event && event.user) || {};
  const name = user.display_name || user.username || "";
  return sentence && name ? interpolate(sentence(), { name }) : "";
}

export class MessageListView {
  /**
   * options: scroller, list, pendingList, historyStatus, jumpButton (elements);
   * me (username); myName (display name); permissions() -> {can: [...]} (the room summary's `can`); introText(); lookup(seq) -> message;
   * onNearTop(); onEdit(seq, body); onEditDone(); onEditClosed() (the user saved or cancelled: focus goes back);
   * onDelete(seq) (after the user confirmed in the page);
   * onRetry(clientId); onDiscard(clientId); onScrolled() (after any scroll, to mark what was seen read);
   * onReact(seq, emoji); onUnreact(seq, emoji); nameFor(username) -> the name to show (who reacted);
   * emoji (the server's [shortcode, emoji] pairs) and frequent (the user's most used emoji), for the picker;
   * popovers (optional: the page's Popovers, so the actions menu closes like the others);
   * canOpenFiles() (optional: whether the user may download the room's files, i.e. is a member);
   * threads: show each thread's summary under its first message, and offer "Reply in thread"
   * (the room's main list; threads.js); onOpenThread(seq, opener): open the thread of message seq;
   * threadUnread(seq): my unread replies in the thread of message seq, as last heard;
   * idPrefix: of the messages' element ids, so that two lists of one page never share one.
   */
  constructor(options) {
    this.onEditClosed = () => {};
    this.onReact = () => {};
    this.onUnreact = () => {};
    this.nameFor = (username) => username;
    this.emoji = [];
    this.frequent = [];
    this.canOpenFiles = () => true;
    this.threads = false;
    this.onOpenThread = () => {};
    this.threadUnread = () => 0;
    this.idPrefix = "msg-";
    Object.assign(this, options);
    this.viewer = null; // made when a picture is first opened
    this.elements = new Map(); // seq -> element
    this.pendingElements = new Map(); // client_id -> element
    this.editing = null; // seq being edited
    this.confirming = null; // seq whose deletion is being asked about
    this.unreadFrom = 0; // first seq that was unread when the room opened; 0: none
    this.unreadDivider = null; // the "New messages" line, placed above that seq
    this.revealUnread = false; // scroll to the divider once it is in the list
    this.revealSeq = 0; // a message to scroll to and mark (a search result), once it is in the list
    this.actionMenu = null; // the open actions menu (screens without hover), inside its message
    this.popovers ??= new Popovers(this.list.ownerDocument);
    // Toggle, container and panel are the message and menu of the moment (openActionMenu).
    this.actionMenuEntry = this.popovers.add({
      toggle: null,
      container: null,
      panel: null,
      isOpen: () => Boolean(this.actionMenu && this.actionMenu.isConnected),
      close: () => this.closeActionMenu(),
    });
    this.picker = new ReactionPicker({
      host: this.scroller.parentElement,
      popovers: this.popovers,
      choices: emojiChoices(this.emoji, this.frequent),
      onPick: (seq, emoji) => this.toggleReaction(seq, emoji),
      onClose: (seq, refocus) => this.pickerClosed(seq, refocus),
    });
    this.current = 0; // the message the keyboard is on (0: the newest)
    this.roving = null; // its element, the list's one Tab stop
    this.list.addEventListener("click", (event) => this.clicked(event));
    this.list.addEventListener("keydown", (event) => this.keyed(event));
    this.list.addEventListener("focusin", (event) => {
      const article = event.target.closest("article[data-seq]");
      if (article) this.updateRoving(Number(article.dataset.seq));
    });
    this.pendingList.addEventListener("click", (event) => this.clickedPending(event));
    this.scroller.addEventListener("scroll", () => this.scrolled(), { passive: true });
    this.jumpButton.addEventListener("click", () => this.scrollToBottom());
  }

  /** Forget every message shown (the list is to show another log: threads.js). */
  clear() {
    if (this.picker.isOpen()) this.picker.close();
    this.closeActionMenu();
    for (const element of [...this.elements.values(), ...this.pendingElements.values()]) element.remove();
    this.elements.clear();
    this.pendingElements.clear();
    this.editing = null;
    this.confirming = null;
    this.revealSeq = 0;
    this.newestSeq = 0;
    this.current = 0;
    this.roving = null;
    this.loadingOlder = false;
    this.jumpButton.hidden = true;
    this.historyStatus.dataset.state = "";
  }

  /** Bring the DOM in line with the log and the outbox. */
  render(log, pending, { stickToBottom = false, online = true } = {}) {
    const scroll = this.captureScroll();
    const messages = log.sorted();
    const newestBefore = this.newestSeq || 0;
    this.newestSeq = messages.length ? messages[messages.length - 1].seq : 0;
    const perms = this.permissions();
    let previousElement = null;
    let previousMessage = null;
    let dividerPlaced = false;
    for (const message of messages) {
      let element = this.elements.get(message.seq);
      const key = `${renderKey(message, perms, this.me)}|${this.threads ? this.threadUnread(message.seq) : ""}`;
      // An open editor or delete question keeps its element, unless the message is gone.
      const held = !message.deleted && (this.editing === message.seq || this.confirming === message.seq);
      if (!element || (element.dataset.key !== key && !held)) {
        const fresh = this.buildMessage(message, perms);
        fresh.dataset.key = key;
        if (element) {
          const active = element.ownerDocument.activeElement;
          element.replaceWith(fresh);
          if (element.contains(active)) refocusIn(fresh, active);
        }
        element = fresh;
        this.elements.set(message.seq, element);
      }
      if (message.deleted && this.editing === message.seq) this.editing = null;
      if (message.deleted && this.confirming === message.seq) this.confirming = null;
      this.decorate(element, message, previousMessage);
      if (this.unreadDivider && !dividerPlaced && message.seq >= this.unreadFrom) {
        // The first unread message starts a block of its own, name and avatar shown.
        element.classList.remove("msg--continued");
        const expectedDivider = previousElement ? previousElement.nextElementSibling : this.list.firstElementChild;
        if (this.unreadDivider !== expectedDivider) {
          if (previousElement) previousElement.after(this.unreadDivider);
          else this.list.prepend(this.unreadDivider);
        }
        previousElement = this.unreadDivider;
        dividerPlaced = true;
      }
      const expected = previousElement ? previousElement.nextElementSibling : this.list.firstElementChild;
      if (element !== expected) {
        if (previousElement) previousElement.after(element);
        else this.list.prepend(element);
      }
      previousElement = element;
      previousMessage = message;
    }
    if (this.unreadDivider && !dividerPlaced) this.unreadDivider.remove();
    this.updateRoving(this.current);
    this.renderPending(pending, online, previousMessage);
    this.renderHistoryStatus(log);
    this.restoreScroll(scroll, stickToBottom);
    if (this.revealUnread && dividerPlaced) {
      this.revealUnread = false;
      this.scrollToDivider();
    }
    const found = this.revealSeq ? this.elements.get(this.revealSeq) : null;
    if (found && found.isConnected) {
      this.revealSeq = 0;
      found.classList.add("message--found");
      found.scrollIntoView({ block: "center" });
      this.jumpButton.hidden = this.isNearBottom();
    }
    const newerArrived = newestBefore > 0 && this.newestSeq > newestBefore;
    if (newerArrived && !scroll.atBottom && !stickToBottom) this.jumpButton.hidden = false;
  }

  buildMessage(message, perms) {
    const system = !message.author;
    const mine = !system && message.author.username === this.me;
    const created = parseTime(message.created_at);
    const classes = ["msg"];
    if (system) classes.push("msg--system");
    if (mine) classes.push("msg--mine");
    if (message.deleted) classes.push("msg--deleted");
    if (message.provisional) classes.push("msg--provisional");
    const article = el("article", {
      className: classes.join(" "),
      dataset: { testid: "message", seq: String(message.seq), author: system ? "" : message.author.username },
      // Reached by the keyboard: one message of the list takes Tab (see updateRoving).
      attrs: { id: `${this.idPrefix}${message.seq}`, tabindex: "-1" },
    });

    const time = el("time", {
      className: "msg__time",
      dataset: { testid: "message-time" },
      text: shortTime(created),
      attrs: { datetime: created.toISOString(), title: fullTime(created) },
    });

    if (system) {
      const body = el("span", { className: "msg__body" });
      const note = noteText(message.event);
      if (message.deleted) body.textContent = gettext("message deleted");
      else if (note) body.textContent = note; // in the page's language
      else body.innerHTML = message.html; // server-sanitized: a note from a newer server, in the site's language
      article.append(el("div", { className: "msg__gutter" }), el("div", { className: "msg__main" }, body, " ", time));
      return article;
    }

    const name = message.author.display_name || message.author.username;
    const meta = el(
      "div",
      { className: "msg__meta" },
      el("span", {
        className: "msg__author",
        text: name,
        dataset: { testid: "message-author" },
        attrs: { title: `@${message.author.username}` },
      }),
      message.author.bot ? el("span", { className: "tag tag--bot", text: gettext("bot") }) : null,
      time,
    );
    const body = el("div", { className: "msg__body", dataset: { testid: "message-body" } });
    if (message.deleted) {
      body.append(el("span", { className: "msg__tombstone", text: gettext("message deleted"), dataset: { testid: "tombstone" } }));
    } else if (message.provisional) {
      body.textContent = message.body;
    } else {
      body.innerHTML = message.html; // server-sanitized
      markOwnMentions(body, this.me);
    }
    if (message.edited_at && !message.deleted) {
      // In the body, not the header: a grouped message hides its header.
      body.append(
        " ",
        el("span", {
          className: "msg__edited",
          text: gettext("(edited)"),
          dataset: { testid: "edited" },
          attrs: { title: fullTime(parseTime(message.edited_at)) },
        }),
      );
    }
    const gutter = el(
      "div",
      { className: "msg__gutter" },
      avatar(name, message.author.username),
      el("time", { className: "msg__gutter-time", text: gutterTime(created), attrs: { "aria-hidden": "true" } }),
    );
    const files = message.deleted ? null : attachmentList(message.attachments, { canOpen: this.canOpenFiles() });
    // A message of files alone has no text to show.
    if (!message.deleted && !message.body && files) body.hidden = true;
    article.append(
      gutter,
      el(
        "div",
        { className: "msg__main" },
        this.threadLabel(message),
        meta,
        body,
        files,
        this.reactionsRow(message, perms),
        this.threadRow(message),
      ),
    );

    const actions = messageActions(message, mine, perms, this.threads);
    if (actions) article.append(actions);
    return article;
  }

  /** Grouping and day dividers depend on the neighbour, so they are set on every render. */
  decorate(element, message, previous) {
    const created = parseTime(message.created_at);
    const newDay = !previous || dayKey(parseTime(previous.created_at)) !== dayKey(created);
    if (newDay) element.dataset.day = dayLabel(created);
    else delete element.dataset.day;
    element.classList.toggle("msg--day-start", newDay);
    const continued =
      !newDay &&
      previous &&
      previous.seq === message.seq - 1 &&
      message.author &&
      previous.author &&
      previous.author.username === message.author.username &&
      created - parseTime(previous.created_at) < GROUP_WINDOW_MS;
    element.classList.toggle("msg--continued", Boolean(continued));
    element.classList.toggle("msg--picking", this.picker.isOpen() && this.picker.seq === message.seq);
  }

  // Threads ------------------------------------------------------------------

  /** Under a thread's first message in the room's list: its replies, who wrote the last ones, when. */
  threadRow(message) {
    if (!this.threads || message.last_reply_seq == null) return null;
    const count = message.reply_count || 0;
    const unread = this.threadUnread(message.seq);
    const repliers = (message.repliers || []).map((username) => avatar(this.nameFor(username), username));
    const parts = [
      el("span", { className: "thread-summary__avatars", attrs: { "aria-hidden": "true" } }, ...repliers),
      el("span", { className: "thread-summary__count", text: repliesText(count) }),
      unread
        ? el("span", { className: "badge thread-summary__unread", text: formatNumber(unread), attrs: { "aria-label": unreadRepliesText(unread) } })
        : null,
      message.last_reply_at
        ? el("span", { className: "thread-summary__when", text: interpolate(gettext("Last reply %(time)s"), { time: shortTime(parseTime(message.last_reply_at)) }) })
        : null,
    ];
    return el(
      "button",
      {
        className: "thread-summary",
        dataset: { action: "open-thread", thread: String(message.seq), testid: "thread-summary" },
        attrs: { type: "button", title: gettext("View thread") },
      },
      ...parts,
    );
  }

  /** What opens the thread of message ``seq`` here (its summary, else the message), or null. */
  threadOpener(seq) {
    const article = this.elements.get(seq);
    if (!article || !article.isConnected) return null;
    return article.querySelector("[data-action=open-thread]") ?? article;
  }

  /** Above a reply: in the room's list (also sent to the room), the way to its thread; in the thread, that it went to the room too. */
  threadLabel(message) {
    if (message.parent_seq == null) return null;
    if (!this.threads) {
      return message.also_to_room ? el("span", { className: "msg__thread-label", text: gettext("Also sent to the room") }) : null;
    }
    return el("button", {
      className: "link-button msg__thread-label",
      text: gettext("Replied in a thread"),
      dataset: { action: "open-thread", thread: String(message.parent_seq), testid: "reply-thread-link" },
      attrs: { type: "button" },
    });
  }

  // Reactions --------------------------------------------------------------

  /** The message's reactions as toggles (plain counts for someone who may not react); null if none. */
  reactionsRow(message, perms) {
    const reactions = message.deleted ? [] : message.reactions || [];
    if (!reactions.length) return null;
    const canReact = perms.can.includes("react") && !message.provisional;
    const items = reactions.map((reaction) => {
      const who = whoReacted(reaction, this.nameFor);
      const parts = [
        el("span", { className: "reaction__emoji", text: reaction.emoji, attrs: { "aria-hidden": "true" } }),
        el("span", { className: "reaction__count", text: String(reaction.count), attrs: { "aria-hidden": "true" } }),
      ];
      if (!canReact) {
        const said = interpolate(gettext("%(reactions)s: %(names)s"), {
          reactions: reactionCount(reaction.emoji, reaction.count),
          names: who,
        });
        return el(
          "span",
          {
            className: "reaction reaction--static",
            dataset: { testid: "reaction", emoji: reaction.emoji },
            attrs: { title: who },
          },
          ...parts,
          el("span", { className: "visually-hidden", text: said }),
        );
      }
      const mine = reaction.users.includes(this.me);
      return el(
        "button",
        {
          className: mine ? "reaction reaction--mine" : "reaction",
          dataset: { action: "toggle-reaction", testid: "reaction", emoji: reaction.emoji },
          // The name says what it is; the title (its description) says who.
          attrs: {
            type: "button",
            "aria-pressed": String(mine),
            "aria-label": reactionCount(reaction.emoji, reaction.count),
            title: who,
          },
        },
        ...parts,
      );
    });
    return el(
      "div",
      { className: "reactions", dataset: { testid: "reactions" }, attrs: { role: "group", "aria-label": gettext("Reactions") } },
      ...items,
    );
  }

  /** A click on a reaction, or a pick in the picker: the same emoji again takes mine back. */
  toggleReaction(seq, emoji) {
    const message = this.lookup(seq);
    if (!message || message.deleted || !this.permissions().can.includes("react")) return;
    if (reactionToggle(message.reactions, emoji, this.me) === "unreact") this.onUnreact(seq, emoji);
    else this.onReact(seq, emoji);
  }

  /** Open the picker for ``seq`` beside ``anchor``; a second click on the same button closes it. */
  openPicker(article, seq, anchor) {
    if (this.picker.isOpen() && this.picker.seq === seq) {
      this.picker.close();
      return;
    }
    article.classList.add("msg--picking"); // its actions stay shown while it picks
    this.picker.open(seq, anchor);
  }

  /** The picker closed: the message's actions may hide again; ``refocus``: back to where it opened. */
  pickerClosed(seq, refocus) {
    const article = this.elements.get(seq);
    if (!article || !article.isConnected) return;
    if (refocus) {
      // The button that opened it, while msg--picking still shows it (a tap menu's is never shown).
      const button = article.querySelector(".msg__actions [data-action=react-add]");
      if (button && button.getClientRects().length) button.focus({ preventScroll: true });
      else article.focus({ preventScroll: true });
    }
    article.classList.remove("msg--picking");
  }

  renderPending(pending, online, lastMessage) {
    const keep = new Set(pending.map((entry) => entry.client_id));
    for (const [clientId, element] of this.pendingElements) {
      if (!keep.has(clientId)) {
        element.remove();
        this.pendingElements.delete(clientId);
      }
    }
    for (const entry of pending) {
      const key = `${entry.state}|${entry.error}|${online}|${(entry.attachments || []).length}`;
      let element = this.pendingElements.get(entry.client_id);
      if (!element || element.dataset.key !== key) {
        const fresh = this.buildPending(entry, online);
        fresh.dataset.key = key;
        if (element) element.replaceWith(fresh);
        else this.pendingList.append(fresh);
        element = fresh;
        this.pendingElements.set(entry.client_id, element);
      }
    }
    // The first pending send carries my name, unless my own message is just above it.
    const mineAbove = Boolean(lastMessage && lastMessage.author && lastMessage.author.username === this.me);
    pending.forEach((entry, index) => {
      this.pendingElements.get(entry.client_id).classList.toggle("msg--continued", index > 0 || mineAbove);
    });
  }

  buildPending(entry, online) {
    const failed = entry.state === "failed";
    const article = el("article", {
      className: `msg msg--mine msg--pending${failed ? " msg--failed" : ""}`,
      dataset: { testid: "pending-message", clientId: entry.client_id, state: entry.state },
    });
    let status;
    if (failed) status = interpolate(gettext("Not sent: %(reason)s"), { reason: entry.error });
    else if (entry.state === "waiting") {
      const seconds = Math.max(1, Math.ceil(((entry.retryAt || Date.now()) - Date.now()) / 1000));
      status = entry.retryAt ? interpolate(gettext("Sending too fast; retrying in %(seconds)s s…"), { seconds: formatNumber(seconds) }) : gettext("Retrying shortly…");
    } else status = online ? gettext("Sending…") : gettext("Waiting for connection…");
    const statusLine = el("div", { className: "msg__status", text: status, dataset: { testid: "pending-status" } });
    if (failed) {
      statusLine.append(
        " ",
        el("button", { className: "link-button", text: gettext("Retry"), attrs: { type: "button" }, dataset: { action: "retry" } }),
        " · ",
        el("button", {
          className: "link-button",
          text: gettext("Discard"),
          attrs: { type: "button" },
          dataset: { action: "discard", testid: "discard" },
        }),
      );
    }
    article.append(
      el("div", { className: "msg__gutter" }, avatar(this.myName, this.me)),
      el(
        "div",
        { className: "msg__main" },
        el("div", { className: "msg__meta" }, el("span", { className: "msg__author", text: this.myName })),
        el("div", { className: "msg__body", text: entry.body, dataset: { testid: "message-body" }, attrs: { hidden: !entry.body } }),
        attachmentList(entry.attachments, { canOpen: true }),
        statusLine,
      ),
    );
    return article;
  }

  renderHistoryStatus(log) {
    const status = this.historyStatus;
    let state = "beginning";
    if (!log.loaded || (log.hasMoreBefore && this.loadingOlder)) state = "loading";
    else if (log.hasMoreBefore) state = "more";
    if (status.dataset.state === state) return;
    status.dataset.state = state;
    status.textContent = state === "loading" ? gettext("Loading older messages…") : state === "beginning" ? this.introText() : "";
    status.hidden = state === "more";
  }

  // Editing ----------------------------------------------------------------

  clicked(event) {
    const button = event.target.closest("button[data-action]");
    if (!button) {
      this.tapped(event);
      return;
    }
    const article = button.closest("article[data-seq]");
    if (!article) return;
    const seq = Number(article.dataset.seq);
    const action = button.dataset.action;
    if (this.actionMenu && this.actionMenu.contains(button)) this.closeActionMenu();
    if (action === "open-image") {
      this.viewer ??= new ImageViewer(this.list.ownerDocument);
      this.viewer.open(button.dataset.url, button.dataset.name);
      return;
    }
    if (action === "open-thread" || action === "reply-in-thread") {
      const message = this.lookup(seq);
      const thread = button.dataset.thread ? Number(button.dataset.thread) : message?.parent_seq ?? seq;
      this.onOpenThread(thread, article.contains(button) && button.isConnected ? button : article);
    } else if (action === "edit") this.startEditing(article, seq);
    else if (action === "react-add") this.openPicker(article, seq, article.contains(button) ? button : article);
    else if (action === "toggle-reaction") this.toggleReaction(seq, button.dataset.emoji);
    else if (action === "delete") this.askToDelete(article, seq);
    else if (action === "confirm-delete") {
      this.stopAsking();
      this.onDelete(seq);
    } else if (action === "cancel-delete") this.stopAsking({ refocus: true });
  }

  // The keyboard ------------------------------------------------------------------

  /**
   * The message list is one Tab stop, on ``seq`` (or the newest message): Up and
   * Down, Home and End move among the messages, and Tab goes on to the focused
   * message's actions (shown while it has focus), as in the ARIA feed pattern.
   */
  updateRoving(seq) {
    let element = this.elements.get(seq);
    if (!element || !element.isConnected) {
      // Nowhere yet, or that message is gone: the newest, following new ones.
      element = this.elements.get(this.newestSeq);
      seq = 0;
    }
    this.current = seq;
    if (element === this.roving) return;
    if (this.roving) this.roving.tabIndex = -1;
    this.roving = element ?? null;
    if (this.roving) this.roving.tabIndex = 0;
  }

  keyed(event) {
    const article = event.target;
    if (!(article instanceof HTMLElement) || !article.matches("article[data-seq]")) return;
    const articles = [...this.list.querySelectorAll("article[data-seq]")];
    const index = articles.indexOf(article);
    let next = null;
    if (event.key === "ArrowUp") next = articles[index - 1];
    else if (event.key === "ArrowDown") next = articles[index + 1];
    else if (event.key === "Home") next = articles[0];
    else if (event.key === "End") next = articles[articles.length - 1];
    else if (event.key === "Escape") {
      event.preventDefault();
      this.onEditClosed(); // back to the composer
      return;
    }
    if (!next) return;
    event.preventDefault();
    this.updateRoving(Number(next.dataset.seq));
    next.focus(); // scrolled into view; near the top, the scroll loads older messages
  }

  // The actions menu (screens without hover) -------------------------------

  /** A tap on a message, not on anything of its own that reacts to taps, toggles its actions menu. */
  tapped(event) {
    if (!this.list.ownerDocument.defaultView.matchMedia(NO_HOVER).matches) return;
    const article = event.target.closest("article[data-seq]");
    if (!article || event.target.closest("a, button, input, textarea, select, label, form, [role=menu], .confirm-delete")) {
      return;
    }
    const again = this.actionMenu && article.contains(this.actionMenu);
    this.closeActionMenu();
    if (!again) this.openActionMenu(article, event.clientY);
  }

  openActionMenu(article, tapY) {
    const message = this.lookup(Number(article.dataset.seq));
    if (!message || this.editing === message.seq || this.confirming === message.seq) return;
    const mine = Boolean(message.author && message.author.username === this.me);
    const actions = allowedActions(message, mine, this.permissions(), this.threads);
    if (!actions.length) return;
    const items = actions.map(({ action, label, danger }) =>
      el("button", {
        className: danger ? "msg__menu-item msg__menu-item--danger" : "msg__menu-item",
        text: label,
        attrs: { type: "button", role: "menuitem", tabindex: "-1" },
        dataset: { action },
      }),
    );
    const menu = el(
      "div",
      { className: "msg__menu", dataset: { testid: "message-menu" }, attrs: { role: "menu", "aria-label": gettext("Message actions") } },
      ...items,
    );
    menu.addEventListener("keydown", (event) => moveWithinMenu(event, items));
    // Just under the finger, but within the message: it is what the menu is about.
    const box = article.getBoundingClientRect();
    menu.style.top = `${Math.round(Math.min(Math.max(tapY - box.top, 0), box.height))}px`;
    article.append(menu);
    article.classList.add("msg--menu-open");
    this.actionMenu = menu;
    Object.assign(this.actionMenuEntry, { toggle: article, container: menu, panel: menu });
    this.popovers.opened(this.actionMenuEntry);
    items[0].focus({ preventScroll: true });
    menu.scrollIntoView({ block: "nearest" });
  }

  closeActionMenu() {
    const menu = this.actionMenu;
    this.actionMenu = null;
    if (!menu) return;
    menu.parentElement?.classList.remove("msg--menu-open");
    menu.remove();
  }

  clickedPending(event) {
    const button = event.target.closest("button[data-action]");
    const article = button && button.closest("article[data-client-id]");
    if (!article) return;
    if (button.dataset.action === "open-image") {
      this.viewer ??= new ImageViewer(this.list.ownerDocument);
      this.viewer.open(button.dataset.url, button.dataset.name);
      return;
    }
    if (button.dataset.action === "retry") this.onRetry(article.dataset.clientId);
    else if (button.dataset.action === "discard") this.onDiscard(article.dataset.clientId);
  }

  /** Open the editor on the user's newest message they can edit; returns whether it did. */
  editLast() {
    // The Edit buttons say which messages qualify (mine, not deleted, confirmed, room writable).
    const buttons = this.list.querySelectorAll("article[data-seq] button[data-action=edit]");
    const article = buttons.length ? buttons[buttons.length - 1].closest("article[data-seq]") : null;
    if (!article) return false;
    this.startEditing(article, Number(article.dataset.seq));
    return this.editing !== null;
  }

  startEditing(article, seq) {
    const message = this.lookup(seq);
    if (!message || message.deleted) return;
    if (this.confirming !== null) this.stopAsking();
    if (this.editing !== null) this.stopEditing();
    this.editing = seq;
    const body = article.querySelector(".msg__body");
    const input = el("textarea", {
      className: "edit__input",
      dataset: { testid: "edit-input" },
      attrs: { rows: "2", "aria-label": gettext("Edit") },
    });
    input.value = message.body;
    const form = el(
      "form",
      { className: "edit" },
      input,
      el(
        "div",
        { className: "edit__buttons" },
        el("button", { className: "button button--small", text: gettext("Save"), attrs: { type: "submit" }, dataset: { testid: "edit-save" } }),
        el("button", {
          className: "button button--small button--quiet",
          text: gettext("Cancel"),
          attrs: { type: "button" },
          dataset: { action: "cancel-edit" },
        }),
      ),
    );
    const finish = (save) => {
      const value = input.value;
      this.stopEditing();
      if (save && value.trim() && value !== message.body) this.onEdit(seq, value);
      this.onEditClosed();
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      finish(true);
    });
    form.querySelector("[data-action=cancel-edit]").addEventListener("click", () => finish(false));
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        finish(false);
      } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        finish(true);
      }
    });
    body.hidden = true;
    body.after(form);
    article.classList.add("msg--editing");
    input.focus({ preventScroll: true });
    input.setSelectionRange(input.value.length, input.value.length);
    // The editor is taller than the text it replaces: keep Save and Cancel on screen.
    form.scrollIntoView({ block: "nearest" });
  }

  stopEditing() {
    const seq = this.editing;
    this.editing = null;
    const article = this.elements.get(seq);
    if (!article) return;
    // Force a rebuild on the next render, whatever changed meanwhile.
    article.dataset.key = "";
    article.classList.remove("msg--editing");
    article.querySelector("form.edit")?.remove();
    const body = article.querySelector(".msg__body");
    if (body) body.hidden = false;
    this.onEditDone();
  }

  // Deleting ---------------------------------------------------------------

  /** Ask in the message itself; the question's buttons come back through clicked(). */
  askToDelete(article, seq) {
    const message = this.lookup(seq);
    if (!message || message.deleted) return;
    if (this.editing !== null) this.stopEditing();
    if (this.confirming !== null) this.stopAsking();
    this.confirming = seq;
    const promptId = `${this.idPrefix}delete-prompt-${seq}`;
    const cancel = el("button", {
      className: "button button--small button--quiet",
      text: gettext("Cancel"),
      attrs: { type: "button" },
      dataset: { action: "cancel-delete", testid: "delete-cancel" },
    });
    const question = el(
      "div",
      {
        className: "confirm-delete",
        dataset: { testid: "delete-confirm" },
        attrs: { role: "group", "aria-labelledby": promptId },
      },
      el("p", { className: "confirm-delete__prompt", text: gettext("Delete this message? It will show as deleted for everyone."), attrs: { id: promptId } }),
      el(
        "div",
        { className: "confirm-delete__buttons" },
        el("button", {
          className: "button button--small button--danger",
          text: gettext("Delete"),
          attrs: { type: "button" },
          dataset: { action: "confirm-delete", testid: "delete-confirm-button" },
        }),
        cancel,
      ),
    );
    question.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.preventDefault();
      this.stopAsking({ refocus: true });
    });
    article.querySelector(".msg__main").append(question);
    article.classList.add("msg--confirming");
    // The safe answer has focus: a second Enter does not delete.
    cancel.focus({ preventScroll: true });
    question.scrollIntoView({ block: "nearest" });
  }

  /** Close the question; ``refocus`` puts focus back on the message's Delete button. */
  stopAsking({ refocus = false } = {}) {
    const seq = this.confirming;
    this.confirming = null;
    const article = this.elements.get(seq);
    if (!article) return;
    const message = this.lookup(seq);
    if (!message || article.dataset.key !== renderKey(message, this.permissions(), this.me)) {
      article.dataset.key = ""; // it changed while held: rebuild on the next render
    }
    // Unmark first: while focus is still inside, the actions show and can take focus.
    article.classList.remove("msg--confirming");
    if (refocus) article.querySelector("button[data-action=delete]")?.focus();
    article.querySelector(".confirm-delete")?.remove();
  }

  // Scrolling --------------------------------------------------------------

  isNearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  captureScroll() {
    const atBottom = this.isNearBottom();
    if (atBottom) return { atBottom };
    const top = this.scroller.scrollTop;
    for (const element of this.list.children) {
      if (element.offsetTop + element.offsetHeight > top) {
        return { atBottom, anchor: element, offset: element.offsetTop - top };
      }
    }
    return { atBottom };
  }

  restoreScroll(scroll, stickToBottom) {
    if (scroll.atBottom || stickToBottom) {
      this.scroller.scrollTop = this.scroller.scrollHeight;
      this.jumpButton.hidden = true;
    } else if (scroll.anchor && scroll.anchor.isConnected) {
      this.scroller.scrollTop = scroll.anchor.offsetTop - scroll.offset;
    }
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.jumpButton.hidden = true;
  }

  scrolled() {
    if (this.isNearBottom()) this.jumpButton.hidden = true;
    if (this.scroller.scrollTop < NEAR_TOP_PX) this.onNearTop();
    this.onScrolled?.();
  }

  /**
   * The room opened with unread messages from `seq` on: a "New messages" line goes
   * above that message, and the next render that has it scrolls it to the top.
   */
  showUnreadFrom(seq) {
    this.unreadFrom = seq;
    this.revealUnread = true;
    if (!this.unreadDivider) {
      this.unreadDivider = el(
        "div",
        {
          className: "unread-divider",
          dataset: { testid: "unread-divider" },
          attrs: { role: "separator", "aria-label": gettext("New messages") },
        },
        el("span", { className: "unread-divider__label", text: gettext("New messages") }),
      );
    }
  }

  /** Open at message ``seq`` (a search result): scrolled to the middle, and marked. */
  showMessage(seq) {
    this.revealSeq = seq;
  }

  scrollToDivider() {
    const top = this.unreadDivider.getBoundingClientRect().top - this.scroller.getBoundingClientRect().top;
    this.scroller.scrollTop += top - UNREAD_MARGIN_PX;
    // Unread messages below the fold: offer the way down.
    this.jumpButton.hidden = this.isNearBottom();
  }

  /** True once the message `seq` has been scrolled into view (its bottom edge reached), not merely loaded. */
  hasShown(seq) {
    const element = this.elements.get(seq);
    if (!element || !element.isConnected) return false;
    return element.getBoundingClientRect().bottom <= this.scroller.getBoundingClientRect().bottom + 1;
  }

  /** True if the list does not fill the scroller, so no scroll event will ever ask for more. */
  underfilled() {
    return this.scroller.scrollHeight <= this.scroller.clientHeight + NEAR_TOP_PX;
  }
}

/** What the user may do to ``message``: the row of buttons and the menu both offer these. */
function allowedActions(message, mine, perms, threads = false) {
  if (message.deleted || message.provisional || !message.author) return [];
  const can = perms.can;
  const actions = [];
  if (mine && can.includes("edit")) actions.push({ action: "edit", label: gettext("Edit"), danger: false });
  if (can.includes("react")) {
    actions.push({ action: "react-add", label: gettext("Add reaction"), danger: false, icon: "smile-plus" });
  }
  if (threads && can.includes("send")) {
    actions.push({ action: "reply-in-thread", label: gettext("Reply in thread"), danger: false, icon: "threads" });
  }
  if ((mine && can.includes("delete")) || can.includes("delete_others")) {
    actions.push({ action: "delete", label: gettext("Delete"), danger: true });
  }
  return actions;
}

function messageActions(message, mine, perms, threads = false) {
  const buttons = allowedActions(message, mine, perms, threads).map(({ action, label, danger, icon: name }) =>
    name
      ? el(
          "button",
          { className: "icon-button", attrs: { type: "button", "aria-label": label, title: label }, dataset: { action, testid: action } },
          icon(name),
        )
      : el("button", {
          className: danger ? "icon-button icon-button--danger" : "icon-button",
          text: label,
          attrs: { type: "button" },
          dataset: { action, testid: action },
        }),
  );
  return buttons.length ? el("div", { className: "msg__actions" }, ...buttons) : null;
}

/** Arrow keys, Home and End move focus among a menu's items, as in the ARIA menu pattern. */
function moveWithinMenu(event, items) {
  const index = items.indexOf(event.target);
  let next = null;
  if (event.key === "ArrowDown") next = items[(index + 1) % items.length];
  else if (event.key === "ArrowUp") next = items[(index - 1 + items.length) % items.length];
  else if (event.key === "Home") next = items[0];
  else if (event.key === "End") next = items[items.length - 1];
  if (!next) return;
  event.preventDefault();
  next.focus();
}

function renderKey(message, perms, me) {
  const mine = message.author && message.author.username === me;
  return [
    message.deleted,
    message.provisional,
    message.edited_at,
    message.html,
    message.provisional ? message.body : "",
    mine,
    perms.can.join(","),
    JSON.stringify(message.reactions || []),
    JSON.stringify((message.attachments || []).map((file) => file.id)),
    message.parent_seq ?? "",
    message.also_to_room ?? "",
    message.reply_count ?? "",
    message.last_reply_seq ?? "",
    message.last_reply_at ?? "",
    JSON.stringify(message.repliers || []),
  ].join("|");
}

/** ``fresh`` replaced the element that held focus on ``focused``: focus its counterpart, or the message. */
function refocusIn(fresh, focused) {
  let target = fresh;
  const action = focused.dataset?.action;
  if (action) {
    const same = [...fresh.querySelectorAll(`[data-action="${action}"]`)].find(
      (node) => node.dataset.emoji === focused.dataset.emoji,
    );
    if (same) target = same;
  }
  // The message first: with focus within, its actions row shows, so its buttons can take focus.
  fresh.focus({ preventScroll: true });
  if (target !== fresh) target.focus({ preventScroll: true });
}
