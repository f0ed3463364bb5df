// Review 4 (A Medium 2): reading a post (a reply's view reads its root) turned every own post not yet back
// into its stored form by validating it again. Once a flood of valid posts pushed those envelopes out of
// the verified cache, each read cost one signature check per pending own post before the verdict: a timing
// signal of how many own posts a node had in the stem. An own post is validated once, when first read.
import { buildEnvelope, ready } from '@murmur/protocol'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { TEST_POW_BITS } from './harness.js'

const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }

describe('own posts not yet back', () => {
  beforeAll(async () => { await ready() })

  it('are validated once, not on every read, and drop out when they expire', async () => {
    const store = createPostStore({ db: await openDatabase(undefined) })
    let now = Date.now()
    const intake = new PostIntake({ store, powBits: POW, announce: () => {}, now: () => now })
    try {
      const own = await buildEnvelope({ channel: '#own', body: 'still in the stem', ttl: 3600, powBits: TEST_POW_BITS })
      const validate = vi.spyOn(intake, 'validate')
      for (let i = 0; i < 5; i++) expect(intake.ownEntry('#own', own.bytes)).toMatchObject({ body: 'still in the stem' })
      expect(validate).toHaveBeenCalledTimes(1)
      now += 2 * 3600 * 1000
      expect(intake.ownEntry('#own', own.bytes)).toBeUndefined()
    } finally {
      await store.close()
    }
  })
})
