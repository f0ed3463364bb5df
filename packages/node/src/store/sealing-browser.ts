/**
 * A browser store written before sealing is sealed on its first open: every record is rewritten in its
 * sealed form (keys' names sealed, values sealed) and the plain one deleted, with the marker that the store
 * is sealed, in one IndexedDB transaction (browser-level's batch), so that a tab closed at any moment
 * leaves the plain store or the sealed one. The whole store is read into memory for it, once.
 */
import { SealedDatabase } from './sealed-database.js'
import type { AtRestKeys } from '../at-rest/seal.js'
import type { StoreDatabase } from './database.js'

/** Raw key of the marker that a browser store is sealed (no sublevel's prefix: `!` + name + `!`). */
export const BROWSER_SEALED_MARKER = new TextEncoder().encode('!at-rest!sealed')

/**
 * Whether the raw store `raw` is sealed (has the marker).
 *
 * @example
 * ```ts
 * const key = await loadOrCreateBrowserAtRestKey(name, await isSealedStore(raw))
 * ```
 */
export async function isSealedStore (raw: StoreDatabase): Promise<boolean> {
  return await raw.get(BROWSER_SEALED_MARKER) !== undefined
}

/**
 * Seals the open raw store `raw` in place when it is not sealed yet (see the file's comment).
 *
 * @example
 * ```ts
 * await sealBrowserStore(raw, keys)
 * ```
 */
export async function sealBrowserStore (raw: StoreDatabase, keys: AtRestKeys): Promise<void> {
  if (await isSealedStore(raw)) return
  const sealed = new SealedDatabase(raw, keys)
  const entries = await raw.iterator({ keyEncoding: 'view', valueEncoding: 'view' }).all()
  const ops: Array<{ type: 'put', key: Uint8Array, value: Uint8Array } | { type: 'del', key: Uint8Array }> = []
  for (const [key, value] of entries) {
    const plain = key as Uint8Array
    const stored = sealed.toStored(plain)
    ops.push({ type: 'del', key: plain }, { type: 'put', key: stored, value: sealed.sealValue(stored, value) })
  }
  ops.push({ type: 'put', key: BROWSER_SEALED_MARKER, value: new Uint8Array(1) })
  await raw.batch(ops, { keyEncoding: 'view', valueEncoding: 'view' })
}
