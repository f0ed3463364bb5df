/**
 * A node whose bootstrap peer is not up when it starts reaches that peer once it comes up. libp2p's
 * bootstrap module dials its list once, at start; the node's own retries (DiscoveryDialer) are what
 * keeps a newcomer from staying alone after a busy or slow first dial. In the 200-node crowd bench, 8
 * late-started nodes had no connection at all after 600 s: their one bootstrap dial had failed, and the
 * retries never started, because the module's `peer:discovery` events came before the node was running.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createServer } from 'node:net'
import { describe, it } from 'vitest'
import { cleanedAfterEach, startNode, waitFor } from './harness.js'

/** A TCP port on 127.0.0.1 that was free a moment ago. */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

describe('a bootstrap peer that comes up after the node', () => {
  const cleanup = cleanedAfterEach()

  it('is dialed again until it answers', async () => {
    const key = await generateKeyPair('Ed25519')
    const port = await freePort()
    const bootstrap = `/ip4/127.0.0.1/tcp/${port}/p2p/${peerIdFromPrivateKey(key).toString()}`
    const newcomer = await startNode({ bootstrap: [bootstrap] })
    cleanup.running.push(newcomer)
    // the module's one dial at start (after it tags the peer) finds nothing listening and ends; the
    // bootstrap peer starts afterwards
    const bootId = peerIdFromPrivateKey(key)
    await waitFor(async () => (await newcomer.libp2p.peerStore.get(bootId).catch(() => undefined))?.tags.has('bootstrap'), 'the bootstrap module to take up its peer', 30_000, 10)
    await waitFor(() => newcomer.libp2p.getDialQueue().length === 0, 'the first bootstrap dial to end', 30_000, 10)
    const late = await startNode({ peerKey: key, listen: [`/ip4/127.0.0.1/tcp/${port}`] })
    cleanup.running.push(late)
    // retried after 2, 4, 8 … s while short: well within a minute even on a loaded machine
    await waitFor(() => newcomer.libp2p.getConnections(late.peerId).length > 0, 'the newcomer connected to its bootstrap peer', 60_000, 50)
  }, 90_000)
})
