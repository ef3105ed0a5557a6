// The guardian's page: their children, and their alerts, live over notify's server-sent event stream. The stream
// needs the bearer token, which EventSource cannot send, so it is read with fetch and parsed here; on a break it
// reconnects with Last-Event-ID and the service sends what was missed.
"use strict";

(() => {
  const claims = AS.requireRole("guardian");
  if (!claims) return;
  const el = (id) => document.getElementById(id);
  const alerts = el("alerts");
  const live = el("live");
  const shown = new Set();
  const children = {};
  let lastEventId = null;

  function when(iso) {
    return new Date(iso).toLocaleString(AS.config.lang, { timeZone: "Asia/Shanghai", hour12: false });
  }

  function addAlert(n) {
    if (shown.has(n.notification_id)) return;
    shown.add(n.notification_id);
    el("no-alerts").hidden = true;
    const li = document.createElement("li");
    li.className = n.urgent ? "alert urgent" : "alert";
    li.dataset.notification = n.notification_id;
    li.dataset.student = n.student_id;
    li.dataset.event = n.event_type;
    li.dataset.created = n.created_at;
    const head = document.createElement("strong");
    head.textContent = (n.urgent ? `${AS.t("guardian.urgent")} · ` : "") + n.title;
    const body = document.createElement("p");
    body.textContent = n.body;
    const time = document.createElement("time");
    time.dateTime = n.created_at;
    time.textContent = when(n.created_at);
    li.append(head, body, time);
    // Newest first, wherever it came from (the list, the stream, or the list again after a reconnect).
    const at = Date.parse(n.created_at);
    const later = Array.from(alerts.children).find((other) => Date.parse(other.dataset.created) < at);
    alerts.insertBefore(li, later || null);
  }

  async function loadChildren() {
    const answer = await AS.api("/enrollment/v1/me/children?limit=50");
    if (answer.status === 401) return AS.signOut();
    if (!answer.ok) return;
    const page = await answer.json();
    el("children").replaceChildren(
      ...page.items.map((s) => {
        children[s.student_id] = s.name;
        const li = document.createElement("li");
        li.dataset.student = s.student_id;
        li.textContent = s.name;
        return li;
      }),
    );
  }

  async function loadAlerts() {
    const answer = await AS.api("/notify/v2/notifications?limit=20");
    if (!answer.ok) return;
    for (const n of (await answer.json()).items) addAlert(n);
  }

  function setLive(ok) {
    live.textContent = AS.t(ok ? "guardian.live" : "guardian.reconnecting");
    live.classList.toggle("offline", !ok);
    document.body.dataset.stream = ok ? "live" : "down";
  }

  // A phone that changes networks keeps a dead connection open for a long while: drop it at once when the
  // browser says it is offline, and reconnect (with Last-Event-ID) as soon as it is back.
  let current = null;
  let wake = null;
  window.addEventListener("offline", () => current && current.abort());
  window.addEventListener("online", () => wake && wake());

  async function stream() {
    const headers = lastEventId ? { "Last-Event-ID": lastEventId } : {};
    current = new AbortController();
    const answer = await AS.api("/notify/v1/notifications/stream", { headers, signal: current.signal });
    if (answer.status === 401) return AS.signOut();
    if (!answer.ok || !answer.body) throw new Error(String(answer.status));
    setLive(true);
    await AS.readEvents(answer, (event) => {
      if (event.id) lastEventId = event.id;
      if (event.event === "notification" && event.data.length) addAlert(JSON.parse(event.data.join("\n")));
    });
  }

  async function follow() {
    let wait = 500;
    for (let first = true; ; first = false) {
      try {
        // Before any notification came live there is no Last-Event-ID to resume from: read the list again.
        if (!first && !lastEventId) await loadAlerts();
        await stream();
        wait = 500;
      } catch (broken) {
        wait = Math.min(wait * 2, 15000);
      }
      setLive(false);
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, navigator.onLine ? wait : 60000);
      });
      wake = null;
    }
  }

  loadChildren();
  loadAlerts().finally(follow);
})();
