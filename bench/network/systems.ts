/**
 * The systems under test, behind one small interface: real Murmur nodes (`createMurmur`) posting
 * one-time-signed posts (bench PoW, or the default 16 bits) or ring-signed ones, and plain libp2p nodes
 * running stock `@libp2p/gossipsub`, with its default StrictSign (every message carries `from`, seqno,
 * signature and key) or with StrictNoSign (the payload alone, as Murmur runs gossipsub). All get the same
 * transport, encryption, muxer, byte counter and topology gater, and all nodes of a run share one process;
 * Murmur nodes also share one verification pool ({@link SystemInit.verify}), as several nodes of one
 * process should. Everything else is each system's own default.
 */
import { randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { memory } from '@libp2p/memory'
import { tcp } from '@libp2p/tcp'
import { createMurmur } from '@murmur/node'
import { buildEnvelope, channelTopic, compareBytes, DEFAULT_POW_BITS, generateAuthorKey } from '@murmur/protocol'
import { createLibp2p } from 'libp2p'
import { wireMetrics } from './wire.ts'
import type { WireCounter } from './wire.ts'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Libp2pOptions } from 'libp2p'
import type { Murmur, StemInit, VerifyPool } from '@murmur/node'
import type { BuiltEnvelope } from '@murmur/protocol'

/**
 * `murmur`: one-time-signed posts at {@link BENCH_POW_BITS}; `murmur-pow16`: the same at the default
 * proof of work; `murmur-ring`: posts ring-signed by a member of a {@link RING_SIZE}-key ring, published
 * into gossip (no stem: the node's API posts one-time-signed only); `gossipsub`: StrictSign;
 * `gossipsub-nosign`: StrictNoSign.
 */
export type SystemName = 'murmur' | 'murmur-pow16' | 'murmur-ring' | 'gossipsub' | 'gossipsub-nosign'
export const SYSTEMS: readonly SystemName[] = ['murmur', 'murmur-pow16', 'murmur-ring', 'gossipsub', 'gossipsub-nosign']
export type TransportName = 'tcp' | 'memory'

/** The channel every node posts in, and its gossipsub topic for the baseline. */
export const CHANNEL = '#bench'
export const BASELINE_TOPIC = 'bench'

/**
 * Proof-of-work bits of every Murmur post in this benchmark (a network parameter all nodes share).
 * All nodes share one CPU here, so mining at the default 16 bits (~19 ms of blocking work per post,
 * see `pow_16_ms`) would stall every other node's event loop; 8 bits costs ~0.1 ms.
 */
export const BENCH_POW_BITS = 8

/** Members of the ring of a `murmur-ring` post (its proof of work adds the ring term to {@link BENCH_POW_BITS}). */
export const RING_SIZE = 16

/**
 * Every node in a TCP run dials from 127.0.0.1, so libp2p's per-host inbound rate limit (5 a second)
 * would refuse honest peers; a real network spreads them over many hosts (as packages/node/test/harness.ts).
 */
const CONNECTION_MANAGER = { inboundConnectionThreshold: 100_000, inboundUpgradeTimeout: 60_000 }

/** What a run needs of one node. */
export interface BenchNode {
  readonly peerId: PeerId
  readonly libp2p: Libp2p<{ pubsub: GossipSub }>
  /** The Murmur node itself (Murmur systems only), for `stem-trace.ts`. */
  readonly murmur?: Murmur
  /** A dialable address of this node. */
  address(): Multiaddr
  /**
   * Builds the node's next `posts` messages before the measured window, where building is the author's
   * own cost and would stall every other node of the process (ring-signed posts: signing and mining)
   */
  prepare?(posts: number): Promise<void>
  /** Posts one message of the workload; resolves once it left the node. */
  publish(): Promise<void>
  stop(): Promise<void>
}

/** What every node of a run shares. */
export interface SystemInit {
  transport: TransportName
  /** Index of this node, for a unique memory address. */
  index: number
  /** Run-unique prefix of memory addresses. */
  run: string
  /** Size of a Murmur envelope: the baseline publishes this many random bytes. */
  payloadBytes: number
  /** Counts bytes sent on raw connections. */
  wire: WireCounter
  /** Peers this node may dial (the topology); its other dials are refused like a firewall would. */
  neighbours: Set<string>
  /** Called when this node stores (Murmur) or receives (baseline) a message, with its key. */
  onMessage: (key: string) => void
  /** A Murmur node's post() returned: the post's id and when post() was called (performance.now). */
  onPosted?: (id: string, calledAt: number) => void
  /**
   * The verification pool every Murmur node of the process shares, as `MurmurInit.verify` advises for
   * several nodes in one process (a pool per node would start a worker per core for each node: 2 × N
   * threads on this machine's 2 cores). @default a pool of the node's own (the node's default)
   */
  verify?: VerifyPool
  /** Stem parameters of a Murmur node (a run comparing a rule with the one it replaced). @default the node's defaults */
  stem?: StemInit
}

function transportOptions (init: SystemInit): { transports: NonNullable<Libp2pOptions['transports']>, listen: string[] } {
  return init.transport === 'tcp'
    ? { transports: [tcp()], listen: ['/ip4/127.0.0.1/tcp/0'] }
    : { transports: [memory()], listen: [`/memory/${init.run}-${init.index}`] }
}

/**
 * libp2p pings every connection every 10 s and, by default, aborts it when the ping misses its adaptive
 * timeout. With hundreds of nodes on one event loop, pings queue behind other nodes' work and time out
 * although both ends are alive, and the aborted topology edges then cost more work to restore. Both
 * systems keep measuring round trips but keep their connections.
 */
const CONNECTION_MONITOR = { abortConnectionOnPingFailure: false }

/** Options both systems get identically: byte counting, topology gater, one-machine connection limits. */
function sharedLibp2pOptions (init: SystemInit): Record<string, unknown> {
  return {
    metrics: wireMetrics(init.wire),
    connectionManager: CONNECTION_MANAGER,
    connectionMonitor: CONNECTION_MONITOR,
    connectionGater: { denyDialPeer: (peer: PeerId) => !init.neighbours.has(peer.toString()) }
  }
}

/** Hex of the first 8 bytes: the key of a baseline message. */
export function payloadKey (data: Uint8Array): string {
  return Buffer.from(data.subarray(0, 8)).toString('hex')
}

/** The keys of one ring-signed post: a ring of {@link RING_SIZE} fresh members, one of them signing. */
function ringAuthor (): { kind: 'ring', ring: Uint8Array[], secretKey: Uint8Array, slot: number, weekSlot: number } {
  const keys = Array.from({ length: RING_SIZE }, () => generateAuthorKey()).sort((a, b) => compareBytes(a.publicKey, b.publicKey))
  // a fresh signer for every post, so no hourly or weekly slot is used twice
  return { kind: 'ring', ring: keys.map((k) => k.publicKey), secretKey: keys[0]!.secretKey, slot: 0, weekSlot: 0 }
}

/** Hex of a post id, the key Murmur's `post` event names a post by. */
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

/**
 * A Murmur node with default options except the transport, topology gater, byte counter and `powBits`
 * (the default 16 bits for `murmur-pow16`).
 */
export async function startMurmur (init: SystemInit, body: () => string, system: SystemName = 'murmur'): Promise<BenchNode> {
  const { transports, listen } = transportOptions(init)
  const powBits = system === 'murmur-pow16' ? DEFAULT_POW_BITS.POST : BENCH_POW_BITS
  const node: Murmur = await createMurmur({
    listen,
    channels: [CHANNEL],
    powBits,
    // a memory network is as private as loopback: the same DHT behaviour as the TCP runs
    allowPrivateAddresses: true,
    ...(init.verify === undefined ? {} : { verify: init.verify }),
    ...(init.stem === undefined ? {} : { stem: init.stem }),
    // Murmur always brings its own TCP (and WebSockets) transport; only the memory transport is added
    libp2p: { ...(init.transport === 'memory' ? { transports } : {}), ...sharedLibp2pOptions(init) }
  })
  node.addEventListener('post', (evt) => { init.onMessage(evt.detail.id) })
  const ready: BuiltEnvelope[] = []
  return {
    peerId: node.peerId,
    libp2p: node.libp2p as unknown as Libp2p<{ pubsub: GossipSub }>,
    murmur: node,
    address: () => firstAddress(node.getMultiaddrs()),
    ...(system === 'murmur-ring' ? { prepare: async (posts: number) => { for (let i = 0; i < posts; i++) ready.push(await buildEnvelope({ channel: CHANNEL, body: body(), powBits, auth: ringAuthor() })) } } : {}),
    publish: system === 'murmur-ring'
      ? async () => {
        const built = ready.shift()
        if (built === undefined) throw new Error('no prepared ring post left')
        init.onMessage(hex(built.id))
        await node.libp2p.services.pubsub.publish(channelTopic(CHANNEL), built.bytes)
      }
      : async () => {
        const calledAt = performance.now()
        const result = await node.post(CHANNEL, body())
        if (result.status !== 'sent') {
          throw new Error(`a post was ${result.status}: ${result.reason}`)
        }
        init.onPosted?.(result.id, calledAt)
      },
    stop: async () => { await node.stop() }
  }
}

/**
 * A plain libp2p node: identify and stock gossipsub with default settings, StrictSign, or StrictNoSign for
 * `gossipsub-nosign` (message id = SHA-256 of the data, gossipsub's own default for that policy).
 */
export async function startGossipsub (init: SystemInit, system: SystemName = 'gossipsub'): Promise<BenchNode> {
  const { transports, listen } = transportOptions(init)
  const libp2p = await createLibp2p({
    addresses: { listen },
    transports,
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...sharedLibp2pOptions(init),
    services: { identify: identify(), pubsub: gossipsub(system === 'gossipsub-nosign' ? { globalSignaturePolicy: 'StrictNoSign' } : {}) }
  })
  const pubsub = libp2p.services.pubsub
  pubsub.subscribe(BASELINE_TOPIC)
  pubsub.addEventListener('message', (evt) => {
    if (evt.detail.topic === BASELINE_TOPIC) init.onMessage(payloadKey(evt.detail.data))
  })
  return {
    peerId: libp2p.peerId,
    libp2p,
    address: () => firstAddress(libp2p.getMultiaddrs()),
    publish: async () => {
      const payload = randomBytes(init.payloadBytes)
      // the publisher "has" its message from now on, as a Murmur author has its own post once stored
      init.onMessage(payloadKey(payload))
      await pubsub.publish(BASELINE_TOPIC, payload)
    },
    stop: async () => { await libp2p.stop() }
  }
}

function firstAddress (addresses: Multiaddr[]): Multiaddr {
  const address = addresses[0]
  if (address === undefined) throw new Error('node has no listen address')
  return address
}
