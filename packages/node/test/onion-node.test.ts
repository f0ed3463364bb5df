/**
 * Own posts through onion-wrapped first hops on real Murmur nodes (loopback): every node gets the post;
 * a direct peer of the author — one of the three mixes it dialed, so a mix on every path (the first on a
 * third of them) — logs every byte of every stream the author opens to it and never finds the
 * post in them (without the onion the post reaches it in a stem frame); then the other mixes turn into
 * black holes, and the next post still arrives everywhere (through the stem).
 */
import { logger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { ONION_PACKET_BYTES, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { MIX_PROTOCOL, createOnion } from '../src/onion/index.js'
import { readExactly } from '../src/onion/stream.js'
import { STEM_PROTOCOL, decodeStemFrame } from '../src/stem/index.js'
import { lpStream } from '@libp2p/utils'
import { addressOf, cleanedAfterEach, nextPost, startNode, startStockPeer, waitFor } from './harness.js'
import type { OnionInit } from '../src/index.js'
import type { StockPeer } from './harness.js'
import type { Stream } from '@libp2p/interface'

const CHANNEL = '#onion'
/**
 * Short holds (mean 50 ms: a path of 3 takes over 1 s once in e^20), no loops; one path, and the stem
 * takes a post not seen in gossip 4 s after it left. Not sooner: on a loaded machine (load 10 on 2
 * cores) a path took up to 7 s, the stem took the post, and the spy, a stem successor, read it in a frame.
 */
const FAST: OnionInit = { meanDelay: 50, loopsPerMinute: 0, resendAfter: 4_000, maxAttempts: 1 }
const utf8 = (text: string): string => toHex(new TextEncoder().encode(text))

/** Every byte `from` sends `spy` on each stream it opens to it (its muxer's streams, tapped as they open). */
function tapStreamsFrom (spy: StockPeer, from: () => string): Uint8Array[][] {
  const streams: Uint8Array[][] = []
  spy.addEventListener('connection:open', (evt) => {
    if (evt.detail.remotePeer.toString() !== from()) return
    const muxer = (evt.detail as unknown as { muxer: EventTarget }).muxer
    muxer.addEventListener('stream', (streamEvt) => {
      const chunks: Uint8Array[] = []
      streams.push(chunks)
      ;(streamEvt as CustomEvent<Stream>).detail.addEventListener('message', (message) => {
        chunks.push(message.data.subarray())
      })
    })
  })
  return streams
}

const joined = (chunks: Uint8Array[]): string => toHex(new Uint8Array(chunks.flatMap((chunk) => [...chunk])))

describe('own posts through onion-wrapped first hops', () => {
  const cleanup = cleanedAfterEach()

  it('reach every node; a direct peer on every path never sees the post from the author; past a black-holing mix the next still arrives', async () => {
    const author = await startNode({ channels: [CHANNEL], onion: FAST })
    // the spy: a stock libp2p peer running the mix, in no channel, logging every stream the author opens; as an
    // exit it publishes what it unwraps, as an honest mix does (a spy that dropped it would send the author to
    // the stem whenever it was the exit of every path tried: a third of the time per path)
    const spy = await startStockPeer()
    const tapped = tapStreamsFrom(spy, () => author.peerId.toString())
    const spyOnion = createOnion({ libp2p: spy, deliver: async (topic, data) => { await spy.services.pubsub.publish(topic, data) }, fallback: () => {}, penalize: () => {}, log: logger('murmur:test:spy') }, FAST)
    await spyOnion.start()
    // and a stem successor that publishes what it gets (a diffuser)
    await spy.handle(STEM_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      for (;;) {
        try {
          const { topic, envelope } = decodeStemFrame((await lp.read()).subarray())
          await spy.services.pubsub.publish(topic, envelope)
        } catch {
          return
        }
      }
    })
    const others = await Promise.all(Array.from({ length: 3 }, async () => startNode({ channels: [CHANNEL], onion: FAST })))
    cleanup.running.push(author, { stop: () => { spyOnion.stop() } }, spy, ...others)
    // the author dials the spy and two others: its mixes are those three (each with the address it was
    // reached at, which a path's later hops need), so every path of 3 crosses the spy; the others in a ring
    const libp2p = [author.libp2p, spy, ...others.map((node) => node.libp2p)]
    const pairs: Array<[number, number]> = [[0, 1], [0, 2], [0, 3], [2, 3], [3, 4], [4, 2], [1, 4]]
    await Promise.all(pairs.map(async ([i, j]) => libp2p[i]!.dial(multiaddr(addressOf(libp2p[j]!)))))
    await waitFor(() => author.onion.mixes === 3, 'the author knows 3 mixes')
    await waitFor(() => others.every((node) => node.libp2p.services.pubsub.getSubscribers(`murmur/2/${CHANNEL}`).length > 0), 'gossip meshes formed')
    const unprotected: string[] = []
    author.addEventListener('unprotected', (evt) => { unprotected.push(evt.detail.reason) })
    expect(author.onion).toMatchObject({ enabled: true, pending: 0, loopsSent: 0 })

    const body = 'through the mixes'
    const arrivals = others.map(async (node) => nextPost(node, (post) => post.body === body, 20_000))
    expect((await author.post(CHANNEL, body)).status).toBe('sent')
    expect(author.onion.pending).toBe(1)
    await Promise.all(arrivals)
    expect(tapped.length).toBeGreaterThan(0)
    // the tap works: the author's protocol negotiations are in it
    expect(tapped.some((chunks) => joined(chunks).includes(utf8('/ipfs/id/')))).toBe(true)
    expect(tapped.filter((chunks) => joined(chunks).includes(utf8(body)))).toEqual([])
    expect(unprotected).toEqual([])
    // a mix published it as the exit (not the stem: no post was handed back to it)
    await waitFor(() => spyOnion.status().delivered + others.reduce((sum, node) => sum + node.onion.delivered, 0) > 0, 'an exit delivered the post', 10_000)
    await waitFor(() => author.onion.pending === 0, 'the author saw its post in gossip')

    // every mix but the spy now swallows every packet: every path crosses a hole (discovery may have
    // connected the author to more than its 3 mixes by now)
    let swallowed = 0
    for (const node of others) await node.libp2p.handle(MIX_PROTOCOL, (stream) => { void readExactly(stream, ONION_PACKET_BYTES, 5_000).then(() => { swallowed++ }) }, { force: true })
    const lost = 'past a black hole'
    const rescued = others.map(async (node) => nextPost(node, (post) => post.body === lost, 10_000))
    await author.post(CHANNEL, lost)
    await Promise.all(rescued)
    expect(swallowed).toBeGreaterThanOrEqual(1)
  }, 20_000)
})
