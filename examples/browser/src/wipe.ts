/**
 * The panic wipe of the page: after the user confirms, the node stops, the at-rest key its store is
 * sealed under is destroyed first (`@murmur/node`'s destroyBrowserAtRestKey: a crypto-erase), and then
 * everything else Murmur keeps in this browser for the page's origin goes: the IndexedDB databases (posts, member key and stamps, circle
 * keys, location state), the settings, mutes and filters (`murmur:*` in localStorage), the offline copy
 * of the page (Cache Storage) and its service worker. What peers already hold (posts, votes, the
 * circle's roster) is beyond any wipe.
 */
import { destroyBrowserAtRestKey } from '@murmur/node'
import { displayLine } from '@murmur/protocol'
import { PAGE_CACHE } from './offline.js'

/** What a wipe needs of the page. */
export interface WipeInit {
  /** Stops the node (its store must be closed before its databases can be deleted). */
  stop(): Promise<void>
  /** The browser's IndexedDB factory. */
  indexedDB: IDBFactory
  /** localStorage. */
  storage: Storage
}

/** What a wipe removed (for the line the page shows, and the tests). */
export interface WipeResult {
  /** IndexedDB databases deleted. */
  databases: string[]
  /** localStorage keys removed. */
  settings: number
}

/** The prefix of every localStorage key of the page (settings.ts, reading.ts). */
const PAGE_KEY_PREFIX = 'murmur:'

/**
 * Wipes the page's data in this browser. Rejects with the first failure after trying every part (a
 * database another tab holds open stays until that tab closes: the wipe says so).
 *
 * @example
 * ```ts
 * if (window.confirm('Wipe everything?')) await wipePage({ stop: () => node.stop(), indexedDB, storage: localStorage })
 * ```
 */
export async function wipePage (init: WipeInit): Promise<WipeResult> {
  const failures: unknown[] = []
  const attempt = async (step: () => Promise<void>): Promise<void> => {
    try {
      await step()
    } catch (err) {
      failures.push(err)
    }
  }
  await attempt(init.stop)
  // the key the store is sealed under first (a crypto-erase): what the browser's storage keeps of the
  // other databases after they are deleted is then ciphertext nobody can open
  await attempt(async () => { await destroyBrowserAtRestKey(init.indexedDB) })
  const databases: string[] = []
  await attempt(async () => {
    for (const { name } of await init.indexedDB.databases()) {
      if (name === undefined) continue
      await deleteDatabase(init.indexedDB, name)
      databases.push(name)
    }
  })
  const keys: string[] = []
  for (let i = 0; i < init.storage.length; i++) {
    const key = init.storage.key(i)
    if (key?.startsWith(PAGE_KEY_PREFIX) === true) keys.push(key)
  }
  for (const key of keys) init.storage.removeItem(key)
  // the worker first: a worker still registered would keep a copy of what the page fetches next
  if ('serviceWorker' in navigator) {
    await attempt(async () => {
      for (const registration of await navigator.serviceWorker.getRegistrations()) await registration.unregister()
    })
  }
  if ('caches' in globalThis) await attempt(async () => { await caches.delete(PAGE_CACHE) })
  if (failures.length > 0) throw new AggregateError(failures, `the wipe left something behind: ${failures.map((e) => (e as Error).message).join('; ')}`)
  return { databases, settings: keys.length }
}

/**
 * Wires the page's wipe button: asks to confirm, wipes (`stop` stops the node, if one runs), and reopens
 * the page without its link's parameters, as a first visit; a failure is said on `status`. The button is
 * disabled while a wipe runs, so that a second click cannot start another under it.
 *
 * @example
 * ```ts
 * wipeButton(byId('wipe'), byId('wipe-status'), async () => { await node?.stop() })
 * ```
 */
export function wipeButton (button: HTMLButtonElement, status: HTMLElement, stop: () => Promise<void>): void {
  button.onclick = () => {
    const question = 'Wipe everything Murmur keeps in this browser (posts, keys, circles, settings, mutes)? This cannot be undone; what peers already hold stays with them.'
    if (!window.confirm(question)) return
    // one wipe at a time: a second click while this one runs would delete and stop again under it
    button.disabled = true
    status.textContent = 'wiping…'
    wipePage({ stop, indexedDB: window.indexedDB, storage: window.localStorage }).then(() => {
      window.location.replace(window.location.pathname)
    }, (err: unknown) => {
      button.disabled = false
      status.textContent = `not everything was wiped: ${displayLine((err as Error).message)}`
    })
  }
}

/** Deletes one IndexedDB database; rejects when another tab keeps it open (blocked) or it fails. */
async function deleteDatabase (factory: IDBFactory, name: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const request = factory.deleteDatabase(name)
    request.onsuccess = () => { resolve() }
    request.onerror = () => { reject(request.error ?? new Error(`could not delete ${name}`)) }
    request.onblocked = () => { reject(new Error(`${name} is still open in another tab of this page: it is deleted once that tab is closed`)) }
  })
}
