// The open room's read marker: the room counts as read up to the newest message
// once that message has been on screen while the window was visible and
// focused. Loaded is not read: a room opened at its first unread message stays
// unread until the reader reaches the end. The sidebar's count drops at once;
// the server hears of it after a short pause, once for a run of messages.

export const READ_DEBOUNCE_MS = 400;

export class ReadMarker {
  /**
   * ``room``: the slug; ``directory``: the RoomDirectory (its summaries' markers);
   * ``send(frame)`` -> whether it went out; ``hasShown(seq)``: the message is on screen;
   * ``attentive()``: the window is visible and focused; ``onMarked()``: the local
   * count changed (render the sidebar); ``sent``: the marker the server has.
   */
  constructor({ room, directory, send, hasShown, attentive, onMarked, sent = 0, debounceMs = READ_DEBOUNCE_MS }) {
    this.room = room;
    this.directory = directory;
    this.send = send;
    this.hasShown = hasShown;
    this.attentive = attentive;
    this.onMarked = onMarked;
    this.sent = sent;
    this.debounceMs = debounceMs;
    this.timer = null;
  }

  /** The server told us its marker (hello): start from there. */
  reset(sent) {
    this.sent = sent;
  }

  /** ``seq`` is the newest message loaded; mark it read if the reader has seen it. */
  consider(seq) {
    if (seq <= 0 || !this.attentive()) return;
    const known = this.directory.get(this.room);
    if (seq <= this.sent && (!known || seq <= known.last_read_seq)) return;
    if (!this.hasShown(seq)) return;
    if (this.directory.markRead(this.room, seq)) this.onMarked();
    if (seq <= this.sent) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (seq > this.sent && this.send({ type: "read", room: this.room, seq })) this.sent = seq;
    }, this.debounceMs);
  }
}
