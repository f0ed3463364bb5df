// Review 4 (B2 Medium 3): history sync brought stamps in under the delivering PeerId only, so a sybil
// from one address with a fresh PeerId per connection bought one Argon2id evaluation each (20 PeerIds,
// 20 evaluations) where gossip and the stem share one strike per address group (20 PeerIds, 1).
import { generateKeyPair } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { WEEK_SECONDS, encodeStamp, generateAuthorKey, ready } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { openNodeMembership } from '../src/node-membership.js'
import { memoryDatabase } from './store-fixtures.js'
import type { NodeMembershipComponents } from '../src/node-membership.js'

describe('stamps brought by history sync', () => {
  it('cost one evaluation per address group, whatever the number of PeerIds', async () => {
    await ready()
    const cut: string[] = []
    const components = {
      db: memoryDatabase(),
      dataDir: undefined,
      pool: undefined,
      pubsub: {},
      connectionCount: () => 0,
      direct: {},
      stem: undefined,
      cutOff: (peer: string) => { cut.push(peer) },
      senderGroup: () => 'ip4/198.51.100.7',
      log: logger('murmur:test')
    } as unknown as NodeMembershipComponents
    const membership = await openNodeMembership(components, { mint: false, stampBits: 10 })
    const week = Math.floor(Date.now() / 1000 / WEEK_SECONDS)
    for (let i = 0; i < 20; i++) {
      const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
      // a bogus stamp: a nonce that (almost surely) misses 10 bits
      await membership.ingest(encodeStamp({ memberKey: generateAuthorKey().publicKey, week, nonce: i }), peer)
    }
    expect(membership.directory.evaluations).toBeLessThanOrEqual(1)
    expect(cut.length).toBeGreaterThanOrEqual(1)
  })
})
