// The kiosk's service worker: the page and its assets are kept, so a kiosk that reloads or restarts while offline
// still opens and queues check-ins (the queue is IndexedDB's, the roster localStorage's). Network first: a kiosk
// online always runs the newest page. Only the pages' own files pass through here, never the services' APIs.
"use strict";

const CACHE = "afterschool-kiosk-v1";
const SHELL = ["kiosk", "static/app.css", "static/common.js", "static/kiosk.js"].map(
  (path) => new URL(path, self.registration.scope).href,
);

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || !request.url.startsWith(self.registration.scope)) return;
  event.respondWith(
    fetch(request)
      .then((answer) => {
        if (answer.ok) {
          const copy = answer.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return answer;
      })
      .catch(async () => (await caches.match(request)) || (await caches.match(request, { ignoreSearch: true })) || Response.error()),
  );
});
