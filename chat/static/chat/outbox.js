// Messages the user has sent that the server has not acknowledged yet.
//
// Each keeps its client_id for life, so sending it again (after a reconnect,
// a reload, a rate limit) can never post it twice: the server answers a
// repeated client_id with the same ack. Entries survive a reload of the tab
// through sessionStorage.
//
// A message with files names them (`attachments`, the ids of uploads made
// before: attachments.js), and keeps their ATTACHMENT objects to show while it
// waits; its files are uploaded before it is added, so sending it again never
// uploads anything twice.
//
// They go out one at a time, oldest first, and the next only after the
// server has answered the one before: a message refused for now (rate_limited,
// unavailable) holds back the ones typed after it, because if those were on the
// wire already, the server could store them first (its bucket refills between
// two frames) and the room would show them out of order.

const STORAGE_KEY = "chat.outbox.v1";

const UNAVAILABLE_RETRY_MS = 3000;
// retry_after is rounded to the millisecond; waiting a little longer keeps a
// resend from arriving just before the token it waits for.
const RATE_LIMIT_MARGIN_MS = 50;

export function newClientId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  // Pages served over plain http to a non-local host have no randomUUID.
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Entry states: "queued" (waiting for its turn or for the socket), "sent" (on
 * the wire, no ack yet), "waiting" (refused for now; sent again at `retryAt`),
 * "failed" (refused; `error` says why; the user retries or discards it).
 * At most one entry is "sent" or "waiting": the one whose answer the rest wait for.
 */
export class Outbox {
  constructor({ send, onChange }) {
    this.send = send;
    this.onChange = onChange;
    this.entries = new Map(); // client_id -> entry, in the order typed
    this.retryTimer = null;
    this.restore();
  }

  /**
   * Queue a message; ``clientId`` and ``attachments`` (ATTACHMENT objects) when files go
   * with it; ``reply``: {parent_seq, also_to_room} for a reply in a thread.
   */
  add(room, body, { clientId = "", attachments = [], reply = null } = {}) {
    const entry = {
      client_id: clientId || newClientId(),
      room,
      body,
      attachments,
      state: "queued",
      error: "",
      createdAt: Date.now(),
    };
    if (reply) Object.assign(entry, { parent_seq: reply.parent_seq, also_to_room: Boolean(reply.also_to_room) });
    this.entries.set(entry.client_id, entry);
    this.sendNext();
    this.changed();
    return entry;
  }

  forRoom(slug) {
    return [...this.entries.values()].filter((entry) => entry.room === slug);
  }

  get(clientId) {
    return this.entries.get(clientId);
  }

  /** Send the next entry if its turn has come (on hello: the unacked one again, same client_id). */
  flush({ resendUnacked = false } = {}) {
    if (resendUnacked) {
      for (const entry of this.entries.values()) if (entry.state === "sent") entry.state = "queued";
    }
    this.sendNext();
    this.changed();
  }

  /** The socket went down: whatever was on the wire goes again after the next hello. */
  connectionLost() {
    for (const entry of this.entries.values()) if (entry.state === "sent") entry.state = "queued";
    this.changed();
  }

  /** The server stored it (ack or the message itself): the entry is done. */
  resolve(clientId) {
    const entry = this.entries.get(clientId);
    if (!entry) return null;
    this.entries.delete(clientId);
    if (entry.state === "waiting") this.clearRetryTimer();
    this.sendNext();
    this.changed();
    return clientId;
  }

  /** An error frame whose ref is one of ours. Returns true if it was. */
  fail(clientId, error) {
    const entry = this.entries.get(clientId);
    if (!entry) return false;
    if (entry.state === "waiting") this.clearRetryTimer();
    if (error.code === "rate_limited" || error.code === "unavailable") {
      const delay =
        error.code === "rate_limited"
          ? (Number(error.retry_after) || 1) * 1000 + RATE_LIMIT_MARGIN_MS
          : UNAVAILABLE_RETRY_MS;
      // Still this entry's turn: nothing after it goes until it is stored.
      entry.state = "waiting";
      entry.error = error.message || "";
      entry.retryAt = Date.now() + delay;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (entry.state !== "waiting" || this.entries.get(entry.client_id) !== entry) return;
        entry.state = "queued";
        this.sendNext();
        this.changed();
      }, delay);
    } else {
      // too_long, forbidden, archived...: sending again would be refused again,
      // so the user decides (retry or discard), and the next entries go on.
      entry.state = "failed";
      entry.error = error.message || error.code;
      this.sendNext();
    }
    this.changed();
    return true;
  }

  retry(clientId) {
    const entry = this.entries.get(clientId);
    if (!entry || entry.state !== "failed") return;
    entry.state = "queued";
    entry.error = "";
    this.sendNext();
    this.changed();
  }

  /** Give up on an entry; returns it (its files may be taken back), or null. */
  discard(clientId) {
    const entry = this.entries.get(clientId);
    if (!entry) return null;
    this.entries.delete(clientId);
    if (entry.state === "waiting") this.clearRetryTimer();
    this.sendNext();
    this.changed();
    return entry;
  }

  /** Put the oldest queued entry on the wire, unless one is still awaiting its answer. */
  sendNext() {
    let next = null;
    for (const entry of this.entries.values()) {
      if (entry.state === "sent" || entry.state === "waiting") return;
      if (!next && entry.state === "queued") next = entry;
    }
    if (!next) return;
    const frame = { type: "send", room: next.room, body: next.body, client_id: next.client_id };
    if (next.attachments && next.attachments.length) frame.attachments = next.attachments.map((file) => file.id);
    if (Number.isSafeInteger(next.parent_seq)) {
      frame.parent_seq = next.parent_seq;
      if (next.also_to_room) frame.also_to_room = true;
    }
    if (this.send(frame)) next.state = "sent";
  }

  clearRetryTimer() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  changed() {
    this.persist();
    this.onChange();
  }

  persist() {
    try {
      const saved = [...this.entries.values()].map(
        ({ client_id, room, body, attachments, state, error, createdAt, parent_seq, also_to_room }) => ({
          client_id,
          room,
          body,
          attachments: attachments || [],
          state: state === "failed" ? "failed" : "queued",
          error: state === "failed" ? error : "",
          createdAt,
          ...(Number.isSafeInteger(parent_seq) ? { parent_seq, also_to_room: Boolean(also_to_room) } : {}),
        }),
      );
      window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(saved));
    } catch {
      // Storage full or disabled: the outbox still works for this page.
    }
  }

  restore() {
    let saved = [];
    try {
      saved = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "[]");
    } catch {
      saved = [];
    }
    if (!Array.isArray(saved)) return;
    for (const entry of saved) {
      if (entry && typeof entry.client_id === "string" && typeof entry.body === "string") {
        this.entries.set(entry.client_id, { ...entry, attachments: Array.isArray(entry.attachments) ? entry.attachments : [] });
      }
    }
  }
}
