/**
 * The at-rest key of a browser node: 32 random bytes in a small IndexedDB database of its own
 * (`murmur-at-rest`, one record per store name), apart from the store it seals, so that a wipe deletes it
 * first, in one step, and what the browser's storage keeps of the store's database is ciphertext.
 * libsodium seals with raw key bytes, so the key is a record and not a non-extractable WebCrypto key: a
 * script running in the page can read it either way (it can ask a WebCrypto key to decrypt), and the wipe
 * is what protects a phone that is taken.
 */
import { AtRestError } from './errors.js'
import { AT_REST_KEY_BYTES, newAtRestKey } from './seal.js'

/** The IndexedDB database holding the at-rest keys of a page's stores. */
export const BROWSER_KEY_DATABASE = 'murmur-at-rest'

const KEY_STORE = 'keys'

async function request<T> (req: IDBRequest<T>): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    req.onsuccess = () => { resolve(req.result) }
    req.onerror = () => { reject(req.error ?? new Error('IndexedDB request failed')) }
  })
}

async function openKeys (factory: IDBFactory): Promise<IDBDatabase> {
  const req = factory.open(BROWSER_KEY_DATABASE, 1)
  req.onupgradeneeded = () => { req.result.createObjectStore(KEY_STORE) }
  return await request(req)
}

/**
 * The at-rest key of the store named `name`, created when there is none and `sealed` is false. Throws
 * AtRestError `ERR_AT_REST_KEY_MISSING` when the key is gone but the store was sealed (a wipe cut short:
 * wipe again), `ERR_AT_REST_KEY_BAD` when the record is not 32 bytes.
 *
 * @example
 * ```ts
 * const keys = await atRestKeys(await loadOrCreateBrowserAtRestKey('murmur', false))
 * ```
 */
export async function loadOrCreateBrowserAtRestKey (name: string, sealed: boolean, factory: IDBFactory = globalThis.indexedDB): Promise<Uint8Array> {
  const db = await openKeys(factory)
  try {
    const kept = await request(db.transaction(KEY_STORE, 'readonly').objectStore(KEY_STORE).get(name)) as unknown
    if (kept !== undefined) {
      if (!(kept instanceof Uint8Array) || kept.byteLength !== AT_REST_KEY_BYTES) {
        throw new AtRestError('ERR_AT_REST_KEY_BAD', `the at-rest key of ${name} in IndexedDB is not a ${AT_REST_KEY_BYTES}-byte key: what is sealed under it cannot be read`)
      }
      return kept
    }
    if (sealed) {
      throw new AtRestError('ERR_AT_REST_KEY_MISSING', `the at-rest key of ${name} is gone but its store is sealed under it, and nothing can read it any more (a wipe cut short?): wipe again`)
    }
    const key = await newAtRestKey()
    try {
      // add, not put: of two tabs creating it at once, the first one's key is the key
      await request(db.transaction(KEY_STORE, 'readwrite').objectStore(KEY_STORE).add(key, name))
    } catch (err) {
      if ((err as DOMException).name !== 'ConstraintError') throw err
      return await loadOrCreateBrowserAtRestKey(name, sealed, factory)
    }
    return key
  } finally {
    // closed at once: an open connection would block the wipe's deleteDatabase
    db.close()
  }
}

/**
 * Destroys every at-rest key of the page (deletes the `murmur-at-rest` database): call it first in a wipe,
 * before the other databases are deleted, so that whatever of them survives is unreadable. Rejects when
 * another tab holds the key database open (it is deleted once that tab closes).
 *
 * @example
 * ```ts
 * await node.stop()
 * await destroyBrowserAtRestKey(indexedDB)
 * for (const { name } of await indexedDB.databases()) indexedDB.deleteDatabase(name!)
 * ```
 */
export async function destroyBrowserAtRestKey (factory: IDBFactory = globalThis.indexedDB): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const req = factory.deleteDatabase(BROWSER_KEY_DATABASE)
    req.onsuccess = () => { resolve() }
    req.onerror = () => { reject(req.error ?? new Error(`could not delete ${BROWSER_KEY_DATABASE}`)) }
    req.onblocked = () => { reject(new Error(`${BROWSER_KEY_DATABASE} is still open in another tab of this page: it is deleted once that tab is closed`)) }
  })
}
