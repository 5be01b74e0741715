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

  /** The newest page (history without bounds) arrived. */
  loadNewest(messages, hasMore) {
    for (const message of messages) this.put(message);
    this.low = messages.length ? messages[0].seq : this.lowestHeld() || 1;
    this.high = messages.length ? messages[messages.length - 1].seq : this.low - 1;
    this.hasMoreBefore = hasMore;
    this.loaded = true;
    this.advance();
  }

  /**
   * The first page arrived, starting somewhere in the room's past (history
   * after_seq, to open at the first unread). Seqs start at 1 and none is left
   * out, so older messages exist exactly when the page starts above 1.
   */
  loadFrom(messages) {
    this.loadNewest(messages, messages.length > 0 && messages[0].seq > 1);
  }

  /** An older page (history before_seq) arrived. */
  loadOlder(messages, hasMore) {
    for (const message of messages) this.put(message);
    if (messages.length) this.low = Math.min(this.low, messages[0].seq);
    this.hasMoreBefore = hasMore && messages.length > 0;
  }

  /** A newer page (history after_seq) arrived. */
  loadNewer(messages) {
    for (const message of messages) this.put(message);
    this.advance();
  }

  /** Move `high` up over every seq that is now present. */
  advance() {
    while (this.messages.has(this.high + 1)) this.high += 1;
  }

  /** True if a message above `high` is held, i.e. something below it is missing. */
  hasGap() {
    if (!this.loaded) return false;
    for (const seq of this.messages.keys()) if (seq > this.high + 1) return true;
    return false;
  }

  markDeleted(seq) {
    const old = this.messages.get(seq);
    if (!old || old.deleted) return false;
    this.messages.set(seq, { ...old, deleted: true, body: "", html: "" });
    return true;
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
    a.body === b.body
  );
}

/** The user's rooms as ROOM_SUMMARY objects; unread is derived from the seqs. */
export class RoomDirectory {
  constructor(summaries = []) {
    this.rooms = new Map();
    this.replaceAll(summaries);
  }

  replaceAll(summaries) {
    this.rooms.clear();
    for (const summary of summaries) this.rooms.set(summary.slug, { ...summary });
  }

  get(slug) {
    return this.rooms.get(slug);
  }

  has(slug) {
    return this.rooms.has(slug);
  }

  upsert(summary) {
    this.rooms.set(summary.slug, { ...summary });
  }

  remove(slug) {
    return this.rooms.delete(slug);
  }

  /** A message arrived for `slug`; my own messages count as read (as on the server). */
  noteMessage(slug, message, myUsername) {
    const room = this.rooms.get(slug);
    if (!room) return false;
    room.last_seq = Math.max(room.last_seq, message.seq);
    if (message.author && message.author.username === myUsername) {
      room.last_read_seq = Math.max(room.last_read_seq, message.seq);
    }
    return true;
  }

  markRead(slug, seq) {
    const room = this.rooms.get(slug);
    if (!room || seq <= room.last_read_seq) return false;
    room.last_read_seq = seq;
    room.last_seq = Math.max(room.last_seq, seq);
    return true;
  }

  unread(slug) {
    const room = this.rooms.get(slug);
    return room ? Math.max(0, room.last_seq - room.last_read_seq) : 0;
  }

  totalUnread() {
    let total = 0;
    for (const slug of this.rooms.keys()) total += this.unread(slug);
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
