import { buildEnvelope, channelTopic, ready } from '@murmur/protocol'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/index.js'
import { TEST_POW_BITS } from './harness.js'

const CHANNEL = '#intake'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }

async function intake (): Promise<PostIntake> {
  return new PostIntake({ store: createPostStore({ db: await openDatabase(undefined) }), powBits: POW, announce: () => {} })
}

describe('post intake', () => {
  beforeAll(async () => { await ready() })
  afterEach(() => { vi.useRealTimers() })

  it('does not check a stem post it judged valid a second time when it fluffs it, except for expiry', async () => {
    const created = Math.floor(Date.now() / 1000)
    const ttl = 3600
    const built = await buildEnvelope({ channel: CHANNEL, body: 'held in the stem', created, ttl, powBits: TEST_POW_BITS })
    const hop = await intake()
    expect(await hop.judge(TOPIC, built.bytes)).toBe('accept')
    const first = hop.validate(TOPIC, built.bytes)
    expect(first.ok).toBe(true)
    // the judged result itself, not a fresh validation
    expect(hop.validate(TOPIC, built.bytes)).toBe(first)
    // equal bytes that were never judged, or the same bytes under another topic, are validated in full
    const copy = hop.validate(TOPIC, built.bytes.slice())
    expect(copy).not.toBe(first)
    expect(copy).toMatchObject({ ok: true, id: built.id })
    expect(hop.validate(channelTopic('#elsewhere'), built.bytes)).toMatchObject({ ok: false })
    // once the post has expired while held, the cached verdict no longer holds
    vi.useFakeTimers({ now: (created + ttl + 2) * 1000 })
    expect(hop.validate(TOPIC, built.bytes)).toMatchObject({ ok: false, code: 'ERR_EXPIRED' })
  })

  it('remembers nothing for envelopes it refused', async () => {
    const built = await buildEnvelope({ channel: CHANNEL, body: 'broken', created: Math.floor(Date.now() / 1000), ttl: 3600, powBits: TEST_POW_BITS })
    const broken = built.bytes.slice()
    broken[broken.length - 1]! ^= 0xff
    const hop = await intake()
    expect(await hop.judge(TOPIC, broken)).not.toBe('accept')
    const again = hop.validate(TOPIC, broken)
    expect(again.ok).toBe(false)
    expect(hop.validate(TOPIC, broken)).not.toBe(again)
  })
})
