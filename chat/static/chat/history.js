// The open room's history: which page to ask for (the first page, older pages on
// scroll, what was missed after a reconnect or a resync, the talk around a
// search result or the first unread message), and what an arriving page means.
// It keeps the requests in flight so the same page is not asked for twice.
// It also keeps the room's rev, to ask what changed in the messages it holds
// (edits, deletions, reactions, threads) while the page was away. With a
// ``view`` ("main"), it asks for the room's main timeline, without the replies
// in threads, and counts the seqs each page accounts for as shown.

export const PAGE_SIZE = 50;
export const CATCH_UP_PAGE_SIZE = 100;
// Messages already read that are loaded above the first unread one, for context.
export const UNREAD_CONTEXT = 10;

/** Opening kinds: the room's first page, one at a time whichever it is. */
const OPENING = new Set(["newest", "unread", "focus"]);

/**
 * The history frame for ``kind`` ("newest", "before", "after", "unread", "focus"),
 * from what the log holds. ``unreadFrom`` and ``focusSeq`` serve "unread" and "focus";
 * ``view``, if given, is the view asked for ("main").
 */
export function historyFrame(kind, { room, log, unreadFrom = 0, focusSeq = 0, view = null }) {
  const frame = { type: "history", room, limit: PAGE_SIZE };
  if (view) frame.view = view;
  if (kind === "before") frame.before_seq = log.low;
  else if (kind === "after") {
    frame.after_seq = log.high;
    frame.limit = CATCH_UP_PAGE_SIZE;
  } else if (kind === "unread" || kind === "focus") {
    // The first unread message (or the one asked for), a few before it; catching up brings the rest.
    frame.after_seq = Math.max(0, (kind === "unread" ? unreadFrom : focusSeq) - 1 - UNREAD_CONTEXT);
    frame.limit = CATCH_UP_PAGE_SIZE;
  }
  return frame;
}

/** The seqs a history page accounts for, {from, to}, if it says (a view that leaves messages out). */
export function pageRange(frame) {
  const { from_seq: from, to_seq: to } = frame;
  return Number.isSafeInteger(from) && Number.isSafeInteger(to) ? { from, to } : null;
}

/** The changes frame: what changed in the room's messages after ``afterRev``. */
export function changesFrame(room, afterRev) {
  return { type: "changes", room, after_rev: afterRev, limit: CATCH_UP_PAGE_SIZE };
}

export class RoomHistory {
  /**
   * ``room``: the open room's slug; ``log``: its RoomLog; ``view``: its MessageListView;
   * ``send(frame)`` -> whether it went out; ``firstUnread()`` -> the first unread seq or 0;
   * ``focusSeq``: a message to open at (/r/<slug>/?seq=N), or 0;
   * ``onPage(messages)``: a page was put in the log (before the view renders it);
   * ``initialRev``: the room's last_rev as the page was served (for a room the user is not in);
   * ``timeline``: the view of the room to ask for ("main"), or null for every message.
   */
  constructor({ room, log, view, send, firstUnread, focusSeq = 0, onPage = () => {}, initialRev = 0, timeline = null }) {
    this.room = room;
    this.timeline = timeline;
    this.log = log;
    this.view = view;
    this.send = send;
    this.firstUnread = firstUnread;
    this.focusSeq = focusSeq;
    this.onPage = onPage;
    this.inflight = []; // {kind, high, unreadFrom}, oldest first
    // The room's last_rev that the messages held are up to date with; null until the first page.
    this.rev = null;
    this.openingRev = initialRev; // the summary's last_rev when the first page was asked for
    this.wantRev = 0; // the highest last_rev a summary has shown since
    this.changesInflight = false;
  }

  /** The socket went down: nothing asked for will be answered. */
  reset() {
    this.inflight = [];
    this.changesInflight = false;
    this.view.loadingOlder = false;
  }

  /**
   * After every hello or resync: fetch what this page missed. On first load, a room
   * with unread messages opens at the first of them; any other at its newest page.
   * ``summary``: the room's summary (null when the user is not a member).
   */
  catchUp(summary) {
    if (!this.log.loaded) {
      // The page read after this summary holds every change up to its last_rev.
      if (summary) this.openingRev = summary.last_rev ?? 0;
      this.request(this.focusSeq ? "focus" : this.firstUnread() ? "unread" : "newest");
      return;
    }
    // Not a member (a public room being looked at): no last_seq to compare, so ask.
    if (!summary || summary.last_seq > this.log.high || this.log.hasGap()) this.request("after");
    this.catchUpChanges(summary);
  }

  /** Ask what changed in the messages held, if ``summary`` says something did (no summary: ask). */
  catchUpChanges(summary) {
    if (this.rev === null) return; // the first page is still to come, and it starts the count
    if (summary) {
      this.wantRev = Math.max(this.wantRev, summary.last_rev ?? 0);
      if (this.wantRev <= this.rev) return;
    }
    this.requestChanges();
  }

  /** One changes request at a time; its answer asks again if more is due. */
  requestChanges() {
    if (this.changesInflight || this.rev === null) return;
    if (this.send(changesFrame(this.room, this.rev))) this.changesInflight = true;
  }

  /**
   * A changes frame for the open room arrived: the messages held are replaced with
   * these, the rev moves on, and the next page is asked for while there is more.
   * Returns whether any message held changed.
   */
  receiveChanges(frame) {
    this.changesInflight = false;
    const messages = (frame.messages || []).filter((message) => typeof message.seq === "number");
    const changed = this.log.replaceHeld(messages);
    if (Number.isSafeInteger(frame.rev)) this.rev = Math.max(this.rev ?? 0, frame.rev);
    if (frame.has_more || this.wantRev > (this.rev ?? 0)) this.requestChanges();
    return changed;
  }

  request(kind) {
    if (kind === "after" && !this.log.loaded) kind = "newest";
    const asked = (pending) => pending.kind === kind || (OPENING.has(pending.kind) && OPENING.has(kind));
    if (this.inflight.some(asked)) return;
    const unreadFrom = kind === "unread" ? this.firstUnread() : 0;
    const frame = historyFrame(kind, {
      room: this.room,
      log: this.log,
      unreadFrom,
      focusSeq: this.focusSeq,
      view: this.timeline,
    });
    if (!this.send(frame)) return;
    this.inflight.push({ kind, high: this.log.high, unreadFrom });
    if (kind === "before") this.view.loadingOlder = true;
  }

  loadOlder() {
    if (this.log.loaded && this.log.hasMoreBefore) this.request("before");
  }

  /**
   * A history frame for the open room arrived. Returns what the page should do
   * next: {messages, stickToBottom} once it is in the log, or null when it asked
   * again instead (an unread or focus page that came back empty).
   */
  receive(frame) {
    const pending = this.inflight.shift() ?? null;
    const kind = pending ? pending.kind : this.log.loaded ? "after" : "newest";
    const high = pending ? pending.high : 0;
    const messages = frame.messages.filter((message) => typeof message.seq === "number");
    if ((kind === "unread" || kind === "focus") && !messages.length) {
      this.request("newest"); // nothing where the summary said: open at the bottom
      return null;
    }
    const stickToBottom = kind === "newest" && !this.log.loaded;
    const range = pageRange(frame);
    if (kind === "newest") this.log.loadNewest(messages, frame.has_more, range);
    else if (kind === "unread") {
      this.log.loadFrom(messages, range);
      this.view.showUnreadFrom(pending.unreadFrom);
    } else if (kind === "focus") {
      this.log.loadFrom(messages, range);
      this.view.showMessage(this.focusSeq);
      this.focusSeq = 0;
    } else if (kind === "before") {
      this.log.loadOlder(messages, frame.has_more, range);
      this.view.loadingOlder = false;
    } else this.log.loadNewer(messages, range);
    if (this.rev === null && this.log.loaded) this.rev = this.openingRev;
    this.onPage(messages);
    return { messages, stickToBottom, kind, high, hasMore: frame.has_more, range };
  }

  /** After the page is rendered: ask for what is still missing, or older talk to fill the view. */
  followUp({ kind, high, hasMore }) {
    const forward = kind === "after" || kind === "unread" || kind === "focus";
    if (forward && hasMore && this.log.high > high) this.request("after");
    else if (this.log.hasGap()) this.request("after");
    if (kind !== "after" && this.log.hasMoreBefore && this.view.underfilled()) this.loadOlder();
  }
}
