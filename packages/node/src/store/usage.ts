import { equalBytes, toHex } from '@murmur/protocol'
import { concat, readU64, viewOf } from './bytes.js'
import { classKey, classRange, parseClassKey, u64 } from './keys.js'
import type { Index, IndexOperation } from './indexes.js'

/** Posts and envelope bytes a channel (or one arrival class of it) holds. */
export interface Usage {
  posts: number
  bytes: number
}

/** What one arrival class of a channel holds. */
export interface ClassUsage extends Usage {
  /** the sender and hour the class's posts arrived from and in (see arrival.ts) */
  arrivalClass: number
}

/** Suffix of a channel's count of evicted posts still remembered (shorter than a class key, so never taken for one). */
const TOMBS = new Uint8Array([0xff])

interface UsageSlot extends Usage {
  key: Uint8Array
  dirty: boolean
}

/**
 * The usage counters one write plan touches, per channel and per arrival class of it: read once,
 * changed in memory, written back with the plan's batch.
 */
export class UsageLedger {
  private readonly index: Index
  private readonly slots = new Map<string, UsageSlot>()

  constructor (index: Index) {
    this.index = index
  }

  /** Add (`sign` 1) or take back (-1) one post of `bytes` envelope bytes on a channel and its arrival class. */
  async account (prefix: Uint8Array, arrivalClass: number, bytes: number, sign: 1 | -1): Promise<void> {
    for (const key of [prefix, classKey(prefix, arrivalClass)]) {
      const slot = await this.slot(key)
      slot.posts += sign
      slot.bytes += sign * bytes
      slot.dirty = true
    }
  }

  /** Count one more (`sign` 1) or one fewer (-1) evicted post remembered in the channel of `prefix`. */
  async tomb (prefix: Uint8Array, sign: 1 | -1): Promise<void> {
    const slot = await this.slot(concat([prefix, TOMBS]))
    slot.posts += sign
    slot.dirty = true
  }

  /** How many evicted posts the channel of `prefix` remembers. */
  async tombs (prefix: Uint8Array): Promise<number> {
    return (await this.slot(concat([prefix, TOMBS]))).posts
  }

  /** What the channel of `prefix` holds. */
  async channel (prefix: Uint8Array): Promise<Usage> {
    const { posts, bytes } = await this.slot(prefix)
    return { posts, bytes }
  }

  /** The arrival classes of the channel of `prefix` that hold posts. */
  async classes (prefix: Uint8Array): Promise<ClassUsage[]> {
    const found = new Map<number, Usage>()
    for (const [key, value] of await this.index.iterator(classRange(prefix)).all()) {
      if (key.byteLength === prefix.byteLength + 8) found.set(parseClassKey(key), parseUsage(value))
    }
    for (const slot of this.slots.values()) {
      if (slot.key.byteLength === prefix.byteLength + 8 && equalBytes(slot.key.subarray(0, prefix.byteLength), prefix)) {
        found.set(parseClassKey(slot.key), { posts: slot.posts, bytes: slot.bytes })
      }
    }
    return [...found].filter(([, usage]) => usage.posts > 0).map(([arrivalClass, usage]) => ({ arrivalClass, ...usage }))
  }

  /** The changed counters as batch operations; a counter at zero is deleted. */
  operations (): IndexOperation[] {
    const ops: IndexOperation[] = []
    for (const slot of this.slots.values()) {
      if (!slot.dirty) continue
      ops.push(slot.posts <= 0
        ? { type: 'del', sublevel: this.index, key: slot.key }
        : { type: 'put', sublevel: this.index, key: slot.key, value: encodeUsage(slot) })
    }
    return ops
  }

  private async slot (key: Uint8Array): Promise<UsageSlot> {
    const hex = toHex(key)
    let slot = this.slots.get(hex)
    if (slot === undefined) {
      const value = await this.index.get(key)
      slot = { key, ...(value === undefined ? { posts: 0, bytes: 0 } : parseUsage(value)), dirty: false }
      this.slots.set(hex, slot)
    }
    return slot
  }
}

function encodeUsage (usage: Usage): Uint8Array {
  const out = new Uint8Array(16)
  out.set(u64(usage.posts), 0)
  out.set(u64(usage.bytes), 8)
  return out
}

function parseUsage (value: Uint8Array): Usage {
  const view = viewOf(value)
  return { posts: readU64(view, 0), bytes: readU64(view, 8) }
}
