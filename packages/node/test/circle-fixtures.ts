/**
 * Shared pieces of the circle tests that build frames by hand.
 */
import { MemoryLevel } from 'memory-level'
import type { StoreDatabase } from '../src/store/index.js'
import type { Logger } from '@libp2p/interface'
import type { RingPeriod } from '@murmur/protocol'

/** The POW bits of circle posts in these tests. */
export const POW = { POST: 1, REPLY: 1, VOTE: 1 }

/** A logger that says nothing. */
export const silent = Object.assign(() => {}, { enabled: false, trace: () => {}, error: () => {}, newScope: () => silent }) as unknown as Logger

/**
 * An open database in memory, as a node's.
 *
 * @example
 * ```ts
 * const frames = await openFrameStore({ db: await memoryDatabase() })
 * ```
 */
export async function memoryDatabase (): Promise<StoreDatabase> {
  const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  return db
}

/**
 * Junk a relay keeps: the framing of a 1 KiB frame, bytes that open with no key.
 *
 * @example
 * ```ts
 * await frames.put(junkFrame(), 'flooder')
 * ```
 */
export function junkFrame (): Uint8Array {
  const frame = crypto.getRandomValues(new Uint8Array(1024))
  frame[0] = 1
  return frame
}

/**
 * A ring signer's slot numbers (`auth.sequence` of buildCirclePost): each call takes the next free slot of
 * the post's epoch and week, as a member's node does.
 *
 * @example
 * ```ts
 * await buildCirclePost(keys, { ..., auth: { kind: 'ring', ring, secretKey, sequence: slots() } })
 * ```
 */
export function slots (): (period: RingPeriod) => { epoch: number, week: number } {
  const counts = new Map<string, number>()
  const next = (key: string): number => {
    const n = counts.get(key) ?? 0
    counts.set(key, n + 1)
    return n
  }
  return (p) => ({ epoch: next(`e${p.epoch}`), week: next(`w${p.week}`) })
}
