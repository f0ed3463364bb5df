// Issue 12, High 2 (review 4): the channel quota told a stem successor whether a post was its
// predecessor's own. Successor S gets P from V over the stem, floods V's channel from its own address,
// sends P back to V alone (gossip, or a sync push), and floods past the quota. A relayed P was charged
// to S and, S's newest arrival but one, evicted; V's own P was charged to V's own posts and kept. S then
// asks V for P by history sync: served means own. Own and relayed must come out alike, also when S
// swallows P and V fluffs it after its embargo (own: charged to V's own posts; relayed: to its
// predecessor, which a flood from a second address levels down with the rest).
import { buildEnvelope, channelTopic, messageId, ready, toHex } from '@murmur/protocol'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { TEST_POW_BITS } from './harness.js'
import type { ValidEnvelope } from '@murmur/protocol'

const CHANNEL = '#oracle'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }
const T0 = 1_800_000_000
/** The channel quota of the trials (the reviewer's script: 40 posts, 20 of them honest). */
const QUOTA = 40
const HONEST = ['ip4/10.0.1.0', 'ip4/10.0.2.0']
/** The peer a relayed P came from: a busy honest one, that delivered half the honest posts too. */
const PREDECESSOR = HONEST[0]!
const SUCCESSOR = 'ip4/6.6.6.0'
/** A second address of the attacker's, flooding alongside S. */
const SYBIL = 'ip4/7.7.7.0'
const TRIALS = 4

/** What the successor learns of P at the end of one trial. */
interface Seen {
  /** P is still stored (sync would serve it) */
  kept: boolean
  /** P is among the ids sync reconciles */
  listed: boolean
}

async function envelope (body: string, created: number): Promise<Uint8Array> {
  return (await buildEnvelope({ channel: CHANNEL, body, created, ttl: 86_400, powBits: TEST_POW_BITS })).bytes
}

/** How P gets into V's store: S sends it back by gossip or sync, or swallows it and V fluffs it itself. */
type Path = 'gossip' | 'sync' | 'fluff'

/**
 * One trial of the attack on a node V: P is V's own (`own`) or one V passed on in the stem; it gets into
 * V's store through `path` between two parts of a flood from S and a second address of the attacker's.
 */
async function trial (own: boolean, path: Path, k: number): Promise<Seen> {
  const store = createPostStore({ db: await openDatabase(undefined), channelPosts: QUOTA })
  const awaiting = new Set<string>()
  const hop = new PostIntake({
    store,
    powBits: POW,
    announce: () => {},
    awaiting: (id) => awaiting.has(toHex(id)),
    // as the node does: a valid copy from the network means the own post is back
    onValid: (id) => { awaiting.delete(toHex(id)) }
  })
  let second = T0
  const at = (s: number): void => { second = s; vi.setSystemTime(s * 1000) }
  const deliver = async (bytes: Uint8Array): Promise<void> => {
    if (path === 'sync') {
      await hop.ingest(TOPIC, bytes, SUCCESSOR)
    } else if (path === 'gossip') {
      await hop.receiveGossip(bytes, hop.validate(TOPIC, bytes, 'gossip') as ValidEnvelope, SUCCESSOR)
    } else if (own) {
      // as OwnPosts.landed does once the direct outbox published it
      awaiting.delete(toHex(messageId(TOPIC, bytes)))
      await hop.acceptOwn(CHANNEL, bytes)
    } else {
      // as OwnPosts.fluff does with another node's post
      await hop.accept(bytes, hop.validate(TOPIC, bytes, 'stem') as ValidEnvelope)
    }
  }
  const flood = async (n: number, tag: string): Promise<void> => {
    for (let i = 0; i < n; i++) {
      for (const from of [SUCCESSOR, SYBIL]) {
        const bytes = await envelope(`flood ${tag} ${from} ${k} ${i}`, second)
        await hop.receiveGossip(bytes, hop.validate(TOPIC, bytes, 'gossip') as ValidEnvelope, from)
      }
    }
  }
  try {
    at(T0)
    for (let i = 0; i < 20; i++) {
      const bytes = await envelope(`honest ${k} ${i}`, second)
      await hop.receiveGossip(bytes, hop.validate(TOPIC, bytes, 'gossip') as ValidEnvelope, HONEST[i % 2])
    }
    at(T0 + 10)
    const p = await envelope(`target ${k}`, second)
    let id: Uint8Array
    if (own) {
      // made here: checked, kept out of the store until it comes back (in-stem.ts)
      id = (hop.validate(TOPIC, p, 'own') as ValidEnvelope).id
      awaiting.add(toHex(id))
    } else {
      // a predecessor's frame: judged, passed on to S, not stored
      expect(await hop.judge(TOPIC, p, PREDECESSOR)).toBe('accept')
      id = (hop.validate(TOPIC, p, 'stem') as ValidEnvelope).id
    }
    // the stem sends it on to S, and says so
    hop.forwarded(id, SUCCESSOR)
    at(T0 + 20)
    await flood(9, 'a')
    at(T0 + 21)
    await deliver(p)
    at(T0 + 22)
    await flood(2, 'b')
    let listed = false
    for await (const item of store.ids(CHANNEL, second)) if (toHex(item.id) === toHex(id)) listed = true
    return { kept: await store.get(id, second) !== undefined, listed }
  } finally {
    await store.close()
  }
}

describe('the channel quota does not tell a returning stem successor whether a post is own', () => {
  beforeAll(async () => { await ready() })
  afterEach(() => { vi.useRealTimers() })

  for (const path of ['gossip', 'sync', 'fluff'] as const) {
    it(`an own post and a relayed one stored by ${path} fare alike under the successor's flood`, async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      const own: Seen[] = []
      const relayed: Seen[] = []
      for (let k = 0; k < TRIALS; k++) {
        own.push(await trial(true, path, k))
        relayed.push(await trial(false, path, k))
      }
      expect(own).toEqual(relayed)
    }, 60_000)
  }
})
