/**
 * The member-stamp bounce oracle (final review, High): a stem successor that got an announcement sends it
 * back to its sender by gossip before anything is fluffed, and a second peer in the sender's mesh watches
 * whether the sender forwards it. An owner that kept its own stamp in its directory before sending it found
 * the gossip copy a duplicate (Ignore, not forwarded) where a relay, which only judged it, accepts and
 * forwards it. The owner and a stem relay must give the same verdict on the same bytes.
 */
import { DIRECTORY_TOPIC, decodeStamp, directoryItemId, toHex } from '@murmur/protocol'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { lpStream } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { STEM_PROTOCOL, decodeStemFrame } from '../src/stem/index.js'
import { recordedOut } from './member-stamp-record.js'
import { cleanedAfterEach, startNode, startStockPeer, waitFor } from './harness.js'
import type { Murmur } from '../src/index.js'
import type { PeerId } from '@libp2p/interface'


/** The node's gossip validator on the directory topic, as gossipsub calls it. */
async function gossipVerdict (node: Murmur, from: PeerId, data: Uint8Array): Promise<TopicValidatorResult> {
  const validator = node.libp2p.services.pubsub.topicValidators.get(DIRECTORY_TOPIC)!
  return await validator(from, { type: 'unsigned', data, topic: DIRECTORY_TOPIC })
}

describe('an own stamp sent back by gossip before the fluff', () => {
  const { running, tempDir } = cleanedAfterEach()

  it('gets the verdict a stem relay gives it: accepted (forwarded) and kept, and the owner still counts itself', async () => {
    // the owner's stem successor: keeps the stamp and fluffs nothing
    const successor = await startStockPeer()
    running.push(successor)
    let stamp: Uint8Array | undefined
    await successor.handle(STEM_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      try {
        for (;;) {
          const { topic, envelope } = decodeStemFrame((await lp.read()).subarray())
          if (topic === DIRECTORY_TOPIC) stamp ??= envelope
        }
      } catch {
        // the sender closed the stream
      }
    })
    successor.services.pubsub.subscribe(DIRECTORY_TOPIC)
    const owner = await startNode({ dataDir: await tempDir(), bootstrap: [successor.getMultiaddrs()[0]!.toString()] })
    running.push(owner)
    const bytes = await waitFor(() => stamp, 'the owner\'s announcement through the stem', 60_000)
    // not back yet: the owner's own member is still counted (from its own state)
    expect(owner.membership()?.members).toBe(1)

    const relay = await startNode({ dataDir: await tempDir() })
    running.push(relay)
    const judge = (relay as unknown as { judgeAnnouncement: (bytes: Uint8Array, peer: PeerId) => Promise<string> }).judgeAnnouncement.bind(relay)
    expect(await judge(bytes, successor.peerId)).toBe('accept')
    // sent back through the stem, too, the owner judges it as the relay does
    const ownerJudge = (owner as unknown as { judgeAnnouncement: (bytes: Uint8Array, peer: PeerId) => Promise<string> }).judgeAnnouncement.bind(owner)
    expect(await ownerJudge(bytes, successor.peerId)).toBe('accept')

    const ownerVerdict = await gossipVerdict(owner, successor.peerId, bytes)
    const relayVerdict = await gossipVerdict(relay, successor.peerId, bytes)
    expect(ownerVerdict).toBe(relayVerdict)
    expect(ownerVerdict).toBe(TopicValidatorResult.Accept)
    // kept by both now: a further copy is a duplicate at either
    expect(await gossipVerdict(owner, successor.peerId, bytes)).toBe(TopicValidatorResult.Ignore)
    expect(await gossipVerdict(relay, successor.peerId, bytes)).toBe(TopicValidatorResult.Ignore)
    expect(owner.membership()?.members).toBe(1)
  }, 120_000)

  it('without a stem, an own stamp published straight into gossip is kept, served by sync and recorded as out', async () => {
    const peer = await startStockPeer()
    running.push(peer)
    peer.services.pubsub.subscribe(DIRECTORY_TOPIC)
    const got: Uint8Array[] = []
    peer.services.pubsub.addEventListener('message', (evt) => { if (evt.detail.topic === DIRECTORY_TOPIC) got.push(evt.detail.data) })
    const dataDir = await tempDir()
    const owner = await startNode({ dataDir, stem: false, bootstrap: [peer.getMultiaddrs()[0]!.toString()] })
    running.push(owner)
    const bytes = await waitFor(() => got.at(0), 'the owner\'s announcement by gossip', 60_000)
    const directory = (owner as unknown as { members: { directory: { items: () => unknown[], get: (id: Uint8Array) => Uint8Array | undefined } } }).members.directory
    await waitFor(async () => await recordedOut(dataDir), 'the owner to record its stamp as out', 30_000)
    // served by sync once disclosed, which follows the record's write (the file can show it a turn before)
    await waitFor(() => directory.items().length > 0, 'the owner to serve its stamp by sync', 30_000)
    expect(directory.items()).toHaveLength(1)
    expect(toHex(directory.get(directoryItemId(decodeStamp(bytes)))!)).toBe(toHex(bytes))
    expect(owner.membership()?.members).toBe(1)
  }, 120_000)
})
