/**
 * Random draws for choosing peers and records: CSPRNG-driven, read from a buffer refilled one block at a
 * time. A CSPRNG call costs ~10 µs whatever its size, so drawing 8 bytes per draw made a lenient provider
 * answer (a reservoir draw per record, a shuffle of every address group) block the event loop 0.1-0.2 s;
 * one call per {@link RANDOM_BLOCK_BYTES} bytes gives the same uniform draws for a fraction of that.
 */
import { randomBytes } from '@libp2p/crypto'

/** Bytes of CSPRNG output fetched at once; each draw uses 8 of them, once. */
export const RANDOM_BLOCK_BYTES = 4096

let block: Uint8Array = new Uint8Array(0)
let view = new DataView(block.buffer)
let offset = 0

/** 53 fresh random bits, as an integer in [0, 2^53). */
function randomBits53 (): number {
  if (offset + 8 > block.byteLength) {
    block = randomBytes(RANDOM_BLOCK_BYTES)
    view = new DataView(block.buffer, block.byteOffset, block.byteLength)
    offset = 0
  }
  const bits = view.getUint32(offset) * 2 ** 21 + (view.getUint32(offset + 4) >>> 11)
  offset += 8
  return bits
}

/**
 * A uniformly random integer in [0, n), from the CSPRNG (53 random bits scaled to n: the bias is below
 * n / 2^53).
 *
 * @example
 * ```ts
 * randomIndex(6) // 0..5
 * ```
 */
export function randomIndex (n: number): number {
  return Math.floor(randomBits53() / 2 ** 53 * n)
}

/**
 * A uniformly random sample of `count` items, in random order (a partial Fisher-Yates over a copy: one
 * draw per item taken).
 *
 * @example
 * ```ts
 * sample(['a', 'b', 'c', 'd'], 2) // e.g. ['c', 'a']
 * ```
 */
export function sample<T> (items: readonly T[], count: number): T[] {
  const pool = [...items]
  const take = Math.max(0, Math.min(count, pool.length))
  for (let i = 0; i < take; i++) {
    const j = i + randomIndex(pool.length - i)
    const swap = pool[i]!
    pool[i] = pool[j]!
    pool[j] = swap
  }
  return pool.slice(0, take)
}

/**
 * At most `count` items of `groups`, drawn by group: groups in random order, one random item of each,
 * then a second of each while more are wanted, and so on. Each group's chance is the same however many
 * items it holds: a thousand sybil PeerIds on one host take one turn of each round, as one honest host
 * does. At most two draws per item returned, however many groups and items are offered.
 *
 * @example
 * ```ts
 * drawFromGroups([['s1', 's2', 's3'], ['h1'], ['h2']], 3) // e.g. ['h2', 's3', 'h1']
 * ```
 */
export function drawFromGroups<T> (groups: ReadonlyArray<readonly T[]>, count: number): T[] {
  // each group's items not yet drawn: a copy made when the group is first drawn from, taken from by a
  // partial Fisher-Yates (a uniformly random item each turn, without replacement)
  let queues = groups.filter((group) => group.length > 0).map((items) => ({ items, left: undefined as T[] | undefined }))
  const drawn: T[] = []
  while (drawn.length < count && queues.length > 0) {
    // the groups served this turn: all of them in random order, or when fewer items are still wanted,
    // that many in random order (the first of a random order of all)
    for (const queue of sample(queues, count - drawn.length)) {
      const left = queue.left ?? [...queue.items]
      queue.left = left
      const j = randomIndex(left.length)
      drawn.push(left[j]!)
      left[j] = left[left.length - 1]!
      left.pop()
    }
    queues = queues.filter((queue) => queue.left === undefined || queue.left.length > 0)
  }
  return drawn
}
