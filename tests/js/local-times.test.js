// local-times.js: the server's <time data-local> written in the reader's language and zone.
import { localizeTimes } from "/static/chat/local-times.js";
import { assert, assertEqual, onCleanup, test } from "./harness.js";

function page(language, html) {
  const before = document.documentElement.lang;
  document.documentElement.lang = language;
  const root = document.createElement("div");
  root.innerHTML = html;
  document.body.append(root);
  onCleanup(() => {
    document.documentElement.lang = before;
    root.remove();
  });
  return root;
}

test("a server's time is written again in the page's language, as the reader's local time", () => {
  const now = new Date(2024, 2, 1, 8, 30);
  const yesterday = new Date(2024, 1, 29, 14, 3); // local time
  const html = `<time data-local datetime="${yesterday.toISOString()}">2024-02-29 14:03 UTC</time>`;

  const chinese = page("zh-hans", html);
  localizeTimes(chinese, now);
  assertEqual(chinese.querySelector("time").textContent, "昨天 14:03");
  assert(chinese.querySelector("time").title.startsWith("2024年2月29日"), "the full date as its title");

  const english = page("en", html);
  localizeTimes(english, now);
  assertEqual(english.querySelector("time").textContent.replace(/\s/g, " "), "Yesterday 2:03 PM");
});

test("a time without data-local, or that is not a time, stays as the server wrote it", () => {
  const root = page("zh-hans", '<time datetime="2024-02-29T14:03:00Z">kept</time><time data-local datetime="soon">also</time>');
  localizeTimes(root);
  assertEqual(root.textContent, "keptalso");
});
