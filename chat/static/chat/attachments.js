// Files: the composer's uploads, and the files shown in messages.
//
// What the user attaches (the button, drag and drop, paste) is checked against
// the server's limits (written into the page), then uploaded at once, one HTTP
// request per file, each with its own progress bar and Remove button. A message
// can be sent once all of its files are uploaded; its `send` frame then names
// them (their ids), so the outbox sends the message once, as any other, and a
// file is never uploaded twice. Removing a file cancels its request, or takes
// back the upload from the server. The server decides everything; this only
// saves the user a refused request.
//
// In a message, a picture shows as its thumbnail, a button that opens it full
// size in the page; any other file shows its name, size and type with a
// download link. Names are text, always.

import { el, formatSize, icon } from "./format.js";
import { formatNumber, gettext, interpolate, ngettext, pageLanguage } from "./i18n.js";

// The pictures the server shows inline (the others are downloads).
export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];
// A thumbnail in the list fits in this box (CSS pixels).
export const THUMB_BOX = { width: 320, height: 240 };

/**
 * Which of ``files`` (File-like: name, size) may join ``held`` (the sizes of the files
 * already attached to the message) under ``limits`` ({maxFile, maxMessage, maxFiles}):
 * {accepted: [file], refused: [{file, reason}]}, in order.
 */
export function screenFiles(files, held, limits) {
  const accepted = [];
  const refused = [];
  let count = held.length;
  let total = held.reduce((sum, size) => sum + size, 0);
  for (const file of files) {
    let reason = "";
    if (file.size > limits.maxFile) reason = interpolate(gettext("larger than %(size)s, the most a file may be."), { size: formatSize(limits.maxFile) });
    else if (count + 1 > limits.maxFiles) reason = interpolate(ngettext("a message takes at most %(count)s file.", "a message takes at most %(count)s files.", limits.maxFiles), { count: formatNumber(limits.maxFiles) });
    else if (total + file.size > limits.maxMessage) reason = interpolate(gettext("the files of one message may be at most %(size)s together."), { size: formatSize(limits.maxMessage) });
    if (reason) {
      refused.push({ file, reason });
    } else {
      accepted.push(file);
      count += 1;
      total += file.size;
    }
  }
  return { accepted, refused };
}

function uploadingText(name, percent) {
  const share = new Intl.NumberFormat(pageLanguage(), { style: "percent" }).format(percent / 100);
  return interpolate(gettext("Uploading %(name)s: %(percent)s"), { name, percent: share });
}

function failedText(name, reason) {
  return interpolate(gettext("%(name)s was not uploaded: %(reason)s"), { name, reason });
}

function removeText(name) {
  return interpolate(gettext("Remove %(name)s"), { name });
}

/** The files a drop or a paste carries (a DataTransfer), or []. */
export function filesFrom(transfer) {
  if (!transfer) return [];
  if (transfer.files && transfer.files.length) return [...transfer.files];
  const found = [];
  for (const item of transfer.items || []) {
    if (item.kind === "file") {
      const file = item.getAsFile();
      if (file) found.push(file);
    }
  }
  return found;
}

/** Whether a drag carries files (not text or a link dragged within the page). */
export function dragHasFiles(transfer) {
  return Boolean(transfer && [...(transfer.types || [])].includes("Files"));
}

/** A pasted picture has a generic name ("image.png"); give it the time instead, so several differ. */
export function pastedName(file, now = new Date()) {
  if (file.name && file.name !== "image.png") return file.name;
  const stamp = now.toISOString().slice(0, 19).replace("T", " ").replaceAll(":", ".");
  const extension = (file.type || "image/png").split("/")[1] || "png";
  return interpolate(gettext("Pasted %(time)s.%(extension)s"), { time: stamp, extension });
}

/** The sentence to show for a failed upload: the server's, else one that fits the status. */
export function uploadError(status, body) {
  if (body && typeof body.message === "string" && body.message) return body.message;
  if (status === 0) return gettext("the connection was lost; try again.");
  return gettext("the upload failed; try again.");
}

/** The size a picture shows at in the list: its own, scaled down to fit THUMB_BOX. */
export function thumbSize(width, height, box = THUMB_BOX) {
  if (!width || !height) return { width: box.width, height: box.height };
  const scale = Math.min(1, box.width / width, box.height / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** One file uploaded with XMLHttpRequest (for its upload progress): {promise, abort}. */
export function xhrUpload(url, file, { name, csrfToken, onProgress }) {
  const request = new XMLHttpRequest();
  const promise = new Promise((resolve) => {
    request.open("POST", url);
    request.setRequestHeader("X-CSRFToken", csrfToken);
    request.responseType = "json";
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    request.addEventListener("load", () => resolve({ status: request.status, body: request.response }));
    request.addEventListener("error", () => resolve({ status: 0, body: null }));
    request.addEventListener("abort", () => resolve({ status: -1, body: null }));
    const form = new FormData();
    form.append("file", file, name);
    request.send(form);
  });
  return { promise, abort: () => request.abort() };
}

/** Take back an upload not sent (DELETE); failures are left to the server's expiry. */
export function discardUpload(url, csrfToken) {
  return fetch(url, { method: "DELETE", headers: { "X-CSRFToken": csrfToken }, credentials: "same-origin" }).catch(
    () => null,
  );
}

let nextKey = 1;

/**
 * The files attached to the message being written. Items: {key, name, size, type,
 * state: "uploading" | "done" | "failed", loaded, error, attachment (the server's
 * ATTACHMENT once uploaded)}. ``onChange(items, said)`` after every change, with a
 * sentence for the live region when there is one to say.
 */
export class Uploads {
  constructor({ uploadUrl, discardUrl, csrfToken, limits, onChange, newClientId, transport = xhrUpload, discard = discardUpload }) {
    this.uploadUrl = uploadUrl; // (clientId) -> URL
    this.discardUrl = discardUrl; // (attachment id) -> URL
    this.csrfToken = csrfToken;
    this.limits = limits;
    this.onChange = onChange;
    this.newClientId = newClientId;
    this.transport = transport;
    this.discard = discard;
    this.items = [];
    this.requests = new Map(); // key -> {abort}
    this.clientId = "";
  }

  /** Attach ``files``: those within the limits start uploading; the others are listed as failed. */
  add(files) {
    const held = this.items.filter((item) => item.state !== "failed").map((item) => item.size);
    const { accepted, refused } = screenFiles(files, held, this.limits);
    if (!this.clientId && accepted.length) this.clientId = this.newClientId();
    for (const { file, reason } of refused) {
      const item = this.item(file);
      item.state = "failed";
      item.error = reason;
      this.items.push(item);
      this.onChange(this.items, failedText(item.name, reason));
    }
    for (const file of accepted) this.start(file);
  }

  item(file) {
    const name = pastedName(file);
    return { key: nextKey++, name, size: file.size, type: file.type || "", state: "uploading", loaded: 0, error: "", attachment: null };
  }

  start(file) {
    const item = this.item(file);
    this.items.push(item);
    const request = this.transport(this.uploadUrl(this.clientId), file, {
      name: item.name,
      csrfToken: this.csrfToken,
      onProgress: (loaded, total) => {
        // The request is the file and its framing: its share of the file.
        item.loaded = total > 0 ? Math.min(item.size, Math.round((item.size * loaded) / total)) : 0;
        this.onChange(this.items, "");
      },
    });
    this.requests.set(item.key, request);
    this.onChange(this.items, uploadingText(item.name, 0));
    request.promise.then(({ status, body }) => {
      this.requests.delete(item.key);
      if (!this.items.includes(item)) return; // removed meanwhile
      if (status === 201 && body && Number.isInteger(body.id)) {
        item.state = "done";
        item.attachment = body;
        item.loaded = item.size;
        this.onChange(this.items, interpolate(gettext("%(name)s is ready to send."), { name: item.name }));
      } else {
        item.state = "failed";
        item.error = uploadError(status, body);
        this.onChange(this.items, failedText(item.name, item.error));
      }
    });
    return item;
  }

  /** Remove an item: cancel its upload, or take the uploaded file back from the server. */
  remove(key) {
    const item = this.items.find((candidate) => candidate.key === key);
    if (!item) return;
    this.items = this.items.filter((candidate) => candidate !== item);
    const request = this.requests.get(key);
    if (request) {
      this.requests.delete(key);
      request.abort();
    }
    if (item.attachment) this.discard(this.discardUrl(item.attachment.id), this.csrfToken);
    if (!this.items.length) this.clientId = "";
    this.onChange(this.items, interpolate(gettext("%(name)s removed."), { name: item.name }));
  }

  /** Files still uploading: the message waits for them. */
  busy() {
    return this.items.some((item) => item.state === "uploading");
  }

  /** Uploaded files, ready to go with the message. */
  ready() {
    return this.items.filter((item) => item.state === "done").map((item) => item.attachment);
  }

  /**
   * The message is being sent: its client_id and its files' ATTACHMENTs, and an empty
   * tray for the next one (the files now belong to the outbox's entry).
   */
  take() {
    const taken = { clientId: this.clientId, attachments: this.ready() };
    this.items = [];
    this.clientId = "";
    this.onChange(this.items, "");
    return taken;
  }

  /** Take back uploads that will not be sent after all (a discarded message). */
  release(attachments) {
    for (const attachment of attachments || []) this.discard(this.discardUrl(attachment.id), this.csrfToken);
  }
}

/** The tray under the composer: one row per file, with its progress and Remove. */
export class UploadTray {
  constructor({ list, live, onRemove }) {
    this.list = list;
    this.live = live;
    this.list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-upload-key]");
      if (button) onRemove(Number(button.dataset.uploadKey));
    });
  }

  render(items, said) {
    const focusedKey = this.list.contains(document.activeElement) ? document.activeElement.dataset.uploadKey : null;
    this.list.replaceChildren(...items.map((item) => this.row(item)));
    this.list.hidden = !items.length;
    if (said) this.live.textContent = said;
    if (focusedKey) {
      const same = this.list.querySelector(`button[data-upload-key="${focusedKey}"]`);
      (same || this.list.querySelector("button[data-upload-key]"))?.focus();
    }
  }

  row(item) {
    const percent = item.size ? Math.round((100 * item.loaded) / item.size) : 0;
    const status =
      item.state === "failed"
        ? el("span", { className: "upload__error", text: item.error, dataset: { testid: "upload-error" } })
        : el("progress", {
            className: "upload__progress",
            attrs: { max: "100", value: String(item.state === "done" ? 100 : percent), "aria-label": uploadingText(item.name, percent) },
          });
    return el(
      "li",
      { className: `upload upload--${item.state}`, dataset: { testid: "upload", state: item.state } },
      icon("file"),
      el("span", { className: "upload__name", text: item.name, attrs: { title: item.name } }),
      el("span", { className: "upload__size", text: formatSize(item.size) }),
      status,
      el(
        "button",
        {
          className: "icon-button upload__remove",
          attrs: { type: "button", "aria-label": removeText(item.name), title: removeText(item.name) },
          dataset: { uploadKey: String(item.key), testid: "upload-remove" },
        },
        icon("close"),
      ),
    );
  }
}

/** A message's files, as shown in the list; null if it has none. ``canOpen``: the user may download them. */
export function attachmentList(attachments, { canOpen = true } = {}) {
  if (!attachments || !attachments.length) return null;
  const items = attachments.map((attachment) => {
    if (attachment.image && attachment.thumbnail_url && canOpen) {
      const size = thumbSize(attachment.width, attachment.height);
      return el(
        "li",
        { className: "attachment attachment--image", dataset: { testid: "attachment", attachmentId: String(attachment.id) } },
        el(
          "button",
          {
            className: "attachment__thumb",
            attrs: { type: "button", "aria-label": interpolate(gettext("Open %(name)s full size"), { name: attachment.name }), title: attachment.name },
            dataset: { action: "open-image", testid: "attachment-thumbnail", url: attachment.url, name: attachment.name },
          },
          el("img", {
            attrs: { src: attachment.thumbnail_url, alt: attachment.name, width: String(size.width), height: String(size.height), loading: "lazy" },
          }),
        ),
      );
    }
    const details = `${formatSize(attachment.size)} · ${attachment.content_type}`;
    const name = canOpen
      ? el("a", {
          className: "attachment__name",
          text: attachment.name,
          attrs: { href: attachment.url, download: attachment.name, "aria-label": interpolate(gettext("Download %(name)s"), { name: attachment.name }) },
          dataset: { testid: "attachment-download" },
        })
      : el("span", { className: "attachment__name", text: attachment.name, attrs: { title: gettext("Files are shown to the room's members.") } });
    return el(
      "li",
      { className: "attachment attachment--file", dataset: { testid: "attachment", attachmentId: String(attachment.id) } },
      icon("file"),
      el("span", { className: "attachment__text" }, name, el("span", { className: "attachment__details", text: details })),
    );
  });
  return el("ul", { className: "attachments", attrs: { "aria-label": gettext("Files") }, dataset: { testid: "attachments" } }, ...items);
}

/** Pictures open full size in the page, in a dialog (Escape or Close closes it). */
export class ImageViewer {
  constructor(document) {
    this.dialog = el("dialog", { className: "image-viewer", dataset: { testid: "image-viewer" } });
    this.image = el("img", { className: "image-viewer__image" });
    this.caption = el("a", { className: "image-viewer__name", dataset: { testid: "image-viewer-download" } });
    const close = el(
      "button",
      { className: "icon-button image-viewer__close", attrs: { type: "button", "aria-label": gettext("Close") }, dataset: { testid: "image-viewer-close" } },
      icon("close"),
    );
    close.addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("click", (event) => {
      if (event.target === this.dialog) this.dialog.close(); // the backdrop
    });
    this.dialog.append(close, this.image, this.caption);
    document.body.append(this.dialog);
  }

  open(url, name) {
    this.image.src = url;
    this.image.alt = name;
    this.caption.textContent = name;
    this.caption.href = url;
    this.caption.setAttribute("download", name);
    this.dialog.setAttribute("aria-label", name);
    this.dialog.showModal();
  }
}
