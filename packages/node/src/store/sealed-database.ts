/**
 * The store's database sealed at rest: an abstract-level database over another one (LevelDB, IndexedDB)
 * that seals every value under the data dir's at-rest key (XChaCha20-Poly1305, the stored key as associated
 * data, so a value moved to another key does not open) and seals every channel name and link-tag scope in
 * a key deterministically (AtRestKeys.sealName), so that no file of the store names a channel (a `geo:`
 * cell names a place) or says where the member posted. Keys keep their order within a channel or scope
 * (the sealed name stands where the name stood, the times and ids after it are untouched), which is all
 * the store's scans need; channels are ordered by their sealed names instead of their names.
 *
 * The keys of the sublevels only an author fills (own posts not yet back from the network, own votes, own
 * circle frames not yet out) are sealed whole the same way: each is a public post or frame id, so in plain
 * it would tell which posts the user wrote or voted on (LevelDB keeps a deleted key in its log until a
 * compaction, too). Such a sublevel is read whole, never by range, so losing the order of its keys is free.
 *
 * What stays readable on disk: how many records there are and their sizes (a value is 40 bytes longer than
 * its plain form), the times and ids in the index keys of the post store (post ids are public, every node
 * holds them; created, expiry and tag-hold times too, as every post carries them), each channel's name length rounded up to 32 bytes, how many
 * channels there are and how many records each holds, which records share a channel, and when files were
 * written. */
import { AbstractIterator, AbstractLevel } from 'abstract-level'
import { concat, utf8, viewOf } from './bytes.js'
import { STORE_SUBLEVEL } from './constants.js'
import { POST_COUNTERS_SUBLEVEL } from '../membership/post-counters.js'
import { IN_STEM_SUBLEVEL } from '../in-stem.js'
import { OWN_VOTES_SUBLEVEL } from '../own-votes.js'
import { OWN_FRAMES_SUBLEVEL } from '../circle/own-frames.js'
import { AtRestError } from '../at-rest/errors.js'
import type { AtRestKeys } from '../at-rest/seal.js'
import type { StoreDatabase } from './database.js'

type Bytes = Uint8Array
type Entry = [Bytes | undefined, Bytes | undefined]
type RangeOptions = Record<string, unknown> & { gt?: Bytes, gte?: Bytes, lt?: Bytes, lte?: Bytes }

/**
 * Where a name sits in the keys of a sublevel: after `offset` bytes, as `u16 len | name` (the store's
 * channel and tag-scope keys, see keys.ts), or as the tail of a text key after `kind/period/` (the member's
 * post counters, `h/<hour>/<topic>`), or the whole key after the prefix (`whole`: an own post's id).
 */
interface KeyShape {
  /** Root prefix of the sublevel. */
  prefix: Uint8Array
  /** Where the name is. */
  layout: { lengthPrefixedAt: number } | 'counter-tail' | 'whole'
}

const store = (name: string): Uint8Array => utf8(`!${STORE_SUBLEVEL}!!${name}!`)

/** Every sublevel whose keys carry a channel name (a post scope is `domain | u32 len | topic | epoch | slot`). */
const KEY_SHAPES: readonly KeyShape[] = [
  ...['channel', 'feed', 'arrival', 'usage', 'tombs', 'tags', 'claims'].map((name) => ({ prefix: store(name), layout: { lengthPrefixedAt: 0 } })),
  { prefix: store('tag-expiry'), layout: { lengthPrefixedAt: 8 } },
  { prefix: utf8(`!${POST_COUNTERS_SUBLEVEL}!`), layout: 'counter-tail' },
  // keyed by ids only the author has in these sublevels
  ...[IN_STEM_SUBLEVEL, OWN_VOTES_SUBLEVEL, OWN_FRAMES_SUBLEVEL].map((name) => ({ prefix: utf8(`!${name}!`), layout: 'whole' as const }))
]

/** Prefix of the store's own raw keys (its markers and check record), outside every sublevel and never sealed. */
const AT_REST_PREFIX = '!at-rest!'

/**
 * Raw key of the marker that no whole key of the store is in plain any more (see SealedDatabase
 * sealPlainKeys); no sublevel's prefix (`!` + name + `!`), and never read through the seal.
 */
export const KEYS_SEALED_MARKER = utf8(`${AT_REST_PREFIX}keys-sealed`)

/**
 * Raw key of the store's check record: a value sealed under the data dir's key, so that a store put in
 * place of this one (a plain store, or another data dir's) is told at the open, before anything reads it.
 */
export const STORE_CHECK_KEY = utf8(`${AT_REST_PREFIX}check`)

/** The check record's plain value. */
const STORE_CHECK_VALUE = utf8('murmur sealed store')

/** Records whose values must open under the key in a store that has no check record yet (see checkSealed). */
const CHECK_SCAN = 64

/** Marks a counter key whose topic is sealed: 0xff is no UTF-8 byte, so no plain text key holds it. */
const SEALED_TAIL = 0xff

function startsWith (bytes: Bytes, prefix: Bytes): boolean {
  if (bytes.byteLength < prefix.byteLength) return false
  for (let i = 0; i < prefix.byteLength; i++) if (bytes[i] !== prefix[i]) return false
  return true
}

/** Where the name of a counter key starts: after `kind/period/` (undefined: not a counter of a topic). */
function counterTail (key: Bytes, from: number): number | undefined {
  const match = /^[a-z]\/\d+\//.exec(new TextDecoder().decode(key.subarray(from, from + 24)))
  return match === null ? undefined : from + match[0].length
}

/** The key mapping: each name in a key sealed (deterministically) on the way in, opened on the way out. */
class KeyNames {
  constructor (private readonly keys: AtRestKeys) {}

  /** The stored form of a key. */
  toStored (key: Bytes): Bytes {
    const shape = KEY_SHAPES.find((s) => startsWith(key, s.prefix))
    if (shape === undefined) return key
    const base = shape.prefix.byteLength
    if (shape.layout === 'whole') {
      // the bare prefix is a range bound of the whole sublevel
      return key.byteLength === base ? key : concat([shape.prefix, this.keys.sealName(key.subarray(base))])
    }
    if (shape.layout === 'counter-tail') {
      const at = counterTail(key, base)
      if (at === undefined || at === key.byteLength) return key
      return concat([key.subarray(0, at), Uint8Array.of(SEALED_TAIL), this.keys.sealName(key.subarray(at))])
    }
    const at = base + shape.layout.lengthPrefixedAt
    if (key.byteLength < at + 2) return key
    const length = viewOf(key).getUint16(at)
    if (key.byteLength < at + 2 + length) return key
    return concat([key.subarray(0, at), lengthOf(this.keys.sealName(key.subarray(at + 2, at + 2 + length))), key.subarray(at + 2 + length)])
  }

  /** The key a stored key stands for (as it is when it holds no name sealed under this key). */
  fromStored (stored: Bytes): Bytes {
    const shape = KEY_SHAPES.find((s) => startsWith(stored, s.prefix))
    if (shape === undefined) return stored
    const base = shape.prefix.byteLength
    if (shape.layout === 'whole') {
      const key = stored.byteLength === base ? undefined : this.keys.openName(stored.subarray(base))
      return key === undefined ? stored : concat([shape.prefix, key])
    }
    if (shape.layout === 'counter-tail') {
      const at = counterTail(stored, base)
      if (at === undefined || stored[at] !== SEALED_TAIL) return stored
      const name = this.keys.openName(stored.subarray(at + 1))
      return name === undefined ? stored : concat([stored.subarray(0, at), name])
    }
    const at = base + shape.layout.lengthPrefixedAt
    if (stored.byteLength < at + 2) return stored
    const length = viewOf(stored).getUint16(at)
    const name = stored.byteLength < at + 2 + length ? undefined : this.keys.openName(stored.subarray(at + 2, at + 2 + length))
    return name === undefined ? stored : concat([stored.subarray(0, at), lengthOf(name), stored.subarray(at + 2 + length)])
  }
}

/** `u16 len | bytes`. */
function lengthOf (bytes: Bytes): Bytes {
  const out = new Uint8Array(2 + bytes.byteLength)
  viewOf(out).setUint16(0, bytes.byteLength)
  out.set(bytes, 2)
  return out
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
  private readonly table: KeyNames

  constructor (inner: Inner, keys: AtRestKeys) {
    super({ encodings: { view: true }, has: true }, { keyEncoding: 'view', valueEncoding: 'view' })
    this.inner = inner
    this.sealing = keys
    this.table = new KeyNames(keys)
  }

  async _open (): Promise<void> {
    await this.inner.open()
  }

  async _close (): Promise<void> {
    await this.inner.close()
  }


  /** A value sealed for the stored key `stored` (as a put through this database would keep it). */
  sealValue (stored: Bytes, value: Bytes): Bytes {
    return this.sealing.seal(value, 'value', stored)
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
    await this.inner.batch(operations.map((op) => {
      const stored = this.table.toStored(op.key)
      return op.type === 'put' ? { type: 'put' as const, key: stored, value: this.sealing.seal(op.value!, 'value', stored) } : { type: 'del' as const, key: stored }
    }))
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

  /**
   * Seals the keys a store sealed before whole-key sealing kept in plain (an own post's id): each record
   * is written again under its sealed key, in one batch with {@link KEYS_SEALED_MARKER} (one whose value
   * does not open is dropped), so a crash leaves all of it or none, and a store that has the marker is
   * not scanned again. These sublevels hold a handful of records.
   */
  async sealPlainKeys (): Promise<void> {
    if (await this.inner.get(KEYS_SEALED_MARKER, { keyEncoding: 'view', valueEncoding: 'view' }) !== undefined) return
    const ops: Array<{ type: 'put' | 'del', key: Bytes, value?: Bytes }> = []
    for (const { prefix } of KEY_SHAPES.filter((s) => s.layout === 'whole')) {
      const end = prefix.slice()
      end[end.byteLength - 1]! += 1
      for await (const [stored, value] of this.inner.iterator({ gt: prefix, lt: end, keyEncoding: 'view', valueEncoding: 'view' })) {
        if (this.table.fromStored(stored) !== stored) continue
        ops.push({ type: 'del', key: stored })
        let plain: Bytes
        try {
          plain = this.openValue(stored, value)!
        } catch {
          continue // damaged: unreadable either way, dropped
        }
        const sealed = this.table.toStored(stored)
        ops.push({ type: 'put', key: sealed, value: this.sealValue(sealed, plain) })
      }
    }
    ops.push({ type: 'put', key: KEYS_SEALED_MARKER, value: Uint8Array.of(1) })
    await this.inner.batch(ops as never)
  }

  /**
   * Refuses a store that is not sealed under this key, before anything reads it: its check record
   * ({@link STORE_CHECK_KEY}) must open; a store without one (new, or sealed before the record existed)
   * must have its first records open, and is then given one. Throws AtRestError `ERR_PLAIN_STORE` for
   * values in plain (a store planted in place of this one), `ERR_SEALED_DAMAGED` for a check record that
   * does not open (another data dir's store, or a replaced key). A planted store emptied of records opens:
   * it plants nothing. Only an at-rest key makes records that open, so this and the seal of every value
   * (a planted record further on fails its own read) keep planted records from being read.
   */
  async checkSealed (): Promise<void> {
    const check = await this.inner.get(STORE_CHECK_KEY, { keyEncoding: 'view', valueEncoding: 'view' })
    if (check !== undefined) {
      this.sealing.open(check, 'value', STORE_CHECK_KEY, 'the store\'s check record (`murmur repair` sets this store aside and starts a fresh one)')
      return
    }
    const own = utf8(AT_REST_PREFIX)
    const end = own.slice()
    end[end.byteLength - 1]! += 1
    for (const range of [{ lt: own }, { gte: end }]) {
      for await (const [stored, value] of this.inner.iterator({ ...range, limit: CHECK_SCAN, keyEncoding: 'view', valueEncoding: 'view' })) {
        try {
          this.openValue(stored, value)
        } catch (err) {
          throw new AtRestError('ERR_PLAIN_STORE', 'the store holds records not sealed under this data dir\'s at-rest key: a plain store was put in place of the sealed one (by someone who can write the data dir, or from an old backup), and nothing was read from it. Run `murmur repair` to set it aside (it keeps nothing it cannot open) and start a fresh store; posts come back from peers', { cause: err })
        }
      }
    }
    await this.inner.put(STORE_CHECK_KEY, this.sealValue(STORE_CHECK_KEY, STORE_CHECK_VALUE), { keyEncoding: 'view', valueEncoding: 'view' })
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
 * Opens `inner` sealed under `keys` (see {@link SealedDatabase}); throws AtRestError `ERR_PLAIN_STORE` or
 * `ERR_SEALED_DAMAGED`, `inner` closed, when it is not sealed under them (see SealedDatabase.checkSealed).
 *
 * @example
 * ```ts
 * const db = await openSealedDatabase(new MemoryLevel({ keyEncoding: 'view', valueEncoding: 'view' }), keys)
 * ```
 */
export async function openSealedDatabase (inner: Inner, keys: AtRestKeys): Promise<StoreDatabase> {
  const db = new SealedDatabase(inner, keys)
  await db.open()
  try {
    await db.checkSealed()
  } catch (err) {
    await db.close()
    throw err
  }
  await db.sealPlainKeys()
  return db as unknown as StoreDatabase
}
