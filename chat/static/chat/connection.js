// The page's one WebSocket: connects, reconnects with backoff and jitter,
// keeps the line alive with pings, and hands every frame to the app.

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 15000;
const PING_EVERY_MS = 25000;
// No frame at all for this long after a ping: the line is dead, even if the
// browser has not noticed yet.
const PONG_TIMEOUT_MS = 10000;
export const CLOSE_UNAUTHENTICATED = 4401;
// The user opened more sockets than the server allows, and this was the oldest.
export const CLOSE_TOO_MANY = 4409;

/** Full jitter: a random wait between 0 and the capped exponential bound. */
export function backoffDelay(attempt, random = Math.random) {
  return random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
}

/**
 * Status values given to onStatus: "connecting" (first try), "online" (hello
 * received), "reconnecting" (waiting to try again; `retryAt` is a timestamp),
 * "unauthorized" (the server closed with 4401), "replaced" (closed with 4409 for a
 * newer tab; it stays closed until resume(), or it would push out another tab in turn).
 */
export class Connection {
  constructor({ url, onFrame, onStatus, onReady, onDown, onUnauthorized }) {
    this.url = url;
    this.onFrame = onFrame;
    this.onStatus = onStatus;
    this.onReady = onReady;
    this.onDown = onDown;
    this.onUnauthorized = onUnauthorized;
    this.socket = null;
    this.ready = false;
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.stopped = false;
    this.replaced = false;
  }

  start() {
    window.addEventListener("online", () => this.retryNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.retryTimer) this.retryNow();
    });
    this.open();
  }

  /** Send a frame if the socket is ready (hello received); returns whether it went out. */
  send(frame) {
    if (!this.ready || !this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Connect again after a 4409, because the user asked to use this tab. */
  resume() {
    if (!this.replaced) return;
    this.replaced = false;
    this.stopped = false;
    this.attempt = 0;
    this.open();
  }

  retryNow() {
    if (this.stopped || !this.retryTimer) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.open();
  }

  open() {
    this.onStatus(this.attempt === 0 ? "connecting" : "reconnecting", {});
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.addEventListener("message", (event) => this.receive(socket, event));
    socket.addEventListener("close", (event) => this.closed(socket, event.code));
    socket.addEventListener("error", () => {
      // A close event follows every error; reconnecting happens there.
    });
  }

  receive(socket, event) {
    if (socket !== this.socket) return;
    this.clearPongTimer();
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    if (frame.type === "hello") {
      this.ready = true;
      this.attempt = 0;
      this.startPings();
      this.onStatus("online", {});
      this.onFrame(frame);
      this.onReady(frame);
      return;
    }
    if (frame.type === "pong") return;
    this.onFrame(frame);
  }

  closed(socket, code) {
    if (socket !== this.socket) return;
    this.drop();
    if (code === CLOSE_UNAUTHENTICATED) {
      this.stopped = true;
      this.onStatus("unauthorized", {});
      this.onUnauthorized();
      return;
    }
    if (code === CLOSE_TOO_MANY) {
      this.stopped = true;
      this.replaced = true;
      this.onStatus("replaced", {});
      return;
    }
    this.scheduleRetry();
  }

  /** Forget the current socket (it is closed or presumed dead). */
  drop() {
    const wasReady = this.ready;
    this.ready = false;
    this.stopPings();
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= WebSocket.OPEN) {
      try {
        socket.close();
      } catch {
        // Already closing.
      }
    }
    this.onDown(wasReady);
  }

  scheduleRetry() {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt);
    this.attempt += 1;
    this.onStatus("reconnecting", { retryAt: Date.now() + delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
  }

  startPings() {
    this.stopPings();
    this.pingTimer = setInterval(() => {
      if (!this.send({ type: "ping" })) return;
      this.clearPongTimer();
      this.pongTimer = setTimeout(() => {
        // Silent line: give up on this socket and start over.
        if (this.socket) {
          this.drop();
          this.scheduleRetry();
        }
      }, PONG_TIMEOUT_MS);
    }, PING_EVERY_MS);
  }

  stopPings() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.clearPongTimer();
  }

  clearPongTimer() {
    clearTimeout(this.pongTimer);
    this.pongTimer = null;
  }
}
