import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import type { StoreDatabase, StoredPost } from '../src/store/index.js'

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

/** A VOTE of `vote` on `parent`. */
export function vote (parent: StoredPost, value: 1 | -1, overrides: Partial<StoredPost> = {}): StoredPost {
  return post({ kind: 'VOTE', parent: parent.id, channel: parent.channel, body: '', vote: value, ...overrides })
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

/** Every key of the database, hex-encoded with its sublevel prefix, sorted. */
export async function allKeys (db: StoreDatabase): Promise<string[]> {
  const keys = await db.keys({ keyEncoding: 'view' }).all()
  return keys.map(k => Buffer.from(k).toString('latin1')).sort()
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
