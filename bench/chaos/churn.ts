/**
 * `churn_delivery_kill30_n50` and `churn_rejoin_catchup_s`: a network of real Murmur nodes posting, a
 * share of them stopped at random in the middle of the flood, then posts from the survivors: the share
 * of (post, survivor) pairs delivered; then the stopped nodes restart on their data dirs and the time
 * until each holds every post it missed is measured. The nodes run in this process, so a stop is
 * libp2p's stop (connections closed, not cut): kill -9 of a real process is the crash scenario's.
 */
import { seededRandom, shuffle } from '../lib/random.ts'
import { ChaosNet, postFrom, waitHeld, waitMeshed } from './net.ts'
import type { ChaosNetInit } from './net.ts'

/** Options of {@link runChurn}. */
export interface ChurnInit {
  nodes: number
  /** Share of the nodes stopped mid-flood. */
  killShare: number
  /** Posts in the flood, before and around the kill. */
  postsDuring: number
  /** Posts from the survivors after the kill. */
  postsAfter: number
  /** Longest wait for delivery, and for the restarted nodes to catch up (ms). */
  waitMs: number
  /** @default 1 */
  seed?: number
  /** History sync of every node. @default the node's defaults */
  sync?: ChaosNetInit['sync']
}

/** What {@link runChurn} found. */
export interface ChurnOutcome {
  nodes: number
  killed: number[]
  /** Share of (post after the kill, survivor) pairs delivered within `waitMs`. */
  deliveryAfterKill: number
  /** Seconds until every survivor held every post after the kill (undefined: not within the wait). */
  deliverySeconds?: number
  /** Seconds from the restarts until every restarted node held every post (undefined: not within the wait). */
  rejoinCatchupSeconds?: number
  /** Posts each restarted node still missed at the end. */
  rejoinMissing: number[]
  /** Posts the flood and survivors made, and posts that failed. */
  posted: number
  failed: string[]
}

/**
 * Runs the churn scenario on a fresh network, closed afterwards.
 *
 * @example
 * ```ts
 * const outcome = await runChurn({ nodes: 10, killShare: 0.3, postsDuring: 10, postsAfter: 10, waitMs: 60_000 })
 * ```
 */
export async function runChurn (init: ChurnInit): Promise<ChurnOutcome> {
  const random = seededRandom(init.seed ?? 1)
  const net = await ChaosNet.create({ nodes: init.nodes, random, sync: init.sync })
  try {
    await waitMeshed(net, init.waitMs)
    const kills = Math.round(init.nodes * init.killShare)
    const order = shuffle(net.slots.map((s) => s.index), random)
    const killed = order.slice(0, kills).sort((a, b) => a - b)
    // the flood: half before the kill, the kill, half after it from whoever still runs
    const first = await postFrom(net.running(), Math.ceil(init.postsDuring / 2), random, 'flood')
    await Promise.all(killed.map(async (index) => { await net.stop(index) }))
    const second = await postFrom(net.running(), Math.floor(init.postsDuring / 2), random, 'flood')
    const after = await postFrom(net.running(), init.postsAfter, random, 'after')
    const survivors = net.running()
    const delivered = await waitHeld(survivors, after.ids, init.waitMs)
    const pairs = survivors.length * after.ids.length
    const missed = delivered.missing.reduce((n, m) => n + m, 0)

    // every post the network made, which the restarted nodes must catch up on
    const all = [...first.ids, ...second.ids, ...after.ids]
    await waitHeld(survivors, all, init.waitMs)
    const restartedAt = performance.now()
    const restarted = await Promise.all(killed.map(async (index) => await net.start(index)))
    const caught = await waitHeld(restarted, all, init.waitMs)
    return {
      nodes: init.nodes,
      killed,
      deliveryAfterKill: pairs === 0 ? 0 : (pairs - missed) / pairs,
      ...(delivered.seconds === undefined ? {} : { deliverySeconds: delivered.seconds }),
      ...(caught.seconds === undefined ? {} : { rejoinCatchupSeconds: (performance.now() - restartedAt) / 1000 }),
      rejoinMissing: caught.missing,
      posted: all.length,
      failed: [...first.failed, ...second.failed, ...after.failed]
    }
  } finally {
    await net.close()
  }
}
