/**
 * An own post the stem fluffs here after all is charged as a relayed post fluffed here is: to the
 * successor it last went to, and once that is forgotten, to UNKNOWN_SENDER. Eighth read of issue 12: with
 * the successor's entry pushed out (4,096 other stem posts forwarded, or a restart), an own post was
 * charged to the node's own posts, which no flood evicts, while a relayed one fell to UNKNOWN_SENDER: a
 * successor flooding V's channel and asking for the post by sync could tell which was V's.
 */
import { channelTopic, ready } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { STEM_SENDERS } from '../src/intake.js'
import { UNKNOWN_SENDER } from '../src/store/index.js'
import { TEST_POW_BITS } from './harness.js'
import { ringPost } from './remined-fixtures.js'
import type { PostStore } from '../src/internal.js'

const CHANNEL = '#own-fluff-forgotten'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }
const SUCCESSOR = 'ip4/203.0.113.7'

/** Records the group each stored post is charged to. */
function charges (store: PostStore): Array<string | undefined> {
  const charged: Array<string | undefined> = []
  const put = store.put.bind(store)
  store.put = async (stored, now) => { charged.push(stored.from); return await put(stored, now) }
  return charged
}

describe('a post fluffed here after its successor was forgotten', () => {
  beforeAll(async () => { await ready() })

  it('is charged to UNKNOWN_SENDER whether it is the node\'s own or relayed; one never in the stem is the node\'s', async () => {
    const store = createPostStore({ db: await openDatabase(undefined) })
    try {
      const intake = new PostIntake({ store, powBits: POW, announce: () => {} })
      const charged = charges(store)
      const own = await ringPost(CHANNEL, 'own, in the stem')
      const relayed = await ringPost(CHANNEL, 'relayed')
      const direct = await ringPost(CHANNEL, 'own, never in the stem')
      expect(await intake.judge(TOPIC, relayed.bytes, 'ip4/192.0.2.1', 'predecessor')).toBe('accept')
      intake.forwarded(own.id, SUCCESSOR)
      intake.forwarded(relayed.id, SUCCESSOR)
      // other stem posts relayed through this node push both entries out
      for (let i = 0; i < STEM_SENDERS; i++) {
        const id = Uint8Array.from([0xee, i >> 8, i & 0xff, ...new Uint8Array(29)])
        intake.forwarded(id, `ip4/198.51.100.${i & 0xff}`)
      }
      const valid = intake.validate(TOPIC, relayed.bytes, 'stem')
      if (!valid.ok) throw new Error(valid.code)
      expect(await intake.accept(relayed.bytes, valid)).toBe('stored')
      expect(await intake.acceptOwn(CHANNEL, own.bytes, true)).toBe('stored')
      expect(await intake.acceptOwn(CHANNEL, direct.bytes, false)).toBe('stored')
      expect(charged).toEqual([UNKNOWN_SENDER, UNKNOWN_SENDER, undefined])
    } finally {
      await store.close()
    }
  })
})
