/* global self, caches, fetch, URL */
/*
 * The page's service worker: it makes the page open without a network, to the feed its IndexedDB store
 * holds. Network first: online, every file comes from the server that serves the page (so the page is the
 * release that server serves now, see docs/BROWSER.md on checking it) and a copy is kept; offline, the
 * copy is used. Only GET requests of the page's own origin; the relay (WebSockets) is never touched.
 */
// the page's offline.ts adds the files of the visit that installed this worker to the same cache
const CACHE = 'murmur-page'

self.addEventListener('install', () => { void self.skipWaiting() })
self.addEventListener('activate', (event) => { event.waitUntil(self.clients.claim()) })

self.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return
  event.respondWith(fetch(request).then((response) => {
    if (response.ok) {
      const copy = response.clone()
      event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)))
    }
    return response
  }, async (err) => {
    // a link's query (?relay=…) or a #join= fragment does not change the file
    const kept = await caches.match(request, { ignoreSearch: true })
    if (kept !== undefined) return kept
    throw err
  }))
})
