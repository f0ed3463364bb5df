/**
 * Issue 13's anonymity promise against a first hop that watches restarts (review 5, High): every honest
 * relay drops a stamp the network already holds, so a stem frame carrying such a stamp can only come from
 * its owner. A node whose stamp came back from the network must never announce it again after a restart
 * (else its new PeerId and address are tied to its member key, run after run); a stamp that never came back
 * is still announced. The observer is a stock libp2p peer speaking the stem protocol, which plays an
 * honest hop: each directory frame it gets is published on gossip, so the owner sees its stamp come back.
 */
import { DIRECTORY_TOPIC, decodeStamp, toHex } from '@murmur/protocol'
import { lpStream } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { STEM_PROTOCOL, decodeStemFrame } from '../src/stem/index.js'
import { recordedOut } from './member-stamp-record.js'
import { cleanedAfterEach, startNode, startStockPeer, waitFor } from './harness.js'
import type { StockPeer } from './harness.js'
import type { Murmur } from '../src/index.js'

interface Observer {
  peer: StockPeer
  /** Directory frames received through the stem: the stamp's member key (hex) and the PeerId that sent it. */
  frames: Array<{ key: string, from: string, bytes: Uint8Array }>
}

/** A stock peer in the directory topic that records every directory stem frame and fluffs it, as an honest hop would. */
async function startObserver (): Promise<Observer> {
  const peer = await startStockPeer()
  const frames: Observer['frames'] = []
  await peer.handle(STEM_PROTOCOL, async (stream, connection) => {
    const lp = lpStream(stream)
    try {
      for (;;) {
        const { topic, envelope } = decodeStemFrame((await lp.read()).subarray())
        if (topic !== DIRECTORY_TOPIC) continue
        frames.push({ key: toHex(decodeStamp(envelope).memberKey), from: connection.remotePeer.toString(), bytes: envelope })
        // the stem frame may come before the sender's subscription: a publish then reaches nobody
        await waitFor(() => peer.services.pubsub.getSubscribers(DIRECTORY_TOPIC).some((p) => p.equals(connection.remotePeer)), 'the sender in the directory topic', 10_000, 20).catch(() => {})
        await peer.services.pubsub.publish(DIRECTORY_TOPIC, envelope).catch(() => {})
      }
    } catch {
      // the sender closed the stream
    }
  })
  peer.services.pubsub.subscribe(DIRECTORY_TOPIC)
  return { peer, frames }
}


/** Waits until the node and the observer see each other in the directory topic: the node's outbox would release now. */
async function meetInDirectory (node: Murmur, observer: Observer): Promise<void> {
  await waitFor(() => node.libp2p.services.pubsub.getSubscribers(DIRECTORY_TOPIC).some((p) => p.equals(observer.peer.peerId)), 'the node to see the observer in the directory topic')
  await waitFor(() => observer.peer.services.pubsub.getSubscribers(DIRECTORY_TOPIC).some((p) => p.equals(node.peerId)), 'the observer to see the node in the directory topic')
}

describe('own stamp announcements across restarts', () => {
  const { running, tempDir } = cleanedAfterEach()

  it('a stamp that came back is never sent through the stem again after a restart', async () => {
    const observer = await startObserver()
    running.push(observer.peer)
    const dataDir = await tempDir()
    const bootstrap = [observer.peer.getMultiaddrs()[0]!.toString()]
    const first = await startNode({ dataDir, bootstrap })
    running.push(first)
    const announced = await waitFor(() => observer.frames.at(0), 'the first announcement through the stem', 60_000)
    // the observer fluffed it: the owner saw its stamp come back, and wrote that down
    await waitFor(async () => await recordedOut(dataDir), 'the node to record its stamp as out', 30_000)
    await first.stop()

    for (let run = 1; run <= 2; run++) {
      const again = await startNode({ dataDir, bootstrap })
      running.push(again)
      expect(again.peerId.equals(first.peerId)).toBe(false)
      await meetInDirectory(again, observer)
      // the old code's announcement left about a second after the node met a directory member (no wait in tests)
      await new Promise((resolve) => setTimeout(resolve, 3000))
      expect(observer.frames.filter((f) => f.key === announced.key)).toHaveLength(1)
      await again.stop()
    }
  }, 180_000)

  it('a stamp that never came back is still announced after a restart', async () => {
    const dataDir = await tempDir()
    // minted alone: the announcement waits in the outbox, and the node stops before anyone got it
    const alone = await startNode({ dataDir })
    running.push(alone)
    await waitFor(() => alone.membership()?.stamp, 'the node to mint its stamp', 60_000)
    await alone.stop()
    expect(await recordedOut(dataDir)).toBe(false)

    const observer = await startObserver()
    running.push(observer.peer)
    const again = await startNode({ dataDir, bootstrap: [observer.peer.getMultiaddrs()[0]!.toString()] })
    running.push(again)
    const frame = await waitFor(() => observer.frames.at(0), 'the stamp to be announced again through the stem', 60_000)
    expect(frame.from).toBe(again.peerId.toString())
    await waitFor(async () => await recordedOut(dataDir), 'the node to record its stamp as out', 30_000)
  }, 180_000)
})
