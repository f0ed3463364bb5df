/**
 * `sybil_honest_delivery_4to1`: honest Murmur nodes and four times as many sybils, stock libp2p peers
 * that dial honest nodes, subscribe to the channel, are grafted into meshes and never forward (every
 * message they get stays pending validation, which gossipsub does not forward). Measured: the share of
 * (honest post, honest node) pairs stored within the wait.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { channelTopic } from '@murmur/protocol'
import { createLibp2p } from 'libp2p'
import { seededRandom } from '../lib/random.ts'
import { CHAOS_CHANNEL, ChaosNet, postFrom, waitHeld, waitMeshed } from './net.ts'
import type { ChaosNetInit } from './net.ts'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'

/** Options of {@link runSybil}. */
export interface SybilInit {
  honest: number
  /** Sybils per honest node. */
  ratio: number
  /** Honest nodes each sybil dials. @default 4 */
  dials?: number
  /** Honest posts. */
  posts: number
  /** Longest wait for delivery (ms). */
  waitMs: number
  /** @default 1 */
  seed?: number
  /** History sync of every honest node. @default the node's defaults */
  sync?: ChaosNetInit['sync']
}

/** What {@link runSybil} found. */
export interface SybilOutcome {
  honest: number
  sybils: number
  /** Share of (honest post, honest node) pairs stored within the wait. */
  delivery: number
  /** Seconds until every honest node held every post (undefined: not within the wait). */
  seconds?: number
  /** Share of honest nodes' mesh peers on the channel that were sybils when posting began. */
  sybilMeshShare: number
  failed: string[]
}

/**
 * Runs the sybil scenario, everything stopped afterwards.
 *
 * @example
 * ```ts
 * const outcome = await runSybil({ honest: 8, ratio: 4, posts: 8, waitMs: 60_000 })
 * ```
 */
export async function runSybil (init: SybilInit): Promise<SybilOutcome> {
  const random = seededRandom(init.seed ?? 1)
  const net = await ChaosNet.create({ nodes: init.honest, random, sync: init.sync, bootstrapPeers: 2 })
  const topic = channelTopic(CHAOS_CHANNEL)
  const sybils: Array<Libp2p<{ identify: Identify, pubsub: GossipSub }>> = []
  try {
    await waitMeshed(net, init.waitMs)
    const honest = net.running()
    for (let i = 0; i < init.honest * init.ratio; i++) {
      const sybil = await startSybil(topic)
      sybils.push(sybil)
      for (let d = 0; d < (init.dials ?? 4); d++) {
        const target = honest[Math.floor(random() * honest.length)]!
        await sybil.dial(target.getMultiaddrs()[0]!).catch(() => undefined)
      }
    }
    const sybilIds = new Set(sybils.map((s) => s.peerId.toString()))
    // grafted: each honest node's mesh has taken sybils in (heartbeats run every second)
    const started = performance.now()
    let share = 0
    while (performance.now() - started < init.waitMs) {
      // the gossipsub class has getMeshPeers; the interface Murmur types its service with does not
      const mesh = honest.flatMap((n) => (n.libp2p.services.pubsub as unknown as { getMeshPeers(topic: string): string[] }).getMeshPeers(topic))
      share = mesh.length === 0 ? 0 : mesh.filter((p) => sybilIds.has(p)).length / mesh.length
      if (share >= 0.5) break
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    const posted = await postFrom(honest, init.posts, random, 'honest')
    const held = await waitHeld(honest, posted.ids, init.waitMs)
    const pairs = posted.ids.length * honest.length
    const missed = held.missing.reduce((a, b) => a + b, 0)
    return {
      honest: honest.length,
      sybils: sybils.length,
      delivery: pairs === 0 ? 0 : (pairs - missed) / pairs,
      ...(held.seconds === undefined ? {} : { seconds: held.seconds }),
      sybilMeshShare: share,
      failed: posted.failed
    }
  } finally {
    await Promise.allSettled(sybils.map(async (s) => { await s.stop() }))
    await net.close()
  }
}

/** A stock libp2p peer subscribed to `topic` that validates nothing, so forwards nothing. */
async function startSybil (topic: string): Promise<Libp2p<{ identify: Identify, pubsub: GossipSub }>> {
  const peer = await createSybilLibp2p()
  peer.services.pubsub.subscribe(topic)
  return peer
}

/** The sybil's libp2p: TCP on loopback, stock gossipsub. */
async function createSybilLibp2p (): Promise<Libp2p<{ identify: Identify, pubsub: GossipSub }>> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    connectionManager: { inboundConnectionThreshold: 100_000, inboundUpgradeTimeout: 60_000 },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      // asyncValidation with no result ever reported: every message stays pending, never forwarded
      pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign', asyncValidation: true })
    }
  })
}
