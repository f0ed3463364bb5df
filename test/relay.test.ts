/**
 * `murmur relay`: a public node for browsers. Runs the built CLI on loopback and checks what it
 * prints, that its PeerId persists, and that a client really gets a relay slot on it.
 */
import { existsSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { createMurmur } from '@murmur/node'
import { browserMultiaddrs } from '@murmur/node/relay'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Sandbox, TEST_STAMP_BITS } from './cli-harness.js'
import type { Murmur } from '@murmur/node'
import type { RelayReady } from './cli-harness.js'

describe('murmur relay', () => {
  let sandbox: Sandbox
  const clients: Murmur[] = []

  beforeEach(async () => { sandbox = await Sandbox.create() })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map(async (client) => client.stop()))
    await sandbox.cleanup()
  })

  it('prints the addresses browsers use and keeps its PeerId across restarts', async () => {
    const first = await sandbox.relay(['--channel', 'campus'])
    expect(first.ready.channels).toEqual(['#campus'])
    expect(first.ready.browserMultiaddrs).toHaveLength(1)
    expect(first.ready.browserMultiaddrs[0]).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/ws/p2p/${first.ready.peerId}$`))
    expect((await stat(join(sandbox.dir('relay'), 'peer.key'))).mode & 0o777).toBe(0o600)
    // a relay is no member: no member key, no stamp minted on its CPU
    expect(existsSync(join(sandbox.dir('relay'), 'membership'))).toBe(false)
    expect(await first.proc.stop('SIGTERM')).toBe(0)
    expect(first.proc.stdout.at(-1)).toBe('{"event":"stopped"}')

    const second = await sandbox.relay(['--channel', 'campus'])
    expect(second.ready.peerId).toBe(first.ready.peerId)
  })

  /** Starts a client of the relay that asks it for a slot; resolves once the client holds one (a circuit address). */
  async function slotHolder (ready: RelayReady): Promise<Murmur> {
    const client = await createMurmur({
      listen: ['/p2p-circuit'],
      bootstrap: [ready.multiaddrs[0] ?? ''],
      allowPrivateAddresses: true,
      // the relay's directory at TEST_STAMP_BITS: a client judging stamps at 10 bits would cut it off
      membership: { stampBits: TEST_STAMP_BITS },
      libp2p: { transports: [circuitRelayTransport()] }
    })
    clients.push(client)
    const circuit = `/p2p/${ready.peerId}/p2p-circuit/p2p/${client.peerId.toString()}`
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (client.getMultiaddrs().some((ma) => ma.toString().endsWith(circuit))) {
          client.libp2p.removeEventListener('self:peer:update', check)
          resolve()
        }
      }
      client.libp2p.addEventListener('self:peer:update', check)
      check()
    })
    return client
  }

  it('gives a client a relay slot and reports it', async () => {
    const { proc, ready } = await sandbox.relay(['--channel', 'campus'])
    await slotHolder(ready)
    await proc.waitForLine((line) => line.includes('"event":"status"') && line.includes('"reservations":1'))
  })

  it('with --reservation-share 1 (behind a reverse proxy), one address may hold every slot', async () => {
    // all clients come from 127.0.0.1: at the default share of 0.5 the third of 4 slots is refused
    const { proc, ready } = await sandbox.relay(['--max-reservations', '4', '--reservation-share', '1'])
    for (let i = 0; i < 3; i++) await slotHolder(ready)
    await proc.waitForLine((line) => line.includes('"event":"status"') && line.includes('"reservations":3'))
  })

  it('refuses a reservation share outside (0, 1] before it starts, exit 2, and explains the flag in its help', async () => {
    const dataDir = sandbox.dir('refused-relay')
    for (const value of ['0', '1.5', 'half', '0x1']) {
      const result = await sandbox.run(['relay', '--data-dir', dataDir, '--no-mdns', '--reservation-share', value])
      expect(result.code, value).toBe(2)
      expect(result.stderr).toContain(`error: option '--reservation-share <fraction>' argument '${value}' is invalid. expected a fraction greater than 0 and at most 1`)
      expect(result.stdout).toBe('')
    }
    await expect(stat(dataDir)).rejects.toMatchObject({ code: 'ENOENT' })
    const help = await sandbox.run(['relay', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('--stamp-bits <bits>')
    expect(help.stdout).not.toContain('--no-mint')
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('--reservation-share <fraction> largest fraction of free relay slots and connections one client address may hold (default 0.5); 1 behind a TLS reverse proxy, where every browser comes from the proxy\'s address')
  })

  it('picks the addresses a browser can dial', () => {
    const id = '12D3KooWAorpeq8LMX7ZSxYWt1FGJPUNDkjDda7UbGnUiQnNgu2b'
    expect(browserMultiaddrs([
      `/ip4/203.0.113.7/tcp/4001/p2p/${id}`,
      `/ip4/203.0.113.7/tcp/4002/ws/p2p/${id}`,
      `/dns4/relay.example.org/tcp/443/wss/p2p/${id}`,
      `/ip4/203.0.113.7/udp/4003/webrtc-direct/certhash/uEiAx/p2p/${id}`,
      `/ip4/203.0.113.7/tcp/4002/ws/p2p/${id}/p2p-circuit/p2p/12D3KooWOther`
    ])).toEqual([
      `/ip4/203.0.113.7/tcp/4002/ws/p2p/${id}`,
      `/dns4/relay.example.org/tcp/443/wss/p2p/${id}`,
      `/ip4/203.0.113.7/udp/4003/webrtc-direct/certhash/uEiAx/p2p/${id}`
    ])
  })
})
