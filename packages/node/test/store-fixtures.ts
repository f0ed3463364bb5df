import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import { voteScope } from '@murmur/protocol'
import { createPostStore } from '../src/store/index.js'
import type { PostStore, StoreDatabase, StoredPost } from '../src/store/index.js'

/** A fixed clock for deterministic tests (unix seconds). */
export const T0 = 1_700_000_000
export const DAY = 86_400

/** A deterministic 32-byte id: `n` big-endian in the first 4 bytes, then `fill`. */
export function idOf (n: number, fill = 0xab): Uint8Array {
  const id = new Uint8Array(32).fill(fill)
  new DataView(id.buffer).setUint32(0, n)
  return id
}

/** Envelope bytes that differ per post and cover every byte value. */
export function envelopeOf (n: number): Uint8Array {
  return Uint8Array.from({ length: 300 }, (_, i) => (i * 7 + n) & 0xff)
}

let counter = 0

/** A valid POST with a fresh id; override any field. */
export function post (overrides: Partial<StoredPost> = {}): StoredPost {
  const n = ++counter
  const created = overrides.created ?? T0
  return {
    id: idOf(n),
    channel: '#lobby',
    kind: 'POST',
    body: `post ${n}`,
    vote: 0,
    created,
    expires: created + DAY,
    authorKey: idOf(n, 0x11),
    envelope: envelopeOf(n),
    ...overrides
  }
}

/** A REPLY to `parent` (root defaults to parent). */
export function reply (parent: StoredPost, overrides: Partial<StoredPost> = {}): StoredPost {
  return post({ kind: 'REPLY', parent: parent.id, channel: parent.channel, ...overrides })
}

/** A member's VOTE of `vote` on `parent`: ring-signed, a fresh member's link tag in the vote scope (only members' votes count). */
export function vote (parent: StoredPost, value: 1 | -1, overrides: Partial<StoredPost> = {}): StoredPost {
  const scope = voteScope(parent.id)
  const tag = idOf(++counter, 0x3e)
  const made = post({ kind: 'VOTE', parent: parent.id, channel: parent.channel, body: '', vote: value, scope, tag, ...overrides })
  if (overrides.links === undefined) made.links = [{ scope: made.scope!, tag: made.tag! }]
  if (overrides.authorKey === undefined) delete made.authorKey
  return made
}

/** A one-time-signed VOTE of `vote` on `parent`: stored and synced, counted for nothing. */
export function oneTimeVote (parent: StoredPost, value: 1 | -1, overrides: Partial<StoredPost> = {}): StoredPost {
  return post({ kind: 'VOTE', parent: parent.id, channel: parent.channel, body: '', vote: value, ...overrides })
}

/** An empty in-memory level of bytes, as the store opens it. */
export function memoryDb (): MemoryLevel<Uint8Array, Uint8Array> {
  return new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
}

/** An empty in-memory database for the node's records (a store, the stem records), stored as bytes. */
export function memoryDatabase (): StoreDatabase {
  return new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view', storeEncoding: 'view' })
}

/** A database backend under test, with a cleanup. */
export interface Backend {
  name: string
  open(): Promise<{ db: StoreDatabase, cleanup(): Promise<void> }>
}

/** A fresh temporary directory and its removal. */
export async function tempDir (): Promise<{ dir: string, cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'murmur-store-'))
  return { dir, cleanup: async () => { await rm(dir, { recursive: true, force: true }) } }
}

/** The real backends the store runs on in Node. */
export const BACKENDS: Backend[] = [
  {
    name: 'memory-level',
    open: async () => ({
      db: new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }),
      cleanup: async () => {}
    })
  },
  {
    name: 'classic-level',
    open: async () => {
      const { dir, cleanup } = await tempDir()
      const db = new ClassicLevel<Uint8Array, Uint8Array>(join(dir, 'db'), { keyEncoding: 'view', valueEncoding: 'view' })
      await db.open()
      return { db, cleanup }
    }
  }
]

/** A fresh post store on `backend`; `close` closes the store, then removes its database. */
export async function openStore (backend: Backend): Promise<{ db: StoreDatabase, store: PostStore, close(): Promise<void> }> {
  const { db, cleanup } = await backend.open()
  const store = createPostStore({ db })
  return { db, store, close: async () => { await store.close(); await cleanup() } }
}

/** Every key of the database, hex-encoded with its sublevel prefix, sorted. */
export async function allKeys (db: StoreDatabase): Promise<string[]> {
  const keys = await db.keys({ keyEncoding: 'view' }).all()
  return keys.map(k => Buffer.from(k).toString('latin1')).sort()
}

/** Every entry of the database as `key=value` (hex, keys with their sublevel prefix), sorted. */
export async function allEntries (db: StoreDatabase): Promise<string[]> {
  const entries = await db.iterator({ keyEncoding: 'view', valueEncoding: 'view' }).all()
  return entries.map(([k, v]) => `${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`).sort()
}

/** Collect an async iterable. */
export async function collect<T> (items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

/** The ids of entries, as hex, for readable comparisons. */
export function hexIds (entries: Array<{ id: Uint8Array }>): string[] {
  return entries.map(e => Buffer.from(e.id).toString('hex'))
}

type BatchImpl = (this: MemoryLevel<Uint8Array, Uint8Array>, operations: unknown[], options: unknown) => Promise<void>
const memoryBatch = Reflect.get(MemoryLevel.prototype, '_batch') as BatchImpl

/**
 * A real memory-level database whose backend write can be made to fail, and which records every
 * backend write call, to show that the store commits each logical write as one batch.
 */
export class FaultyLevel extends MemoryLevel<Uint8Array, Uint8Array> {
  /** how many of the next backend batches fail */
  failures = 0
  /** backend write calls, in order */
  readonly writes: string[] = []

  constructor () {
    super({ keyEncoding: 'view', valueEncoding: 'view' })
  }

  async _batch (operations: unknown[], options: unknown): Promise<void> {
    this.writes.push(`batch:${operations.length}`)
    if (this.failures > 0) {
      this.failures--
      throw new Error('simulated disk failure')
    }
    await memoryBatch.call(this, operations, options)
  }

  async _put (): Promise<void> {
    this.writes.push('put')
    throw new Error('the store must write through batches only')
  }

  async _del (): Promise<void> {
    this.writes.push('del')
    throw new Error('the store must write through batches only')
  }
}

/** Count what a database reads: entries from iterators and keys looked up. */
export function countReads (db: MemoryLevel<Uint8Array, Uint8Array>): { entries: number, lookups: number } {
  const counter = { entries: 0, lookups: 0 }
  const wrapIterator = <I extends { nextv: (size: number) => Promise<unknown[]>, all: () => Promise<unknown[]>, next: () => Promise<unknown> }>(it: I): I => {
    const { nextv, all, next } = it
    it.nextv = async (size: number) => { const r = await nextv.call(it, size); counter.entries += r.length; return r }
    it.all = async () => { const r = await all.call(it); counter.entries += r.length; return r }
    it.next = async () => { const r = await next.call(it); if (r !== undefined) counter.entries++; return r }
    return it
  }
  for (const name of ['iterator', 'keys', 'values'] as const) {
    const original = Reflect.get(db, name) as (...args: unknown[]) => Parameters<typeof wrapIterator>[0]
    Reflect.set(db, name, (...args: unknown[]) => wrapIterator(original.apply(db, args)))
  }
  for (const name of ['get', 'has'] as const) {
    const original = Reflect.get(db, name) as (...args: unknown[]) => Promise<unknown>
    Reflect.set(db, name, async (...args: unknown[]) => { counter.lookups++; return original.apply(db, args) })
  }
  for (const name of ['getMany', 'hasMany'] as const) {
    const original = Reflect.get(db, name) as (keys: unknown[], ...rest: unknown[]) => Promise<unknown>
    Reflect.set(db, name, async (keys: unknown[], ...rest: unknown[]) => { counter.lookups += keys.length; return original.call(db, keys, ...rest) })
  }
  return counter
}

/**
 * Count every store operation on a database: keys looked up, iterators opened, entries read from
 * them, and operations written in batches — the cost measure of the re-filing and quota tests.
 */
export function countOperations (db: MemoryLevel<Uint8Array, Uint8Array>): { total(): number, reads: { entries: number, lookups: number }, iterators: number, writes: number } {
  const reads = countReads(db)
  const counter = { reads, iterators: 0, writes: 0, total: () => reads.entries + reads.lookups + counter.iterators + counter.writes }
  for (const name of ['iterator', 'keys', 'values'] as const) {
    const original = Reflect.get(db, name) as (...args: unknown[]) => unknown
    Reflect.set(db, name, (...args: unknown[]) => { counter.iterators++; return original.apply(db, args) })
  }
  const batch = Reflect.get(db, 'batch') as (ops: unknown[], ...rest: unknown[]) => Promise<void>
  Reflect.set(db, 'batch', async (ops: unknown[], ...rest: unknown[]) => { counter.writes += ops.length; return batch.call(db, ops, ...rest) })
  return counter
}
