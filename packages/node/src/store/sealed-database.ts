/**
 * The store's database sealed at rest: an abstract-level database over another one (LevelDB, IndexedDB)
 * that seals every value under the data dir's at-rest key (XChaCha20-Poly1305, the stored key as associated
 * data, so a value moved to another key does not open) and replaces every channel name in a key by a keyed
 * hash of it, so that no file of the store names a channel (a `geo:` cell names a place). Keys keep their
 * order within a channel (the hash stands where the name stood, the times and ids after it are untouched),
 * which is all the store's scans need; channels are ordered by their hashes instead of their names.
 *
 * What stays readable on disk: how many records there are and their sizes (a value is 40 bytes longer than
 * its plain form), the times and ids in index keys (post ids are public; created and expiry times too, as
 * every post carries them), how many channels there are and how many records each holds, and when files
 * were written.
 */
import { AbstractIterator, AbstractLevel } from 'abstract-level'
import { concat, utf8, viewOf } from './bytes.js'
import { STORE_SUBLEVEL } from './constants.js'
import type { AtRestKeys } from '../at-rest/seal.js'
import type { StoreDatabase } from './database.js'

/** Root key prefixes of the store's indexes whose keys start `u16 len | channel UTF-8` (see keys.ts). */
const CHANNEL_KEYED = ['channel', 'feed', 'arrival', 'usage', 'tombs'].map((name) => utf8(`!${STORE_SUBLEVEL}!!${name}!`))

/** Root key prefix of the table from a channel's hash back to its (sealed) name, for keys read back. */
const NAMES_PREFIX = utf8('!at-rest-names!')

const HASH_BYTES = 32

type Bytes = Uint8Array
type Entry = [Bytes | undefined, Bytes | undefined]
type RangeOptions = Record<string, unknown> & { gt?: Bytes, gte?: Bytes, lt?: Bytes, lte?: Bytes }

function startsWith (bytes: Bytes, prefix: Bytes): boolean {
  if (bytes.byteLength < prefix.byteLength) return false
  for (let i = 0; i < prefix.byteLength; i++) if (bytes[i] !== prefix[i]) return false
  return true
}

function hex (bytes: Bytes): string {
  let out = ''
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0')
  return out
}

/** The channel-keyed prefix `key` starts with, if any. */
function channelKeyed (key: Bytes): Bytes | undefined {
  return CHANNEL_KEYED.find((prefix) => startsWith(key, prefix))
}

/** The key mapping: channel names to their hashes and back. */
class NameTable {
  private readonly hashes = new Map<string, Bytes>()
  private readonly names = new Map<string, Bytes>()

  constructor (private readonly keys: AtRestKeys) {}

  /** Adds a name read back from the table. */
  learn (hash: Bytes, name: Bytes): void {
    this.names.set(hex(hash), name)
    this.hashes.set(hex(name), hash)
  }

  /** The stored form of a key; `fresh` gets the names this key brings that the table does not hold yet. */
  toStored (key: Bytes, fresh?: Map<string, { hash: Bytes, name: Bytes }>): Bytes {
    const prefix = channelKeyed(key)
    if (prefix === undefined) return key
    const rest = key.subarray(prefix.byteLength)
    if (rest.byteLength < 2) return key
    const length = viewOf(rest).getUint16(0)
    if (rest.byteLength < 2 + length) return key
    const name = rest.subarray(2, 2 + length)
    const id = hex(name)
    let hash = this.hashes.get(id)
    if (hash === undefined) {
      hash = this.keys.hashName(name)
      this.hashes.set(id, hash)
    }
    if (!this.names.has(hex(hash))) fresh?.set(hex(hash), { hash, name: name.slice() })
    const out = new Uint8Array(prefix.byteLength + 2 + HASH_BYTES + rest.byteLength - 2 - length)
    out.set(prefix)
    viewOf(out).setUint16(prefix.byteLength, HASH_BYTES)
    out.set(hash, prefix.byteLength + 2)
    out.set(rest.subarray(2 + length), prefix.byteLength + 2 + HASH_BYTES)
    return out
  }

  /** The key a stored key stands for (as it is when its hash is not in the table, which a sealed store never has). */
  fromStored (stored: Bytes): Bytes {
    const prefix = channelKeyed(stored)
    if (prefix === undefined || stored.byteLength < prefix.byteLength + 2 + HASH_BYTES) return stored
    const name = this.names.get(hex(stored.subarray(prefix.byteLength + 2, prefix.byteLength + 2 + HASH_BYTES)))
    if (name === undefined) return stored
    const length = new Uint8Array(2)
    viewOf(length).setUint16(0, name.byteLength)
    return concat([prefix, length, name, stored.subarray(prefix.byteLength + 2 + HASH_BYTES)])
  }
}

type Inner = StoreDatabase

/**
 * A database that seals what it keeps in `inner` (see the file's comment). `inner` is opened with it and
 * closed with it.
 *
 * @example
 * ```ts
 * const db = await openSealedDatabase(new ClassicLevel(location, { keyEncoding: 'view', valueEncoding: 'view' }), keys)
 * ```
 */
export class SealedDatabase extends AbstractLevel<Uint8Array, Uint8Array, Uint8Array> {
  readonly inner: Inner
  private readonly sealing: AtRestKeys
  private readonly table: NameTable

  constructor (inner: Inner, keys: AtRestKeys) {
    super({ encodings: { view: true }, has: true }, { keyEncoding: 'view', valueEncoding: 'view' })
    this.inner = inner
    this.sealing = keys
    this.table = new NameTable(keys)
  }

  async _open (): Promise<void> {
    await this.inner.open()
    for await (const [key, value] of this.inner.iterator({ gt: NAMES_PREFIX, lt: concat([NAMES_PREFIX, new Uint8Array(HASH_BYTES + 1).fill(0xff)]), keyEncoding: 'view', valueEncoding: 'view' })) {
      const hash = (key as Bytes).subarray(NAMES_PREFIX.byteLength)
      this.table.learn(hash, this.sealing.open(value, 'value', key as Bytes, 'a channel name of the store'))
    }
  }

  async _close (): Promise<void> {
    await this.inner.close()
  }

  /** The stored form of a key and sealed value, with the name-table entries the key needs first. */
  private sealOps (key: Bytes, value: Bytes | undefined, out: Array<{ type: 'put' | 'del', key: Bytes, value?: Bytes }>): void {
    const fresh = new Map<string, { hash: Bytes, name: Bytes }>()
    const stored = this.table.toStored(key, fresh)
    for (const { hash, name } of fresh.values()) {
      const nameKey = concat([NAMES_PREFIX, hash])
      out.push({ type: 'put', key: nameKey, value: this.sealing.seal(name, 'value', nameKey) })
      this.table.learn(hash, name)
    }
    out.push(value === undefined ? { type: 'del', key: stored } : { type: 'put', key: stored, value: this.sealing.seal(value, 'value', stored) })
  }

  private openValue (stored: Bytes, value: Bytes | undefined): Bytes | undefined {
    return value === undefined ? undefined : this.sealing.open(value, 'value', stored, 'a store record')
  }

  async _get (key: Bytes): Promise<Bytes | undefined> {
    const stored = this.table.toStored(key)
    return this.openValue(stored, await this.inner.get(stored))
  }

  async _getMany (keys: Bytes[]): Promise<Array<Bytes | undefined>> {
    const stored = keys.map((key) => this.table.toStored(key))
    const values = await this.inner.getMany(stored)
    return stored.map((key, i) => this.openValue(key, values[i]))
  }

  async _has (key: Bytes): Promise<boolean> {
    return await this.inner.has(this.table.toStored(key))
  }

  async _hasMany (keys: Bytes[]): Promise<boolean[]> {
    return await this.inner.hasMany(keys.map((key) => this.table.toStored(key)))
  }

  async _put (key: Bytes, value: Bytes): Promise<void> {
    await this._batch([{ type: 'put', key, value }])
  }

  async _del (key: Bytes): Promise<void> {
    await this.inner.del(this.table.toStored(key))
  }

  async _batch (operations: Array<{ type: 'put' | 'del', key: Bytes, value?: Bytes }>): Promise<void> {
    const ops: Array<{ type: 'put' | 'del', key: Bytes, value?: Bytes }> = []
    for (const op of operations) this.sealOps(op.key, op.type === 'put' ? op.value : undefined, ops)
    await this.inner.batch(ops.map((op) => op.type === 'put' ? { type: 'put' as const, key: op.key, value: op.value! } : { type: 'del' as const, key: op.key }))
  }

  async _clear (options: RangeOptions): Promise<void> {
    await this.inner.clear({ ...this.storedRange(options), reverse: options.reverse as boolean | undefined, limit: options.limit as number | undefined })
  }

  _iterator (options: RangeOptions): SealedIterator {
    return new SealedIterator(this, options, this.inner.iterator({
      ...this.storedRange(options),
      reverse: options.reverse as boolean | undefined,
      limit: options.limit as number | undefined,
      keys: true,
      values: options.values !== false,
      keyEncoding: 'view',
      valueEncoding: 'view'
    }) as InnerIterator, (stored, value) => [
      options.keys === false ? undefined : this.table.fromStored(stored),
      options.values === false ? undefined : this.openValue(stored, value)
    ])
  }

  /** Range bounds in their stored form. */
  storedRange (options: RangeOptions): { gt?: Bytes, gte?: Bytes, lt?: Bytes, lte?: Bytes } {
    const out: { gt?: Bytes, gte?: Bytes, lt?: Bytes, lte?: Bytes } = {}
    for (const bound of ['gt', 'gte', 'lt', 'lte'] as const) {
      const value = options[bound]
      if (value !== undefined) out[bound] = this.table.toStored(value)
    }
    return out
  }

  /** A stored key in its plain form (for a seek). */
  toStored (key: Bytes): Bytes {
    return this.table.toStored(key)
  }
}

type InnerIterator = AbstractIterator<Inner, Bytes, Bytes>

/** An iterator over the inner database, each entry's key and value given back in their plain form. */
class SealedIterator extends AbstractIterator<SealedDatabase, Bytes, Bytes> {
  constructor (db: SealedDatabase, options: RangeOptions, private readonly inner: InnerIterator, private readonly plain: (stored: Bytes, value: Bytes | undefined) => Entry) {
    super(db, options as never)
  }

  async _next (): Promise<Entry | undefined> {
    const entry = await this.inner.next()
    return entry === undefined ? undefined : this.plain(entry[0] as Bytes, entry[1])
  }

  async _nextv (size: number): Promise<Entry[]> {
    return (await this.inner.nextv(size)).map(([key, value]) => this.plain(key as Bytes, value))
  }

  async _all (): Promise<Entry[]> {
    return (await this.inner.all()).map(([key, value]) => this.plain(key as Bytes, value))
  }

  _seek (target: Bytes): void {
    this.inner.seek(this.db.toStored(target))
  }

  async _close (): Promise<void> {
    await this.inner.close()
  }
}

/**
 * Opens `inner` sealed under `keys` (see {@link SealedDatabase}).
 *
 * @example
 * ```ts
 * const db = await openSealedDatabase(new MemoryLevel({ keyEncoding: 'view', valueEncoding: 'view' }), keys)
 * ```
 */
export async function openSealedDatabase (inner: Inner, keys: AtRestKeys): Promise<StoreDatabase> {
  const db = new SealedDatabase(inner, keys)
  await db.open()
  return db as unknown as StoreDatabase
}
