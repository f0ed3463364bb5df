/**
 * The page as an installable app that opens without a network (public/manifest.webmanifest,
 * public/sw.js): the service worker serves the page's files from its cache when the network fails, and
 * the node reads the feed from IndexedDB as always. The worker keeps a copy of what it fetches once it
 * controls the page; the files of the visit that installed it were fetched before that, so the page
 * hands their list (the document and every resource of its origin loaded so far) to the same cache.
 */

/** The cache the service worker serves from (public/sw.js's CACHE). */
export const PAGE_CACHE = 'murmur-page'

/**
 * Registers the service worker and, once it is active, copies the files this visit loaded into its
 * cache. Resolves when done; a browser without service workers (or Cache Storage) just needs the network.
 *
 * @example
 * ```ts
 * await keepOffline() // after the node started: its worker scripts are loaded by then
 * ```
 */
export async function keepOffline (): Promise<void> {
  if (!('serviceWorker' in navigator) || !('caches' in window)) return
  await navigator.serviceWorker.register('./sw.js')
  await navigator.serviceWorker.ready
  const here = new URL(window.location.href)
  const files = new Set([`${here.origin}${here.pathname}`])
  for (const entry of performance.getEntriesByType('resource')) {
    const url = new URL(entry.name)
    if (url.origin === here.origin) files.add(`${url.origin}${url.pathname}`)
  }
  const cache = await caches.open(PAGE_CACHE)
  await Promise.all([...files].map(async (file) => {
    if (await cache.match(file) === undefined) await cache.add(file)
  }))
}
