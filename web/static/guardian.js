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

  function addAlert(n, newest) {
    if (shown.has(n.notification_id)) return;
    shown.add(n.notification_id);
    el("no-alerts").hidden = true;
    const li = document.createElement("li");
    li.className = n.urgent ? "alert urgent" : "alert";
    li.dataset.notification = n.notification_id;
    li.dataset.student = n.student_id;
    li.dataset.event = n.event_type;
    const head = document.createElement("strong");
    head.textContent = (n.urgent ? `${AS.t("guardian.urgent")} · ` : "") + n.title;
    const body = document.createElement("p");
    body.textContent = n.body;
    const time = document.createElement("time");
    time.dateTime = n.created_at;
    time.textContent = when(n.created_at);
    li.append(head, body, time);
    if (newest) alerts.prepend(li);
    else alerts.append(li);
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
    for (const n of (await answer.json()).items) addAlert(n, false);
  }

  function setLive(ok) {
    live.textContent = AS.t(ok ? "guardian.live" : "guardian.reconnecting");
    live.classList.toggle("offline", !ok);
    document.body.dataset.stream = ok ? "live" : "down";
  }

  // One server-sent event block ("field: value" lines) into its fields.
  function parse(block) {
    const event = { event: "message", data: [], id: null };
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const at = line.indexOf(":");
      const field = at < 0 ? line : line.slice(0, at);
      const value = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
      if (field === "data") event.data.push(value);
      else if (field === "event") event.event = value;
      else if (field === "id") event.id = value;
    }
    return event;
  }

  async function stream() {
    const headers = lastEventId ? { "Last-Event-ID": lastEventId } : {};
    const answer = await AS.api("/notify/v1/notifications/stream", { headers });
    if (answer.status === 401) return AS.signOut();
    if (!answer.ok || !answer.body) throw new Error(String(answer.status));
    setLive(true);
    const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event.id) lastEventId = event.id;
        if (event.event === "notification" && event.data.length) addAlert(JSON.parse(event.data.join("\n")), true);
      }
    }
  }

  async function follow() {
    let wait = 500;
    for (;;) {
      try {
        await stream();
        wait = 500;
      } catch (broken) {
        wait = Math.min(wait * 2, 15000);
      }
      setLive(false);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  loadChildren();
  loadAlerts().finally(follow);
})();
