/**
 * A stem successor this node dialed by choice is drawn by the address it dialed (S7A, Medium): sybils
 * that first connect to a node from addresses of their own (each a group), and are later drawn by its
 * discovery and dialed at one address, must weigh as that one host. The stem took a peer's group from
 * its first connection (SenderGroups), and a later report of the inbound connection regrouped a dialed
 * peer, so twelve such sybils stood for twelve hosts among the dialed successors.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { describe, expect, it, vi } from 'vitest'
import { SenderGroups } from '../src/sender-groups.js'
import { STEM_PROTOCOL, createStem } from '../src/stem/index.js'
import { addressGroup } from '../src/sync/admission.js'
import { ENVELOPE, EPOCH, TOPIC, setup } from './stem-fixtures.js'
import { cleanedAfterEach, waitFor } from './harness.js'
import type { Identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'

const SYBILS = 12
const HONEST = 3
const EPOCHS = 200

/** A plain libp2p peer on `host` that speaks identify and, with `stem`, takes stem streams (and drops them). */
async function stemPeer (host: string, stem = true): Promise<Libp2p<{ identify: Identify }>> {
  const peer = await createLibp2p({
    addresses: { listen: [`/ip4/${host}/tcp/0`] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
  if (stem) await peer.handle(STEM_PROTOCOL, (stream) => { stream.abort(new Error('not relaying')) })
  return peer
}

describe('a dialed stem successor\'s address group', () => {
  const { running } = cleanedAfterEach()

  it('stays the address dialed when its inbound connection is reported again: sybils dialed at one host weigh as one', () => {
    const { router, clock } = setup({ fluffProbability: 0 })
    for (let i = 0; i < HONEST; i++) router.addPeer(`honest-${i}`, true, `ip4/198.51.100.${i + 1}`)
    for (let i = 0; i < SYBILS; i++) {
      // first in from an address of its own, then dialed at the sybils' one host, then its inbound
      // connection identified again (libp2p reports a peer on every identify)
      router.addPeer(`sybil-${i}`, false, `ip4/203.0.113.${i + 1}`)
      router.addPeer(`sybil-${i}`, true, 'ip4/192.0.2.66')
      router.addPeer(`sybil-${i}`, false, `ip4/203.0.113.${i + 1}`)
    }
    let sybils = 0
    let successors = 0
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      clock.advance(EPOCH)
      // a relayed post starts the next epoch
      router.relay('inbound', TOPIC, ENVELOPE, `post-${epoch}`)
      successors += router.currentSuccessors.length
      sybils += router.currentSuccessors.filter((peer) => peer.startsWith('sybil-')).length
    }
    // four hosts, two successors drawn one per group: the sybils' host holds about a quarter of the
    // places (an eighth of the epochs' pairs either side); as twelve groups they held about four fifths
    expect(sybils / successors).toBeLessThan(0.4)
  })

  it('is the group of the address this node dialed, not of the peer\'s first, inbound connection', async () => {
    const victim = await stemPeer('127.0.0.1', false)
    running.push(victim)
    const senders = new SenderGroups(victim)
    const stem = createStem({
      libp2p: victim,
      groupOf: (peer) => senders.of(peer),
      chosen: () => true,
      validate: async () => 'ignore',
      penalize: () => {},
      fluff: async () => ({ status: 'sent', recipients: 0 })
    })
    const reports: Array<{ peer: string, outbound: boolean, group?: string }> = []
    const addPeer = stem.router.addPeer.bind(stem.router)
    vi.spyOn(stem.router, 'addPeer').mockImplementation((peer, outbound, group) => {
      reports.push({ peer, outbound, group })
      addPeer(peer, outbound, group)
    })
    await stem.start()
    running.push({ stop: () => { stem.stop() } })

    // the sybil connects first (inbound here, from 127.0.0.1), then this node dials it at 127.0.0.2
    const sybil = await stemPeer('127.0.0.2')
    running.push(sybil)
    const id = sybil.peerId.toString()
    await sybil.dial(victim.getMultiaddrs()[0]!)
    await waitFor(() => reports.some((report) => report.peer === id && !report.outbound), 'the inbound sybil reported to the stem')
    const inboundGroup = senders.of(sybil.peerId)
    const dialedAddress = sybil.getMultiaddrs()[0]!
    await victim.dial(dialedAddress, { force: true })
    const dialed = await waitFor(() => reports.find((report) => report.peer === id && report.outbound), 'the dialed sybil reported to the stem')
    expect(dialed.group).toBe(addressGroup(dialedAddress))
    expect(dialed.group).not.toBe(inboundGroup)
  }, 60_000)
})
