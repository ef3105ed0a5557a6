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

  function signOut() {
    localStorage.removeItem(TOKEN);
    location.assign(signInPage());
  }

  // The page for a role, or the sign-in page when no token of that role is held.
  function requireRole(role) {
    const held = claims();
    if (!held || held.role !== role) {
      location.replace(signInPage());
      return null;
    }
    const out = document.getElementById("signout");
    if (out) out.addEventListener("click", signOut);
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

  return { config, t, token, claims, signIn, signOut, requireRole, api, deviceTime, newId };
})();
