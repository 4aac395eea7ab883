// The call handlers' queue refreshes itself: every few seconds (data-refresh-seconds) it fetches this same
// page again and swaps in the part marked #queue. Each fetch carries the background header named in
// data-background-header, so the console does not count it as the handler being active (the idle timeout
// still runs). It waits while the tab is hidden and while focus is inside the list, so a keyboard or
// screen-reader user never loses their place; the count of new handoffs is a status region, changed only
// when the count changes. Without JavaScript the page's Refresh link does the same.
"use strict";

(function () {
  const region = document.getElementById("queue");
  const count = document.getElementById("new-count");
  if (!region || !window.fetch || !window.DOMParser) {
    return;
  }
  const seconds = Math.max(5, Number(region.dataset.refreshSeconds) || 30);
  const headers = {};
  headers[region.dataset.backgroundHeader || "X-Console-Background"] = "1";

  async function refresh() {
    if (document.hidden || region.contains(document.activeElement)) {
      return;
    }
    let answer;
    try {
      answer = await fetch(window.location.href, { headers, credentials: "same-origin", cache: "no-store" });
    } catch (error) {
      return; // offline for a moment: try again next time
    }
    if (answer.redirected && new URL(answer.url).pathname === "/login") {
      window.location.assign(answer.url); // the session has ended: show the sign-in page and say so
      return;
    }
    if (!answer.ok) {
      return;
    }
    const page = new DOMParser().parseFromString(await answer.text(), "text/html");
    const fresh = page.getElementById("queue");
    if (fresh && !region.contains(document.activeElement)) {
      region.replaceChildren(...Array.from(fresh.childNodes));
    }
    const freshCount = page.getElementById("new-count");
    if (count && freshCount && freshCount.textContent !== count.textContent) {
      count.textContent = freshCount.textContent;
    }
  }

  window.setInterval(refresh, seconds * 1000);
})();
