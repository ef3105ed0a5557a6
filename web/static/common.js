// Shared by every page: the page's configuration and text, the signed-in token, and calls to the services.
"use strict";

const AS = (() => {
  const config = JSON.parse(document.getElementById("config").textContent);
  const TOKEN = "afterschool.token";

  function t(key) {
    return config.messages[key] || key;
  }

  function token() {
    return localStorage.getItem(TOKEN);
  }

  function claims() {
    const value = token();
    if (!value) return null;
    try {
      const part = value.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      return null;
    }
  }

  function signIn(value) {
    localStorage.setItem(TOKEN, value);
  }

  function signInPage() {
    return `${config.mount}/signin?lang=${encodeURIComponent(config.lang)}`;
  }

  function forget() {
    localStorage.removeItem(TOKEN);
  }

  // Back to the sign-in: the token is no longer good (a 401, or its renewal refused).
  function signOut() {
    forget();
    location.assign(signInPage());
  }

  // The person signs out: signed in through the district, their session there ends too (RP-initiated logout,
  // web/oidc.py), and the provider sends them back to the signed-out page.
  function leave() {
    if (!config.district) return signOut();
    forget();
    location.assign(`${config.mount}/signin/signout?lang=${encodeURIComponent(config.lang)}`);
  }

  // Signed in through the district: renew the access token a minute before it expires, from the refresh token the web
  // app keeps in an HttpOnly cookie, without leaving the page. A refused renewal is a sign-in again; a provider out
  // of reach is tried again shortly, while the token lasts.
  const EARLY_MS = 60 * 1000;
  function keepFresh() {
    const held = claims();
    if (!config.district || !held || !held.exp) return;
    setTimeout(renew, Math.max(0, held.exp * 1000 - EARLY_MS - Date.now()));
  }

  async function renew() {
    let answer = null;
    try {
      answer = await fetch(`${config.mount}/signin/refresh`, { method: "POST", credentials: "same-origin" });
    } catch (offline) {
      answer = null;
    }
    if (answer && answer.ok) {
      signIn((await answer.json()).token);
      return keepFresh();
    }
    if (answer && answer.status !== 503) return signOut();
    const held = claims();
    if (held && held.exp * 1000 > Date.now()) setTimeout(renew, 15000);
    else signOut();
  }

  // The page for a role (or one of several), or the sign-in page when no token of such a role is held.
  function requireRole(role) {
    const held = claims();
    const roles = Array.isArray(role) ? role : [role];
    if (!held || !roles.includes(held.role)) {
      location.replace(signInPage());
      return null;
    }
    const out = document.getElementById("signout");
    if (out) out.addEventListener("click", leave);
    keepFresh();
    return held;
  }

  // A call to a service with the user's own token; the caller decides what a refusal means.
  function api(path, options = {}) {
    const headers = Object.assign({ Authorization: `Bearer ${token()}` }, options.headers || {});
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(config.apiBase + path, {
      method: options.method || "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  }

  // Every item of a service's keyset-paged list, page by page (what a refused read gives: the items so far).
  async function pages(path) {
    const items = [];
    let after = null;
    for (;;) {
      const sep = path.includes("?") ? "&" : "?";
      const answer = await api(`${path}${sep}limit=500${after ? `&after=${encodeURIComponent(after)}` : ""}`);
      if (!answer.ok) return items;
      const page = await answer.json();
      items.push(...page.items);
      if (!page.next) return items;
      after = page.next;
    }
  }

  // A board's row (BX-6): its heading cell, then its numbers and the children per teacher against the limit; marked
  // when a child is missing or the ratio is over. `keyed` names the row (its data attributes).
  function boardRow(heading, keyed, c, leading = []) {
    const ratio = c.students_per_teacher === null ? "—" : `${c.students_per_teacher.toFixed(1)} / ${c.ratio_limit}`;
    const cells = [...leading, ["expected", c.expected], ["present", c.present], ["missing", c.missing]];
    cells.push(["collected", c.collected], ["ratio", ratio]);
    return el(
      "tr",
      { class: c.over_ratio || c.missing ? "warn" : "", dataset: keyed },
      el("th", { scope: "row", text: heading }),
      ...cells.map(([count, value]) => el("td", { text: String(value), dataset: { count } }))
    );
  }

  // The device's own time with its UTC offset, as the services want it (AT-8).
  function deviceTime(date = new Date()) {
    const pad = (n, w = 2) => String(Math.abs(n)).padStart(w, "0");
    const offset = -date.getTimezoneOffset();
    const sign = offset >= 0 ? "+" : "-";
    return (
      `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
      `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
      `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
    );
  }

  // A random id; crypto.randomUUID needs a secure context, which a school's plain-HTTP kiosk may not be.
  function newId() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  // A write with its Idempotency-Key: the same key for every attempt of one action, so a retry never doubles it.
  function send(path, body, key = newId(), method = "POST") {
    return api(path, { method, body, headers: { "Idempotency-Key": key } });
  }

  // A service's answer as JSON (a problem's fields on a refusal), or {} when it has no JSON body.
  async function json(answer) {
    try {
      return await answer.json();
    } catch (error) {
      return {};
    }
  }

  // The school-local date of the device's clock (YYYY-MM-DD).
  function today() {
    return deviceTime().slice(0, 10);
  }

  // An element with its attributes (`text` is its text, `on<event>` a listener) and children.
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  // What the page's last action did (the `#outcome` box): done, or refused with the service's reason and rule.
  function outcome(state, text) {
    const box = document.getElementById("outcome");
    box.hidden = false;
    box.className = `result ${state}`;
    box.dataset.state = state;
    box.textContent = text;
  }

  async function refused(answer) {
    if (answer.status === 401) return signOut();
    const problem = await json(answer);
    const rule = problem.rule ? ` (${problem.rule})` : "";
    outcome("refused", `${t("action.refused")}: ${problem.detail || answer.status}${rule}`);
  }

  // A small form of one field and its button (a count, a note) whose submit calls `act` with the field's value.
  function fieldForm(id, label, button, act, attrs = {}) {
    const form = el(
      "form",
      { class: "inline", autocomplete: "off" },
      el("label", { for: id, text: label }),
      el("input", { id, required: true, ...attrs }),
      el("button", { type: "submit", text: button })
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(document.getElementById(id).value.trim());
    });
    return form;
  }

  // A board's counts (BX-6) in a <dl>: each name with its number, in pairs that wrap on a narrow screen.
  const COUNTS = ["expected", "present", "on_leave", "awaiting", "missing", "collected"];
  function showCounts(list, counts) {
    list.replaceChildren(
      ...COUNTS.map((name) =>
        el("div", {}, el("dt", { text: t("board." + name) }), el("dd", { text: String(counts[name]), dataset: { count: name } }))
      )
    );
  }

  // One server-sent event block ("field: value" lines) into its fields.
  function parseEvent(block) {
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

  // Read a server-sent event stream (a fetch answer: EventSource cannot send a bearer token) until it ends,
  // handing each event to `onEvent`.
  async function readEvents(answer, onEvent) {
    const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        onEvent(parseEvent(buffer.slice(0, end)));
        buffer = buffer.slice(end + 2);
      }
    }
  }

  // A file from a service, saved by the browser: a link cannot carry the bearer token, so the file is fetched and
  // handed over as a blob. The answer, for the caller to judge a refusal.
  async function download(path, filename) {
    const answer = await api(path);
    if (!answer.ok) return answer;
    const url = URL.createObjectURL(await answer.blob());
    const link = el("a", { href: url, download: filename, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    return answer;
  }

  // Follow a board's stream (BX-6): each `board` event's snapshot to `onBoard`, reconnecting with backoff after a
  // break; `onLive(true|false)` says whether it is connected. Returns a function that stops following.
  function followBoard(path, onBoard, onLive) {
    let stopped = false;
    let current = null;
    (async () => {
      let wait = 500;
      while (!stopped) {
        try {
          current = new AbortController();
          const answer = await api(path, { signal: current.signal });
          if (answer.status === 401) return signOut();
          if (!answer.ok || !answer.body) throw new Error(String(answer.status));
          onLive(true);
          wait = 500;
          await readEvents(answer, (event) => {
            if (event.event === "board" && event.data.length) onBoard(JSON.parse(event.data.join("\n")));
          });
        } catch (broken) {
          wait = Math.min(wait * 2, 15000);
        }
        if (stopped) return;
        onLive(false);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    })();
    return () => {
      stopped = true;
      if (current) current.abort();
    };
  }

  return {
    config, t, token, claims, signIn, signOut, forget, requireRole, api, send, json, today, el, outcome, refused, fieldForm,
    showCounts, readEvents, followBoard, deviceTime, newId, download, pages, boardRow,
  };
})();
