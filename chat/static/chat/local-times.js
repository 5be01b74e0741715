// Times on the pages the server draws (search results, mentions): each
// <time data-local datetime="..."> is written again in the reader's language and
// time zone ("Yesterday 2:03 PM", "昨天 14:03"), with the full date as its title.
// Without this module the server's text (UTC) stays.

import { fullTime, when } from "./format.js";

export function localizeTimes(root = document, now = new Date()) {
  for (const node of root.querySelectorAll("time[data-local][datetime]")) {
    const date = new Date(node.dateTime);
    if (Number.isNaN(date.getTime())) continue;
    node.textContent = when(date, now);
    node.title = fullTime(date);
  }
}

localizeTimes();
