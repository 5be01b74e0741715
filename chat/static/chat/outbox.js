// Messages the user has sent that the server has not acknowledged yet.
//
// Each keeps its client_id for life, so sending it again (after a reconnect,
// a reload, a rate limit) can never post it twice: the server answers a
// repeated client_id with the same ack. Entries survive a reload of the tab
// through sessionStorage.

const STORAGE_KEY = "chat.outbox.v1";

const UNAVAILABLE_RETRY_MS = 3000;

function newClientId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  // Pages served over plain http to a non-local host have no randomUUID.
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Entry states: "queued" (waiting for the socket), "sent" (on the wire, no ack
 * yet), "waiting" (rate limited; sent again at `retryAt`), "failed" (refused;
 * `error` says why).
 */
export class Outbox {
  constructor({ send, onChange }) {
    this.send = send;
    this.onChange = onChange;
    this.entries = new Map();
    this.timers = new Map();
    this.restore();
  }

  add(room, body) {
    const entry = { client_id: newClientId(), room, body, state: "queued", error: "", createdAt: Date.now() };
    this.entries.set(entry.client_id, entry);
    this.trySend(entry);
    this.changed();
    return entry;
  }

  forRoom(slug) {
    return [...this.entries.values()].filter((entry) => entry.room === slug);
  }

  get(clientId) {
    return this.entries.get(clientId);
  }

  /** Send every entry that is waiting for the socket (on hello: also the unacked ones). */
  flush({ resendUnacked = false } = {}) {
    for (const entry of this.entries.values()) {
      if (entry.state === "queued" || (resendUnacked && entry.state === "sent")) this.trySend(entry);
    }
    this.changed();
  }

  /** The socket went down: whatever was on the wire goes again after the next hello. */
  connectionLost() {
    for (const entry of this.entries.values()) if (entry.state === "sent") entry.state = "queued";
    this.changed();
  }

  /** The server stored it (ack or the message itself): the entry is done. */
  resolve(clientId) {
    if (!this.entries.delete(clientId)) return null;
    this.clearTimer(clientId);
    this.changed();
    return clientId;
  }

  /** An error frame whose ref is one of ours. Returns true if it was. */
  fail(clientId, error) {
    const entry = this.entries.get(clientId);
    if (!entry) return false;
    this.clearTimer(clientId);
    if (error.code === "rate_limited" || error.code === "unavailable") {
      const seconds = error.code === "rate_limited" ? Number(error.retry_after) || 1 : UNAVAILABLE_RETRY_MS / 1000;
      entry.state = "waiting";
      entry.error = error.message || "";
      entry.retryAt = Date.now() + seconds * 1000;
      this.timers.set(
        clientId,
        setTimeout(() => {
          this.timers.delete(clientId);
          if (entry.state !== "waiting") return;
          entry.state = "queued";
          this.trySend(entry);
          this.changed();
        }, seconds * 1000),
      );
    } else {
      // too_long, forbidden, archived...: sending again would be refused again,
      // so the user decides (retry or discard).
      entry.state = "failed";
      entry.error = error.message || error.code;
    }
    this.changed();
    return true;
  }

  retry(clientId) {
    const entry = this.entries.get(clientId);
    if (!entry || entry.state !== "failed") return;
    entry.state = "queued";
    entry.error = "";
    this.trySend(entry);
    this.changed();
  }

  discard(clientId) {
    this.clearTimer(clientId);
    if (this.entries.delete(clientId)) this.changed();
  }

  trySend(entry) {
    const frame = { type: "send", room: entry.room, body: entry.body, client_id: entry.client_id };
    if (this.send(frame)) entry.state = "sent";
  }

  clearTimer(clientId) {
    clearTimeout(this.timers.get(clientId));
    this.timers.delete(clientId);
  }

  changed() {
    this.persist();
    this.onChange();
  }

  persist() {
    try {
      const saved = [...this.entries.values()].map(({ client_id, room, body, state, error, createdAt }) => ({
        client_id,
        room,
        body,
        state: state === "failed" ? "failed" : "queued",
        error: state === "failed" ? error : "",
        createdAt,
      }));
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
        this.entries.set(entry.client_id, { ...entry });
      }
    }
  }
}
