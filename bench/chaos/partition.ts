/**
 * `partition_lost_posts` and `partition_heal_s`: a network of real Murmur nodes split in two halves (a
 * gate refusing connections across, those open closed) while both halves post, then healed (the gate
 * opens and a few nodes dial across): the posts that never reached every node, and the seconds from
 * the heal until every node held the union.
 */
import { seededRandom } from '../lib/random.ts'
import type { ChaosNetInit } from './net.ts'
import { ChaosNet, heldIds, postFrom, waitHeld, waitMeshed } from './net.ts'

/** Options of {@link runPartition}. */
export interface PartitionInit {
  nodes: number
  /** How long the network stays split (ms), the halves posting meanwhile. */
  splitMs: number
  /** Posts each half makes while split. */
  postsPerHalf: number
  /** Nodes of each half that dial across at the heal. @default 2 */
  healLinks?: number
  /** Longest wait for the union after the heal (ms). */
  waitMs: number
  /** @default 1 */
  seed?: number
  /** History sync of every node. @default the node's defaults */
  sync?: ChaosNetInit['sync']
}

/** What {@link runPartition} found. */
export interface PartitionOutcome {
  nodes: number
  posted: number
  /** Posts some node still missed at the end of the wait. */
  lost: number
  /** Seconds from the heal until every node held every post (undefined: not within the wait). */
  healSeconds?: number
  /** Posts of the other half each node held just before the heal (the split held: 0 everywhere). */
  leakedBeforeHeal: number
  failed: string[]
}

/**
 * Runs the partition scenario on a fresh network, closed afterwards.
 *
 * @example
 * ```ts
 * const outcome = await runPartition({ nodes: 10, splitMs: 10_000, postsPerHalf: 5, waitMs: 90_000 })
 * ```
 */
export async function runPartition (init: PartitionInit): Promise<PartitionOutcome> {
  const random = seededRandom(init.seed ?? 1)
  const net = await ChaosNet.create({ nodes: init.nodes, random, sync: init.sync })
  try {
    await waitMeshed(net, init.waitMs)
    const half = (index: number): number => index % 2
    await net.partition(half)
    const splitUntil = performance.now() + init.splitMs
    const halves = [0, 1].map((g) => net.slots.filter((s) => s.group === g).map((s) => s.node!))
    const posts = await Promise.all(halves.map(async (nodes, g) => await postFrom(nodes, init.postsPerHalf, seededRandom((init.seed ?? 1) * 10 + g), `half ${g}`)))
    // each half's own posts reach that half while split (the heal measures the crossing, not the stem)
    await Promise.all(halves.map(async (nodes, g) => await waitHeld(nodes, posts[g]!.ids, init.waitMs)))
    const wait = splitUntil - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    const leaked = await Promise.all(halves.map(async (nodes, g) => (await waitHeld(nodes, posts[1 - g]!.ids, 0)).missing))
    const leakedBeforeHeal = leaked.flatMap((missing, g) => missing.map((m) => posts[1 - g]!.ids.length - m)).reduce((a, b) => a + b, 0)

    const healedAt = performance.now()
    await net.heal(init.healLinks ?? 2)
    const all = posts.flatMap((p) => p.ids)
    const nodes = net.running()
    const union = await waitHeld(nodes, all, init.waitMs)
    const lost = await lostPosts(nodes, all)
    return {
      nodes: init.nodes,
      posted: all.length,
      lost,
      ...(union.seconds === undefined ? {} : { healSeconds: (performance.now() - healedAt) / 1000 }),
      leakedBeforeHeal,
      failed: posts.flatMap((p) => p.failed)
    }
  } finally {
    await net.close()
  }
}

/** Posts of `ids` that some node of `nodes` does not hold. */
async function lostPosts (nodes: Parameters<typeof waitHeld>[0], ids: string[]): Promise<number> {
  const missing = new Set<string>()
  for (const node of nodes) {
    const held = await heldIds(node)
    for (const id of ids) if (!held.has(id)) missing.add(id)
  }
  return missing.size
}
