// Issue 12, Medium 9 (who a post is charged to): a flood whose deliverer's group is not known — a
// peer that hung up while its posts were still being validated, a stem post this node fluffed — was
// charged to the node's own bucket, so the quota evicted the node's own posts along with it. (Own posts
// here are ones this node published itself; one that went into the stem is charged as a relayed post
// is, and may be evicted by the flood of whoever brought it back: own-quota-oracle.test.ts.)
import { TypedEventEmitter } from '@libp2p/interface'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { buildEnvelope, channelTopic, ready } from '@murmur/protocol'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { SenderGroups } from '../src/sender-groups.js'
import { createStem, encodeStemFrame, STEM_PROTOCOL } from '../src/stem/index.js'
import { lpStream } from '@libp2p/utils'
import { TEST_POW_BITS, cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import type { StoredPost } from '../src/internal.js'
import type { Connection, Libp2pEvents, PeerId } from '@libp2p/interface'
import type { ValidEnvelope } from '@murmur/protocol'

const CHANNEL = '#senders'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }
const T0 = 1_800_000_000

async function envelope (body: string, created: number): Promise<Uint8Array> {
  return (await buildEnvelope({ channel: CHANNEL, body, created, ttl: 86_400, powBits: TEST_POW_BITS })).bytes
}

/**
 * A flood of 40 posts from the network, one a second, through `deliver`, with 4 own posts made in its
 * midst; quota 20 posts. Resolves to how many own posts are still stored.
 */
async function ownKept (deliver: (hop: PostIntake, bytes: Uint8Array) => Promise<void>): Promise<number> {
  const store = createPostStore({ db: await openDatabase(undefined), channelPosts: 20 })
  const hop = new PostIntake({ store, powBits: POW, announce: () => {} })
  const own: Uint8Array[] = []
  try {
    for (let i = 0; i < 40; i++) {
      vi.setSystemTime((T0 + i) * 1000)
      await deliver(hop, await envelope(`flood ${i}`, T0 + i))
      if (i % 10 === 5) {
        const bytes = await envelope(`own ${i}`, T0 + i)
        const valid = hop.validate(TOPIC, bytes, 'own') as ValidEnvelope
        // an own post published here, never through the stem: the one kind charged to the node's own posts
        expect(await hop.acceptOwn(CHANNEL, bytes)).toBe('stored')
        own.push(valid.id)
      }
    }
    let kept = 0
    for (const id of own) if (await store.get(id, T0 + 40) !== undefined) kept++
    return kept
  } finally {
    await store.close()
  }
}

describe('who a post from the network is charged to', () => {
  beforeAll(async () => { await ready() })
  afterEach(() => { vi.useRealTimers() })

  it('a post whose deliverer is not known is never charged to the node\'s own posts (sync, gossip)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    // what the node passed for a peer that had hung up: no group
    expect(await ownKept(async (hop, bytes) => { await hop.ingest(TOPIC, bytes, undefined) })).toBe(4)
    expect(await ownKept(async (hop, bytes) => {
      await hop.receiveGossip(bytes, hop.validate(TOPIC, bytes, 'gossip') as ValidEnvelope, undefined)
    })).toBe(4)
  })

  it('a stem post this node fluffs is charged to the peer that sent it, not to the node', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    // as the stem and OwnPosts.fluff do it: judged when the frame comes, stored without a sender when fluffed
    expect(await ownKept(async (hop, bytes) => {
      expect(await hop.judge(TOPIC, bytes, 'ip4/10.66.0.1')).toBe('accept')
      await hop.accept(bytes, hop.validate(TOPIC, bytes, 'stem') as ValidEnvelope)
    })).toBe(4)
  })
})

describe('a stem post fluffed here, through the stem transport', () => {
  const { running } = cleanedAfterEach()

  it('is charged to the address group of the peer whose frame brought it', async () => {
    const node = await startStockPeer()
    running.push(node)
    const groups = new SenderGroups(node)
    const store = createPostStore({ db: await openDatabase(undefined) })
    running.push({ stop: async () => { await store.close() } })
    const hop = new PostIntake({ store, powBits: POW, announce: () => {} })
    const puts: StoredPost[] = []
    const put = store.put.bind(store)
    store.put = async (post, now) => { puts.push(post); return put(post, now) }
    // as the node wires it: the transport names the sending peer, the node turns it into its group
    const stem = createStem({
      libp2p: node,
      validate: async (topic, envelope, from) => hop.judge(topic, envelope, groups.of(from)),
      penalize: () => {},
      fluff: async (topic, envelope) => {
        await hop.accept(envelope, hop.validate(topic, envelope, 'stem') as ValidEnvelope)
        return { status: 'sent', recipients: 1 }
      }
    }, { fluffProbability: 1 })
    await stem.start()
    running.push({ stop: () => { stem.stop() } })
    const sender = await startStockPeer()
    running.push(sender)
    const stream = await sender.dialProtocol(node.getMultiaddrs()[0]!, STEM_PROTOCOL)
    const bytes = await envelope('through the stem', Math.floor(Date.now() / 1000))
    await lpStream(stream).write(encodeStemFrame({ topic: TOPIC, envelope: bytes }))
    await waitFor(() => puts.length > 0, 'the fluffed post to be stored')
    expect(puts[0]!.from).toBeDefined()
    expect(puts[0]!.from).toBe(groups.of(sender.peerId))
  })
})

describe('SenderGroups', () => {
  /** A connection of `peer` from `address`. */
  function connection (peer: PeerId, address: string): Connection {
    return { remotePeer: peer, remoteAddr: multiaddr(address) } as unknown as Connection
  }

  it('still knows the group of a peer that hung up while its messages were being validated', async () => {
    const events = new TypedEventEmitter<Libp2pEvents>()
    const open = new Map<string, Connection>()
    const groups = new SenderGroups({
      getConnections: (peer?: PeerId) => [...open.values()].filter((c) => peer === undefined || c.remotePeer.equals(peer)),
      addEventListener: events.addEventListener.bind(events)
    })
    const flooder = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const conn = connection(flooder, '/ip4/203.0.113.7/tcp/4001')
    open.set(flooder.toString(), conn)
    events.safeDispatchEvent('connection:open', { detail: conn })
    // the flooder hangs up before gossipsub or sync get to its posts
    open.delete(flooder.toString())
    events.safeDispatchEvent('connection:close', { detail: conn })
    expect(groups.of(flooder)).toBe('ip4/203.0.113.7')
    expect(groups.of(stranger)).toBeUndefined()
    // it comes back alone from another address: charged there now
    const back = connection(flooder, '/ip4/203.0.113.8/tcp/4001')
    open.set(flooder.toString(), back)
    events.safeDispatchEvent('connection:open', { detail: back })
    expect(groups.of(flooder)).toBe('ip4/203.0.113.8')
    // a second connection at once, from a third address, does not move it
    const second = connection(flooder, '/ip4/198.51.100.1/tcp/4001')
    open.set(`${flooder.toString()}/2`, second)
    events.safeDispatchEvent('connection:open', { detail: second })
    expect(groups.of(flooder)).toBe('ip4/203.0.113.8')
    // an IPv6 peer counts by its /48, as sync admission counts it
    const v6 = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    open.set(v6.toString(), connection(v6, '/ip6/2001:db8:1:2:3::4/tcp/4001'))
    expect(groups.of(v6)).toBe('ip6/2001:0db8:0001::/48')
  })
})
