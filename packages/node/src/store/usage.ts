import { equalBytes, toHex } from '@murmur/protocol'
import { concat, fromUtf8, readU64, viewOf } from './bytes.js'
import { classKey, classRange, parseClassKey, u64 } from './keys.js'
import type { Index, IndexOperation } from './indexes.js'
import type { StoreUsage } from './types.js'

/** Posts and envelope bytes a channel (or one arrival class of it) holds. */
export type Usage = StoreUsage

/** What one arrival class of a channel holds. */
export interface ClassUsage extends Usage {
  /** the sender and hour the class's posts arrived from and in (see arrival.ts) */
  arrivalClass: number
}

/** Suffix of a channel's count of evicted posts still remembered (shorter than a class key, so never taken for one). */
const TOMBS = new Uint8Array([0xff])
/**
 * Past every usage key of one channel: its total is `prefix`, its class keys `prefix | u64` (whose first
 * byte is 0: an arrival class is below 2^53), its tomb count `prefix | ff`; no other channel's key starts
 * with `prefix` (the length comes first), so the next key at or after `prefix | ff 00` is the next channel's.
 */
const PAST_CHANNEL = new Uint8Array([0xff, 0x00])

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

  /** The channels whose totals this ledger changed, with what each holds now (by channel name). */
  changedChannels (): Map<string, Usage> {
    const changed = new Map<string, Usage>()
    for (const slot of this.slots.values()) {
      const channel = slot.dirty ? channelOfTotal(slot.key) : undefined
      if (channel !== undefined) changed.set(channel, { posts: Math.max(0, slot.posts), bytes: Math.max(0, slot.bytes) })
    }
    return changed
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

/**
 * What each channel holds, kept in memory from the first read on: read once from the channels' totals
 * (see {@link readChannelTotals}), then updated from each committed write plan, so a read costs no
 * database access however many posts are stored.
 */
export class ChannelTotals {
  private readonly index: Index
  private totals?: Map<string, Usage>

  constructor (index: Index) {
    this.index = index
  }

  /** Whether the totals were read already (a {@link snapshot} is then up to date). */
  get loaded (): boolean {
    return this.totals !== undefined
  }

  /** Read the totals from the database unless read already; call it where no write can land meanwhile. */
  async load (): Promise<void> {
    this.totals ??= await readChannelTotals(this.index)
  }

  /** A copy of what each channel holds (empty before {@link load}). */
  snapshot (): Map<string, Usage> {
    return new Map([...this.totals ?? []].map(([channel, usage]) => [channel, { ...usage }]))
  }

  /** A committed plan's changed channels (see `WritePlan.changedChannels`); before the first load the read finds them on disk. */
  update (changed: Map<string, Usage>): void {
    const totals = this.totals
    if (totals === undefined) return
    for (const [channel, usage] of changed) {
      if (usage.posts > 0) totals.set(channel, usage)
      else totals.delete(channel)
    }
  }
}

/**
 * What every channel holding posts holds, read from the channels' totals: one seek per channel past its
 * arrival classes and tomb count, so the read grows with the channels, not with the posts or senders.
 */
export async function readChannelTotals (index: Index): Promise<Map<string, Usage>> {
  const totals = new Map<string, Usage>()
  const iterator = index.iterator()
  try {
    for (let entry = await iterator.next(); entry !== undefined; entry = await iterator.next()) {
      const [key, value] = entry
      const channel = channelOfTotal(key)
      if (channel !== undefined) totals.set(channel, parseUsage(value))
      // a class or tomb key first: a channel with no posts left (its total is deleted with its last one)
      iterator.seek(concat([key.subarray(0, 2 + viewOf(key).getUint16(0)), PAST_CHANNEL]))
    }
  } finally {
    await iterator.close()
  }
  return totals
}

/** The channel whose total `key` is (`u16 len | channel`), or undefined for a class or tomb key. */
function channelOfTotal (key: Uint8Array): string | undefined {
  return key.byteLength >= 2 && key.byteLength === 2 + viewOf(key).getUint16(0) ? fromUtf8(key.subarray(2)) : undefined
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
