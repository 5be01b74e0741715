// Client-side state: the messages of the open room, keyed by seq, and the
// summaries of the user's rooms. Pure data, no DOM and no socket, so the
// catch-up rules (dedupe by seq, detect gaps) live in one small place.

/** The messages of one room that this page has shown, keyed by seq. */
export class RoomLog {
  constructor(slug) {
    this.slug = slug;
    this.messages = new Map();
    // The newest page has arrived; before that nothing is known about seqs.
    this.loaded = false;
    // Lowest seq loaded, and whether older messages exist below it.
    this.low = 0;
    this.hasMoreBefore = false;
    // Highest seq such that every seq from `low` up to it is here: the
    // "highest shown seq" that catching up continues from.
    this.high = 0;
    // Seqs above `high` accounted for without a message here: replies that the
    // room's main view leaves out (threads.js holds them), until `high` passes them.
    this.covered = new Set();
  }

  /** Store a message; returns true if anything about it changed. */
  put(message) {
    const old = this.messages.get(message.seq);
    if (old) {
      // A provisional copy (made from an ack) never replaces the real one,
      // and a tombstone stays a tombstone whatever order frames come in.
      if (message.provisional && !old.provisional) return false;
      if (old.deleted && !message.deleted) return false;
      if (sameMessage(old, message)) return false;
    }
    this.messages.set(message.seq, message);
    return true;
  }

  /**
   * The newest page (history without bounds) arrived. ``range``: the seqs a page of
   * the main view accounts for, {from, to} (its from_seq and to_seq), when it left
   * replies out; without it, a page holds every seq from its first to its last.
   */
  loadNewest(messages, hasMore, range = null) {
    for (const message of messages) this.put(message);
    if (range) {
      this.low = range.from;
      this.high = Math.max(range.to, range.from - 1);
    } else {
      this.low = messages.length ? messages[0].seq : this.lowestHeld() || 1;
      this.high = messages.length ? messages[messages.length - 1].seq : this.low - 1;
    }
    this.hasMoreBefore = hasMore;
    this.loaded = true;
    this.advance();
  }

  /**
   * The first page arrived, starting somewhere in the room's past (history
   * after_seq, to open at the first unread). Seqs start at 1 and none is left
   * out, so older messages exist exactly when the page starts above 1.
   */
  loadFrom(messages, range = null) {
    const first = range ? range.from : messages.length ? messages[0].seq : 1;
    this.loadNewest(messages, (range !== null || messages.length > 0) && first > 1, range);
  }

  /** An older page (history before_seq) arrived. */
  loadOlder(messages, hasMore, range = null) {
    for (const message of messages) this.put(message);
    if (range) this.low = Math.min(this.low, range.from);
    else if (messages.length) this.low = Math.min(this.low, messages[0].seq);
    this.hasMoreBefore = hasMore && messages.length > 0;
  }

  /**
   * A newer page (history after_seq) arrived; ``range`` as for loadNewest. The page
   * starts just after the `high` it was asked from, which has only grown since, so
   * every seq up to its `to` is accounted for.
   */
  loadNewer(messages, range = null) {
    for (const message of messages) this.put(message);
    if (range && range.from <= this.high + 1) this.high = Math.max(this.high, range.to);
    this.advance();
  }

  /** Seq ``seq`` is a reply the main view leaves out: account for it. */
  cover(seq) {
    if (seq > this.high) this.covered.add(seq);
    if (this.loaded) this.advance();
  }

  /** Move `high` up over every seq that is now present or accounted for. */
  advance() {
    while (this.messages.has(this.high + 1) || this.covered.has(this.high + 1)) this.high += 1;
    for (const seq of this.covered) if (seq <= this.high) this.covered.delete(seq);
  }

  /** True if a message above `high` is held, i.e. something below it is missing. */
  hasGap() {
    if (!this.loaded) return false;
    for (const seq of this.messages.keys()) if (seq > this.high + 1) return true;
    for (const seq of this.covered) if (seq > this.high + 1) return true;
    return false;
  }

  markDeleted(seq) {
    const old = this.messages.get(seq);
    if (!old || old.deleted) return false;
    this.messages.set(seq, { ...old, deleted: true, body: "", html: "", reactions: [], attachments: [] });
    return true;
  }

  /** A message's whole reaction list (reactions_changed); returns true if it changed. */
  setReactions(seq, reactions) {
    const old = this.messages.get(seq);
    if (!old || old.deleted || sameReactions(old.reactions, reactions)) return false;
    this.messages.set(seq, { ...old, reactions });
    return true;
  }

  /** A message's whole list of files (attachments_changed); returns true if it changed. */
  setAttachments(seq, attachments) {
    const old = this.messages.get(seq);
    if (!old || old.deleted || sameAttachments(old.attachments, attachments)) return false;
    this.messages.set(seq, { ...old, attachments });
    return true;
  }

  /** A thread's new summary (thread_updated) on its first message; returns true if it changed. */
  setThread(seq, summary) {
    const old = this.messages.get(seq);
    if (!old || sameThread(old, summary)) return false;
    const { reply_count, last_reply_seq, last_reply_at, repliers } = summary;
    this.messages.set(seq, { ...old, reply_count, last_reply_seq, last_reply_at, repliers });
    return true;
  }

  /** Messages as they are now (a changes answer): those held are replaced, others ignored. */
  replaceHeld(messages) {
    let changed = false;
    for (const message of messages) {
      if (this.messages.has(message.seq) && this.put(message)) changed = true;
    }
    return changed;
  }

  /** The highest seq held at or below ``seq`` (0 if none): the message on screen for it. */
  heldAtOrBelow(seq) {
    let found = 0;
    for (const held of this.messages.keys()) if (held <= seq && held > found) found = held;
    return found;
  }

  lowestHeld() {
    let lowest = 0;
    for (const seq of this.messages.keys()) if (!lowest || seq < lowest) lowest = seq;
    return lowest;
  }

  /** Messages in ascending seq. */
  sorted() {
    return [...this.messages.values()].sort((a, b) => a.seq - b.seq);
  }
}

function sameMessage(a, b) {
  return (
    a.provisional === b.provisional &&
    a.deleted === b.deleted &&
    a.edited_at === b.edited_at &&
    a.html === b.html &&
    a.body === b.body &&
    sameReactions(a.reactions, b.reactions) &&
    sameAttachments(a.attachments, b.attachments) &&
    sameThread(a, b)
  );
}

/** Whether two copies of a message say the same of its thread. */
function sameThread(a, b) {
  return (
    (a.reply_count ?? null) === (b.reply_count ?? null) &&
    (a.last_reply_seq ?? null) === (b.last_reply_seq ?? null) &&
    (a.last_reply_at ?? null) === (b.last_reply_at ?? null) &&
    JSON.stringify(a.repliers || []) === JSON.stringify(b.repliers || [])
  );
}

function sameAttachments(a, b) {
  return JSON.stringify(a || []) === JSON.stringify(b || []);
}

function sameReactions(a, b) {
  return JSON.stringify(a || []) === JSON.stringify(b || []);
}

/**
 * The user's rooms as ROOM_SUMMARY objects; unread is derived from the seqs.
 *
 * Mentions of me: a summary counts those up to its `last_seq`; the messages after it
 * arrive here, so which of them mention me is known by seq and follows their edits
 * and deletions. Reading the room clears both, as it clears unread.
 */
export class RoomDirectory {
  constructor(summaries = []) {
    this.rooms = new Map();
    this.mentionsSince = new Map(); // slug -> {asOf: the summary's last_seq, seqs: Set of later seqs}
    this.replaceAll(summaries);
  }

  replaceAll(summaries) {
    this.rooms.clear();
    this.mentionsSince.clear();
    for (const summary of summaries) this.upsert(summary);
  }

  get(slug) {
    return this.rooms.get(slug);
  }

  has(slug) {
    return this.rooms.has(slug);
  }

  upsert(summary) {
    this.rooms.set(summary.slug, { ...summary, mentions: summary.mentions || 0 });
    this.mentionsSince.set(summary.slug, { asOf: summary.last_seq, seqs: new Set() });
  }

  remove(slug) {
    this.mentionsSince.delete(slug);
    return this.rooms.delete(slug);
  }

  /** A message arrived for `slug`; my own messages count as read (as on the server). */
  noteMessage(slug, message, myUsername) {
    const room = this.rooms.get(slug);
    if (!room) return false;
    room.last_seq = Math.max(room.last_seq, message.seq);
    // Writing in a room reads it up to there, mentions and all (as on the server).
    if (message.author && message.author.username === myUsername) this.markRead(slug, message.seq);
    this.noteMentions(slug, message, myUsername);
    return true;
  }

  /** A message arrived or was edited: count it if it mentions me and I have not read it. */
  noteMentions(slug, message, myUsername) {
    const room = this.rooms.get(slug);
    const since = this.mentionsSince.get(slug);
    // A message the summary counted already is not counted twice.
    if (!room || !since || message.seq <= since.asOf) return false;
    const mine = Boolean(message.author && message.author.username === myUsername);
    const mentionsMe = !mine && !message.deleted && (message.mentions || []).includes(myUsername);
    const counted = since.seqs.has(message.seq);
    if (mentionsMe && message.seq > room.last_read_seq) since.seqs.add(message.seq);
    else since.seqs.delete(message.seq);
    return counted !== since.seqs.has(message.seq);
  }

  /** A message became a tombstone: it mentions no one any more. */
  noteDeleted(slug, seq) {
    return Boolean(this.mentionsSince.get(slug)?.seqs.delete(seq));
  }

  markRead(slug, seq) {
    const room = this.rooms.get(slug);
    if (!room || seq <= room.last_read_seq) return false;
    room.last_read_seq = seq;
    room.last_seq = Math.max(room.last_seq, seq);
    const since = this.mentionsSince.get(slug);
    if (since) {
      // The summary's count is of seqs up to asOf: at most that many are still unread.
      room.mentions = Math.min(room.mentions, Math.max(0, since.asOf - seq));
      for (const counted of since.seqs) if (counted <= seq) since.seqs.delete(counted);
    }
    return true;
  }

  unread(slug) {
    const room = this.rooms.get(slug);
    return room ? Math.max(0, room.last_seq - room.last_read_seq) : 0;
  }

  /** The user's unread replies in the room's threads (thread_unread frames keep it). */
  setThreadUnread(slug, count) {
    const room = this.rooms.get(slug);
    if (!room || room.thread_unread === count) return false;
    room.thread_unread = count;
    return true;
  }

  /** Unread replies in all the user's threads (the sidebar's Threads entry). */
  totalThreadUnread() {
    let total = 0;
    for (const room of this.rooms.values()) total += room.thread_unread || 0;
    return total;
  }

  /** Unread messages in rooms that are not muted (the tab title's count). */
  totalUnread() {
    let total = 0;
    for (const [slug, room] of this.rooms) if (!room.muted) total += this.unread(slug);
    return total;
  }

  /** How many unread messages of `slug` mention me. */
  mentions(slug) {
    const room = this.rooms.get(slug);
    if (!room) return 0;
    return room.mentions + (this.mentionsSince.get(slug)?.seqs.size ?? 0);
  }

  totalMentions() {
    let total = 0;
    for (const slug of this.rooms.keys()) total += this.mentions(slug);
    return total;
  }

  /** Rooms and direct conversations, each sorted by name. */
  sections() {
    const byName = (a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: "base" });
    const all = [...this.rooms.values()];
    return {
      rooms: all.filter((room) => !room.direct).sort(byName),
      direct: all.filter((room) => room.direct).sort(byName),
    };
  }
}
