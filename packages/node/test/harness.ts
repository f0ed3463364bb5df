/**
 * Multi-node test harness: real Murmur nodes and stock libp2p peers on loopback, and bounded waits.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { requiredPowBits } from '@murmur/protocol'
import { createLibp2p } from 'libp2p'
import { afterEach } from 'vitest'
import { createMurmur, createVerifyPool } from '../src/index.js'
import { tempDir } from './store-fixtures.js'
import type { Murmur, MurmurInit, PostView } from '../src/index.js'
import type { GossipSub, GossipsubOpts, Message } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import type { ErrorCode } from '@murmur/protocol'

/** Loopback only, OS-chosen port. */
export const LOOPBACK = ['/ip4/127.0.0.1/tcp/0']

/** Low proof of work so multi-node tests stay fast on two CI cores. */
export const TEST_POW_BITS = 8
/** Bits a one-time-signed POST or REPLY (unverified) pays at the test setting: the base plus UNVERIFIED_EXTRA_BITS. */
export const TEST_UNVERIFIED_POW_BITS = requiredPowBits('POST', 0, { POST: TEST_POW_BITS })

/**
 * Every test peer dials from 127.0.0.1, so libp2p's per-host inbound rate limit (5 connections a
 * second) would refuse honest peers; a real network spreads them over many hosts. Handshakes get 30 s
 * instead of a node's 5 s: many nodes share two loaded CI cores.
 */
const LOOPBACK_CONNECTION_MANAGER = { inboundConnectionThreshold: 1_000, inboundUpgradeTimeout: 30_000 }

/**
 * One verification pool for every node of a test process, as an embedder running many nodes shares one:
 * a pool per node would start two workers per node. Idle workers do not keep the process alive.
 */
export const SHARED_VERIFY_POOL = createVerifyPool()

/**
 * Member stamps of 2 bits (about 4 Argon2id evaluations of 64 MiB to mint) instead of the network's 10
 * (about 1,024): a node with a dataDir mints one when it starts.
 */
export const TEST_STAMP_BITS = 2

/** Starts a Murmur node on loopback with test-sized proof of work and stamps, verifying on {@link SHARED_VERIFY_POOL}. */
export async function startNode (init: MurmurInit = {}): Promise<Murmur> {
  return createMurmur({
    listen: LOOPBACK,
    powBits: TEST_POW_BITS,
    libp2p: { connectionManager: LOOPBACK_CONNECTION_MANAGER },
    verify: SHARED_VERIFY_POOL,
    membership: { stampBits: TEST_STAMP_BITS },
    ...init
  })
}

/** The `/p2p/`-qualified loopback address of a node. */
export function addressOf (node: { getMultiaddrs(): Array<{ toString(): string }> }): string {
  const address = node.getMultiaddrs().map(String).find((a) => a.startsWith('/ip4/127.0.0.1/tcp/'))
  if (address === undefined) {
    throw new Error('node has no loopback TCP address')
  }
  return address
}

/** Stops every node, even when some fail. */
export async function stopAll (nodes: Array<{ stop(): void | Promise<void> } | undefined>): Promise<void> {
  await Promise.allSettled(nodes.map(async (node) => node?.stop()))
}

/** What a suite started and made, undone after each of its tests (see {@link cleanedAfterEach}). */
export interface Cleanup {
  /** Nodes and peers to stop after the test. */
  running: Array<{ stop(): void | Promise<void> }>
  /** A fresh temporary directory, removed after the test. */
  tempDir(): Promise<string>
}

/** Registers an afterEach that stops what was pushed to `running` and removes the `tempDir()`s. */
export function cleanedAfterEach (): Cleanup {
  const running: Cleanup['running'] = []
  const removals: Array<() => Promise<void>> = []
  afterEach(async () => {
    await stopAll(running.splice(0))
    await Promise.all(removals.splice(0).map(async (remove) => remove()))
  })
  return {
    running,
    tempDir: async () => {
      const { dir, cleanup } = await tempDir()
      removals.push(cleanup)
      return dir
    }
  }
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeout` ms. */
export async function waitFor<T> (check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeout = 30_000, interval = 100): Promise<T> {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) {
      return value
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
    }
    await new Promise((resolve) => setTimeout(resolve, interval))
  }
}

/** Resolves with the first 'post' event of `node` whose view satisfies `match`. */
export async function nextPost (node: Murmur, match: (post: PostView) => boolean, timeout = 30_000): Promise<PostView> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.removeEventListener('post', listener)
      reject(new Error(`no matching post within ${timeout} ms`))
    }, timeout)
    const listener = (evt: CustomEvent<PostView>): void => {
      if (match(evt.detail)) {
        clearTimeout(timer)
        node.removeEventListener('post', listener)
        resolve(evt.detail)
      }
    }
    node.addEventListener('post', listener)
  })
}

/** A stock js-libp2p node: plain gossipsub, only `StrictNoSign` changed (else it drops unsigned messages). */
export type StockPeer = Libp2p<{ identify: Identify, pubsub: GossipSub }>

/**
 * Starts a stock libp2p node with plain `@libp2p/gossipsub` on loopback; nothing of Murmur in it.
 * `gossip` overrides gossipsub options (an attacker that re-publishes the same bytes sets `msgIdFn`).
 */
export async function startStockPeer (gossip: Partial<GossipsubOpts> = {}): Promise<StockPeer> {
  return createLibp2p({
    addresses: { listen: LOOPBACK },
    connectionManager: LOOPBACK_CONNECTION_MANAGER,
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign', ...gossip })
    }
  })
}

/** Subscribes a stock peer to `topic`, dials `node`, and waits until each sees the other in the topic. */
export async function joinedStock (node: Murmur, peer: StockPeer, topic: string): Promise<void> {
  peer.services.pubsub.subscribe(topic)
  await peer.dial(node.getMultiaddrs().find((a) => String(a) === addressOf(node))!)
  await waitFor(() => peer.services.pubsub.getSubscribers(topic).some((p) => p.equals(node.peerId)), 'the stock peer sees the node in the topic')
  await waitFor(() => node.libp2p.services.pubsub.getSubscribers(topic).some((p) => p.equals(peer.peerId)), 'the node sees the stock peer in the topic')
}

/** A node in `channel` with two stock peers joined to its topic (an attacker and an honest one), all stopped after the test. */
export async function nodeWithStockPeers (cleanup: Cleanup, channel: string, topic: string): Promise<{ node: Murmur, attacker: StockPeer, honest: StockPeer }> {
  const node = await startNode({ channels: [channel] })
  const attacker = await startStockPeer()
  const honest = await startStockPeer()
  cleanup.running.push(node, attacker, honest)
  await joinedStock(node, attacker, topic)
  await joinedStock(node, honest, topic)
  return { node, attacker, honest }
}

/** Counts the node's gossip checks (its intake's `verify` on the gossip path) from now on. */
export function countGossipChecks (node: Murmur): () => number {
  const intake = (node as unknown as { intake: { verify: (...args: unknown[]) => Promise<unknown> } }).intake
  const verify = intake.verify.bind(intake)
  let checks = 0
  intake.verify = async (...args) => {
    if (args[2] === 'gossip') checks++
    return await verify(...args)
  }
  return () => checks
}

/**
 * Sends `messages` from a stock peer to `to` in one gossipsub RPC, through gossipsub's own sender (private in
 * its type): what a peer forwarding a batch, or an attacker, puts on the wire. False when no stream is open.
 */
export function sendRpc (from: StockPeer, to: Murmur, messages: Array<{ topic: string, data: Uint8Array }>): boolean {
  return (from.services.pubsub as unknown as { sendRpc(peer: string, rpc: { subscriptions: [], messages: typeof messages }): boolean }).sendRpc(to.peerId.toString(), { subscriptions: [], messages })
}

/** Collects the raw gossipsub messages a stock peer receives on a topic. */
export function collectMessages (peer: StockPeer, topic: string): Message[] {
  const messages: Message[] = []
  peer.services.pubsub.addEventListener('message', (evt) => {
    if (evt.detail.topic === topic) {
      messages.push(evt.detail)
    }
  })
  return messages
}

/**
 * The refusals `node` charges from now on, per peer (its tracker's `refusal`, which decides a free Ignore
 * or a rejection).
 *
 * @example
 * ```ts
 * const charged = chargedRefusals(neighbour)
 * expect(charged.get(exit.peerId.toString()) ?? []).toEqual([])
 * ```
 */
export function chargedRefusals (node: Murmur): Map<string, ErrorCode[]> {
  const charged = new Map<string, ErrorCode[]>()
  const tracker = (node as unknown as { tracker: { refusal: (peer: string, code: ErrorCode, now?: number) => 'reject' | 'ignore' } }).tracker
  const refusal = tracker.refusal.bind(tracker)
  tracker.refusal = (peer, code, now) => {
    charged.set(peer, [...charged.get(peer) ?? [], code])
    return refusal(peer, code, now)
  }
  return charged
}
