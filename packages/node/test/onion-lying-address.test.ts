/**
 * F6 (docs/ANONYMITY.md, onion section): a peer that lies about its address makes honest mixes dial
 * whatever it announced. The liar L dials an honest author and announces, in identify, the address of a
 * victim host V (a plain TCP server counting connections); it is an honest mix otherwise. The author knows
 * three mixes: two it dialed (M1, M2, not connected to L) and L, so every path crosses L. A packet names the
 * next hop's address, and the author used to name the first address L announced: a mix before L on a
 * path dialed V. Now the author names only an address it reached the mix at itself (the one it dialed),
 * and a mix without one (it dialed the author) is drawn only as a first hop, which the author reaches over
 * its connection. Every loop comes back, and V is never dialed.
 */
import { createServer } from 'node:net'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { logger } from '@libp2p/logger'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { describe, expect, it } from 'vitest'
import { createOnion } from '../src/onion/index.js'
import { cleanedAfterEach, LOOPBACK, startStockPeer, waitFor } from './harness.js'
import type { Onion } from '../src/onion/index.js'
import type { AddressInfo } from 'node:net'

const LOOPS = 6

/** A TCP server that counts the connections made to it. */
async function victimHost (): Promise<{ port: number, connections: () => number, stop: () => Promise<void> }> {
  let connections = 0
  const server = createServer((socket) => { connections++; socket.destroy() })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    stop: async () => { await new Promise((resolve) => server.close(resolve)) }
  }
}

/** An onion layer on `libp2p` (an honest mix; no loops of its own). */
async function mixOn (libp2p: Parameters<typeof createOnion>[0]['libp2p']): Promise<Onion> {
  const onion = createOnion({ libp2p, deliver: async () => {}, fallback: () => {}, penalize: () => {}, log: logger('murmur:test:onion-lying') }, { loopsPerMinute: 0, meanDelay: 0 })
  await onion.start()
  return onion
}

describe('a mix that lies about its address', () => {
  const cleanup = cleanedAfterEach()

  it('never makes an honest mix dial the address it announced; the author\'s loops all come back', async () => {
    const victim = await victimHost()
    const liar = await createLibp2p({
      addresses: { listen: LOOPBACK, announce: [`/ip4/127.0.0.1/tcp/${victim.port}`] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() }
    })
    const [author, m1, m2] = await Promise.all([startStockPeer(), startStockPeer(), startStockPeer()])
    const onions = await Promise.all([author, m1, m2, liar].map(mixOn))
    cleanup.running.push(...onions.map((onion) => ({ stop: () => { onion.stop() } })), author, m1, m2, liar, victim)
    await author.dial(m1.getMultiaddrs()[0]!)
    await author.dial(m2.getMultiaddrs()[0]!)
    // the liar's real address is dialed once, by the liar: the author learns only what it announces
    await liar.dial(author.getMultiaddrs()[0]!)
    const [authorOnion] = onions
    await waitFor(() => authorOnion!.mixes === 3, 'the author knows the 3 mixes')

    let back = 0
    authorOnion!.addEventListener('loop', () => { back++ })
    // one at a time: every peer here is in one address group, where a mix keeps 2 forwarding dials at once
    for (let i = 1; i <= LOOPS; i++) {
      expect(await authorOnion!.sendLoop()).toBe(true)
      await waitFor(() => back === i || victim.connections() > 0, `loop ${i} back, or the victim dialed`, 5_000)
      expect(victim.connections()).toBe(0)
    }
    expect(victim.connections()).toBe(0)
    expect(back).toBe(LOOPS)
    expect(authorOnion!.status()).toMatchObject({ loopsSent: LOOPS, loopsReturned: LOOPS })
  }, 15_000)
})
