// Review 4 (A Medium 1): copies of one envelope that arrive while it is being verified wait for that one
// check, which runs in the verification queue's share of the group that brought it first. A flooder that
// relayed an honest post first and kept its own share full got the check refused — and every honest copy
// waiting on it was refused with it, so the post crossed gossip only later, through sync.
import { buildEnvelope, channelTopic, ready, validateEnvelope } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { VerifyQueueFullError } from '../src/verify/index.js'
import { TEST_POW_BITS } from './harness.js'
import type { ValidateOptions, ValidationResult } from '@murmur/protocol'

const CHANNEL = '#shared-check'
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }
const FLOODER = 'ip4/198.51.100.66'
const HONEST = 'ip4/203.0.113.7'

describe('a check shared by copies of one envelope', () => {
  beforeAll(async () => { await ready() })

  it('that the pool refuses for the flooder\'s group is run again for a copy from another group', async () => {
    const store = createPostStore({ db: await openDatabase(undefined) })
    const asked: Array<string | undefined> = []
    let releaseFlooder: () => void = () => {}
    const flooderTurn = new Promise<void>((resolve) => { releaseFlooder = resolve })
    // the pool: the flooder's share is full, so its job is refused once the honest copy is waiting on it
    const offThread = async (envelope: Uint8Array, options: ValidateOptions, group?: string): Promise<ValidationResult> => {
      asked.push(group)
      if (group === FLOODER) {
        await flooderTurn
        throw new VerifyQueueFullError('the queue is full')
      }
      return validateEnvelope(envelope, options)
    }
    const intake = new PostIntake({ store, powBits: POW, announce: () => {}, offThread })
    try {
      const post = await buildEnvelope({ channel: CHANNEL, body: 'an honest post', powBits: TEST_POW_BITS })
      const topic = channelTopic(CHANNEL)
      const fromFlooder = intake.verify(topic, post.bytes, 'gossip', FLOODER)
      const fromHonest = intake.verify(topic, post.bytes, 'gossip', HONEST)
      releaseFlooder()
      await expect(fromFlooder).rejects.toThrow(VerifyQueueFullError)
      expect(await fromHonest).toMatchObject({ ok: true })
      expect(asked).toEqual([FLOODER, HONEST])
      // a second copy from the flooder's own group still shares its refusal: no retry within one group
    } finally {
      await store.close()
    }
  })
})
