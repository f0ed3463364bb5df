/**
 * One kad message cannot hold a node's event loop (seventh read of issue 12, H2): kad-dht read a DHT
 * message of up to 4 MiB and decoded it in one synchronous call, however many peers it listed. A stock
 * peer sending PING followed by ~1 million empty `closerPeers` (`42 00`, 2 MB) held a DHT server's event
 * loop for seconds (19 s at 4 MiB under load), and a lying DHT server could do the same to any node
 * through its answer to a query (3.6 s here before the fix). Now a kad message announced longer than 64 KiB aborts its stream before it is read.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { createLibp2p } from 'libp2p'
import { describe, expect, it, vi } from 'vitest'
import type { MockInstance } from 'vitest'
import { KAD_PROTOCOL } from '../src/constants.js'
import { InvalidMessageTracker } from '../src/gossip.js'
import { KAD_MAX_MESSAGE_BYTES, KAD_MAX_PEERS, kadMessageRead } from '../src/kad-limits.js'

import { cleanedAfterEach, waitFor } from './harness.js'
import { loopbackLibp2p } from './inbound-fixtures.js'
import type { Libp2p } from '@libp2p/interface'
import type { MurmurLibp2p } from '../src/libp2p.js'

/** A kad Message: type PING (`08 05`) then ~1 million empty `closerPeers` (`42 00`), 2 MB. */
const JUNK = new Uint8Array(2 * 1024 * 1024)
JUNK.set([0x08, 0x05])
for (let i = 2; i + 1 < JUNK.length; i += 2) { JUNK[i] = 0x42; JUNK[i + 1] = 0 }
/** A genuine kad PING. */
const PING = Uint8Array.from([0x08, 0x05])
/** A kad `Message.Peer` field of `field` (8 closer peers, 9 providers) naming `id`. */
function peerField (field: 8 | 9, id: Uint8Array): Uint8Array {
  return Uint8Array.from([field << 3 | 2, id.byteLength + 2, 0x0a, id.byteLength, ...id])
}

/** A kad Message of type `type` (4 FIND_NODE, 3 GET_PROVIDERS) listing `count` providers (as many as fit in 64 KiB when omitted) named by `idBytes`-byte ids. */
function withProviders (type: number, idBytes: number, count = Infinity): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.from([0x08, type])]
  let size = 2
  for (let i = 0; i < count; i++) {
    // a sha2-256 multihash (0x12 0x20 + 32 bytes) when idBytes is 34
    const id = Uint8Array.from({ length: idBytes }, (_, j) => j === 0 ? 0x12 : j === 1 ? idBytes - 2 : (i * 31 + j) & 0xff)
    const field = peerField(9, id)
    if (size + field.byteLength > KAD_MAX_MESSAGE_BYTES - 8) break
    parts.push(field)
    size += field.byteLength
  }
  const body = new Uint8Array(size)
  let at = 0
  for (const part of parts) { body.set(part, at); at += part.byteLength }
  return body
}

/** Longest the node's event loop may be held, in ms: the 2 MB message took seconds to decode before. */
const STALL_BOUND = 1_000

/** Peers in the node's kad-dht routing table (kad-dht's implementation has one; the KadDHT interface does not say). */
const tableSize = (node: MurmurLibp2p): number => (node.services.dht as unknown as { routingTable: { size: number } }).routingTable.size

async function stockPeer (): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), ping: ping() }
  })
}

async function dhtNode (tracker: InvalidMessageTracker): Promise<MurmurLibp2p> {
  return loopbackLibp2p({ dhtServer: true, tracker })
}

/** Runs `work` and returns the longest event-loop delay seen meanwhile, in ms. */
async function longestStall (work: () => Promise<void>): Promise<number> {
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  try {
    await work()
  } finally {
    delay.disable()
  }
  return delay.max / 1e6
}

describe('kad message size (seventh read of issue 12, H2)', () => {
  const cleanup = cleanedAfterEach()

  /** A DHT-server node with a spied penalty, and a stock peer dialed to it. */
  async function attackedDhtNode (): Promise<{ node: Awaited<ReturnType<typeof dhtNode>>, attacker: Awaited<ReturnType<typeof stockPeer>>, penalise: MockInstance<InvalidMessageTracker['penalise']> }> {
    const tracker = new InvalidMessageTracker()
    const penalise = vi.spyOn(tracker, 'penalise')
    const node = await dhtNode(tracker)
    cleanup.running.push(node)
    await node.start()
    const attacker = await stockPeer()
    cleanup.running.push(attacker)
    await attacker.dial(node.getMultiaddrs()[0]!)
    return { node, attacker, penalise }
  }

  it('a stock peer\'s 2 MB kad message does not stall a DHT server: its stream is aborted, the peer penalised, a genuine PING still answered', async () => {
    const { node, attacker, penalise } = await attackedDhtNode()
    let outcome = ''
    const stall = await longestStall(async () => {
      const stream = await attacker.dialProtocol(node.peerId, KAD_PROTOCOL)
      const lp = lpStream(stream, { maxDataLength: 8 * 1024 * 1024 })
      await lp.write(JUNK).catch(() => {})
      outcome = await lp.read({ signal: AbortSignal.timeout(60_000) }).then((answer) => `answered ${answer.byteLength} B`, () => 'refused')
    })
    expect(outcome).toBe('refused')
    expect(stall).toBeLessThan(STALL_BOUND)
    expect(penalise).toHaveBeenCalledWith(attacker.peerId.toString())
    // valid traffic still flows, from the same peer too
    const stream = await attacker.dialProtocol(node.peerId, KAD_PROTOCOL)
    const lp = lpStream(stream)
    await lp.write(PING)
    expect([...(await lp.read({ signal: AbortSignal.timeout(30_000) })).subarray()]).toEqual([...PING])
  }, 120_000)

  it('a lying DHT server\'s 2 MB answer to the node\'s query does not stall the node', async () => {
    const node = await dhtNode(new InvalidMessageTracker())
    cleanup.running.push(node)
    await node.start()
    const liar = await stockPeer()
    cleanup.running.push(liar)
    let asked = 0
    let aborted = 0
    await liar.handle(KAD_PROTOCOL, async (stream) => {
      asked++
      const lp = lpStream(stream)
      try {
        await lp.read({ signal: AbortSignal.timeout(30_000) })
        await lp.write(JUNK)
        await lp.read({ signal: AbortSignal.timeout(30_000) })
      } catch {
        aborted++
      }
    })
    const stall = await longestStall(async () => {
      await node.dial(liar.getMultiaddrs()[0]!)
      // the node asks the liar once it has taken it into its routing table (after identify)
      await waitFor(() => aborted > 0 || tableSize(node) > 0 || undefined, 'the liar in the routing table', 30_000, 20)
      const events = node.services.dht.getClosestPeers(new Uint8Array(32), { signal: AbortSignal.timeout(60_000) })[Symbol.asyncIterator]()
      const query = (async () => { while (!(await events.next()).done) { /* drained */ } })().catch(() => {})
      await waitFor(() => aborted > 0 || undefined, 'the node to abort the lying answer', 60_000, 20)
      await query
    })
    expect(asked).toBeGreaterThan(0)
    expect(stall).toBeLessThan(STALL_BOUND)
  }, 120_000)

  it.each([
    ['30,000 empty closer peers (60 KiB, under the cap)', (() => {
      const junk = new Uint8Array(60 * 1024)
      junk.set([0x08, 0x05])
      for (let i = 2; i + 1 < junk.length; i += 2) { junk[i] = 0x42; junk[i + 1] = 0 }
      return junk
    })()],
    ['bytes that do not decode (a field of wire type 7)', Uint8Array.from([0x08, 0x05, 0x0f, ...new Uint8Array(1_000).fill(0xff)])]
  ])('a stock peer\'s kad message of %s is refused and the peer penalised (eighth read of issue 12); a genuine PING is still answered', async (_, junk) => {
    const { node, attacker, penalise } = await attackedDhtNode()
    const stream = await attacker.dialProtocol(node.peerId, KAD_PROTOCOL)
    const lp = lpStream(stream)
    await lp.write(junk).catch(() => {})
    const outcome = await lp.read({ signal: AbortSignal.timeout(30_000) }).then((answer) => `answered ${answer.byteLength} B`, () => 'refused')
    expect(outcome).toBe('refused')
    expect(penalise).toHaveBeenCalledWith(attacker.peerId.toString())
    const again = lpStream(await attacker.dialProtocol(node.peerId, KAD_PROTOCOL))
    await again.write(PING)
    expect([...(await again.read({ signal: AbortSignal.timeout(30_000) })).subarray()]).toEqual([...PING])
  }, 60_000)

  it('a lying DHT server\'s answer to FIND_NODE listing 64 KiB of providers is refused, the query going on without it (ninth read of issue 12, L1)', async () => {
    const answer = withProviders(4, 34)
    const node = await dhtNode(new InvalidMessageTracker())
    cleanup.running.push(node)
    await node.start()
    const liar = await stockPeer()
    cleanup.running.push(liar)
    await liar.handle(KAD_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      try {
        await lp.read({ signal: AbortSignal.timeout(30_000) })
        await lp.write(answer)
        await lp.read({ signal: AbortSignal.timeout(30_000) })
      } catch {
        // the node aborts the stream
      }
    })
    await node.dial(liar.getMultiaddrs()[0]!)
    await waitFor(() => tableSize(node) > 0 || undefined, 'the liar in the routing table', 30_000, 20)
    const taken: number[] = []
    let refused = 0
    for await (const event of node.services.dht.getClosestPeers(new Uint8Array(32), { signal: AbortSignal.timeout(30_000) })) {
      if (event.name === 'PEER_RESPONSE' && event.from.equals(liar.peerId)) taken.push(event.providers.length)
      if (event.name === 'QUERY_ERROR' && event.from.equals(liar.peerId)) refused++
    }
    // before: the answer was decoded whole, its ~1,700 providers mapped on the main thread
    expect(taken).toEqual([])
    expect(refused).toBeGreaterThan(0)
  }, 60_000)

  it('providers: at most KAD_MAX_PEERS but in an answer to GET_PROVIDERS, and never one with an id shorter than a PeerId', () => {
    const kadMessageJunk = (body: Uint8Array, maxProviders?: number): boolean => kadMessageRead(body, maxProviders === undefined ? {} : { maxProviders }) === undefined
    const many = withProviders(4, 34, KAD_MAX_PEERS + 1)
    expect(kadMessageJunk(many)).toBe(true)
    expect(kadMessageJunk(withProviders(4, 34, KAD_MAX_PEERS))).toBe(false)
    // what an answer to this node's GET_PROVIDERS query is read with: every provider the storer holds
    expect(kadMessageJunk(withProviders(3, 34), Infinity)).toBe(false)
    // 64 KiB of 2-byte (or empty) provider ids: refused at any bound
    expect(kadMessageJunk(withProviders(3, 2), Infinity)).toBe(true)
    expect(kadMessageJunk(Uint8Array.from([0x08, 0x03, 0x4a, 0x00]), Infinity)).toBe(true)
    // closer peers are not held to it (their count is capped)
    expect(kadMessageJunk(Uint8Array.from([0x08, 0x04, ...peerField(8, Uint8Array.of(1, 2))]))).toBe(false)
  })
})
