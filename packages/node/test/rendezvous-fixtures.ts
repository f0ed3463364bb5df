// Shared by the rendezvous draw tests: fresh PeerIds, and rounds of a real TopicRendezvous counting who it dials.
import { generateKeyPair } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RENDEZVOUS_TARGET_PEERS } from '../src/constants.js'
import { TopicRendezvous } from '../src/rendezvous.js'
import type { TopicRendezvousComponents } from '../src/rendezvous.js'
import type { PeerId, PeerInfo } from '@libp2p/interface'

/** `n` fresh Ed25519 PeerIds. */
export const ids = async (n: number): Promise<PeerId[]> => Promise.all(Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))

/** What {@link dialRounds} counted. */
export interface DialCounts {
  dialed: number
  dialedSybils: number
  /** The PeerIds not in the sybil set that were dialed. */
  honestDialed: Set<string>
}

/**
 * Runs `rounds` rendezvous rounds on `topic`, each a new {@link TopicRendezvous} that is stopped after
 * its {@link RENDEZVOUS_TARGET_PEERS}th dial, for a node with no peers in the topic and no connections.
 */
export async function dialRounds (components: Pick<TopicRendezvousComponents, 'dht' | 'peerId' | 'lookup'>, topic: string, sybilSet: Set<string>, rounds: number): Promise<DialCounts> {
  const counts: DialCounts = { dialed: 0, dialedSybils: 0, honestDialed: new Set() }
  for (let round = 0; round < rounds; round++) {
    let roundDone = (): void => {}
    const done = new Promise<void>((resolve) => { roundDone = resolve })
    const rendezvous = new TopicRendezvous({
      ...components,
      dialedInTopic: () => 0,
      isConnected: () => false,
      addressCount: () => 0,
      dial: async (peer: PeerInfo) => {
        counts.dialed++
        if (sybilSet.has(peer.id.toString())) counts.dialedSybils++
        else counts.honestDialed.add(peer.id.toString())
        if (counts.dialed % RENDEZVOUS_TARGET_PEERS === 0) roundDone()
      },
      log: logger('murmur:test')
    })
    rendezvous.join(topic)
    await done
    rendezvous.stop()
  }
  return counts
}
