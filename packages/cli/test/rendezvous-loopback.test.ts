import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LocalRendezvous, isLoopbackAddress } from '../src/daemon/rendezvous.js'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Murmur } from '@murmur/node'

/** A node stub announcing `own` and recording what it is asked to dial. */
function nodeStub (own: string[], dialed: string[]): Murmur {
  return {
    peerId: { toString: () => 'self' },
    getMultiaddrs: () => own.map((a) => multiaddr(a)),
    libp2p: {
      getConnections: () => [],
      dial: async (ma: Multiaddr) => { dialed.push(ma.toString()) }
    }
  } as unknown as Murmur
}

describe('local rendezvous: loopback addresses only (@libp2p/utils isLoopback)', () => {
  let base: string
  beforeEach(async () => { base = await mkdtemp(join(tmpdir(), 'murmur-rdv-')) })
  afterEach(async () => { await rm(base, { recursive: true, force: true }) })

  it('tells loopback addresses by parsing them, not by their first characters', () => {
    expect(isLoopbackAddress('/ip4/127.0.0.1/tcp/4001')).toBe(true)
    expect(isLoopbackAddress('/ip6/::1/tcp/4001/ws')).toBe(true)
    // the same address written out in full: the hand-written prefix check missed it
    expect(isLoopbackAddress('/ip6/0:0:0:0:0:0:0:1/tcp/4001')).toBe(true)
    // not addresses at all, though they start like one: the prefix check took them
    expect(isLoopbackAddress('/ip4/127.0.0.1.nip.io/tcp/4001')).toBe(false)
    expect(isLoopbackAddress('/ip4/127.attacker/tcp/1')).toBe(false)
    for (const other of ['/ip4/10.0.0.1/tcp/1', '/ip4/8.8.8.8/tcp/1', '/dns4/localhost/tcp/1', '/ip6/::ffff:10.0.0.1/tcp/1', '/ip6/fe80::1/tcp/1', 'not a multiaddr', '']) {
      expect(isLoopbackAddress(other), other).toBe(false)
    }
  })

  it('announces only its loopback addresses and dials only the loopback ones of an entry', async () => {
    const dir = join(base, 'rendezvous')
    const dialed: string[] = []
    const rendezvous = new LocalRendezvous(nodeStub(['/ip4/192.168.1.5/tcp/4001', '/ip6/::1/tcp/4001', '/ip4/127.0.0.1/tcp/4001'], dialed), { dir, interval: 60_000 })
    // an entry of a live process (this one) with one address of each kind; the first loopback one is dialed
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await writeFile(join(dir, 'other.json'), JSON.stringify({
      pid: process.pid,
      multiaddrs: ['/ip4/8.8.8.8/tcp/4001', '/ip4/127.0.0.1.nip.io/tcp/4001', '/dns4/localhost/tcp/4001', '/ip6/0:0:0:0:0:0:0:1/tcp/4001']
    }), { mode: 0o600 })
    try {
      expect(await rendezvous.start()).toBe(true)
      expect(JSON.parse(await readFile(join(dir, 'self.json'), 'utf8')).multiaddrs).toEqual(['/ip6/::1/tcp/4001', '/ip4/127.0.0.1/tcp/4001'])
      expect(dialed).toEqual(['/ip6/::1/tcp/4001'])
    } finally {
      await rendezvous.stop()
    }
  })
})
