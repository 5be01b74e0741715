// The page's entry module: reads what the server put in the page, opens the
// socket, and routes each frame to the state and the views. It renders events
// and sends intents; what is allowed is the server's to decide.

import { UploadTray, Uploads, dragHasFiles, filesFrom } from "./attachments.js";
import { Connection } from "./connection.js";
import { hueFor, initialsFor, setIconSprite } from "./format.js";
import { gettext, interpolate } from "./i18n.js";
import { RoomHistory } from "./history.js";
import { MemberList } from "./members.js";
import { MentionAutocomplete, titleWith } from "./mentions.js";
import { MessageListView } from "./message-view.js";
import { OfflineBanner } from "./offline.js";
import { Outbox, newClientId } from "./outbox.js";
import { Notifier } from "./notifications.js";
import { Popovers } from "./popover.js";
import { PresenceState, showPresence } from "./presence.js";
import { ReadMarker } from "./read-marker.js";
import { StatusPill, Toast, applyRoomChrome, submitQuietly } from "./room-chrome.js";
import { SidebarView } from "./sidebar.js";
import { RoomDirectory, RoomLog } from "./store.js";
import { RoomSwitcher } from "./switcher.js";
import { ThreadList, ThreadPanel, inMainView, isReply } from "./threads.js";
import { Composer } from "./composer.js";
import { Draft } from "./drafts.js";
import { TypingView } from "./typing.js";

function readJson(id, fallback) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : fallback;
}

function fillTemplate(template, value) {
  return template.replace(/__[a-z]+__/, encodeURIComponent(value));
}

class ChatApp {
  constructor(root) {
    this.root = root;
    setIconSprite(root.dataset.icons);
    this.user = { username: readJson("chat-username", ""), display_name: readJson("chat-display-name", "") };
    this.me = this.user.username;
    this.directory = new RoomDirectory(readJson("chat-rooms", []));
    this.summary = readJson("chat-room", null);
    this.slug = this.summary ? this.summary.slug : null;
    this.member = root.dataset.member === "true";
    this.lostAccess = "";
    // /r/<slug>/?seq=N (a search result): open at that message instead; with
    // &thread=P (a reply), at the thread's first message, the thread open beside it.
    const query = new URLSearchParams(window.location.search);
    const seqParam = (name) => {
      const value = Number(query.get(name));
      return this.slug && Number.isSafeInteger(value) && value > 0 ? value : 0;
    };
    this.openingThread = seqParam("thread");
    this.threadFocus = this.openingThread ? seqParam("seq") : 0;
    this.focusSeq = this.openingThread || seqParam("seq");
    this.threadUnread = new Map(); // parent seq -> my unread replies there (thread_unread), open room
    this.log = this.slug ? new RoomLog(this.slug) : null;
    this.online = false;
    this.readyBefore = false; // a hello has come on this page (the next one is a reconnect)
    this.names = new Map([[this.me, this.user.display_name || this.me]]);
    this.presence = new PresenceState(this.me);
    this.siteName = root.dataset.siteName || "Chat";
    this.pageTitle = document.title;

    this.sidebar = new SidebarView({
      root: document.getElementById("sidebar"),
      roomUrl: (slug) => fillTemplate(root.dataset.roomUrl, slug),
      activeSlug: this.slug,
      presenceOf: (room) => (room.direct ? this.presence.othersOnline(room.slug) : null),
    });
    this.status = new StatusPill(document.querySelector("[data-testid=status]"), {
      onUseHere: () => this.connection.resume(),
    });
    this.members = document.querySelector(".member-list") ? new MemberList(document) : null;
    this.toast = new Toast(document.getElementById("toast"));
    // Muting posts the form without leaving the page; every tab then hears room_updated.
    document.querySelector("[data-mute-form]")?.addEventListener("submit", submitQuietly);
    this.notifier = new Notifier({
      me: this.me,
      button: document.querySelector("[data-testid=notifications-enable]"),
      roomUrl: (slug) => fillTemplate(root.dataset.roomUrl, slug),
    });

    this.connection = new Connection({
      url: socketUrl(root.dataset.socketPath),
      onFrame: (frame) => this.handle(frame),
      onStatus: (state, detail) => this.showStatus(state, detail),
      onReady: () => this.ready(),
      onDown: () => this.down(),
      onUnauthorized: () => this.toLogin(),
    });
    this.outbox = new Outbox({
      send: (frame) => this.connection.send(frame),
      onChange: () => this.renderMessages(),
    });

    if (this.slug) this.setUpRoom();
    this.setUpChrome();
    this.renderSidebar();
    this.connection.start();
  }

  // Set-up -----------------------------------------------------------------

  setUpRoom() {
    this.messages = new MessageListView({
      scroller: document.getElementById("scroller"),
      list: document.getElementById("message-list"),
      pendingList: document.getElementById("pending-list"),
      historyStatus: document.getElementById("history-status"),
      jumpButton: document.getElementById("jump"),
      me: this.me,
      myName: this.user.display_name || this.me,
      permissions: () => ({ can: this.abilities() }),
      introText: () =>
        this.summary.direct ? interpolate(gettext("This is the beginning of your conversation with %(name)s."), { name: this.summary.name }) : interpolate(gettext("This is the very beginning of #%(name)s."), { name: this.summary.name }),
      lookup: (seq) => this.log.messages.get(seq),
      onNearTop: () => this.loadOlder(),
      onScrolled: () => this.markRead(),
      onEdit: (seq, body) => this.connection.send({ type: "edit", room: this.slug, seq, body }) || this.offline(),
      onEditDone: () => this.renderMessages(),
      onEditClosed: () => this.composer.focus(),
      onDelete: (seq) => this.connection.send({ type: "delete", room: this.slug, seq }) || this.offline(),
      onReact: (seq, emoji) => this.connection.send({ type: "react", room: this.slug, seq, emoji }) || this.offline(),
      onUnreact: (seq, emoji) => this.connection.send({ type: "unreact", room: this.slug, seq, emoji }) || this.offline(),
      nameFor: (username) => this.nameFor(username),
      emoji: readJson("chat-emoji", []),
      frequent: readJson("chat-frequent-reactions", []),
      onRetry: (clientId) => this.outbox.retry(clientId),
      onDiscard: (clientId) => this.uploads?.release(this.outbox.discard(clientId)?.attachments),
      // The room's files are its members' alone.
      canOpenFiles: () => this.member && !this.lostAccess,
      threads: true,
      onOpenThread: (seq, opener) => this.openThread(seq, { opener }),
      threadUnread: (seq) => this.threadUnread.get(seq) || 0,
    });
    this.setUpThreads();
    this.history = new RoomHistory({
      room: this.slug,
      log: this.log,
      view: this.messages,
      send: (frame) => !this.lostAccess && this.connection.send(frame),
      firstUnread: () => this.firstUnread(),
      focusSeq: this.focusSeq,
      onPage: (messages) => this.onPage(messages),
      initialRev: this.summary ? this.summary.last_rev ?? 0 : 0,
      timeline: "main", // replies go to their threads (threads.js)
    });
    this.reader = new ReadMarker({
      room: this.slug,
      directory: this.directory,
      send: (frame) => this.connection.send(frame),
      // The newest seq may be a reply the main list leaves out: the message shown for it.
      hasShown: (seq) => {
        const shown = this.log.heldAtOrBelow(seq);
        return shown === 0 || this.messages.hasShown(shown);
      },
      attentive: () => document.visibilityState === "visible" && document.hasFocus(),
      onMarked: () => this.renderSidebar(),
      sent: this.summary ? this.summary.last_read_seq : 0,
    });
    this.typing = new TypingView({
      element: document.querySelector("[data-testid=typing]"),
      nameFor: (username) => this.names.get(username) || username,
    });
    const form = document.getElementById("composer");
    this.placeholder = form.querySelector("textarea").placeholder;
    const autocomplete = new MentionAutocomplete({
      input: form.querySelector("textarea"),
      members: () => this.members?.all() ?? [],
      me: this.me,
    });
    this.setUpUploads(form);
    this.composer = new Composer({
      form,
      input: form.querySelector("textarea"),
      button: form.querySelector("[data-testid=send]"),
      counter: document.getElementById("composer-counter"),
      // The server's limit (settings.CHAT_MAX_BODY), written into the page.
      maxLength: Number(this.root.dataset.maxBody),
      onSend: (body) => this.send(body),
      onEditLast: () => this.messages.editLast(),
      onTyping: () => this.connection.send({ type: "typing", room: this.slug }),
      draft: new Draft({ user: this.me, room: this.slug }),
      autocomplete,
      files: this.uploads,
    });
    const attention = () => this.markRead();
    window.addEventListener("focus", attention);
    document.addEventListener("visibilitychange", attention);
    this.applyRoomState();
    this.renderMessages();
  }

  /** The thread panel beside the room (threads.js). */
  setUpThreads() {
    const element = document.getElementById("thread-panel");
    if (!element) return;
    const room = this.slug;
    this.threads = new ThreadPanel({
      element,
      room,
      send: (frame) => !this.lostAccess && this.connection.send(frame),
      view: {
        me: this.me,
        myName: this.user.display_name || this.me,
        permissions: () => ({ can: this.abilities() }),
        nameFor: (username) => this.nameFor(username),
        emoji: readJson("chat-emoji", []),
        frequent: readJson("chat-frequent-reactions", []),
        popovers: this.messages.popovers,
        onEdit: (seq, body) => this.connection.send({ type: "edit", room, seq, body }) || this.offline(),
        onDelete: (seq) => this.connection.send({ type: "delete", room, seq }) || this.offline(),
        onReact: (seq, emoji) => this.connection.send({ type: "react", room, seq, emoji }) || this.offline(),
        onUnreact: (seq, emoji) => this.connection.send({ type: "unreact", room, seq, emoji }) || this.offline(),
        onRetry: (clientId) => this.outbox.retry(clientId),
        onDiscard: (clientId) => (this.threadUploads ?? this.uploads)?.release(this.outbox.discard(clientId)?.attachments),
        canOpenFiles: () => this.member && !this.lostAccess,
      },
      pending: (parentSeq) => this.outbox.forRoom(room).filter((entry) => entry.parent_seq === parentSeq),
      onReply: (body, parentSeq, alsoToRoom) => this.sendReply(body, parentSeq, alsoToRoom),
      onTyping: () => this.connection.send({ type: "typing", room }),
      members: () => this.members?.all() ?? [],
      maxLength: Number(this.root.dataset.maxBody),
      attentive: () => document.visibilityState === "visible" && document.hasFocus(),
      online: () => this.online,
      onToggle: (open) => document.body.classList.toggle("thread-open", open),
      // What opened it may have been drawn again (a new summary): its thread's way in, else the composer.
      fallbackFocus: (parentSeq) => this.messages.threadOpener(parentSeq) ?? this.composer?.input,
      files: (composer) => {
        const files = this.setUpFiles({
          form: element.querySelector("form"),
          tray: element.querySelector("[data-thread-tray]"),
          status: element.querySelector("[data-thread-upload-status]"),
          dropTarget: element,
          dropZone: element.querySelector("[data-thread-drop-zone]"),
          composer,
        });
        this.threadUploads = files.uploads;
        this.threadAttachButton = files.button;
        return files.uploads;
      },
    });
    const attention = () => this.threads.markRead();
    window.addEventListener("focus", attention);
    document.addEventListener("visibilitychange", attention);
  }

  /** Open the thread of message ``seq`` beside the room. */
  openThread(seq, { opener = null, focusSeq = 0 } = {}) {
    if (!this.threads) return;
    const message = this.log.messages.get(seq);
    // A reply shown in the room (also sent to it) opens its thread.
    const parentSeq = message && isReply(message) ? message.parent_seq : seq;
    this.threads.open(parentSeq, { opener, focusSeq, root: this.log.messages.get(parentSeq) ?? null });
  }

  /** Files: the attach button, drag and drop over the room, paste into the composer (attachments.js). */
  setUpUploads(form) {
    const files = this.setUpFiles({
      form,
      tray: document.getElementById("upload-tray"),
      status: document.getElementById("upload-status"),
      dropTarget: document.getElementById("main"),
      dropZone: document.getElementById("drop-zone"),
      composer: () => this.composer,
    });
    this.uploads = files.uploads;
    this.attachButton = files.button;
  }

  /**
   * The files of one composer (the room's, or the thread panel's): its attach button and
   * file input in ``form``, paste into its text, drop on ``dropTarget`` (showing
   * ``dropZone``); ``tray`` and ``status`` show them. They go with the next message it sends.
   */
  setUpFiles({ form, tray, status, dropTarget, dropZone, composer }) {
    const uploadUrl = this.root.dataset.uploadUrl;
    let uploads = null;
    const view = new UploadTray({ list: tray, live: status, onRemove: (key) => uploads.remove(key) });
    uploads = new Uploads({
      uploadUrl: (clientId) => `${uploadUrl}?client_id=${encodeURIComponent(clientId)}`,
      discardUrl: (id) => `${uploadUrl}${id}/`,
      // The room's composer carries the page's CSRF token.
      csrfToken: document.querySelector("#composer [name=csrfmiddlewaretoken]")?.value || "",
      limits: readJson("chat-upload-limits", { maxFile: 0, maxMessage: 0, maxFiles: 0 }),
      newClientId,
      onChange: (items, said) => {
        view.render(items, said);
        composer()?.update();
      },
    });
    const attach = (files) => {
      if (!files.length) return;
      if (!this.abilities().includes("upload")) {
        this.toast.show(gettext("Join this room to post messages."));
        return;
      }
      uploads.add(files);
      composer()?.focus();
    };
    const button = form.querySelector(".composer__attach");
    const input = form.querySelector("input[type=file]");
    button.addEventListener("click", () => input.click());
    input.addEventListener("change", () => {
      attach([...input.files]);
      input.value = "";
    });
    form.querySelector("textarea").addEventListener("paste", (event) => {
      const files = filesFrom(event.clipboardData);
      if (!files.length) return;
      // A picture copied from a page comes with its markup too: the picture is what was meant.
      if (!event.clipboardData.types.includes("text/plain")) event.preventDefault();
      attach(files);
    });
    dropTarget.addEventListener("dragover", (event) => {
      if (!dragHasFiles(event.dataTransfer) || !this.abilities().includes("upload")) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      dropZone.hidden = false;
    });
    dropTarget.addEventListener("dragleave", (event) => {
      if (!event.relatedTarget || !dropTarget.contains(event.relatedTarget)) dropZone.hidden = true;
    });
    dropTarget.addEventListener("drop", (event) => {
      dropZone.hidden = true;
      if (!dragHasFiles(event.dataTransfer)) return;
      event.preventDefault();
      attach(filesFrom(event.dataTransfer));
    });
    return { uploads, button, attach };
  }

  setUpChrome() {
    // Server-rendered avatars get the same initials and colour as the ones drawn here.
    for (const node of document.querySelectorAll("[data-avatar-for]")) {
      node.textContent = initialsFor(node.dataset.avatarName || node.dataset.avatarFor);
      node.style.setProperty("--avatar-hue", String(hueFor(node.dataset.avatarFor)));
    }
    const toggle = document.querySelector("[data-sidebar-toggle]");
    if (toggle) {
      toggle.addEventListener("click", () => {
        const open = document.body.classList.toggle("sidebar-open");
        toggle.setAttribute("aria-expanded", String(open));
      });
      document.querySelector("[data-sidebar-close]")?.addEventListener("click", () => {
        document.body.classList.remove("sidebar-open");
        toggle.setAttribute("aria-expanded", "false");
      });
    }
    // Offline: a banner across the room (the pill alone was easy to miss), with "Retry now".
    this.offlineBanner = new OfflineBanner({
      onRetryNow: () => this.connection.retryNow(),
      focusAfter: () => this.composer?.input || document.getElementById("main"),
    });
    const scroller = document.getElementById("scroller");
    if (scroller) scroller.before(this.offlineBanner.element);
    else document.getElementById("main")?.prepend(this.offlineBanner.element);
    this.switcher = new RoomSwitcher({
      rooms: () => {
        const { rooms, direct } = this.directory.sections(); // the sidebar's lists, in its order
        return [...rooms, ...direct];
      },
      roomUrl: (slug) => fillTemplate(this.root.dataset.roomUrl, slug),
      activeSlug: this.slug,
    });
    this.popovers = new Popovers(document);
    // The threads page: each thread's unread replies, and new threads, live.
    const threadListing = document.querySelector("[data-testid=thread-listing]");
    this.threadList = threadListing ? new ThreadList(threadListing) : null;
    for (const details of document.querySelectorAll("details.popover-menu, details.user-menu")) {
      this.popovers.addDetails(details);
    }
    if (toggle) {
      // The narrow-screen room list is a drawer: it closes like a popover.
      this.popovers.add({
        toggle,
        container: document.getElementById("sidebar"),
        isOpen: () => document.body.classList.contains("sidebar-open"),
        close: () => {
          document.body.classList.remove("sidebar-open");
          toggle.setAttribute("aria-expanded", "false");
        },
      });
    }
  }

  // Connection ---------------------------------------------------------------

  ready() {
    if (this.slug) this.catchUp();
    // The threads page after a reconnect: the list again, with what came meanwhile.
    if (this.readyBefore) this.threadList?.refreshSoon();
    this.readyBefore = true;
    this.outbox.flush({ resendUnacked: true });
    this.renderMessages();
    if (this.openingThread && !this.lostAccess) {
      // /r/<slug>/?thread=P: the thread opens with the page, once there is a socket to ask.
      this.openThread(this.openingThread, { focusSeq: this.threadFocus });
      this.openingThread = 0;
    }
  }

  onPresence(frame) {
    if (!this.presence.update(frame.room, frame.online || [])) return;
    showPresence(this.members?.list, this.presence, this.slug);
    if (this.directory.get(frame.room)?.direct) this.renderSidebar();
  }

  down() {
    this.online = false;
    // Nothing is known of who is online until the server says again.
    this.presence.clear();
    showPresence(this.members?.list, this.presence, this.slug);
    this.renderSidebar();
    this.history?.reset();
    this.threads?.reset();
    this.typing?.clear();
    this.outbox.connectionLost();
  }

  toLogin() {
    const login = this.root.dataset.loginUrl;
    const next = window.location.pathname + window.location.search;
    window.location.assign(`${login}?next=${encodeURIComponent(next)}`);
  }

  showStatus(state, detail) {
    this.offlineBanner?.update(state, detail);
    this.online = state === "online";
    this.status.show(state);
    if (this.slug) this.renderMessages();
  }

  // History ------------------------------------------------------------------

  /** After every hello or resync: fetch what this page missed (history.js). */
  catchUp() {
    if (this.lostAccess) return;
    this.history.catchUp(this.directory.get(this.slug));
    this.threads?.catchUp();
  }

  requestHistory(kind) {
    if (!this.history || this.lostAccess) return;
    this.history.request(kind);
    if (kind === "before") this.renderMessages();
  }

  loadOlder() {
    this.requestHistory("before");
  }

  onHistory(frame) {
    if (frame.room !== this.slug || !this.history) return;
    if (frame.parent_seq !== undefined) {
      // A thread's page: the panel's (the room's pages never name a parent).
      for (const message of frame.messages || []) {
        this.learn(message);
        this.settleOwn(message);
      }
      this.threads?.receive(frame);
      return;
    }
    const page = this.history.receive(frame);
    if (!page) return;
    this.renderMessages({ stickToBottom: page.stickToBottom });
    this.history.followUp(page);
    if (this.messages.loadingOlder) this.renderMessages();
    this.markRead();
    this.renderSidebar();
  }

  /** A history page is in the log: names learnt, own sends settled, the sidebar told. */
  onPage(messages) {
    for (const message of messages) {
      this.learn(message);
      this.settleOwn(message);
    }
    if (messages.length) this.directory.noteMessage(this.slug, messages[messages.length - 1], this.me);
  }

  // Frames -------------------------------------------------------------------

  handle(frame) {
    switch (frame.type) {
      case "hello":
        return this.onHello(frame);
      case "resync":
        return this.onResync(frame);
      case "history":
        return this.onHistory(frame);
      case "message":
        return this.onMessage(frame);
      case "ack":
        return this.onAck(frame);
      case "message_edited":
        return this.onEdited(frame);
      case "message_deleted":
        return this.onDeleted(frame);
      case "reactions_changed":
        return this.onReactionsChanged(frame);
      case "attachments_changed":
        if (frame.room === this.slug && this.log?.setAttachments(frame.seq, frame.attachments || [])) this.renderMessages();
        return undefined;
      case "changes":
        return this.onChanges(frame);
      case "thread_updated":
        return this.onThreadUpdated(frame);
      case "thread_unread":
        return this.onThreadUnread(frame);
      case "typing":
        if (frame.room === this.slug && frame.user !== this.me) this.typing.add(frame.user);
        return undefined;
      case "read":
        if (this.directory.markRead(frame.room, frame.seq)) this.renderSidebar();
        return undefined;
      case "room_updated":
        return this.onRoomUpdated(frame.room);
      case "added":
      case "joined":
        return this.onAdded(frame.room);
      case "member_joined":
        if (frame.room === this.slug) {
          this.members?.add(frame.member);
          showPresence(this.members?.list, this.presence, this.slug);
        }
        return undefined;
      case "presence":
        return this.onPresence(frame);
      case "member_left":
        if (frame.room === this.slug) this.members?.remove(frame.username);
        return undefined;
      case "removed":
        return this.onRemoved(frame.room, gettext("You no longer have access to this room."));
      case "left":
        return this.onRemoved(frame.room, gettext("You left this room."));
      case "error":
        return this.onError(frame);
      default:
        return undefined; // new frame types may appear; ignoring them is correct
    }
  }

  onHello(frame) {
    if (frame.user) {
      this.user = frame.user;
      this.names.set(frame.user.username, frame.user.display_name);
    }
    this.directory.replaceAll(frame.rooms || []);
    if (this.slug) {
      const summary = this.directory.get(this.slug);
      if (summary) {
        this.summary = summary;
        this.member = true;
        this.reader?.reset(summary.last_read_seq);
      } else if (this.member) {
        // Removed while this page was offline.
        this.member = false;
        this.lostAccess = gettext("You no longer have access to this room.");
      }
      this.applyRoomState();
    }
    this.renderSidebar();
  }

  /** Events may have been lost on the server's side: the room list afresh, then catch up. */
  onResync(frame) {
    this.onHello({ rooms: frame.rooms });
    if (this.slug) this.catchUp();
  }

  onMessage(frame) {
    const message = frame.message;
    this.learn(message);
    this.settleOwn(message);
    this.directory.noteMessage(frame.room, message, this.me);
    this.notifier.notify(message, this.directory.get(frame.room));
    if (frame.room === this.slug) {
      if (message.author) this.typing.remove(message.author.username);
      const mine = Boolean(message.author && message.author.username === this.me);
      this.fileMessage(message, { mine });
      this.renderMessages({ stickToBottom: mine && inMainView(message) });
      this.markRead();
    }
    this.renderSidebar();
  }

  /** A message of the open room (live, or our own from an ack): into the room's list, or its thread's. */
  fileMessage(message, { mine = false } = {}) {
    if (inMainView(message)) this.log.put(message);
    else this.log.cover(message.seq); // a seq the main list accounts for without showing it
    if (isReply(message)) this.threads?.put(message, { mine });
    if (this.log.loaded) {
      this.log.advance();
      if (this.log.hasGap()) this.requestHistory("after");
    }
  }

  onAck(frame) {
    const entry = this.outbox.get(frame.client_id);
    this.outbox.resolve(frame.client_id);
    const message = {
      seq: frame.seq,
      id: frame.id,
      room: frame.room,
      author: { username: this.me, display_name: this.user.display_name || this.me },
      body: entry ? entry.body : "",
      html: "",
      attachments: entry ? entry.attachments || [] : [],
      created_at: new Date().toISOString(),
      edited_at: null,
      deleted: false,
      client_id: frame.client_id,
      provisional: true,
    };
    if (entry && Number.isSafeInteger(entry.parent_seq)) {
      message.parent_seq = entry.parent_seq;
      message.also_to_room = Boolean(entry.also_to_room);
    }
    this.directory.noteMessage(frame.room, message, this.me);
    if (frame.room === this.slug && entry && !this.log.messages.has(frame.seq)) {
      // Shown at once; the message frame (or history) brings the server's copy.
      this.fileMessage(message, { mine: true });
      this.renderMessages({ stickToBottom: inMainView(message) });
    }
    this.renderSidebar();
  }

  onEdited(frame) {
    if (this.directory.noteMentions(frame.room, frame.message, this.me)) this.renderSidebar();
    if (frame.room !== this.slug || !this.log) return;
    this.threads?.put(frame.message);
    if (!this.log.messages.has(frame.message.seq)) return;
    if (this.log.put(frame.message)) this.renderMessages();
  }

  onDeleted(frame) {
    if (this.directory.noteDeleted(frame.room, frame.seq)) this.renderSidebar();
    if (frame.room !== this.slug || !this.log) return;
    this.threads?.deleted(frame.seq);
    if (this.log.markDeleted(frame.seq)) this.renderMessages();
  }

  onReactionsChanged(frame) {
    if (frame.room !== this.slug || !this.log) return;
    this.threads?.reactions(frame.seq, frame.reactions || []);
    if (this.log.setReactions(frame.seq, frame.reactions || [])) this.renderMessages();
  }

  /** A thread's summary changed: its first message shows it, here and in the panel. */
  onThreadUpdated(frame) {
    if (frame.room !== this.slug || !this.log) return;
    this.threads?.threadUpdated(frame);
    if (this.log.setThread(frame.seq, frame)) this.renderMessages();
  }

  /** My unread replies in one of my threads: the sidebar's count, the parent's, the threads page's. */
  onThreadUnread(frame) {
    if (this.directory.setThreadUnread(frame.room, frame.thread_unread)) this.renderSidebar();
    this.threadList?.update(frame);
    if (frame.room !== this.slug || !this.log) return;
    if ((this.threadUnread.get(frame.parent_seq) || 0) === frame.unread) return;
    this.threadUnread.set(frame.parent_seq, frame.unread);
    this.renderMessages();
  }

  /** What changed in the messages held while this page was away (history.js asks). */
  onChanges(frame) {
    if (frame.room !== this.slug || !this.history) return;
    let mentionsChanged = false;
    for (const message of frame.messages || []) {
      this.learn(message);
      if (this.directory.noteMentions(frame.room, message, this.me)) mentionsChanged = true;
    }
    this.threads?.changes(frame.messages || []);
    if (this.history.receiveChanges(frame)) this.renderMessages();
    if (mentionsChanged) this.renderSidebar();
  }

  onRoomUpdated(summary) {
    if (this.directory.has(summary.slug)) this.directory.upsert(summary);
    if (summary.slug === this.slug) {
      this.summary = summary;
      this.applyRoomState();
      this.renderMessages();
    }
    this.renderSidebar();
  }

  onAdded(summary) {
    this.directory.upsert(summary);
    if (summary.slug === this.slug) {
      this.summary = summary;
      this.member = true;
      this.lostAccess = "";
      this.applyRoomState();
      this.catchUp();
      this.renderMessages();
    }
    this.renderSidebar();
  }

  onRemoved(slug, notice) {
    this.directory.remove(slug);
    this.presence.forget(slug);
    if (slug === this.slug) {
      this.member = false;
      this.lostAccess = notice;
      this.typing.clear();
      this.applyRoomState();
      this.renderMessages();
    }
    this.renderSidebar();
  }

  onError(frame) {
    if (frame.ref && this.outbox.fail(frame.ref, frame)) return;
    // A thread asked for that is not there (a stale link): the panel says so.
    if (!frame.ref && frame.code === "not_found" && this.threads?.awaiting()) this.threads.failed();
    this.toast.show(frame.message || frame.code);
  }

  // Intents ------------------------------------------------------------------

  send(body) {
    // The files uploaded for it go with it; the tray empties for the next message.
    this.outbox.add(this.slug, body, this.uploads.take());
    this.messages.scrollToBottom();
    this.renderMessages({ stickToBottom: true });
  }

  sendReply(body, parentSeq, alsoToRoom) {
    // The files attached in the panel go with the reply, as the room's go with a message.
    const files = this.threadUploads ? this.threadUploads.take() : {};
    this.outbox.add(this.slug, body, { ...files, reply: { parent_seq: parentSeq, also_to_room: alsoToRoom } });
  }

  offline() {
    this.toast.show(gettext("Waiting for connection…"));
  }

  /** The open room's marker follows the reader (read-marker.js). */
  markRead() {
    if (!this.slug || !this.member || !this.log.loaded) return;
    this.reader.consider(this.log.high);
  }

  /** The first seq the user has not read in the open room, or 0 if none (or not a member). */
  firstUnread() {
    const summary = this.member ? this.directory.get(this.slug) : null;
    return summary && summary.last_read_seq < summary.last_seq ? summary.last_read_seq + 1 : 0;
  }

  // Rendering ------------------------------------------------------------------

  /** Remember display names, so "bob is typing…" can say "Bob". */
  learn(message) {
    if (message.author) this.names.set(message.author.username, message.author.display_name);
  }

  /** The name to show for ``username``: a display name this page has seen, else the username. */
  nameFor(username) {
    const member = this.members?.find(username)?.querySelector(".member__name")?.textContent;
    return this.names.get(username) || member || username;
  }

  /** A history page holding one of our pending sends settles it. */
  settleOwn(message) {
    if (message.client_id && message.author && message.author.username === this.me) {
      this.outbox.resolve(message.client_id);
    }
  }

  /** What the server says this user may do in the room (its summary's `can`); nothing
   * while they are not a member. The page decides nothing on its own. */
  abilities() {
    if (!this.summary || !this.member || this.lostAccess) return [];
    return this.summary.can || [];
  }

  applyRoomState() {
    const canWrite = applyRoomChrome(this.summary, {
      member: this.member,
      lostAccess: this.lostAccess,
      composer: this.composer,
      placeholder: this.placeholder,
    });
    const canUpload = this.abilities().includes("upload");
    if (this.attachButton) this.attachButton.hidden = !canUpload;
    if (this.threadAttachButton) this.threadAttachButton.hidden = !canUpload;
    this.threads?.setCanWrite(canWrite);
    this.updateTitle();
  }

  renderMessages({ stickToBottom = false } = {}) {
    if (!this.messages) return;
    // Replies wait in their thread's panel, not under the room's messages.
    const pending = this.outbox.forRoom(this.slug).filter((entry) => !isReply(entry));
    this.messages.render(this.log, pending, { stickToBottom, online: this.online });
    this.threads?.render();
  }

  renderSidebar() {
    this.sidebar.render(this.directory);
    this.updateTitle();
  }

  updateTitle() {
    const unread = this.directory.totalUnread();
    const base = this.summary
      ? `${this.summary.direct ? "" : "#"}${this.summary.name} · ${this.siteName}`
      : this.pageTitle;
    document.title = titleWith(base, unread, this.directory.totalMentions());
  }
}

function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}${path}`;
}

const root = document.getElementById("chat-app");
if (root) window.chatApp = new ChatApp(root);
