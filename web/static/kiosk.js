// The gate kiosk: check-in by card/QR (a keyboard-wedge scanner types the code and presses Enter) or by tapping a
// name. Every check-in is first kept in IndexedDB with its device time, then uploaded as a batch (AT-8), so the
// kiosk works the same offline: the queue waits, the pending counter shows it, and reconnecting uploads it.
// Check-out is the child's card (or name) then the collecting adult's card; it needs the service's verdict on that
// adult (AT-5, BX-2) before the child leaves, so it is never queued: offline, the kiosk sends the adult to staff.
"use strict";

(() => {
  const claims = AS.requireRole("kiosk");
  if (!claims) return;
  const device = claims.sub;
  const ID = /^[A-Za-z0-9._:-]{1,64}$/;
  const BATCH = 500; // the service takes up to 1,000 events a batch; smaller keeps each answer quick
  const RETRY_MS = 3000;
  const ROSTER = `afterschool.roster.${claims.school}`;

  const el = (id) => document.getElementById(id);
  const scan = el("scan");
  const result = el("result");
  const network = el("network");
  const pending = el("pending");
  el("device").textContent = `${AS.t("kiosk.device")} ${device}`;

  let names = JSON.parse(localStorage.getItem(ROSTER) || "{}");

  // --- the queue: one IndexedDB store of device events, keyed by a key made once when the child was seen ---
  const opened = new Promise((resolve, reject) => {
    const request = indexedDB.open(`afterschool-kiosk-${device}`, 1);
    request.onupgradeneeded = () => request.result.createObjectStore("pending", { keyPath: "key" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

  async function store(mode, work) {
    const db = await opened;
    return new Promise((resolve, reject) => {
      const tx = db.transaction("pending", mode);
      const request = work(tx.objectStore("pending"));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  }
  const enqueue = (event) => store("readwrite", (s) => s.put(event));
  const queued = () => store("readonly", (s) => s.getAll());
  const forget = (keys) => store("readwrite", (s) => { for (const k of keys) s.delete(k); return null; });

  async function showPending() {
    pending.textContent = String((await queued()).length);
  }

  function setOnline(online) {
    network.textContent = AS.t(online ? "kiosk.online" : "kiosk.offline");
    network.classList.toggle("offline", !online);
    document.body.dataset.network = online ? "online" : "offline";
  }

  function show(state, studentId, detail, titleKey) {
    const who = names[studentId] ? `${names[studentId]} (${studentId})` : studentId;
    result.hidden = false;
    result.className = `result ${state}`;
    result.dataset.state = state;
    result.replaceChildren();
    const title = document.createElement("strong");
    title.textContent = AS.t(titleKey || `kiosk.${state === "created" ? "ok" : state}`);
    const name = document.createElement("span");
    name.className = "who";
    name.textContent = who;
    result.append(title, name);
    if (detail) {
      const why = document.createElement("span");
      why.className = "why";
      why.textContent = detail;
      result.append(why);
    }
  }

  // A batch's Idempotency-Key is a hash of its events' keys: a retried upload of the same events replays the
  // first answer, and an event sent again in another batch is a duplicate by its device identity (AT-8).
  function batchKey(events) {
    let h1 = 0x811c9dc5, h2 = 0x01000193;
    for (const ch of events.map((e) => e.key).join(",")) {
      const c = ch.charCodeAt(0);
      h1 = Math.imul(h1 ^ c, 16777619) >>> 0;
      h2 = Math.imul(h2 ^ c, 2246822519) >>> 0;
    }
    return `kiosk-batch:${device}:${events.length}:${h1.toString(16)}${h2.toString(16)}`;
  }

  let flushing = null;
  let watching = null; // the key of the check-in just scanned, whose outcome the screen shows

  function flush() {
    if (!flushing) flushing = upload().finally(() => { flushing = null; showPending(); });
    return flushing;
  }

  async function upload() {
    for (;;) {
      const all = (await queued()).sort((a, b) => a.sort - b.sort);
      if (!all.length) return;
      const batch = all.slice(0, BATCH);
      if (!(await send(batch))) return;
    }
  }

  // One batch upload; false when it could not be delivered (offline, or the service is unavailable).
  async function send(batch) {
    let answer;
    try {
      answer = await AS.api("/attendance/v1/check-ins/batch", {
        method: "POST",
        headers: { "Idempotency-Key": batchKey(batch) },
        body: {
          device_id: device,
          events: batch.map((e) => ({ student_id: e.student_id, occurred_at: e.occurred_at, method: e.method })),
        },
      });
    } catch (offline) {
      setOnline(false);
      return false;
    }
    setOnline(true);
    if (answer.status === 401 || answer.status === 403) {
      show("refused", "", AS.t("error.auth"));
      return false;
    }
    if (answer.status === 422 && batch.length > 1) {
      // One bad event must not hold the queue: send them one by one, so only that one is refused.
      for (const event of batch) if (!(await send([event]))) return false;
      return true;
    }
    if (answer.status === 422) {
      const problem = await answer.json().catch(() => ({}));
      await forget([batch[0].key]);
      if (batch[0].key === watching) show("refused", batch[0].student_id, problem.detail || "422");
      return true;
    }
    if (!answer.ok) return false; // 429 or 5xx: keep the queue and try again later
    const body = await answer.json();
    await forget(batch.map((e) => e.key));
    for (const r of body.results) {
      const event = batch[r.index];
      if (event.key === watching) {
        show(r.outcome, event.student_id, r.outcome === "refused" ? `${r.reason || ""} ${r.rule ? `(${r.rule})` : ""}` : "");
      }
    }
    return true;
  }

  let seen = 0;
  async function checkIn(studentId, method) {
    const event = {
      key: `${device}:${AS.newId()}`,
      sort: Date.now() * 1000 + (seen++ % 1000),
      student_id: studentId,
      occurred_at: AS.deviceTime(),
      method,
    };
    await enqueue(event);
    watching = event.key;
    show("queued", studentId, "");
    await showPending();
    await flush();
  }

  // --- check-out: the child, then the adult's credential; online only ---
  const step = el("step");
  let mode = "in";
  let leaving = null; // the child whose collecting adult is to be scanned next

  function choose(studentId) {
    leaving = studentId;
    step.hidden = false;
    step.textContent = `${names[studentId] || studentId} · ${AS.t("kiosk.out.next")}`;
  }

  function chosen() {
    const studentId = leaving;
    leaving = null;
    step.hidden = true;
    return studentId;
  }

  async function checkOut(studentId, credential) {
    const key = `${device}:out:${AS.newId()}`;
    const body = { student_id: studentId, occurred_at: AS.deviceTime(), credential_ref: credential, device_id: device };
    for (let attempt = 0; attempt < 3; attempt++) {
      let answer;
      try {
        // The same Idempotency-Key on every attempt: an answer lost on the way back is replayed, never doubled.
        answer = await AS.api("/attendance/v1/check-outs", { method: "POST", headers: { "Idempotency-Key": key }, body });
      } catch (offline) {
        setOnline(false);
        continue;
      }
      setOnline(true);
      const reply = await answer.json().catch(() => ({}));
      if (answer.status === 201) show("created", studentId, "", "kiosk.out.ok");
      else if (answer.status === 200) show("duplicate", studentId, "", "kiosk.out.ok");
      else if (answer.status === 403 && reply.reason) {
        show("refused", studentId, `${AS.t(`refusal.${reply.reason}`)} (${reply.rule})`, "kiosk.out.refused");
        result.dataset.reason = reply.reason;
      } else if (answer.status === 409) show("refused", studentId, AS.t("kiosk.out.conflict"), "kiosk.out.refused");
      else show("refused", studentId, `${reply.detail || answer.status}${reply.rule ? ` (${reply.rule})` : ""}`, "kiosk.out.refused");
      return;
    }
    show("refused", studentId, AS.t("kiosk.out.offline"), "kiosk.out.refused");
  }

  for (const radio of document.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", () => {
      mode = radio.value;
      chosen();
      document.body.dataset.mode = mode;
      scan.focus();
    });
  }

  function act(studentId, method) {
    if (mode === "in") checkIn(studentId, method);
    else choose(studentId);
  }

  el("scan-form").addEventListener("submit", (e) => {
    e.preventDefault();
    let code = scan.value.trim();
    scan.value = "";
    scan.focus();
    if (!code) return;
    let method = "card";
    if (/^qr:/i.test(code)) {
      method = "qr";
      code = code.slice(3);
    }
    if (mode === "out" && leaving) {
      if (!navigator.onLine) show("refused", chosen(), AS.t("kiosk.out.offline"), "kiosk.out.refused");
      else checkOut(chosen(), code);
      return;
    }
    if (!ID.test(code)) {
      show("refused", code, AS.t("kiosk.refused"));
      return;
    }
    act(code, method);
  });

  // The school's roster, when the kiosk may read it, kept for offline use and to show who was scanned.
  async function loadRoster() {
    try {
      let after = null;
      const found = {};
      do {
        const query = new URLSearchParams({ limit: "500" });
        if (after) query.set("after", after);
        const answer = await AS.api(`/enrollment/v1/kiosk/roster?${query}`);
        if (!answer.ok) break;
        const page = await answer.json();
        for (const s of page.items) found[s.student_id] = s.name;
        after = page.next;
      } while (after);
      if (Object.keys(found).length) {
        names = found;
        localStorage.setItem(ROSTER, JSON.stringify(found));
      }
    } catch (offline) {
      // keep the roster this kiosk already has
    }
    drawRoster();
  }

  function drawRoster() {
    const list = el("roster");
    const entries = Object.entries(names).sort((a, b) => a[1].localeCompare(b[1], "zh-CN"));
    el("roster-empty").hidden = entries.length > 0;
    list.replaceChildren(
      ...entries.map(([id, name]) => {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "student";
        button.dataset.student = id;
        button.textContent = name;
        button.addEventListener("click", () => act(id, "manual"));
        li.append(button);
        return li;
      }),
    );
  }

  // Keeps the page itself for a reload or restart while offline (service workers need https or localhost).
  if ("serviceWorker" in navigator) navigator.serviceWorker.register(`${AS.config.mount}/sw.js`).catch(() => {});
  window.addEventListener("online", () => { setOnline(true); flush(); });
  window.addEventListener("offline", () => setOnline(false));
  setInterval(flush, RETRY_MS);
  setOnline(navigator.onLine);
  drawRoster();
  showPending().then(flush);
  loadRoster();
  scan.focus();
})();
