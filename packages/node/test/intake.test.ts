import { EPOCH_SECONDS, authorPublicKey, buildEnvelope, channelTopic, compareBytes, decodeEnvelope, encodeEnvelope, generateAuthorKey, messageId, minePow, powDigest, ready } from '@murmur/protocol'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { FORWARD_STORED_MAX_AGE } from '../src/intake.js'
import type { ValidEnvelope } from '@murmur/protocol'
import { TEST_POW_BITS, TEST_UNVERIFIED_POW_BITS } from './harness.js'

const CHANNEL = '#intake'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }

async function intake (): Promise<PostIntake> {
  return new PostIntake({ store: createPostStore({ db: await openDatabase(undefined) }), powBits: POW, announce: () => {} })
}

/** A copy with a zeroed signature, mined again so that it reaches the signature check (the proof of work covers it). */
async function forge (bytes: Uint8Array): Promise<Uint8Array> {
  const broken = decodeEnvelope(bytes)
  broken.oneTime!.signature = new Uint8Array(64) as Uint8Array<ArrayBuffer>
  const id = messageId(TOPIC, bytes)
  broken.pow = await minePow(powDigest(id, broken), TEST_UNVERIFIED_POW_BITS)
  return encodeEnvelope(broken)
}

describe('post intake', () => {
  beforeAll(async () => { await ready() })
  afterEach(() => { vi.useRealTimers() })

  it('does not verify bytes it judged valid a second time, from any path, except for what time changes', async () => {
    const created = Math.floor(Date.now() / 1000)
    const ttl = 3600
    const built = await buildEnvelope({ channel: CHANNEL, body: 'held in the stem', created, ttl, powBits: TEST_POW_BITS })
    const hop = await intake()
    expect(await hop.judge(TOPIC, built.bytes)).toBe('accept')
    const first = hop.validate(TOPIC, built.bytes, 'stem')
    expect(first.ok).toBe(true)
    // the judged result itself, not a fresh validation: for the same bytes object, equal bytes, and from gossip
    expect(hop.validate(TOPIC, built.bytes, 'stem')).toBe(first)
    expect(hop.validate(TOPIC, built.bytes.slice(), 'gossip')).toBe(first)
    expect(hop.validate(TOPIC, built.bytes, 'sync')).toBe(first)
    // the same bytes under another topic are another message, validated in full
    expect(hop.validate(channelTopic('#elsewhere'), built.bytes, 'gossip')).toMatchObject({ ok: false })
    // once the post has expired while held, the cached verdict no longer holds
    vi.useFakeTimers({ now: (created + ttl + 2) * 1000 })
    expect(hop.validate(TOPIC, built.bytes, 'gossip')).toMatchObject({ ok: false, code: 'ERR_EXPIRED' })
  })

  it('from gossip: credits only a post new to the store, forwards a stored one once and only while fresh', async () => {
    const now = Math.floor(Date.now() / 1000)
    const hop = await intake()
    const take = async (bytes: Uint8Array): Promise<string> => {
      const valid = hop.validate(TOPIC, bytes, 'gossip')
      if (!valid.ok) throw new Error(valid.code)
      return hop.receiveGossip(bytes, valid)
    }
    const fresh = await buildEnvelope({ channel: CHANNEL, body: 'fresh', created: now - 60, ttl: 86_400, powBits: TEST_POW_BITS })
    const old = await buildEnvelope({ channel: CHANNEL, body: 'old', created: now - FORWARD_STORED_MAX_AGE - 120, ttl: 86_400, powBits: TEST_POW_BITS })
    expect(await take((await buildEnvelope({ channel: CHANNEL, body: 'new', powBits: TEST_POW_BITS })).bytes)).toBe('stored')
    // stored already (planted by sync, or restarted): the first gossip copy goes on, uncredited; later ones do not
    for (const built of [fresh, old]) await hop.accept(built.bytes, hop.validate(TOPIC, built.bytes, 'sync') as ValidEnvelope)
    expect(await take(fresh.bytes)).toBe('forward')
    expect(await take(fresh.bytes)).toBe('duplicate')
    expect(await take(old.bytes)).toBe('duplicate')
  })

  it('from gossip: takes an own post not yet back from the network as new however old, forwarded and its sender credited, as a relay that never saw it would', async () => {
    const now = Math.floor(Date.now() / 1000)
    const queued = await buildEnvelope({ channel: CHANNEL, body: 'queued offline', created: now - 3600, ttl: 86_400, powBits: TEST_POW_BITS })
    let awaiting = true
    let announced = 0
    const store = createPostStore({ db: await openDatabase(undefined) })
    const hop = new PostIntake({ store, powBits: POW, announce: () => { announced++ }, awaiting: () => awaiting, onValid: () => { awaiting = false } })
    // made here: checked, kept with the own posts not yet back, not stored
    expect(hop.validate(TOPIC, queued.bytes, 'own').ok).toBe(true)
    expect(await hop.receiveGossip(queued.bytes, hop.validate(TOPIC, queued.bytes, 'gossip') as ValidEnvelope)).toBe('stored')
    // stored now, noted back, and not announced a second time
    expect(await store.has(queued.id)).toBe(true)
    expect(awaiting).toBe(false)
    expect(announced).toBe(0)
  })

  it('remembers the envelopes it refused for good by their bytes, so a broken copy never shadows the genuine post', async () => {
    const built = await buildEnvelope({ channel: CHANNEL, body: 'broken', created: Math.floor(Date.now() / 1000), ttl: 3600, powBits: TEST_POW_BITS })
    const brokenBytes = await forge(built.bytes)
    const hop = await intake()
    expect(await hop.judge(TOPIC, brokenBytes)).toBe('reject')
    const again = hop.validate(TOPIC, brokenBytes.slice(), 'sync')
    expect(again).toMatchObject({ ok: false, code: 'ERR_BAD_SIGNATURE' })
    expect(hop.validate(TOPIC, brokenBytes, 'gossip')).toBe(again)
    // the genuine envelope of the same post is judged on its own bytes
    expect(hop.validate(TOPIC, built.bytes, 'gossip')).toMatchObject({ ok: true, id: built.id })
  })

  it('forgets nothing it refused only for the time (too early): that can change', async () => {
    const created = Math.floor(Date.now() / 1000) + 600
    const built = await buildEnvelope({ channel: CHANNEL, body: 'from the future', created, ttl: 3600, powBits: TEST_POW_BITS })
    const hop = await intake()
    expect(hop.validate(TOPIC, built.bytes, 'gossip')).toMatchObject({ ok: false, code: 'ERR_TOO_EARLY' })
    vi.useFakeTimers({ now: created * 1000 })
    expect(hop.validate(TOPIC, built.bytes, 'gossip')).toMatchObject({ ok: true })
  })

  it('takes ring posts of a stale epoch from history sync only, not from gossip or the stem', async () => {
    const members = [generateAuthorKey(), generateAuthorKey(), generateAuthorKey()]
    const ring = members.map((member) => authorPublicKey(member.secretKey)).sort(compareBytes)
    const now = Math.floor(Date.now() / 1000)
    const created = now - 3 * EPOCH_SECONDS
    const built = await buildEnvelope({
      channel: CHANNEL, body: 'three hours old', created, ttl: 86_400, powBits: TEST_POW_BITS, auth: { kind: 'ring', ring, secretKey: members[0]!.secretKey, slot: 0, weekSlot: 0 }
    })
    const hop = await intake()
    expect(hop.validate(TOPIC, built.bytes, 'gossip')).toMatchObject({ ok: false, code: 'ERR_STALE_EPOCH' })
    expect(await hop.judge(TOPIC, built.bytes)).toBe('ignore')
    expect(await hop.ingest(TOPIC, built.bytes)).toBe('accept')
    // verified once for sync, which does not make it acceptable live
    expect(hop.validate(TOPIC, built.bytes, 'stem')).toMatchObject({ ok: false, code: 'ERR_STALE_EPOCH' })
    // a fresh one passes everywhere
    const fresh = await buildEnvelope({ channel: CHANNEL, body: 'now', powBits: TEST_POW_BITS, auth: { kind: 'ring', ring, secretKey: members[1]!.secretKey, slot: 0, weekSlot: 0 } })
    expect(hop.validate(TOPIC, fresh.bytes, 'gossip')).toMatchObject({ ok: true })
  })
})
