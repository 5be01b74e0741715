// Threads: replies beside the room. A reply is a message of the room (it takes the
// room's seq) whose parent_seq is the seq of its thread's first message; the
// room's main timeline leaves it out unless it was also sent to the room. The
// thread panel shows one thread at a time: its first message, its replies (paged
// through history with parent_seq), and a composer for more. It is the page's
// labelled complementary region, full screen on a small screen; focus moves into
// it when it opens and back to what opened it when it closes (Escape closes it).
// The server keeps the counts (thread_updated, thread_unread); this shows them
// and sends intents.

import { Composer } from "./composer.js";
import { Draft } from "./drafts.js";
import { unreadRepliesText } from "./format.js";
import { CATCH_UP_PAGE_SIZE, PAGE_SIZE } from "./history.js";
import { formatNumber, gettext } from "./i18n.js";
import { MentionAutocomplete } from "./mentions.js";
import { MessageListView } from "./message-view.js";
import { RoomLog } from "./store.js";

/** Whether ``message`` is a reply in a thread. */
export function isReply(message) {
  return message.parent_seq !== null && message.parent_seq !== undefined;
}

/** Whether the room's main timeline shows ``message``: not a reply, or one also sent to the room. */
export function inMainView(message) {
  return !isReply(message) || Boolean(message.also_to_room);
}

/**
 * The history frame of a thread for ``kind``: "newest" (its newest replies), "before"
 * (older than those held), "after" (newer than those held: catching up) or "focus"
 * (the replies up to ``focusSeq``, a reply to show).
 */
export function threadFrame(kind, { room, parentSeq, log, focusSeq = 0 }) {
  const frame = { type: "history", room, parent_seq: parentSeq, limit: PAGE_SIZE };
  if (kind === "before") frame.before_seq = log.oldestReply() || parentSeq + 1;
  else if (kind === "after") {
    frame.after_seq = Math.max(log.newestReply(), parentSeq);
    frame.limit = CATCH_UP_PAGE_SIZE;
  } else if (kind === "focus") frame.before_seq = focusSeq + 1;
  return frame;
}

/** One thread's messages, keyed by seq: its first message and the replies held. */
export class ThreadLog extends RoomLog {
  constructor(slug, parentSeq) {
    super(slug);
    this.parentSeq = parentSeq;
  }

  /** Whether ``message`` is this thread's: its first message or one of its replies. */
  holds(message) {
    return message.seq === this.parentSeq || message.parent_seq === this.parentSeq;
  }

  get root() {
    return this.messages.get(this.parentSeq) ?? null;
  }

  newestReply() {
    let newest = 0;
    for (const seq of this.messages.keys()) if (seq !== this.parentSeq && seq > newest) newest = seq;
    return newest;
  }

  oldestReply() {
    let oldest = 0;
    for (const seq of this.messages.keys()) if (seq !== this.parentSeq && (!oldest || seq < oldest)) oldest = seq;
    return oldest;
  }

  /**
   * A page of the thread's history arrived for ``kind`` (threadFrame's): its first
   * message (``parent``) and its replies go in. Returns the replies.
   */
  loadPage(kind, frame) {
    if (frame.parent && frame.parent.seq === this.parentSeq) this.put(frame.parent);
    const replies = (frame.messages || []).filter((message) => typeof message.seq === "number" && this.holds(message));
    for (const message of replies) this.put(message);
    if (kind === "newest" || kind === "focus" || !this.loaded) {
      this.hasMoreBefore = Boolean(frame.has_more);
      this.loaded = true;
    } else if (kind === "before") this.hasMoreBefore = Boolean(frame.has_more) && replies.length > 0;
    return replies;
  }

  /** Not a seq range: a thread's replies leave the room's other seqs out. */
  advance() {}

  hasGap() {
    return false;
  }
}

/**
 * The thread panel of the room page (room.html's aside#thread-panel). What its list
 * shows and lets the user do is the room's: ``view`` holds the MessageListView options
 * it shares with the room's list (me, myName, permissions, nameFor, emoji, frequent,
 * onEdit, onDelete, onReact, onUnreact, onRetry, onDiscard).
 */
export class ThreadPanel {
  /**
   * element: the aside; room: the slug; send(frame) -> whether it went out;
   * pending(parentSeq) -> the outbox's entries replying in that thread;
   * onReply(body, parentSeq, alsoToRoom); onTyping(); members() -> the room's members
   * (to mention); maxLength: of a body; attentive() -> the window is seen;
   * online() -> connected; onToggle(open): it opened or closed (the page's layout);
   * fallbackFocus(parentSeq) -> where focus goes when what opened it is gone (redrawn);
   * files(composer) -> the Uploads for its composer (attachments.js; ``composer()`` is
   * that Composer), or null: the files attached go with the next reply, in whichever
   * thread it is.
   */
  constructor({ element, room, send, view, pending, onReply, onTyping, members, maxLength, attentive, online, onToggle, fallbackFocus, files = () => null }) {
    this.element = element;
    this.room = room;
    this.send = send;
    this.pending = pending;
    this.onReply = onReply;
    this.attentive = attentive;
    this.online = online;
    this.onToggle = onToggle;
    this.fallbackFocus = fallbackFocus;
    this.parentSeq = null;
    this.log = null;
    this.opener = null;
    this.focusSeq = 0;
    this.gone = false; // the server said there is no such thread
    this.inflight = []; // {kind, parentSeq}, oldest first: answers come in order
    this.readSent = new Map(); // parent seq -> the marker sent for it
    this.me = view.me;
    this.title = element.querySelector("[data-thread-title]");
    this.form = element.querySelector("form");
    this.also = element.querySelector("[data-thread-also]");
    const input = this.form.querySelector("textarea");
    this.view = new MessageListView({
      ...view,
      scroller: element.querySelector("[data-thread-scroller]"),
      list: element.querySelector("[data-thread-list]"),
      pendingList: element.querySelector("[data-thread-pending]"),
      historyStatus: element.querySelector("[data-thread-status]"),
      jumpButton: element.querySelector("[data-thread-jump]"),
      idPrefix: "thread-msg-",
      threads: false,
      introText: () => (this.gone ? gettext("This thread is not there (any more).") : ""),
      lookup: (seq) => this.log?.messages.get(seq),
      onNearTop: () => this.loadOlder(),
      onScrolled: () => this.markRead(),
      onEditDone: () => this.render(),
      onEditClosed: () => this.focusIn(),
    });
    this.composer = new Composer({
      form: this.form,
      input,
      button: this.form.querySelector("[type=submit]"),
      counter: element.querySelector("[data-thread-counter]"),
      maxLength,
      onSend: (body) => this.reply(body),
      onEditLast: () => this.view.editLast(),
      onTyping,
      autocomplete: new MentionAutocomplete({ input, members, me: view.me }),
      files: files(() => this.composer),
    });
    element.querySelector("[data-thread-close]").addEventListener("click", () => this.close());
    element.addEventListener("keydown", (event) => {
      // An Escape that something inside used (an editor, a picker, a list) is theirs.
      if (event.key !== "Escape" || event.defaultPrevented || !this.isOpen()) return;
      event.preventDefault();
      this.close();
    });
  }

  isOpen() {
    return this.parentSeq !== null;
  }

  /**
   * Show the thread of message ``parentSeq`` (``root``: that message, if held), and move
   * focus into the panel; ``opener`` gets it back on close. ``focusSeq``: a reply to show.
   */
  open(parentSeq, { opener = null, focusSeq = 0, root = null } = {}) {
    this.opener = opener ?? this.opener;
    if (this.parentSeq === parentSeq) {
      this.focusIn();
      return;
    }
    this.view.clear();
    this.parentSeq = parentSeq;
    this.log = new ThreadLog(this.room, parentSeq);
    this.gone = false;
    this.focusSeq = focusSeq;
    if (root) this.log.put(root);
    // What was typed in this thread before comes back; another thread's stays its own.
    this.composer.useDraft(new Draft({ user: this.me, room: this.room, thread: parentSeq }));
    this.also.checked = false;
    this.element.hidden = false;
    this.onToggle(true);
    this.request(focusSeq ? "focus" : "newest");
    this.render({ stickToBottom: true });
    this.focusIn();
  }

  /** Hide the panel; ``refocus``: focus goes back to what opened it. */
  close({ refocus = true } = {}) {
    if (!this.isOpen()) return;
    const opener = this.opener;
    const parentSeq = this.parentSeq;
    this.parentSeq = null;
    this.log = null;
    this.opener = null;
    this.composer.useDraft(null); // the thread's draft keeps what was typed
    this.view.clear();
    this.element.hidden = true;
    this.onToggle(false);
    if (!refocus) return;
    if (opener && opener.isConnected) opener.focus();
    else this.fallbackFocus(parentSeq)?.focus();
  }

  focusIn() {
    const input = this.composer.input;
    if (!this.form.hidden && this.composer.enabled) input.focus({ preventScroll: true });
    else this.title.focus({ preventScroll: true });
  }

  /** What the room summary says the user may do: write here, or only read. */
  setCanWrite(canWrite) {
    this.form.hidden = !canWrite;
    this.composer.setEnabled(canWrite);
  }

  // Asking ----------------------------------------------------------------------

  request(kind) {
    if (!this.log) return;
    const parentSeq = this.parentSeq;
    if (this.inflight.some((pending) => pending.kind === kind && pending.parentSeq === parentSeq)) return;
    const frame = threadFrame(kind, { room: this.room, parentSeq, log: this.log, focusSeq: this.focusSeq });
    if (!this.send(frame)) return;
    this.inflight.push({ kind, parentSeq });
    if (kind === "before") this.view.loadingOlder = true;
  }

  loadOlder() {
    if (this.log && this.log.loaded && this.log.hasMoreBefore) this.request("before");
  }

  /** After every hello or resync: what came while the socket was down is in no main-view page. */
  catchUp() {
    if (!this.log) return;
    this.request(this.log.loaded ? "after" : this.focusSeq ? "focus" : "newest");
  }

  /** The socket went down: nothing asked for will be answered. */
  reset() {
    this.inflight = [];
    this.view.loadingOlder = false;
  }

  /** Whether a thread's history is awaited (to whom an error without a ref may belong). */
  awaiting() {
    return this.inflight.length > 0;
  }

  /** The oldest request was refused (not_found): the thread is not there. */
  failed() {
    const pending = this.inflight.shift();
    if (!pending || !this.log || pending.parentSeq !== this.parentSeq || this.log.loaded) return;
    this.gone = true;
    this.log.loaded = true;
    this.render();
  }

  /** A history frame of a thread (it has parent_seq) arrived; returns whether it was this panel's. */
  receive(frame) {
    const pending = this.inflight.shift();
    if (!pending || !this.log || pending.parentSeq !== this.parentSeq) return false;
    if (frame.parent_seq !== this.parentSeq && !this.log.loaded) {
      // Opened at a reply: the answer names its thread's first message.
      this.parentSeq = frame.parent_seq;
      this.log.parentSeq = frame.parent_seq;
    }
    const { kind } = pending;
    this.log.loadPage(kind, frame);
    if (kind === "focus") {
      this.view.showMessage(this.focusSeq);
      this.focusSeq = 0;
    }
    if (kind === "before") this.view.loadingOlder = false;
    this.render({ stickToBottom: kind === "newest" });
    if ((kind === "after" || kind === "focus") && frame.has_more) this.request("after");
    if (this.log.hasMoreBefore && this.view.underfilled()) this.loadOlder();
    this.markRead();
    return true;
  }

  // What the room hears ------------------------------------------------------------

  /** A message of the room arrived, or changed (edited, a provisional copy from an ack). */
  put(message, { mine = false } = {}) {
    if (!this.log || !this.log.holds(message)) return;
    if (this.log.put(message)) {
      this.render({ stickToBottom: mine });
      this.markRead();
    }
  }

  deleted(seq) {
    if (this.log?.markDeleted(seq)) this.render();
  }

  reactions(seq, reactions) {
    if (this.log?.setReactions(seq, reactions)) this.render();
  }

  /** thread_updated: the summary of a thread; a reply we never got means asking for it. */
  threadUpdated(frame) {
    if (!this.log || frame.seq !== this.parentSeq) return;
    if (this.log.setThread(frame.seq, frame)) this.render();
    if (this.log.loaded && (frame.last_reply_seq ?? 0) > this.log.newestReply()) this.request("after");
  }

  /** A changes answer: the messages held are replaced with these. */
  changes(messages) {
    if (!this.log) return;
    if (this.log.replaceHeld(messages)) this.render();
    const root = messages.find((message) => message.seq === this.parentSeq);
    if (root && this.log.loaded && (root.last_reply_seq ?? 0) > this.log.newestReply()) this.request("after");
  }

  // Writing and reading --------------------------------------------------------------

  reply(body) {
    if (!this.isOpen()) return;
    this.onReply(body, this.parentSeq, this.also.checked);
    this.also.checked = false;
    this.view.scrollToBottom();
    this.render({ stickToBottom: true });
  }

  /** The thread counts as read up to its newest reply once that has been on screen. */
  markRead() {
    if (!this.log || !this.log.loaded || !this.attentive()) return;
    const newest = this.log.newestReply();
    if (!newest || newest <= (this.readSent.get(this.parentSeq) ?? 0) || !this.view.hasShown(newest)) return;
    const frame = { type: "thread_read", room: this.room, parent_seq: this.parentSeq, seq: newest };
    if (this.send(frame)) this.readSent.set(this.parentSeq, newest);
  }

  render({ stickToBottom = false } = {}) {
    if (!this.log) return;
    this.view.render(this.log, this.pending(this.parentSeq), { stickToBottom, online: this.online() });
  }
}

/** How long the threads page lets replies gather before it asks for its first page again. */
const LISTING_REFRESH_MS = 500;

/**
 * The threads page's list (threads.html's [data-testid=thread-listing]): each thread's
 * count of unread replies, kept live. On the first page, a reply also brings the
 * list again from the server (once per burst of replies), so a thread that was not
 * listed appears at the top and the others keep their order (latest reply first).
 */
export class ThreadList {
  constructor(root, { fetchPage = (url) => fetch(url, { credentials: "same-origin" }) } = {}) {
    this.root = root;
    this.fetchPage = fetchPage;
    this.firstPage = root.dataset.page === "1";
    this.refreshTimer = null;
    this.refreshing = null;
  }

  /** A thread_unread frame; returns whether the page lists that thread. */
  update(frame) {
    this.refreshSoon();
    for (const item of this.root.querySelectorAll("[data-parent-seq]")) {
      if (item.dataset.room !== frame.room || Number(item.dataset.parentSeq) !== frame.parent_seq) continue;
      const badge = item.querySelector("[data-testid=thread-unread]");
      badge.textContent = formatNumber(frame.unread);
      badge.setAttribute("aria-label", unreadRepliesText(frame.unread));
      badge.hidden = frame.unread === 0;
      return true;
    }
    return false;
  }

  /** Fetch the first page again shortly (on later pages, nothing). */
  refreshSoon() {
    if (!this.firstPage || this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.refresh();
    }, LISTING_REFRESH_MS);
  }

  /**
   * The list again, as the server draws it now. Replies during a fetch bring one more;
   * a failed fetch keeps what is shown (its badges stay live; the next reply tries again).
   */
  async refresh() {
    if (this.refreshing) {
      this.refreshing.again = true;
      return;
    }
    const state = { again: false };
    this.refreshing = state;
    try {
      const response = await this.fetchPage(window.location.href);
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.querySelector("[data-testid=thread-listing]");
      if (fresh) {
        // A link that had the focus keeps it in the new list (the same address), so a
        // reply elsewhere does not throw a keyboard user back to the top of the page.
        const active = document.activeElement;
        const href = this.root.contains(active) && active.matches("a[href]") ? active.getAttribute("href") : null;
        this.root.replaceChildren(...fresh.childNodes);
        if (href) [...this.root.querySelectorAll("a[href]")].find((link) => link.getAttribute("href") === href)?.focus();
      }
    } catch {
      // Offline or the server is away: the next reply (or reconnect) brings it.
    } finally {
      this.refreshing = null;
      if (state.again) this.refreshSoon();
    }
  }
}
