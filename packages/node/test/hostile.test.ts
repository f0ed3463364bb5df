import { buildEnvelope, channelTopic, checkPow, decodeEnvelope, encodeEnvelope, powDigest, toHex } from '@murmur/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCORE_THRESHOLDS } from '../src/internal.js'
import { addressOf, nextPost, startNode, startStockPeer, stopAll, TEST_POW_BITS, TEST_UNVERIFIED_POW_BITS, waitFor } from './harness.js'
import type { StockPeer } from './harness.js'
import type { Murmur } from '../src/index.js'

const CHANNEL = '#hostile'
const TOPIC = channelTopic(CHANNEL)

/** Public methods of the gossipsub service class that its interface type leaves out. */
interface GossipsubInternals { getScore(id: string): number, getMeshPeers(topic: string): string[] }

function gossipsubOf (node: Murmur): GossipsubInternals {
  return node.libp2p.services.pubsub as unknown as GossipsubInternals
}

async function badPow (): Promise<Uint8Array> {
  const built = await buildEnvelope({ channel: CHANNEL, body: 'cheap spam', powBits: TEST_POW_BITS })
  const envelope = decodeEnvelope(built.bytes)
  let nonce = 0n
  while (checkPow(powDigest(built.id, envelope), nonce, TEST_POW_BITS)) nonce++
  return encodeEnvelope({ ...envelope, pow: nonce })
}

async function badSignature (): Promise<Uint8Array> {
  const built = await buildEnvelope({ channel: CHANNEL, body: 'forged', powBits: TEST_POW_BITS })
  const envelope = decodeEnvelope(built.bytes)
  const signature = Uint8Array.from(envelope.oneTime!.signature)
  signature[0] = signature[0]! ^ 0xff
  return encodeEnvelope({ ...envelope, oneTime: { publicKey: envelope.oneTime!.publicKey, signature } })
}

/** The same envelope with another valid nonce: other bytes, same post id. */
async function remined (bytes: Uint8Array, id: Uint8Array): Promise<Uint8Array> {
  const envelope = decodeEnvelope(bytes)
  let nonce = envelope.pow + 1n
  while (!checkPow(powDigest(id, envelope), nonce, TEST_UNVERIFIED_POW_BITS)) nonce++
  return encodeEnvelope({ ...envelope, pow: nonce })
}

describe('a hostile peer in the topic', () => {
  let node: Murmur
  let honest: Murmur
  let hostile: StockPeer

  beforeAll(async () => {
    node = await startNode({ channels: [CHANNEL] })
    honest = await startNode({ channels: [CHANNEL], bootstrap: [addressOf(node)] })
    hostile = await startStockPeer()
    hostile.services.pubsub.subscribe(TOPIC)
    await hostile.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => hostile.services.pubsub.getSubscribers(TOPIC).length > 0, 'hostile peer sees the channel')
    await waitFor(() => ['honest', 'hostile'].every((name) => gossipsubOf(node).getMeshPeers(TOPIC).includes((name === 'honest' ? honest.peerId : hostile.peerId).toString())), 'both peers in the mesh')
  })

  afterAll(async () => {
    await stopAll([node, honest, hostile])
  })

  it('never delivers its junk, keeps honest posts flowing and graylists it', async () => {
    const delivered: string[] = []
    node.addEventListener('post', (evt) => { delivered.push(evt.detail.id) })

    const first = nextPost(node, (p) => p.body === 'honest before')
    const before = await honest.post(CHANNEL, 'honest before')
    await first
    // a valid post of the hostile peer's own, delivered once; its replays below never again
    const valid = await buildEnvelope({ channel: CHANNEL, body: 'valid, then replayed', powBits: TEST_POW_BITS })
    const validArrived = nextPost(node, (p) => p.id === toHex(valid.id))
    await hostile.services.pubsub.publish(TOPIC, valid.bytes)
    await validArrived

    const junk: Uint8Array[] = [
      Uint8Array.from({ length: 200 }, (_, i) => (i * 131) & 0xff),
      new Uint8Array(20_000),
      await badPow(),
      await badPow(),
      await badSignature(),
      await badSignature(),
      await remined(valid.bytes, valid.id)
    ]
    for (const data of junk) {
      await hostile.services.pubsub.publish(TOPIC, data)
    }

    const graylisted = await waitFor(() => {
      const score = gossipsubOf(node).getScore(hostile.peerId.toString())
      return score < SCORE_THRESHOLDS.graylistThreshold ? score : undefined
    }, 'hostile peer graylisted', 10_000)
    expect(graylisted).toBeLessThan(SCORE_THRESHOLDS.graylistThreshold)

    // honest traffic keeps arriving, and the node still works
    const afterArrived = nextPost(node, (p) => p.body === 'honest after')
    const after = await honest.post(CHANNEL, 'honest after')
    await afterArrived
    expect(await node.thread(before.id)).toHaveLength(1)
    expect(delivered).toEqual([before.id, toHex(valid.id), after.id])
    // the honest peer is in good standing and stays in the mesh; the hostile one is pruned
    expect(gossipsubOf(node).getScore(honest.peerId.toString())).toBeGreaterThanOrEqual(0)
    await waitFor(() => !gossipsubOf(node).getMeshPeers(TOPIC).includes(hostile.peerId.toString()), 'hostile peer pruned from the mesh')
    expect(gossipsubOf(node).getMeshPeers(TOPIC)).toContain(honest.peerId.toString())

    // cut off: its connections are closed, and it is not let back in while its penalty lasts
    await waitFor(() => node.libp2p.getConnections(hostile.peerId).length === 0, 'hostile peer disconnected')
    let letIn = 0
    node.libp2p.addEventListener('connection:open', (evt) => { if (evt.detail.remotePeer.equals(hostile.peerId)) letIn++ })
    // the node refuses it after the handshake (the peer's side may see its dial complete, then closed)
    await hostile.dial(node.getMultiaddrs()[0]!).catch(() => undefined)
    await waitFor(() => hostile.getConnections(node.peerId).length === 0, 'the redial closed')
    expect(letIn).toBe(0)
    expect(node.libp2p.getConnections(hostile.peerId)).toHaveLength(0)
  })
})
