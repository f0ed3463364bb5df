/**
 * A node that has dialed no peer at all keeps trying its bootstrap peers often. With the backoff
 * doubling to five minutes, a newcomer whose first dials were refused (a busy bootstrap node: 200 nodes
 * behind one address in the crowd bench) dialed 9 times in 10 minutes, and 8 of 200 nodes were still
 * alone after 600 s. Alone, the backoff stops at {@link DISCOVERY_ALONE_RETRY}; with a peer, it grows as before.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DISCOVERY_ALONE_RETRY } from '../src/constants.js'
import { DiscoveryDialer } from '../src/discovery.js'
import { ids } from './rendezvous-fixtures.js'

const TEN_MINUTES = 600_000

/** Bootstrap dials of a dialer whose bootstrap peer never answers, in ten (fake) minutes. */
async function bootstrapDials (dialedCount: number): Promise<number> {
  const [boot] = await ids(1)
  const bootPeer = { id: boot!, multiaddrs: [multiaddr('/ip4/127.0.0.1/tcp/1')] }
  let dials = 0
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  const dialer = new DiscoveryDialer({
    dialedCount: () => dialedCount,
    isConnected: () => false,
    dial: async () => { dials++; throw new Error('refused') }
  }, { below: 8, bootstrap: [bootPeer] })
  try {
    dialer.offer(bootPeer)
    await vi.advanceTimersByTimeAsync(TEN_MINUTES)
    return dials
  } finally {
    dialer.stop()
  }
}

describe('a node with no peer', () => {
  afterEach(() => { vi.useRealTimers() })

  it('dials its bootstrap peer at least every DISCOVERY_ALONE_RETRY while alone, and backs off further once it has a peer', async () => {
    const alone = await bootstrapDials(0)
    expect(alone).toBeGreaterThanOrEqual(TEN_MINUTES / DISCOVERY_ALONE_RETRY)
    // 2, 4, 8 … s up to five minutes: 0, 2, 6, 14, 30, 62, 126, 254, 510 s
    expect(await bootstrapDials(1)).toBe(9)
  })
})
