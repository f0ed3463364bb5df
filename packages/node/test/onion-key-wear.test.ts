/**
 * Wearing out a mix's key (fifteenth read of issue 12, Medium 1 and Low 1): anyone may fetch a mix's key
 * and send it packets whose MAC checks. The mix replaced its key after `maxTags` such packets and opened
 * packets for one previous key only, while senders keep a key until its announced expiry (up to an hour):
 * 2 × maxTags packets from one address made every honest sender's packet fail (ERR_ONION_MAC) until then.
 * Here `maxTags` is lowered to 32 (the same code path as the default 65,536).
 *
 * A mix charges a packet to the address group of the hop before it, so packets an attacker routes through
 * an honest mix M1 spent M1's share of the next mix's key, and M1's honest forwards were refused until that
 * key expired, up to an hour (sixteenth read of issue 12, Medium 1: 36 packets at maxTags 64, 0 of 10
 * honest packets delivered).
 */
import { logger } from '@libp2p/logger'
import { encodeOnionMessage, equalBytes, generateMixKey, wrapOnion } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { MixDirectory } from '../src/onion/directory.js'
import { MIX_KEY_PROTOCOL, MIX_PROTOCOL } from '../src/onion/index.js'
import { writeAll } from '../src/onion/stream.js'
import { cleanedAfterEach, startStockPeer, waitFor } from './harness.js'
import { mixKeyAnswerOf, mixKeyOf, recordingMix } from './onion-harness.js'
import type { StockPeer } from './harness.js'
import type { RecordingMix } from './onion-harness.js'
import type { PeerId } from '@libp2p/interface'
import type { OnionHop } from '@murmur/protocol'

const TOPIC = 'murmur/2/#onion'
const MAX_TAGS = 32

/** A one-hop packet for `target` (the exit) carrying `message`: the attacker's are a junk message, or a loop nobody sent. */
function exitPacket (target: RecordingMix, publicKey: Uint8Array, message: Uint8Array): Uint8Array {
  return wrapOnion({ hops: [{ publicKey, peerId: target.peer.peerId.toMultihash().bytes, delay: 0 }], message })
}

const junk = (i: number): Uint8Array => Uint8Array.of(7, i >> 8, i & 255)
const loop = (i: number): Uint8Array => encodeOnionMessage({ kind: 'loop', id: Uint8Array.from({ length: 16 }, (_, j) => j < 2 ? i >> (8 * j) : 0) })

/**
 * `count` packets from `peer`, 8 at a time, each MACed for the key the mix announces: asked again every 16
 * packets, as an attacker following the mix's rotations does.
 */
async function flood (peer: StockPeer, target: RecordingMix, count: number, message: (i: number) => Uint8Array): Promise<void> {
  for (let batch = 0; batch < count; batch += 16) {
    const publicKey = await mixKeyOf(peer, target.peer.peerId)
    for (let lane = batch; lane < Math.min(batch + 16, count); lane += 8) {
      await Promise.all(Array.from({ length: Math.min(8, count - lane) }, async (_, j) => {
        await writeAll(await peer.dialProtocol(target.peer.peerId, MIX_PROTOCOL), exitPacket(target, publicKey, message(lane + j)))
      }))
    }
  }
}

describe('a mix key worn out by valid packets', () => {
  const cleanup = cleanedAfterEach()

  /** A mix with `maxTags` 32 that charges each peer to the address group `groups` names (all are on loopback). */
  async function setUp (groups: Map<string, string>): Promise<RecordingMix> {
    return recordingMix(cleanup, { groupOf: (peer) => groups.get(peer.toString()) }, { maxTags: MAX_TAGS })
  }

  async function connectedPeer (target: RecordingMix): Promise<StockPeer> {
    const peer = await startStockPeer()
    cleanup.running.push(peer)
    await peer.dial(target.peer.getMultiaddrs()[0]!)
    return peer
  }

  /** The honest sender's packet, under the key it fetched first: delivered, or refused (and how). */
  async function honestPacket (target: RecordingMix, honest: StockPeer, publicKey: Uint8Array): Promise<string> {
    const delivered = target.delivered
    await writeAll(await honest.dialProtocol(target.peer.peerId, MIX_PROTOCOL), exitPacket(target, publicKey, encodeOnionMessage({ kind: 'publish', topic: TOPIC, data: Uint8Array.of(1) })))
    return waitFor(() => target.delivered > delivered ? 'delivered' : target.dropped.find(({ from }) => from === honest.peerId.toString())?.code, 'the honest packet delivered or refused', 5_000)
  }

  it('2 × maxTags junk and 2 × maxTags loops from one address group: the honest sender\'s key still opens, and the mix\'s key is not replaced', async () => {
    const groups = new Map<string, string>()
    const target = await setUp(groups)
    const honest = await connectedPeer(target)
    const attacker = await connectedPeer(target)
    groups.set(honest.peerId.toString(), 'honest')
    groups.set(attacker.peerId.toString(), 'attacker')
    const announced = await mixKeyAnswerOf(honest, target.peer.peerId)
    const started = Date.now()
    // the fifteenth read's packets (an exit message no exit reads), then loops nobody sent (a canonical message)
    await flood(attacker, target, 2 * MAX_TAGS, junk)
    await waitFor(() => target.dropped.length === 2 * MAX_TAGS, 'the junk refused')
    await flood(attacker, target, 2 * MAX_TAGS, loop)
    expect(await honestPacket(target, honest, announced.publicKey)).toBe('delivered')
    await waitFor(() => target.dropped.length === 2 * MAX_TAGS + 2 * MAX_TAGS - MAX_TAGS / 2, 'the attacker\'s loops past its share refused')
    expect(Date.now() - started).toBeLessThan(announced.expiresIn * 1000)
    // one group alone never wears the key out: the mix still announces the key the honest sender holds
    const now = await mixKeyAnswerOf(honest, target.peer.peerId)
    expect(now.publicKey).toEqual(announced.publicKey)
    const codes = target.dropped.map(({ code }) => code)
    expect(codes.filter((code) => code === 'ERR_ONION_PAYLOAD')).toHaveLength(2 * MAX_TAGS)
    // half of the key's tags for the only group sending: the rest of its loops refused, charged to nobody
    expect(codes.filter((code) => code === 'ERR_MIX_SHARE')).toHaveLength(2 * MAX_TAGS - MAX_TAGS / 2)
    expect(target.penalized).toEqual([])
  }, 15_000)

  it('loops from 3 address groups replace the key by count: the honest sender\'s key, fetched before, still opens until its announced expiry', async () => {
    const groups = new Map<string, string>()
    const target = await setUp(groups)
    const honest = await connectedPeer(target)
    groups.set(honest.peerId.toString(), 'honest')
    const attackers = await Promise.all(Array.from({ length: 3 }, async () => connectedPeer(target)))
    for (const [i, attacker] of attackers.entries()) groups.set(attacker.peerId.toString(), `attacker-${i}`)
    const announced = await mixKeyAnswerOf(honest, target.peer.peerId)
    const started = Date.now()
    for (const attacker of attackers) await flood(attacker, target, 2 * MAX_TAGS, loop)
    // the groups together replaced the key (a fresh fetch gets another one)
    expect(await mixKeyOf(honest, target.peer.peerId)).not.toEqual(announced.publicKey)
    expect(await honestPacket(target, honest, announced.publicKey)).toBe('delivered')
    expect(Date.now() - started).toBeLessThan(announced.expiresIn * 1000)
    expect(target.penalized).toEqual([])
  }, 15_000)

  it('packets routed through an honest mix spend only their sender\'s part of that mix\'s share of the next key: its honest forwards still get through', async () => {
    const maxTags = 64
    const groups = new Map<string, string>()
    const groupOf = (peer: PeerId): string | undefined => groups.get(peer.toString())
    const [m1, target] = await Promise.all([recordingMix(cleanup, { groupOf }, { maxTags }), recordingMix(cleanup, { groupOf }, { maxTags })])
    groups.set(m1.peer.peerId.toString(), 'M1')
    await m1.peer.dial(target.peer.getMultiaddrs()[0]!)
    const [attacker, honest] = await Promise.all([connectedPeer(m1), connectedPeer(m1)])
    groups.set(attacker.peerId.toString(), 'attacker')
    groups.set(honest.peerId.toString(), 'honest')
    await Promise.all([attacker.dial(target.peer.getMultiaddrs()[0]!), honest.dial(target.peer.getMultiaddrs()[0]!)])
    const keys = async (peer: StockPeer): Promise<[Uint8Array, Uint8Array]> => [await mixKeyOf(peer, m1.peer.peerId), await mixKeyOf(peer, target.peer.peerId)]
    const [attackerKeys, honestKeys] = await Promise.all([keys(attacker), keys(honest)])
    const hop = (publicKey: Uint8Array, mix: RecordingMix): OnionHop => ({ publicKey, peerId: mix.peer.peerId.toMultihash().bytes, delay: 0 })
    const viaM1 = async (peer: StockPeer, [m1Key, targetKey]: [Uint8Array, Uint8Array], data: number): Promise<void> => {
      const message = encodeOnionMessage({ kind: 'publish', topic: TOPIC, data: Uint8Array.of(data >> 8, data & 255) })
      await writeAll(await peer.dialProtocol(m1.peer.peerId, MIX_PROTOCOL), wrapOnion({ hops: [hop(m1Key, m1), hop(targetKey, target)], message }))
    }
    /** Packets through M1 that the target delivered or either mix refused. */
    const settled = (): number => target.delivered + m1.dropped.length + target.dropped.filter(({ from }) => from === m1.peer.peerId.toString()).length
    /** `count` honest packets through M1: how many the target delivered. */
    const honestThroughM1 = async (count: number): Promise<number> => {
      const [delivered, done] = [target.delivered, settled()]
      for (let i = 0; i < count; i++) await viaM1(honest, honestKeys, 60_000 + i)
      await waitFor(() => settled() - done === count, 'the honest packets delivered or refused', 5_000)
      return target.delivered - delivered
    }
    // the sixteenth read's attack: the attacker's own posts through M1, past M1's half of the target's key
    const attack = maxTags / 2 + 4
    for (let i = 0; i < attack; i++) await viaM1(attacker, attackerKeys, i)
    await waitFor(() => settled() === attack, 'the attacker\'s packets delivered or refused', 5_000)
    expect(await honestThroughM1(2)).toBe(2)
    // then the attacker's own half of the target's key, sent to it directly: M1 still has room there
    await flood(attacker, target, maxTags / 2, loop)
    expect(await honestThroughM1(2)).toBe(2)
    // M1 refused the attacker's packets past its part, charged to nobody; the target refused none from M1
    expect(target.dropped.filter(({ from }) => from === m1.peer.peerId.toString())).toEqual([])
    expect(m1.dropped.filter(({ from }) => from !== attacker.peerId.toString())).toEqual([])
    expect(m1.penalized).toEqual([])
  }, 15_000)

  it('a sender asks for a mix\'s key again within `refreshEvery`: a key replaced by count is followed long before its announced expiry', async () => {
    const groups = new Map<string, string>()
    const target = await setUp(groups)
    const attackers = await Promise.all(Array.from({ length: 2 }, async () => connectedPeer(target)))
    for (const [i, attacker] of attackers.entries()) groups.set(attacker.peerId.toString(), `attacker-${i}`)
    const sender = await startStockPeer()
    const directory = new MixDirectory({ libp2p: sender, ownKey: () => ({ publicKey: generateMixKey().publicKey, expiresIn: 3_600_000 }), log: logger('murmur:test:directory') }, { refreshEvery: 300 })
    await directory.start()
    cleanup.running.push({ stop: () => { directory.stop() } }, sender)
    await sender.dial(target.peer.getMultiaddrs()[0]!)
    const first = await waitFor(() => directory.known()[0]?.publicKey, 'the mix\'s key known')
    for (const attacker of attackers) await flood(attacker, target, MAX_TAGS, loop)
    const replaced = await mixKeyOf(attackers[0]!, target.peer.peerId)
    expect(replaced).not.toEqual(first)
    // announced for an hour, asked for again within 300 ms
    await waitFor(() => equalBytes(directory.known()[0]!.publicKey, replaced), 'the new key asked for', 2_000)
  })

  it('a refresh that fails is tried again: the sender does not keep a key the mix has replaced', async () => {
    const mix = await startStockPeer()
    const keys = [generateMixKey().publicKey, generateMixKey().publicKey]
    let asked = 0
    await mix.handle(MIX_KEY_PROTOCOL, (stream) => {
      // the second ask fails; every other is answered, with the second key from the third on
      if (++asked === 2) { stream.abort(new Error('busy')); return }
      void writeAll(stream, new Uint8Array([...keys[asked === 1 ? 0 : 1]!, 0, 0, 0x0e, 0x10]))
    })
    const sender = await startStockPeer()
    const directory = new MixDirectory({ libp2p: sender, ownKey: () => ({ publicKey: generateMixKey().publicKey, expiresIn: 3_600_000 }), log: logger('murmur:test:directory') }, { refreshEvery: 200 })
    await directory.start()
    cleanup.running.push({ stop: () => { directory.stop() } }, sender, mix)
    await sender.dial(mix.getMultiaddrs()[0]!)
    await waitFor(() => directory.known()[0]?.publicKey, 'the first key known')
    await waitFor(() => equalBytes(directory.known()[0]!.publicKey, keys[1]!), 'the second key asked for after a failed ask', 3_000)
    expect(asked).toBeGreaterThanOrEqual(3)
  })
})
