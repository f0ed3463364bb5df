// Review M1 (protocol v2 review #1): builders picked ring slots at random and nobody passed the used ones,
// so 4 posts of one member in an hour shared an hourly tag with p = 0.52 (20 in a week a weekly tag with
// p = 0.49): the second post was refused everywhere, and the shared tag linked the two posts to one author.
// Now a member's n-th post of an hour (week) takes position n of a secret per-member permutation. On the
// previous build.ts these tests fail: sequence numbers were ignored and slots drawn at random (collisions),
// and there was no ringSlots or RateLimitError.
import { describe, expect, it } from 'vitest'
import {
  buildEnvelope, channelTopic, compareBytes, generateAuthorKey, ringSlots, toHex, validateEnvelope, EPOCH_SECONDS, POSTS_PER_EPOCH, POSTS_PER_WEEK,
  WEEK_SECONDS
} from '../src/index.js'
import type { RingPeriod, RingSequence, ValidationResult } from '../src/index.js'
import { seededRandom, VECTOR_NOW } from './helpers.js'

const TOPIC = channelTopic('#lobby')
const NOW = VECTOR_NOW + 1800 // half past the hour
const created = BigInt(NOW)
const members = Array.from({ length: 4 }, (_, i) => generateAuthorKey(seededRandom(`slots-${i}`)))
const ring = members.map((m) => m.publicKey).sort(compareBytes)
const check = (bytes: Uint8Array): ValidationResult => validateEnvelope(bytes, { topic: TOPIC, now: NOW, powBits: { POST: 0, REPLY: 0, VOTE: 0 } })

/** Pearson's chi-square statistic of counts against a uniform expectation. */
const chiSquare = (counts: number[], total: number): number => {
  const expected = total / counts.length
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0)
}

describe('secret slot schedule', () => {
  it("K sequence numbers give K distinct slots, W give W distinct week slots, and the next one is refused with ERR_RATE_LIMITED", () => {
    const x = members[0]!.secretKey
    const hour = Array.from({ length: POSTS_PER_EPOCH }, (_, n) => ringSlots(x, TOPIC, created, { epoch: n, week: 0 }).slot)
    expect([...hour].sort((a, b) => a - b)).toEqual(Array.from({ length: POSTS_PER_EPOCH }, (_, i) => i))
    const week = Array.from({ length: POSTS_PER_WEEK }, (_, n) => ringSlots(x, TOPIC, created, { epoch: 0, week: n }).weekSlot)
    expect(new Set(week).size).toBe(POSTS_PER_WEEK)
    expect(() => ringSlots(x, TOPIC, created, { epoch: POSTS_PER_EPOCH, week: 0 })).toThrow(expect.objectContaining({
      name: 'RateLimitError', code: 'ERR_RATE_LIMITED', limit: 'epoch', retryAt: (Math.floor(NOW / EPOCH_SECONDS) + 1) * EPOCH_SECONDS
    }))
    expect(() => ringSlots(x, TOPIC, created, { epoch: 0, week: POSTS_PER_WEEK })).toThrow(expect.objectContaining({
      code: 'ERR_RATE_LIMITED', limit: 'week', retryAt: (Math.floor(NOW / WEEK_SECONDS) + 1) * WEEK_SECONDS
    }))
    for (const bad of [-1, 1.5, Number.NaN, undefined]) {
      expect(() => ringSlots(x, TOPIC, created, { epoch: bad, week: 0 } as unknown as RingSequence)).toThrow(RangeError)
    }
    // configured limits: the permutation is of 0..K-1 for that K
    expect(new Set(Array.from({ length: 3 }, (_, n) => ringSlots(x, TOPIC, created, { epoch: n, week: n }, { postsPerEpoch: 3, postsPerWeek: 3 }).slot)).size).toBe(3)
  })

  it('the schedule is secret and per period: another member, topic, hour or week gives another order', () => {
    const order = (x: Uint8Array, topic: string, at: bigint): string =>
      Array.from({ length: POSTS_PER_EPOCH }, (_, n) => ringSlots(x, topic, at, { epoch: n, week: n }).slot).join(',')
    const x = members[0]!.secretKey
    const base = order(x, TOPIC, created)
    expect(order(x, TOPIC, created)).toBe(base) // deterministic: the caller persists only counters
    const others = [
      order(members[1]!.secretKey, TOPIC, created),
      order(x, channelTopic('#other'), created),
      order(x, TOPIC, created + BigInt(EPOCH_SECONDS))
    ]
    for (const other of others) expect(other).not.toBe(base)
    expect(base).not.toBe(Array.from({ length: POSTS_PER_EPOCH }, (_, i) => i).join(',')) // not "n-th post = slot n"
  })

  it('slots look uniform across members: a slot does not say how many posts came before it', () => {
    const authors = Array.from({ length: 2000 }, (_, i) => seededRandom(`uniform-${i}`)(32))
    for (const n of [0, 6]) {
      const hours = new Array<number>(POSTS_PER_EPOCH).fill(0)
      const weeks = new Array<number>(POSTS_PER_WEEK).fill(0)
      for (const x of authors) {
        const { slot, weekSlot } = ringSlots(x, TOPIC, created, { epoch: n, week: n })
        hours[slot]!++
        weeks[weekSlot]!++
      }
      // p = 0.001 critical values of chi-square with 9 and 255 degrees of freedom
      expect(chiSquare(hours, authors.length)).toBeLessThan(27.88)
      expect(chiSquare(weeks, authors.length)).toBeLessThan(330.5)
      // the n-th post is in slot n for about 1 member in K, as for any other slot
      expect(hours[n]! / authors.length).toBeGreaterThan(0.07)
      expect(hours[n]! / authors.length).toBeLessThan(0.13)
    }
  })
})

describe('builders take sequence numbers, never a slot that collides', () => {
  it('K ring posts of one member in one hour all validate with K distinct tags; the (K+1)-th is refused before signing', async () => {
    const x = members[2]!.secretKey
    const counters = new Map<string, number>()
    const periods: RingPeriod[] = []
    const take = (period: RingPeriod): RingSequence => {
      periods.push(period)
      const epoch = counters.get(`e${period.epoch}`) ?? 0
      const week = counters.get(`w${period.week}`) ?? 0
      counters.set(`e${period.epoch}`, epoch + 1)
      counters.set(`w${period.week}`, week + 1)
      return { epoch, week }
    }
    const hourTags = new Set<string>()
    const weekTags = new Set<string>()
    for (let i = 0; i < POSTS_PER_EPOCH; i++) {
      const built = await buildEnvelope({ channel: '#lobby', body: `post ${i}`, created: NOW - 60 * i, powBits: 0, auth: { kind: 'ring', ring, secretKey: x, sequence: take } })
      const r = check(built.bytes)
      expect(r.ok).toBe(true)
      if (r.ok && r.auth.kind === 'ring') {
        hourTags.add(toHex(r.auth.links[0]!.tag))
        weekTags.add(toHex(r.auth.links[1]!.tag))
      }
    }
    expect(hourTags.size).toBe(POSTS_PER_EPOCH)
    expect(weekTags.size).toBe(POSTS_PER_EPOCH)
    expect(periods.every((p) => p.epoch === BigInt(Math.floor(NOW / EPOCH_SECONDS)) && p.week === BigInt(Math.floor(NOW / WEEK_SECONDS)))).toBe(true)
    await expect(buildEnvelope({ channel: '#lobby', body: 'one too many', created: NOW, powBits: 0, auth: { kind: 'ring', ring, secretKey: x, sequence: take } }))
      .rejects.toMatchObject({ name: 'RateLimitError', code: 'ERR_RATE_LIMITED', limit: 'epoch' })
  })

  it('the counters are asked for the epoch and week of created as built (a jittered created may fall in the previous hour)', async () => {
    const periods: RingPeriod[] = []
    const hourStart = VECTOR_NOW // 2026-01-01T00:00:00Z, an hour boundary
    await buildEnvelope({ channel: '#lobby', body: 'x', created: hourStart - 1, powBits: 0, auth: { kind: 'ring', ring, secretKey: members[1]!.secretKey, sequence: (p) => { periods.push(p); return { epoch: 0, week: 0 } } } })
    expect(periods).toEqual([{ epoch: BigInt(hourStart / EPOCH_SECONDS - 1), week: BigInt(Math.floor((hourStart - 60) / WEEK_SECONDS)) }])
  })

  it('a ring POST, REPLY or VOTE without sequence numbers or slots is a programming error, not a random slot', async () => {
    await expect(buildEnvelope({ channel: '#lobby', body: 'x', created: NOW, powBits: 0, auth: { kind: 'ring', ring, secretKey: members[1]!.secretKey } }))
      .rejects.toThrow(TypeError)
    // counters given as numbers, with created left to the builder's jitter: they may describe the wrong hour
    await expect(buildEnvelope({ channel: '#lobby', body: 'x', powBits: 0, auth: { kind: 'ring', ring, secretKey: members[1]!.secretKey, sequence: { epoch: 0, week: 0 } } }))
      .rejects.toThrow(TypeError)
    await expect(buildEnvelope({ channel: '#lobby', kind: 'VOTE', parent: new Uint8Array(32), vote: 1, created: NOW, powBits: 0, auth: { kind: 'ring', ring, secretKey: members[1]!.secretKey } }))
      .rejects.toThrow(TypeError)
    const vote = await buildEnvelope({ channel: '#lobby', kind: 'VOTE', parent: new Uint8Array(32), vote: 1, created: NOW, powBits: 0, auth: { kind: 'ring', ring, secretKey: members[1]!.secretKey, sequence: { epoch: 0, week: 0 } } })
    expect(check(vote.bytes).ok).toBe(true)
  })
})
