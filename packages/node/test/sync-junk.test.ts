import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { logger } from '@libp2p/logger'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { Reconciler, channelTopic, decodeSyncMessage, encodeSyncMessage } from '@murmur/protocol'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { SYNC_PROTOCOL } from '../src/index.js'
import { HistorySync } from '../src/internal.js'
import { cleanedAfterEach, waitFor } from './harness.js'
import type { Libp2p, Stream } from '@libp2p/interface'

// Issue 12, RV14B H1: a responder only logged a sync message that failed to decode, so a peer could send
// junk again and again at no cost. It is now demoted and penalised, as the initiator side treats bad posts.
// Eighth read, item 6: the initiator did not demote or penalise a responder whose reply does not decode
// (it even tried that peer again a few seconds later); both ends now treat such a message alike.

const TOPIC = channelTopic('#sync-junk')

/** A plain libp2p node on loopback: nothing of Murmur in it. */
async function startPeer (): Promise<Libp2p> {
  return createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
}

/** A libp2p node running history sync over an empty store (answering, or asking with `syncWith`), recording whom it penalises. */
async function responder (): Promise<{ libp2p: Libp2p, sync: HistorySync, penalised: string[], stop(): Promise<void> }> {
  const libp2p = await startPeer()
  const penalised: string[] = []
  const sync = new HistorySync(libp2p, {
    channelOf: (topic) => topic === TOPIC ? '#sync-junk' : undefined,
    items: async () => [],
    envelope: async () => undefined,
    ingest: async () => 'ignore',
    penalise: (peer) => { penalised.push(peer.toString()) },
    topics: () => [TOPIC],
    members: () => []
  }, { log: logger('test:sync-junk'), interval: 3_600_000 })
  await sync.start()
  return { libp2p, sync, penalised, stop: async () => { await sync.stop(); await libp2p.stop() } }
}

/** Resolves to the next message the other end sends, or undefined once it closes or resets `stream`. */
async function nextMessage (stream: Stream): Promise<Uint8Array | undefined> {
  try {
    return (await lpStream(stream, { maxDataLength: 4 * 1024 * 1024 }).read()).subarray()
  } catch {
    return undefined
  }
}

const emptyRanges = (n: number): Uint8Array => {
  const out = new Uint8Array(2 * n)
  for (let i = 0; i < n; i++) out.set([0x12, 0x00], 2 * i)
  return out
}

describe('a responder penalises a peer whose sync message does not decode (issue 12, RV14B H1)', () => {
  const { running } = cleanedAfterEach()

  it.each([
    ['a million empty ranges (2 MB)', emptyRanges(1_000_000)],
    ['a need of a 31-byte id', encodeSyncMessage({ topic: TOPIC, ranges: [], need: [new Uint8Array(31)], envelopes: [], pending: 0 })]
  ])('%s: the stream is cut, the peer penalised and its next session refused', async (_, junk) => {
    const node = await responder()
    const attacker = await startPeer()
    running.push(node, attacker)
    const stream = await attacker.dialProtocol(node.libp2p.getMultiaddrs()[0]!, SYNC_PROTOCOL)
    await lpStream(stream).write(junk)
    expect(await nextMessage(stream)).toBeUndefined()
    await waitFor(() => node.penalised.includes(attacker.peerId.toString()), 'the attacker to be penalised', 15_000)
    // demoted: a well-formed opening from it now gets no answer either (the stream may be cut before it is written)
    const again = await attacker.dialProtocol(node.libp2p.getMultiaddrs()[0]!, SYNC_PROTOCOL)
    await lpStream(again).write(encodeSyncMessage({ topic: TOPIC, ranges: new Reconciler([], 'initiator').initial(), need: [], envelopes: [], pending: 0 })).catch(() => undefined)
    expect(await nextMessage(again)).toBeUndefined()
  })

  it('an honest peer\'s well-formed opening is answered and costs it nothing', async () => {
    const node = await responder()
    const honest = await startPeer()
    running.push(node, honest)
    const stream = await honest.dialProtocol(node.libp2p.getMultiaddrs()[0]!, SYNC_PROTOCOL)
    await lpStream(stream).write(encodeSyncMessage({ topic: TOPIC, ranges: new Reconciler([], 'initiator').initial(), need: [], envelopes: [], pending: 0 }))
    const reply = await nextMessage(stream)
    expect(reply).toBeDefined()
    expect(decodeSyncMessage(reply!).envelopes).toEqual([])
    expect(node.penalised).toEqual([])
  })
})

describe('an initiator penalises a responder whose reply does not decode (eighth read of issue 12)', () => {
  const { running } = cleanedAfterEach()

  it.each([
    ['a million empty ranges (2 MB)', emptyRanges(1_000_000)],
    ['a need of a 31-byte id', encodeSyncMessage({ topic: TOPIC, ranges: [], need: [new Uint8Array(31)], envelopes: [], pending: 0 })],
    ['a frame announced past 2 MiB', undefined]
  ])('%s: the session fails, the responder is penalised, and no session with it starts again', async (_, junk) => {
    const node = await responder()
    const attacker = await startPeer()
    running.push(node, attacker)
    let sessions = 0
    await attacker.handle(SYNC_PROTOCOL, async (stream) => {
      sessions++
      await lpStream(stream).read()
      // the junk reply, or a length prefix of 3 MiB and nothing after it
      if (junk !== undefined) await lpStream(stream).write(junk)
      else stream.send(Uint8Array.from([0x80, 0x80, 0xc0, 0x01]))
    })
    await node.libp2p.dial(attacker.getMultiaddrs()[0]!)
    await expect(node.sync.syncWith(attacker.peerId, TOPIC)).rejects.toThrow()
    expect(node.penalised).toEqual([attacker.peerId.toString()])
    // demoted: neither anti-entropy nor a retry starts a session with it
    expect(await node.sync.maybeSyncWith(attacker.peerId, TOPIC, 0)).toBeUndefined()
    expect(sessions).toBe(1)
  })
})
