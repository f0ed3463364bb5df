/**
 * What the onion tests share: a stock libp2p peer running the onion layer as a mix that records what
 * becomes of the packets it takes, an attacker's read of a mix key, and the refusals a Murmur node charges.
 */
import { logger } from '@libp2p/logger'
import { createOnion, MIX_KEY_PROTOCOL } from '../src/onion/index.js'
import { readExactly } from '../src/onion/stream.js'
import { startStockPeer } from './harness.js'
import type { MixDropCode, Onion, OnionComponents, OnionInit } from '../src/onion/index.js'
import type { Cleanup, StockPeer } from './harness.js'
import type { PeerId } from '@libp2p/interface'

/** A mix on a stock peer, and what it did: messages handed on as an exit, packets dropped, peers penalised. */
export interface RecordingMix {
  peer: StockPeer
  onion: Onion
  /** Publish messages handed on at the exit. */
  delivered: number
  dropped: Array<{ code: MixDropCode, from: string, at: number }>
  penalized: Array<{ peer: string, code: string }>
}

/**
 * Starts a stock peer running the onion layer (no loops, no holds of its own), stopped after the test.
 *
 * @example
 * ```ts
 * const target = await recordingMix(cleanup)
 * await waitFor(() => target.dropped.length === 1, 'the packet refused')
 * ```
 */
export async function recordingMix (cleanup: Cleanup, components: Pick<OnionComponents, 'groupOf'> = {}, init: OnionInit = {}): Promise<RecordingMix> {
  const peer = await startStockPeer()
  const node: RecordingMix = { peer, onion: undefined as unknown as Onion, delivered: 0, dropped: [], penalized: [] }
  node.onion = createOnion({
    libp2p: peer,
    deliver: async () => { node.delivered++ },
    fallback: () => {},
    penalize: (from, code) => { node.penalized.push({ peer: from.toString(), code }) },
    log: logger('murmur:test:onion'),
    ...components
  }, { meanDelay: 0, loopsPerMinute: 0, ...init })
  node.onion.addEventListener('dropped', (evt) => { node.dropped.push({ code: evt.detail.code, from: String(evt.detail.from), at: Date.now() }) })
  await node.onion.start()
  cleanup.running.push({ stop: () => { node.onion.stop() } }, peer)
  return node
}

/**
 * The mix key `peer` answers `asker` with over /murmur/mix-key/1.0.0 (what an attacker wraps packets for).
 *
 * @example
 * ```ts
 * const publicKey = await mixKeyOf(attacker, target.peer.peerId)
 * ```
 */
export async function mixKeyOf (asker: StockPeer, peer: PeerId): Promise<Uint8Array> {
  return (await mixKeyAnswerOf(asker, peer)).publicKey
}

/**
 * The whole answer `peer` gives `asker` over /murmur/mix-key/1.0.0: its mix key and the seconds until
 * that key is replaced (what an honest sender keeps the key for).
 *
 * @example
 * ```ts
 * const { publicKey, expiresIn } = await mixKeyAnswerOf(honest, target.peer.peerId)
 * ```
 */
export async function mixKeyAnswerOf (asker: StockPeer, peer: PeerId): Promise<{ publicKey: Uint8Array, expiresIn: number }> {
  const stream = await asker.dialProtocol(peer, MIX_KEY_PROTOCOL)
  const reading = readExactly(stream, 36, 5_000)
  await stream.close()
  const answer = await reading
  return { publicKey: answer.slice(0, 32), expiresIn: new DataView(answer.buffer, answer.byteOffset).getUint32(32) }
}

