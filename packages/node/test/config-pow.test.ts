// A node set to less proof of work than the protocol's default accepts and forwards posts that default
// nodes reject (ERR_POW_TOO_LOW), and they cut it off after a few (pinned in gossip.test.ts). On the
// public network that setting is refused at start; a private or test network may lower it.
import { DEFAULT_POW_BITS } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../src/config.js'

const PUBLIC = ['/ip4/0.0.0.0/tcp/0']
const LOOPBACK = ['/ip4/127.0.0.1/tcp/0']

describe('powBits below the protocol default', () => {
  it('is refused on the public network, saying why', async () => {
    for (const powBits of [8, { POST: DEFAULT_POW_BITS.POST - 1 }, { VOTE: DEFAULT_POW_BITS.VOTE - 1 }]) {
      await expect(resolveConfig({ listen: PUBLIC, powBits })).rejects.toMatchObject({
        name: 'InvalidConfigError',
        code: 'ERR_INVALID_CONFIG',
        message: expect.stringMatching(/below the network's \d+: peers on the public network reject such posts .*cut off/)
      })
    }
    // a public bootstrap peer makes it a public network even with a loopback listener
    await expect(resolveConfig({ listen: LOOPBACK, bootstrap: ['/dns4/boot.example.com/tcp/4001/p2p/12D3KooWGRUVh4gg4xJzQGFaodVb4n5x5BjBQbUVyGBkfMvTpuZM'], powBits: 8 }))
      .rejects.toMatchObject({ name: 'InvalidConfigError' })
  })

  it('is allowed on a private or test network, and the default or more is allowed anywhere', async () => {
    expect((await resolveConfig({ listen: LOOPBACK, powBits: 8 })).powBits).toEqual({ POST: 8, REPLY: 8, VOTE: 8 })
    expect((await resolveConfig({ listen: PUBLIC, allowPrivateAddresses: true, powBits: 0 })).powBits).toEqual({ POST: 0, REPLY: 0, VOTE: 0 })
    expect((await resolveConfig({ listen: PUBLIC })).powBits).toEqual(DEFAULT_POW_BITS)
    expect((await resolveConfig({ listen: PUBLIC, powBits: { POST: 20, VOTE: DEFAULT_POW_BITS.VOTE } })).powBits).toEqual({ ...DEFAULT_POW_BITS, POST: 20 })
    // 16 for every kind is above the vote default: a stricter setting, never refused
    expect((await resolveConfig({ listen: PUBLIC, powBits: 16 })).powBits).toEqual({ POST: 16, REPLY: 16, VOTE: 16 })
  })

  it('an explicit allowPrivateAddresses: false keeps the public rule on loopback', async () => {
    await expect(resolveConfig({ listen: LOOPBACK, allowPrivateAddresses: false, powBits: 8 })).rejects.toMatchObject({ name: 'InvalidConfigError' })
  })
})
