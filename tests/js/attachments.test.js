// attachments.js: what may be attached, the uploads of a message (with a fake
// network), and how a message's files are shown.
import {
  Uploads,
  attachmentList,
  dragHasFiles,
  filesFrom,
  pastedName,
  screenFiles,
  thumbSize,
  uploadError,
} from "/static/chat/attachments.js";
import { formatSize } from "/static/chat/format.js";
import { assert, assertDeepEqual, assertEqual, test } from "./harness.js";

const LIMITS = { maxFile: 1000, maxMessage: 1500, maxFiles: 3 };

function file(name, size, type = "text/plain") {
  return { name, size, type };
}

/** A network that answers when told to: each upload is {url, file, name, progress, finish, aborted}. */
function network() {
  const net = { uploads: [], discarded: [] };
  net.transport = (url, sent, { name, onProgress }) => {
    let finish;
    const promise = new Promise((resolve) => {
      finish = resolve;
    });
    const upload = { url, file: sent, name, progress: onProgress, finish, aborted: false };
    net.uploads.push(upload);
    return {
      promise,
      abort: () => {
        upload.aborted = true;
        finish({ status: -1, body: null });
      },
    };
  };
  net.discard = (url) => net.discarded.push(url);
  return net;
}

function uploads(net, said = []) {
  let n = 0;
  return new Uploads({
    uploadUrl: (clientId) => `/r/general/files/?client_id=${clientId}`,
    discardUrl: (id) => `/r/general/files/${id}/`,
    csrfToken: "token",
    limits: LIMITS,
    onChange: (_items, sentence) => sentence && said.push(sentence),
    newClientId: () => `draft-${++n}`,
    transport: net.transport,
    discard: net.discard,
  });
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

test("Files over a limit are refused before any upload, with the reason", () => {
  const { accepted, refused } = screenFiles(
    [file("a", 900), file("big", 1001), file("c", 600), file("b", 400), file("d", 10)],
    [100],
    LIMITS,
  );
  assertDeepEqual(accepted.map((f) => f.name), ["a", "b"], "within the file, message and count limits");
  assertDeepEqual(refused.map((r) => r.file.name), ["big", "c", "d"], "over one file, the message, the count");
  assert(refused[0].reason.includes("1,000 bytes"), refused[0].reason);
  assert(refused[1].reason.includes("together"), refused[1].reason);
  assert(refused[2].reason.includes("3 files"), refused[2].reason);
});

test("Sizes read as people say them", () => {
  assertEqual(formatSize(1), "1 byte");
  assertEqual(formatSize(820), "820 bytes");
  assertEqual(formatSize(12.5 * 1024), "12.5 KB");
  assertEqual(formatSize(3 * 1024 * 1024), "3 MB");
});

test("Drops and pastes give their files; other drags are not for us", () => {
  const a = file("a.txt", 1);
  assertDeepEqual(filesFrom({ files: [a] }), [a]);
  assertDeepEqual(filesFrom({ files: [], items: [{ kind: "string" }, { kind: "file", getAsFile: () => a }] }), [a]);
  assertDeepEqual(filesFrom(null), []);
  assert(dragHasFiles({ types: ["Files", "text/uri-list"] }));
  assert(!dragHasFiles({ types: ["text/plain"] }), "text dragged within the page");
  assertEqual(pastedName(file("report.pdf", 1)), "report.pdf");
  assertEqual(pastedName({ name: "image.png", type: "image/png" }, new Date("2026-12-03T10:20:30Z")), "Pasted 2026-12-03 10.20.30.png");
});

test("An upload error says the server's reason, or what went wrong", () => {
  assertEqual(uploadError(413, { error: "too_large", message: "A file may be at most 10 MB." }), "A file may be at most 10 MB.");
  assert(uploadError(0, null).includes("connection"));
  assert(uploadError(500, null).includes("failed"));
});

test("A thumbnail keeps its shape within the box", () => {
  assertDeepEqual(thumbSize(1200, 800), { width: 320, height: 213 });
  assertDeepEqual(thumbSize(100, 600), { width: 40, height: 240 });
  assertDeepEqual(thumbSize(50, 40), { width: 50, height: 40 }, "never enlarged");
});

test("Uploads go at once, show progress, and are ready when the server says so", async () => {
  const net = network();
  const said = [];
  const tray = uploads(net, said);
  tray.add([file("plan.png", 400, "image/png"), file("notes.txt", 100)]);
  assertEqual(net.uploads.length, 2);
  assertEqual(net.uploads[0].url, "/r/general/files/?client_id=draft-1", "for the message's client_id");
  assertEqual(tray.clientId, "draft-1");
  assert(tray.busy());
  net.uploads[0].progress(250, 500);
  assertEqual(tray.items[0].loaded, 200, "its share of the request, framing aside");
  net.uploads[0].finish({ status: 201, body: { id: 7, name: "plan.png" } });
  net.uploads[1].finish({ status: 413, body: { error: "too_large", message: "Too big." } });
  await settle();
  assert(!tray.busy());
  assertDeepEqual(tray.items.map((item) => item.state), ["done", "failed"]);
  assertDeepEqual(tray.ready(), [{ id: 7, name: "plan.png" }]);
  assert(said.includes("plan.png is ready to send."), said.join(" | "));
  assert(said.includes("notes.txt was not uploaded: Too big."), said.join(" | "));

  const taken = tray.take();
  assertDeepEqual(taken, { clientId: "draft-1", attachments: [{ id: 7, name: "plan.png" }] });
  assertDeepEqual(tray.items, []);
  tray.add([file("next.txt", 1)]);
  assertEqual(tray.clientId, "draft-2", "the next message has a client_id of its own");
  assertDeepEqual(net.discarded, [], "sent files are not taken back");
});

test("Removing a file cancels its upload, or takes it back from the server", async () => {
  const net = network();
  const tray = uploads(net);
  tray.add([file("a.txt", 10), file("b.txt", 10)]);
  const [first, second] = tray.items;
  net.uploads[1].finish({ status: 201, body: { id: 12 } });
  await settle();
  tray.remove(first.key);
  assert(net.uploads[0].aborted, "the request in flight is cancelled");
  tray.remove(second.key);
  assertDeepEqual(net.discarded, ["/r/general/files/12/"]);
  await settle();
  assertDeepEqual(tray.items, [], "a cancelled upload does not come back when its request ends");
  assertEqual(tray.clientId, "", "an empty tray starts afresh");
  tray.release([{ id: 30 }]);
  assertDeepEqual(net.discarded, ["/r/general/files/12/", "/r/general/files/30/"]);
});

test("A message's files: thumbnails open the picture, other files download, names stay text", () => {
  const name = "<img src=x onerror=window.__xss=1>.png";
  const list = attachmentList([
    { id: 1, name, size: 2048, content_type: "image/png", image: true, width: 640, height: 480, url: "/files/1/", thumbnail_url: "/files/1/thumbnail/" },
    { id: 2, name: "notes.txt", size: 12, content_type: "text/plain", image: false, width: null, height: null, url: "/files/2/", thumbnail_url: null },
  ]);
  const [picture, notes] = list.querySelectorAll("li");
  const button = picture.querySelector("button[data-action=open-image]");
  assertEqual(button.dataset.url, "/files/1/");
  const image = picture.querySelector("img");
  assertEqual(image.getAttribute("src"), "/files/1/thumbnail/");
  assertEqual(image.alt, name);
  assertDeepEqual([image.getAttribute("width"), image.getAttribute("height")], ["320", "240"], "no layout shift");
  assertEqual(list.querySelectorAll("img").length, 1, "the name made no element");
  const link = notes.querySelector("a");
  assertDeepEqual([link.getAttribute("href"), link.getAttribute("download"), link.textContent], ["/files/2/", "notes.txt", "notes.txt"]);
  assert(notes.textContent.includes("12 bytes · text/plain"), notes.textContent);
  assertEqual(attachmentList([]), null);

  const visitor = attachmentList([{ id: 2, name: "notes.txt", size: 12, content_type: "text/plain", image: false, url: "/files/2/" }], { canOpen: false });
  assertEqual(visitor.querySelectorAll("a, img").length, 0, "no link for someone who may not download it");
});
