/**
 * Final review of issue 12, High (item 4), in the intake: an envelope's nonce is the one field its proof of
 * work does not cover, so copies of one signed post with re-mined nonces are new bytes to every cache by
 * bytes. Each was verified in full on every path. Now a signature is checked once whatever the nonce (valid
 * or forged), and a copy of a post stored here is not checked at all on the stem, nor by gossip once the post
 * came by gossip.
 */
import { channelTopic, decodeEnvelope, encodeEnvelope, ready, requiredPowBits } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { createPostStore, openDatabase } from '../src/internal.js'
import { TEST_POW_BITS } from './harness.js'
import { countingIntake, remined, ringPost } from './remined-fixtures.js'

const CHANNEL = '#remined-intake'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }
const RING = 4
const BITS = requiredPowBits('POST', RING, POW)
const COPIES = 32

describe('re-mined copies of one post in the intake', () => {
  beforeAll(async () => { await ready() })

  it('of a valid ring post not stored here: one check for the stem, gossip and history sync together', async () => {
    const store = createPostStore({ db: await openDatabase(undefined) })
    const { intake, checks } = countingIntake(store, POW)
    try {
      const post = await ringPost(CHANNEL, 'not stored')
      const copies = remined(post.bytes, post.id, BITS, 3 * COPIES)
      for (const bytes of copies.slice(0, COPIES)) expect(await intake.judge(TOPIC, bytes, 'ip4/192.0.2.1', 'peer')).toBe('accept')
      for (const bytes of copies.slice(COPIES, 2 * COPIES)) expect(await intake.verify(TOPIC, bytes, 'gossip')).toMatchObject({ ok: true, id: post.id })
      const synced: string[] = []
      for (const bytes of copies.slice(2 * COPIES)) synced.push(await intake.ingest(TOPIC, bytes))
      expect(synced).toEqual(['accept', ...Array<string>(COPIES - 1).fill('ignore')])
      expect(checks()).toBe(1)
      // each copy is judged as itself: its own nonce
      const last = await intake.verify(TOPIC, copies.at(-1)!, 'gossip')
      expect(last.ok && last.pow).toBe(decodeEnvelope(copies.at(-1)!).pow)
    } finally {
      await store.close()
    }
  })

  it('of a forged ring signature under a paid proof of work: one check, every copy refused', async () => {
    const store = createPostStore({ db: await openDatabase(undefined) })
    const { intake, checks } = countingIntake(store, POW)
    try {
      const post = await ringPost(CHANNEL, 'forged')
      const forged = decodeEnvelope(post.bytes)
      forged.ring!.s[0] = new Uint8Array(32).fill(1) as Uint8Array<ArrayBuffer>
      const copies = remined(encodeEnvelope(forged), post.id, BITS, 2 * COPIES)
      for (const bytes of copies.slice(0, COPIES)) expect(await intake.judge(TOPIC, bytes)).toBe('reject')
      for (const bytes of copies.slice(COPIES)) expect(await intake.verify(TOPIC, bytes, 'gossip')).toMatchObject({ ok: false, code: 'ERR_BAD_SIGNATURE' })
      expect(checks()).toBe(1)
    } finally {
      await store.close()
    }
  })

  it('of a post stored here: a stem copy is ignored unchecked, and so is a gossip copy once the post came by gossip', async () => {
    const store = createPostStore({ db: await openDatabase(undefined) })
    // stored by another path than this intake's (its signature memo does not know the post)
    const first = countingIntake(store, POW)
    const { intake, checks } = countingIntake(store, POW)
    try {
      const post = await ringPost(CHANNEL, 'stored')
      expect(await first.intake.ingest(TOPIC, post.bytes)).toBe('accept')
      const [stem, beforeGossip, afterGossip] = remined(post.bytes, post.id, BITS, 3)
      expect(await intake.judge(TOPIC, stem!)).toBe('ignore')
      expect(checks()).toBe(0)
      // its first gossip copy is judged in full (and forwarded while fresh, own or not)
      const valid = await intake.verify(TOPIC, beforeGossip!, 'gossip')
      if (!valid.ok) throw new Error(valid.code)
      expect(await intake.receiveGossip(beforeGossip!, valid)).toBe('forward')
      expect(checks()).toBe(1)
      expect(await intake.verify(TOPIC, afterGossip!, 'gossip')).toMatchObject({ ok: false, code: 'ERR_DUPLICATE' })
      expect(checks()).toBe(1)
    } finally {
      await store.close()
    }
  })

  it('of an own post: a copy sent back with a new nonce is judged as quickly as one of a relayed post, without a check', async () => {
    const store = createPostStore({ db: await openDatabase(undefined) })
    const { intake, checks } = countingIntake(store, POW)
    try {
      // made here: checked on the main thread when it is made (OwnPosts), as 'own'
      const own = await ringPost(CHANNEL, 'own')
      expect(intake.validate(TOPIC, own.bytes, 'own')).toMatchObject({ ok: true })
      // relayed: checked once when it came
      const relayed = await ringPost(CHANNEL, 'relayed')
      expect(await intake.judge(TOPIC, relayed.bytes, 'ip4/192.0.2.1', 'predecessor')).toBe('accept')
      expect(checks()).toBe(1)
      // the successor sends each back with a new nonce: neither is checked again
      for (const post of [own, relayed]) {
        const [back] = remined(post.bytes, post.id, BITS, 1)
        expect(await intake.judge(TOPIC, back!, 'ip4/192.0.2.2', 'successor')).toBe('accept')
      }
      expect(checks()).toBe(1)
    } finally {
      await store.close()
    }
  })
})
