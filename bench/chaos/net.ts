/**
 * A network of real Murmur nodes on loopback TCP for the chaos scenarios (churn, partition, flood): each node
 * on a data dir of its own (a killed node restarts on it), one channel, test-sized proof of work, one
 * verification pool for the process, and a gate that a scenario closes between groups of nodes (a
 * partition) and opens again.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMurmur, createVerifyPool } from '@murmur/node'
import { channelTopic, ready } from '@murmur/protocol'
import type { Murmur, MurmurInit, VerifyPool } from '@murmur/node'
import type { PeerId } from '@libp2p/interface'

/** The channel every node of a chaos network joins. */
export const CHAOS_CHANNEL = '#chaos'
/** Proof-of-work bits of the chaos posts: every node shares one CPU (as bench/network/systems.ts). */
export const CHAOS_POW_BITS = 8
/**
 * Every node dials from 127.0.0.1: libp2p's per-host inbound limit would refuse honest peers, and
 * handshakes get long on a loaded machine (as packages/node/test/harness.ts).
 */
const CONNECTION_MANAGER = { inboundConnectionThreshold: 100_000, inboundUpgradeTimeout: 60_000 }

/** One slot of the network: its data dir survives the node's stop, and a restart fills it again. */
export interface ChaosSlot {
  readonly index: number
  readonly dataDir: string
  /** The running node, or undefined while it is down. */
  node?: Murmur
  /** Its group: nodes of different groups cannot connect while the network is split. */
  group: number
}

/** Options of {@link ChaosNet.create}. */
export interface ChaosNetInit {
  nodes: number
  /** Peers each node bootstraps from, among the nodes started before it (random, seeded). @default 3 */
  bootstrapPeers?: number
  /** Seeded random draw in [0, 1). */
  random: () => number
  /** History sync of every node (a test shortens its interval). @default the node's defaults */
  sync?: MurmurInit['sync']
  /**
   * Addresses of nodes outside this network (another process's) that its nodes may bootstrap from too.
   *
   * @default none
   */
  external?: string[]
}

/** Real Murmur nodes on loopback, started, stopped and restarted by index. */
export class ChaosNet {
  readonly slots: ChaosSlot[]
  private readonly root: string
  private readonly verify: VerifyPool
  private readonly random: () => number
  private readonly bootstrapPeers: number
  private readonly sync: MurmurInit['sync']
  private readonly external: string[]
  /** Whether nodes of different groups may connect. */
  private split = false
  /** Group of each running node's PeerId, for the gate. */
  private readonly groupOf = new Map<string, number>()

  private constructor (root: string, init: ChaosNetInit) {
    this.root = root
    this.random = init.random
    this.bootstrapPeers = init.bootstrapPeers ?? 3
    this.sync = init.sync
    this.external = init.external ?? []
    this.verify = createVerifyPool()
    this.slots = Array.from({ length: init.nodes }, (_, index) => ({ index, dataDir: join(root, `n${index}`), group: 0 }))
  }

  /**
   * Starts `init.nodes` nodes one after another, each bootstrapping from a few started before it.
   *
   * @example
   * ```ts
   * const net = await ChaosNet.create({ nodes: 12, random: seededRandom(1) })
   * ```
   */
  static async create (init: ChaosNetInit): Promise<ChaosNet> {
    await ready()
    const net = new ChaosNet(await mkdtemp(join(tmpdir(), 'murmur-chaos-net-')), init)
    for (const slot of net.slots) await net.start(slot.index)
    return net
  }

  /** The running nodes. */
  running (): Murmur[] {
    return this.slots.flatMap((s) => s.node === undefined ? [] : [s.node])
  }

  /** Starts (or restarts, on its data dir) the node of slot `index`, bootstrapping from running nodes of its group (and external ones). */
  async start (index: number): Promise<Murmur> {
    const slot = this.slots[index]!
    const peers = this.slots.filter((s) => s.node !== undefined && s.index !== index && (!this.split || s.group === slot.group))
    const candidates = [...peers.map((s) => loopbackAddress(s.node!)), ...this.external]
    const bootstrap: string[] = []
    while (bootstrap.length < Math.min(this.bootstrapPeers, candidates.length)) {
      const address = candidates[Math.floor(this.random() * candidates.length)]!
      if (!bootstrap.includes(address)) bootstrap.push(address)
    }
    const denied = (peer: PeerId): boolean => this.split && (this.groupOf.get(peer.toString()) ?? slot.group) !== slot.group
    const node = await createMurmur({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap,
      dataDir: slot.dataDir,
      channels: [CHAOS_CHANNEL],
      powBits: CHAOS_POW_BITS,
      allowPrivateAddresses: true,
      verify: this.verify,
      // stamps are not what these scenarios measure: minting 64 MiB Argon2id per node would stall the others
      membership: false,
      ...(this.sync === undefined ? {} : { sync: this.sync }),
      libp2p: {
        connectionManager: CONNECTION_MANAGER,
        connectionMonitor: { abortConnectionOnPingFailure: false },
        connectionGater: { denyDialPeer: denied, denyInboundEncryptedConnection: denied }
      }
    })
    slot.node = node
    this.groupOf.set(node.peerId.toString(), slot.group)
    return node
  }

  /** Stops the node of slot `index` (its data dir stays). */
  async stop (index: number): Promise<void> {
    const slot = this.slots[index]!
    const node = slot.node
    slot.node = undefined
    await node?.stop()
  }

  /** Splits the network by the slots' groups: the gate refuses cross-group connections, and those open are closed. */
  async partition (groupOf: (index: number) => number): Promise<void> {
    for (const slot of this.slots) {
      slot.group = groupOf(slot.index)
      if (slot.node !== undefined) this.groupOf.set(slot.node.peerId.toString(), slot.group)
    }
    this.split = true
    await Promise.all(this.running().map(async (node) => {
      const own = this.groupOf.get(node.peerId.toString())
      await Promise.all(node.libp2p.getConnections()
        .filter((c) => (this.groupOf.get(c.remotePeer.toString()) ?? own) !== own)
        .map(async (c) => { await c.close().catch(() => { c.abort(new Error('partition')) }) }))
    }))
  }

  /** Heals a partition: the gate opens, and `links` random nodes of each group dial one of another group. */
  async heal (links: number): Promise<void> {
    this.split = false
    const live = this.slots.filter((s) => s.node !== undefined)
    const dials: Array<Promise<unknown>> = []
    for (const slot of live) {
      const others = live.filter((s) => s.group !== slot.group)
      if (others.length === 0 || this.random() * live.length >= links * 2) continue
      const other = others[Math.floor(this.random() * others.length)]!
      dials.push(slot.node!.libp2p.dial(other.node!.peerId).catch(() => undefined))
    }
    await Promise.all(dials)
  }

  /** Stops every node and the pool, and removes the data dirs. */
  async close (): Promise<void> {
    await Promise.allSettled(this.slots.map(async (s) => { await this.stop(s.index) }))
    await this.verify.stop()
    await rm(this.root, { recursive: true, force: true })
  }
}

/** The node's loopback TCP address with its PeerId. */
export function loopbackAddress (node: Murmur): string {
  const address = node.getMultiaddrs().map(String).find((a) => a.startsWith('/ip4/127.0.0.1/tcp/'))
  if (address === undefined) throw new Error('a chaos node has no loopback TCP address')
  return address
}

/** Ids of the posts a node holds in the chaos channel. */
export async function heldIds (node: Murmur): Promise<Set<string>> {
  return new Set((await node.feed(CHAOS_CHANNEL, { limit: 100_000 })).map((p) => p.id))
}

/**
 * Waits until every node in `nodes` holds every id of `ids` (polled every 200 ms: the store is the
 * truth, events miss what a restarted node synced) or `timeoutMs` passes; the seconds it took, or
 * undefined when it did not happen, and what each node missed at the end. Each poll asks a node only
 * for the ids it was not yet seen to hold, one by one: a whole feed per node and poll cost the honest
 * nodes' process more than a flood of thousands of posts did.
 */
export async function waitHeld (nodes: Murmur[], ids: string[], timeoutMs: number): Promise<{ seconds?: number, missing: number[] }> {
  const started = performance.now()
  const left = nodes.map(() => new Set(ids))
  for (;;) {
    await Promise.all(nodes.map(async (node, i) => {
      for (const id of left[i]!) {
        if (await node.get(id) !== undefined) left[i]!.delete(id)
      }
    }))
    const missing = left.map((l) => l.size)
    if (missing.every((m) => m === 0)) return { seconds: (performance.now() - started) / 1000, missing }
    if (performance.now() - started > timeoutMs) return { missing }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/**
 * Posts `count` posts from random nodes of `nodes`, one after another; their ids (a queued post is the
 * node's to send once it has peers, so it counts as posted) and the failures (counted, not thrown).
 */
export async function postFrom (nodes: Murmur[], count: number, random: () => number, label: string): Promise<{ ids: string[], failed: string[] }> {
  const ids: string[] = []
  const failed: string[] = []
  for (let i = 0; i < count; i++) {
    const node = nodes[Math.floor(random() * nodes.length)]!
    try {
      ids.push((await node.post(CHAOS_CHANNEL, `${label} ${i}`)).id)
    } catch (err) {
      failed.push((err as Error).message)
    }
  }
  return { ids, failed }
}

/** Waits until every running node has a peer subscribed to the chaos channel (bounded). */
export async function waitMeshed (net: ChaosNet, timeoutMs: number): Promise<void> {
  const started = performance.now()
  const topic = channelTopic(CHAOS_CHANNEL)
  for (;;) {
    const nodes = net.running()
    if (nodes.every((n) => n.peerCount() > 0 && n.libp2p.services.pubsub.getSubscribers(topic).length > 0)) return
    if (performance.now() - started > timeoutMs) throw new Error(`the chaos network did not mesh within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
