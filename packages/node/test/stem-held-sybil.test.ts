/**
 * Review 4, A Low 1, over the wire: one honest peer (127.0.0.2, a connection the victim dialed) relays a
 * post through the victim's stem; then sybil PeerIds, stock libp2p peers all from 127.0.0.1, each send
 * one post, more than the table of held posts has room for. The victim charges each post to the address
 * group of the connection it came over: the sybils make room among their own posts, and the honest one
 * stays held (before, every sybil PeerId counted apart and the honest post was the first pushed out).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { buildEnvelope, channelTopic, messageId, toHex } from '@murmur/protocol'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { STEM_PROTOCOL, createStem, encodeStemFrame } from '../src/stem/index.js'
import { TEST_POW_BITS, cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import type { Cleanup } from './harness.js'
import type { StemComponents } from '../src/stem/index.js'
import type { Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const CHANNEL = '#stem-held-sybil'
const TOPIC = channelTopic(CHANNEL)
/** Room for relayed posts in the victim's table: the sybils send one more post than that. */
const MAX_HELD = 6
const SYBILS = MAX_HELD + 2

/** A stem frame with a fresh valid post, and its id as the stem names it. */
async function frame (body: string): Promise<{ bytes: Uint8Array, id: string }> {
  const envelope = (await buildEnvelope({ channel: CHANNEL, body, powBits: TEST_POW_BITS })).bytes
  return { bytes: encodeStemFrame({ topic: TOPIC, envelope }), id: toHex(messageId(TOPIC, envelope)) }
}

/** Dials `to` from `sender` and sends one frame over a stem stream. */
async function sendFrame (sender: Libp2p, to: Multiaddr, bytes: Uint8Array): Promise<void> {
  const stream = await sender.dialProtocol(to, STEM_PROTOCOL, { signal: AbortSignal.timeout(30_000) })
  await lpStream(stream).write(bytes)
}

/**
 * One honest post over a connection the victim dialed to 127.0.0.2, then one post from each of `SYBILS`
 * stock peers from 127.0.0.1: whether the honest post is still held, and how many are.
 */
async function flood (running: Cleanup['running'], groupOf?: StemComponents['groupOf']): Promise<{ honestHeld: boolean, held: number }> {
  const victim = await startStockPeer()
  running.push(victim)
  const forwarded: string[] = []
  const stem = createStem({
    libp2p: victim,
    // the posts are genuine; what is tested is where a full table makes room
    validate: async () => 'accept',
    penalize: () => { throw new Error('no peer here sends anything invalid') },
    fluff: async () => ({ status: 'sent', recipients: 0 }),
    forwarded: (id) => { forwarded.push(id) },
    groupOf
  }, { fluffProbability: 0, embargoMin: 3_600_000, maxHeld: MAX_HELD })
  await stem.start()
  running.push({ stop: () => { stem.stop() } })

  // the victim's successor: a stem peer it dialed, which swallows every post
  const successor = await startStockPeer()
  running.push(successor)
  await successor.handle(STEM_PROTOCOL, () => {})
  await victim.dial(successor.getMultiaddrs()[0]!)
  await waitFor(() => stem.router.currentSuccessors.includes(successor.peerId.toString()), 'the successor to be picked')

  // the honest peer, on another address, dialed by the victim: its stem stream runs over that connection
  const honest = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.2/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
  running.push(honest)
  await victim.dial(honest.getMultiaddrs()[0]!)
  const toVictim = await waitFor(() => honest.getConnections(victim.peerId)[0], 'the honest peer to see the victim\'s connection')
  const honestPost = await frame('honest')
  await lpStream(await toVictim.newStream(STEM_PROTOCOL, { signal: AbortSignal.timeout(30_000) })).write(honestPost.bytes)
  await waitFor(() => forwarded.includes(honestPost.id), 'the honest post to be forwarded')

  for (let i = 0; i < SYBILS; i++) {
    const sybil = await startStockPeer()
    running.push(sybil)
    const post = await frame(`sybil ${i}`)
    await sendFrame(sybil, victim.getMultiaddrs()[0]!, post.bytes)
    await waitFor(() => forwarded.includes(post.id), `sybil post ${i} to be forwarded`)
  }
  return { honestHeld: stem.router.heldCopy(honestPost.id) !== undefined, held: stem.router.heldCount }
}

describe('stem over the wire: sybil PeerIds from one address', () => {
  const { running } = cleanedAfterEach()

  it(`cannot push an honest post of another address out of the held table (${SYBILS} sybils, room for ${MAX_HELD})`, async () => {
    expect(await flood(running)).toEqual({ honestHeld: true, held: MAX_HELD })
  }, 180_000)

  it('charges a post to the group the node gives (groupOf): one group for all, the oldest post goes first', async () => {
    expect(await flood(running, () => 'one group')).toEqual({ honestHeld: false, held: MAX_HELD })
  }, 180_000)
})
