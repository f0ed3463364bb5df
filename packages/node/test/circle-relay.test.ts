/**
 * Private circles across real nodes (issue 15): three members and a member built by hand from a stock
 * libp2p peer, all connected only to one node that is not a member, so that every frame passes through it.
 * Members read each other's posts with the member mark; the relay carries frames it cannot open and no
 * gossip topic names the circle; one vote per member per post counts; a member offline gets the posts by
 * history sync from the relay; broken frames from a stock peer are rejected without stopping valid ones;
 * a removed member reads nothing posted after the rotation.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  CIRCLE_SHARED_TOPIC, CircleRecordType, buildCirclePost, checkCircleFrame, compareBytes, decodeInvite, deriveCircleKeys,
  fromHex, generateMemberKeys, inviteKey, isCircleChannel, sealCircleFrame, signJoin, toHex
} from '@murmur/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_POW_BITS, addressOf, startNode, startStockPeer, stopAll, waitFor } from './harness.js'
import { tempDir } from './store-fixtures.js'
import type { StockPeer } from './harness.js'
import type { CirclePostDetail, Murmur, MurmurInit } from '../src/index.js'
import type { PrivateKey } from '@libp2p/interface'
import type { CircleKeys, MemberKeys } from '@murmur/protocol'

const CIRCLE = 'friends'
/** As the harness's, which an init's own `libp2p` replaces. */
const CONNECTION_MANAGER = { inboundConnectionThreshold: 1_000, inboundUpgradeTimeout: 30_000 }

/** Resolves with the first `circle-post` of `node` whose detail satisfies `match`. */
async function nextCirclePost (node: Murmur, match: (detail: CirclePostDetail) => boolean, timeout = 60_000): Promise<CirclePostDetail> {
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.removeEventListener('circle-post', listener)
      reject(new Error(`no matching circle post within ${timeout} ms`))
    }, timeout)
    const listener = (evt: CustomEvent<CirclePostDetail>): void => {
      if (!match(evt.detail)) return
      clearTimeout(timer)
      node.removeEventListener('circle-post', listener)
      resolve(evt.detail)
    }
    node.addEventListener('circle-post', listener)
  })
}

/** A stock libp2p peer on the shared circle topic, connected to `relay` only. */
async function stockOnTopic (relay: Murmur): Promise<StockPeer> {
  const peer = await startStockPeer()
  peer.services.pubsub.subscribe(CIRCLE_SHARED_TOPIC)
  await peer.dial(relay.getMultiaddrs().find((a) => a.toString().startsWith('/ip4/127.0.0.1/tcp/'))!)
  await waitFor(() => peer.services.pubsub.getSubscribers(CIRCLE_SHARED_TOPIC).some((p) => p.equals(relay.peerId)), 'the relay on the shared topic')
  return peer
}

describe('a circle of three members and a hand-built one, every frame through a node that is not a member', () => {
  let relay: Murmur
  let a: Murmur
  let b: Murmur
  let c: Murmur
  let d: Murmur | undefined
  const keys = new Map<string, PrivateKey>()
  const peers: StockPeer[] = []
  const removals: Array<() => Promise<void>> = []
  /** The hand-built member: its keys and the circle's, from an invite. */
  let mallory: { peer: StockPeer, me: MemberKeys, keys: CircleKeys } | undefined

  /** A member: its PeerId fixed, connected to the relay only (members refuse each other's connections). */
  const member = async (name: string, init: MurmurInit = {}): Promise<Murmur> => {
    const others = (): string[] => [...keys.entries()].filter(([other]) => other !== name).map(([, key]) => peerIdFromPrivateKey(key).toString())
    const gated = async (peer: { toString(): string }): Promise<boolean> => others().includes(peer.toString())
    return await startNode({
      bootstrap: [addressOf(relay)],
      peerKey: keys.get(name),
      membership: false,
      circles: { newcomerDelay: 0 },
      libp2p: { connectionManager: CONNECTION_MANAGER, connectionGater: { denyDialPeer: gated, denyInboundEncryptedConnection: gated } },
      ...init
    })
  }
  const onTopic = async (node: Murmur): Promise<void> => {
    await waitFor(() => node.libp2p.services.pubsub.getSubscribers(CIRCLE_SHARED_TOPIC).some((p) => p.equals(relay.peerId)), 'the relay on the shared topic', 60_000)
  }
  const publish = async (peer: StockPeer, frame: Uint8Array): Promise<void> => {
    await peer.services.pubsub.publish(CIRCLE_SHARED_TOPIC, frame)
  }

  beforeAll(async () => {
    for (const name of ['a', 'b', 'c', 'd']) keys.set(name, await generateKeyPair('Ed25519'))
    relay = await startNode({ membership: false, circles: { newcomerDelay: 0 } })
    a = await member('a')
    b = await member('b')
    // no stem at c: every frame reaches the member that will be removed by gossip, where the test sees it arrive
    c = await member('c', { stem: false })
    await Promise.all([a, b, c].map(onTopic))
  }, 120_000)

  afterAll(async () => {
    await stopAll([a, b, c, d, relay, ...peers])
    await Promise.all(removals.map(async (remove) => remove()))
  })

  it('members read each other\'s posts with the member mark; the relay reads none and no topic names the circle', async () => {
    const created = await a.circles.create(CIRCLE, { minRing: 2 })
    expect(created).toMatchObject({ name: CIRCLE, generation: 0, members: 1, minRing: 2, owner: true, canPost: false })
    await b.circles.join((await a.circles.invite(CIRCLE)).invite, { memberName: 'bea' })
    await c.circles.join((await a.circles.invite(CIRCLE)).invite)
    await waitFor(async () => (await Promise.all([a, b, c].map(async (n) => n.circles.members(CIRCLE)))).every((m) => m.length === 3), 'three members on every roster', 60_000)
    const roster = await a.circles.members(CIRCLE)
    expect(roster.find((m) => m.name === 'bea')?.inviter).toBe(roster.find((m) => m.self)!.key)
    expect(a.circles.list()[0]).toMatchObject({ members: 3, canPost: true })

    const relayed: string[] = []
    relay.addEventListener('post', (evt) => { relayed.push(evt.detail.body) })
    relay.addEventListener('circle-post', (evt) => { relayed.push(evt.detail.post.body) })
    const arrivals = [a, c].map(async (n) => await nextCirclePost(n, (p) => p.post.body === 'from bea'))
    const sent = await b.circles.post(CIRCLE, 'from bea', { ttl: 3600 })
    expect(sent).toMatchObject({ status: 'sent', ring: 3 })
    for (const { circle, post } of await Promise.all(arrivals)) {
      expect(circle).toBe(CIRCLE)
      expect(post).toMatchObject({ id: sent.id, circle: CIRCLE, kind: 'POST', body: 'from bea', member: true })
    }
    for (const node of [a, b, c]) expect((await node.circles.feed(CIRCLE)).map((p) => p.id)).toContain(sent.id)

    // the relay passed the frame on and opened nothing
    expect(relay.circles.list()).toEqual([])
    expect(await relay.get(sent.id)).toBeUndefined()
    expect(relayed).toEqual([])
    // one shared topic, no per-circle topic, no circle channel (the only topics provided in the DHT are joined channels')
    const subscribed = (topics: Iterable<string>): string[] => [...topics].filter((t) => t.includes('circle') && t !== CIRCLE_SHARED_TOPIC)
    for (const node of [relay, a, b, c]) {
      expect(node.libp2p.services.pubsub.getTopics()).toContain(CIRCLE_SHARED_TOPIC)
      expect(subscribed(node.libp2p.services.pubsub.getTopics())).toEqual([])
      expect(node.channels().filter((channel) => isCircleChannel(channel))).toEqual([])
    }
    // what the relay learnt of its peers' subscriptions: gossipsub's topic → subscribers map holds no circle topic
    const known = (relay.libp2p.services.pubsub as unknown as { topics: Map<string, unknown> }).topics
    expect(subscribed(known.keys())).toEqual([])
  }, 180_000)

  it('one vote per member per post counts, also from a member that sends two votes in two budget slots', async () => {
    const root = await a.circles.post(CIRCLE, 'vote on me', { ttl: 3600 })
    await waitFor(async () => await b.get(root.id), 'the post at bea')
    await b.circles.vote(CIRCLE, root.id, 1)
    await expect(b.circles.vote(CIRCLE, root.id, 1)).rejects.toMatchObject({ name: 'AlreadyVotedError' })

    // a member made by hand from an invite, on a stock libp2p peer
    const peer = await stockOnTopic(relay)
    peers.push(peer)
    const invite = decodeInvite((await a.circles.invite(CIRCLE)).invite)
    const circleKeys = deriveCircleKeys(invite.secret, invite.generation, invite.owner)
    const me = generateMemberKeys()
    mallory = { peer, me, keys: circleKeys }
    const now = Math.floor(Date.now() / 1000)
    await publish(peer, await sealCircleFrame(circleKeys, CircleRecordType.JOIN, signJoin(circleKeys, me, { created: now, name: '', invite: inviteKey(invite.inviteSeed) })))
    await waitFor(async () => (await Promise.all([a, b, c].map(async (n) => n.circles.members(CIRCLE)))).every((m) => m.length === 4), 'the hand-built member on every roster', 60_000)
    const ring = (await a.circles.members(CIRCLE)).map((m) => fromHex(m.key)).sort(compareBytes)
    const created = now - (now % 60)
    for (const slot of [0, 1]) {
      const { frame } = await buildCirclePost(circleKeys, { kind: 'VOTE', parent: fromHex(root.id), vote: 1, created, ttl: 3600, powBits: TEST_POW_BITS, minRing: 2, auth: { kind: 'ring', ring, secretKey: me.ring.secretKey, slot } })
      await publish(peer, frame)
    }
    // a sentinel after both votes: once a member has it, it has judged both
    const sentinel = await buildCirclePost(circleKeys, { kind: 'POST', body: 'after my two votes', created, ttl: 3600, powBits: TEST_POW_BITS, minRing: 2, auth: { kind: 'ring', ring, secretKey: me.ring.secretKey, slot: 0, weekSlot: 0 } })
    const seen = [a, b, c].map(async (n) => await nextCirclePost(n, (p) => p.post.body === 'after my two votes'))
    await publish(peer, sentinel.frame)
    await Promise.all(seen)
    // bea's vote and one of the hand-built member's two
    await waitFor(async () => (await Promise.all([a, b, c].map(async (n) => (await n.get(root.id))?.score))).every((score) => score === 2), 'a score of 2 everywhere', 30_000)
  }, 180_000)

  it('holds a post whose ring names a key not on the roster until its join arrives', async () => {
    const { peer, keys: circleKeys } = mallory!
    const newcomer = generateMemberKeys()
    const ring = [...(await c.circles.members(CIRCLE)).map((m) => fromHex(m.key)), newcomer.ring.publicKey].sort(compareBytes)
    const now = Math.floor(Date.now() / 1000)
    const early = await buildCirclePost(circleKeys, { kind: 'POST', body: 'before my join', created: now - (now % 60), ttl: 3600, powBits: TEST_POW_BITS, minRing: 2, auth: { kind: 'ring', ring, secretKey: newcomer.ring.secretKey, slot: 0, weekSlot: 0 } })
    // c runs without the stem: once its gossip validator let the frame through, c has judged the post
    const arrived = new Promise<void>((resolve) => {
      const listener = (evt: CustomEvent<{ topic: string, data: Uint8Array }>): void => {
        if (evt.detail.topic !== CIRCLE_SHARED_TOPIC || evt.detail.data.byteLength !== early.frame.byteLength || !evt.detail.data.every((byte, i) => byte === early.frame[i])) return
        c.libp2p.services.pubsub.removeEventListener('message', listener)
        resolve()
      }
      c.libp2p.services.pubsub.addEventListener('message', listener)
    })
    await publish(peer, early.frame)
    await arrived
    expect(await c.get(toHex(early.id))).toBeUndefined()
    const shown = nextCirclePost(c, (p) => p.post.body === 'before my join')
    await publish(peer, await sealCircleFrame(circleKeys, CircleRecordType.JOIN, signJoin(circleKeys, newcomer, { created: now, name: '' })))
    expect((await shown).post).toMatchObject({ id: toHex(early.id), member: true })
  }, 120_000)

  it('rejects broken frames from a stock peer and still carries valid ones', async () => {
    const junk = await stockOnTopic(relay)
    peers.push(junk)
    // a real frame whose relay proof of work is made to fail, and bytes of no bucket size
    const frame = await sealCircleFrame(mallory!.keys, CircleRecordType.LEAVE, new Uint8Array(10))
    const unpaid = frame.slice()
    for (let n = 0; !(checkCircleFrame(unpaid) as { code?: string }).code?.startsWith('ERR_CIRCLE_POW'); n++) {
      new DataView(unpaid.buffer).setUint32(5, n, false)
    }
    const versioned = frame.slice()
    versioned[0] = 2
    await publish(junk, unpaid)
    await publish(junk, new Uint8Array(1000).fill(1))
    await publish(junk, versioned)
    await publish(junk, new Uint8Array(2048 + 1).fill(1))
    // past three rejections (CUT_OFF_COUNT, decayed) the relay cuts the sender off
    await waitFor(() => junk.getConnections(relay.peerId).length === 0, 'the junk sender cut off', 30_000)
    const arrival = nextCirclePost(c, (p) => p.post.body === 'after the junk')
    await b.circles.post(CIRCLE, 'after the junk', { ttl: 3600 })
    await arrival
  }, 120_000)

  it('a member offline while posts were made gets them by history sync from the relay', async () => {
    const { dir, cleanup } = await tempDir()
    removals.push(cleanup)
    d = await member('d', { dataDir: dir })
    await onTopic(d)
    await d.circles.join((await a.circles.invite(CIRCLE)).invite, { name: 'the friends' })
    // d's roster and the owner's agree, d on both
    const keysAt = async (node: Murmur, name: string): Promise<string> => (await node.circles.members(name)).map((m) => m.key).sort().join()
    await waitFor(async () => {
      const [there, here] = [await keysAt(a, CIRCLE), await keysAt(d!, 'the friends')]
      return there === here && (await a.circles.members(CIRCLE)).length >= 5
    }, 'the whole roster at d', 60_000)
    await d.stop()
    const root = await a.circles.post(CIRCLE, 'while d was away', { ttl: 3600 })
    await waitFor(async () => await b.get(root.id), 'the post at bea')
    const reply = await b.circles.reply(CIRCLE, root.id, 'and a reply', { ttl: 3600 })
    await waitFor(async () => await c.get(reply.id), 'the reply at c')
    d = await member('d', { dataDir: dir })
    const feed = await waitFor(async () => {
      const posts = await d!.circles.feed('the friends')
      return posts.some((p) => p.id === root.id) ? posts : undefined
    }, 'the post at d after its restart', 60_000)
    expect(feed.find((p) => p.id === root.id)).toMatchObject({ circle: 'the friends', member: true, body: 'while d was away' })
    const thread = await waitFor(async () => { const t = await d!.circles.thread('the friends', root.id); return t.length === 2 ? t : undefined }, 'the thread at d', 60_000)
    expect(thread.map((p) => p.id)).toEqual([root.id, reply.id])
  }, 240_000)

  it('a removed member reads nothing posted after the rotation', async () => {
    const self = (await c.circles.members(CIRCLE)).find((m) => m.self)!
    await expect(b.circles.remove(CIRCLE, self.key)).rejects.toMatchObject({ name: 'CircleError', code: 'ERR_CIRCLE_NOT_OWNER' })
    const size = (await a.circles.members(CIRCLE)).length
    const removed = await a.circles.remove(CIRCLE, self.key.slice(0, 12))
    expect(removed).toMatchObject({ generation: 1, members: size - 1 })
    await waitFor(() => b.circles.list()[0]?.generation === 1, 'bea in generation 1', 60_000)
    await waitFor(() => c.circles.list()[0]?.removed === true, 'the removed member told', 60_000)
    expect((await b.circles.members(CIRCLE)).map((m) => m.key)).not.toContain(self.key)

    // a long post: its frame is larger than any roster record's, so the removed member's copy can be told apart
    const frames: Uint8Array[] = []
    c.libp2p.services.pubsub.addEventListener('message', (evt) => { if (evt.detail.topic === CIRCLE_SHARED_TOPIC) frames.push(evt.detail.data) })
    const body = 'after the rotation '.repeat(80)
    const arrival = nextCirclePost(a, (p) => p.post.body === body)
    const after = await b.circles.post(CIRCLE, body, { ttl: 3600 })
    await arrival
    await waitFor(() => frames.some((data) => data.byteLength >= 2048), 'the post\'s frame at the removed member', 30_000)
    expect(await c.get(after.id)).toBeUndefined()
    expect((await c.circles.feed(CIRCLE)).map((p) => p.id)).not.toContain(after.id)
    await expect(c.circles.post(CIRCLE, 'still here?')).rejects.toMatchObject({ name: 'CircleError', code: 'ERR_CIRCLE_ROTATION' })
  }, 180_000)
})
