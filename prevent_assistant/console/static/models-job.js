// A training job's page updates itself while the job runs: every few seconds (data-refresh-seconds) it
// fetches the job's progress as JSON (data-progress-url) and updates the step list, the log and the status
// line #job-now, a live region, changed only when its words change so a screen reader hears each step
// once. Each fetch carries the background header (data-background-header), so the console does not count
// it as the person being active. When the job has finished it stops, and shows the Deploy button if the
// job passed. Without JavaScript the page's Refresh link does the same.
"use strict";

(function () {
  const job = document.getElementById("job");
  if (!job || job.dataset.finished === "true" || !window.fetch) {
    return;
  }
  const now = document.getElementById("job-now");
  const reason = document.getElementById("job-reason");
  const steps = document.getElementById("job-steps");
  const log = document.getElementById("job-log");
  const deploy = document.getElementById("job-deploy");
  const refreshing = document.getElementById("job-refreshing");
  const seconds = Math.max(2, Number(job.dataset.refreshSeconds) || 5);
  const headers = { Accept: "application/json" };
  headers[job.dataset.backgroundHeader || "X-Console-Background"] = "1";
  let timer = null;

  function showSteps(list) {
    for (const step of list) {
      const item = steps.querySelector(`[data-step="${step.key}"]`);
      if (!item) {
        continue;
      }
      item.className = `job-step job-step--${step.state}`;
      const state = item.querySelector(".job-step__state");
      if (state && state.textContent !== step.state_label) {
        state.textContent = step.state_label;
      }
    }
  }

  function show(progress) {
    if (now.textContent !== progress.now) {
      now.textContent = progress.now;
    }
    now.className = `job-now job-now--${progress.status}`;
    showSteps(progress.steps);
    if (progress.log && log.textContent !== progress.log) {
      const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
      log.textContent = progress.log;
      if (atEnd) {
        log.scrollTop = log.scrollHeight;
      }
    }
    if (progress.reason) {
      reason.textContent = progress.reason;
      reason.hidden = false;
    }
    if (progress.finished) {
      window.clearInterval(timer);
      refreshing.hidden = true;
      deploy.hidden = !(progress.deployable && !progress.is_live);
    }
  }

  async function refresh() {
    if (document.hidden) {
      return;
    }
    let answer;
    try {
      answer = await fetch(job.dataset.progressUrl, { headers, credentials: "same-origin", cache: "no-store" });
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
    show(await answer.json());
  }

  timer = window.setInterval(refresh, seconds * 1000);
})();
