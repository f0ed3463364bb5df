// Issue 13, "votes that a minority cannot abuse": a ring-signed VOTE carries a second limit tag, the member's
// budget slot of the week in the channel (`voteBudgetScope(topic, week, slot)`, slot < VOTE_BUDGET), so one
// stamped identity counts for at most VOTE_BUDGET votes per channel per week, whatever hours its votes claim.
// On the previous auth.ts a VOTE carried one tag (`vote||parent`), no budget slot existed and these tests
// fail (no voteSlot, one link); on the hourly budget (S9C) the backdating test counted all 40 votes.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  buildEnvelope, channelTopic, compareBytes, decodeEnvelope, encodeEnvelope, equalBytes, generateAuthorKey, linkTag, requiredPowBits, resolveTagConflicts, toHex,
  validateEnvelope, voteBudgetScope, voteScope, voteSlot, DOWNVOTE_BUDGET, EPOCH_SECONDS, ERROR_ACTIONS, VOTE_BUDGET, WEEK_SECONDS
} from '../src/index.js'
import type { BuildEnvelopeOptions, RingAuthOptions, ValidationResult, ValidEnvelope } from '../src/index.js'
import { downvoteBudgetScope } from '../src/scope.js'
import { remine, seededRandom, VECTOR_NOW } from './helpers.js'

const CHANNEL = '#lobby'
const TOPIC = channelTopic(CHANNEL)
const NOW = VECTOR_NOW + 1800 // half past the hour
const LOW = { POST: 0, REPLY: 0, VOTE: 0 }
const members = Array.from({ length: 4 }, (_, i) => generateAuthorKey(seededRandom(`budget-${i}`)))
const ring = members.map((m) => m.publicKey).sort(compareBytes)
const auth = (member: number, extra: Partial<RingAuthOptions> = {}): RingAuthOptions => ({ kind: 'ring', ring, secretKey: members[member]!.secretKey, ...extra })
const parentOf = (n: number): Uint8Array => seededRandom(`budget-parent-${n}`)(32)
/** The week of a vote made `hours` before NOW. */
const weekAgo = (hours: number): number => Math.floor((NOW - hours * EPOCH_SECONDS) / WEEK_SECONDS)
const vote = async (extra: Partial<BuildEnvelopeOptions>): Promise<Uint8Array> =>
  (await buildEnvelope({ channel: CHANNEL, kind: 'VOTE', parent: parentOf(0), vote: -1, created: NOW, ttl: 86_400, powBits: 0, auth: auth(0, { slot: 3 }), ...extra })).bytes
const check = (bytes: Uint8Array, topic = TOPIC): ValidationResult => validateEnvelope(bytes, { topic, now: NOW, powBits: LOW })
const codeOf = (r: ValidationResult): string => r.ok ? 'ok' : r.code
const valid = (r: ValidationResult): ValidEnvelope & { auth: { kind: 'ring' } } => {
  if (!r.ok || r.auth.kind !== 'ring') throw new Error(`expected a valid ring envelope, got ${codeOf(r)}`)
  return r as ValidEnvelope & { auth: { kind: 'ring' } }
}

describe('the vote budget slot', () => {
  it('VOTE_BUDGET sequence numbers give VOTE_BUDGET distinct slots; the next is refused with ERR_RATE_LIMITED', () => {
    const x = members[0]!.secretKey
    const slots = Array.from({ length: VOTE_BUDGET }, (_, n) => voteSlot(x, TOPIC, BigInt(NOW), n))
    expect([...slots].sort((a, b) => a - b)).toEqual(Array.from({ length: VOTE_BUDGET }, (_, i) => i))
    expect(() => voteSlot(x, TOPIC, BigInt(NOW), VOTE_BUDGET)).toThrow(expect.objectContaining({
      name: 'RateLimitError', code: 'ERR_RATE_LIMITED', limit: 'week', retryAt: (Math.floor(NOW / WEEK_SECONDS) + 1) * WEEK_SECONDS
    }))
    // another member's schedule differs: a slot does not say how many votes came before
    const other = Array.from({ length: VOTE_BUDGET }, (_, n) => voteSlot(members[1]!.secretKey, TOPIC, BigInt(NOW), n))
    expect(other).not.toEqual(slots)
    expect(() => voteSlot(x, TOPIC, BigInt(NOW), -1)).toThrow(RangeError)
  })

  it('the builder takes the slot from the sequence and the validator hands out both links, the budget tag second', async () => {
    const x = members[0]!.secretKey
    const r = valid(check(await vote({ vote: 1, auth: auth(0, { sequence: { epoch: 7, week: 0 } }) })))
    const slot = voteSlot(x, TOPIC, BigInt(NOW), 7)
    const epoch = BigInt(Math.floor(NOW / EPOCH_SECONDS))
    const week = BigInt(Math.floor(NOW / WEEK_SECONDS))
    expect(r.auth.slot).toBe(slot)
    expect(r.auth.epoch).toBe(epoch)
    expect(r.auth.weekSlot).toBe(0)
    expect(r.auth.links.map((l) => toHex(l.scope))).toEqual([toHex(voteScope(parentOf(0))), toHex(voteBudgetScope(TOPIC, week, slot))])
    expect(toHex(r.auth.links[1]!.tag)).toBe(toHex(linkTag(x, voteBudgetScope(TOPIC, week, slot))))
    // the (VOTE_BUDGET+1)-th vote of the week is refused before anything is signed
    await expect(vote({ vote: 1, auth: auth(0, { sequence: { epoch: VOTE_BUDGET, week: 0 } }) })).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' })
    await expect(vote({ vote: 1, auth: auth(0, { slot: VOTE_BUDGET }) })).rejects.toMatchObject({ code: 'ERR_BAD_SCOPE' })
  })

  it('validators refuse a hand-built vote out of its budget: slot past the budget, a week slot, a wrong epoch, one tag (ERR_BAD_SCOPE)', async () => {
    const env = decodeEnvelope(await vote({}))
    const forged = (change: (ring: NonNullable<typeof env.ring>) => void): Uint8Array => {
      const copy = decodeEnvelope(encodeEnvelope(env))
      change(copy.ring!)
      return remine(copy, TOPIC, requiredPowBits('VOTE', ring.length, LOW))
    }
    expect(codeOf(check(forged((r) => { r.slot = VOTE_BUDGET })))).toBe('ERR_BAD_SCOPE')
    expect(codeOf(check(forged((r) => { r.weekSlot = 1 })))).toBe('ERR_BAD_SCOPE')
    expect(codeOf(check(forged((r) => { r.epoch = r.epoch - 1n })))).toBe('ERR_BAD_SCOPE')
    // the old format: only the per-post tag
    expect(codeOf(check(forged((r) => { r.tags = r.tags.slice(0, 1) })))).toBe('ERR_BAD_SCOPE')
    // another slot in range: the signature binds the slot's scope
    expect(codeOf(check(forged((r) => { r.slot = (r.slot + 1) % VOTE_BUDGET })))).toBe('ERR_BAD_SIGNATURE')
    expect(ERROR_ACTIONS.ERR_BAD_SCOPE).toBe('reject')
  })

  it('40 votes of one member in one week reusing 30 budget slots, on 40 posts: 30 count, the same ones in any order', async () => {
    // an attacker signing by hand has VOTE_BUDGET budget slots a week; 40 votes in 30 of them reuse 10
    const votes = await Promise.all(Array.from({ length: 40 }, async (_, n) => {
      const r = valid(check(await vote({ vote: 1, parent: parentOf(n), auth: auth(1, { slot: n % 30 }) })))
      return { id: r.id, tags: r.auth.links.map((l) => l.tag) }
    }))
    const counted = resolveTagConflicts(votes)
    expect(counted.length).toBe(30)
    const ids = counted.map((v) => toHex(v.id)).sort()
    fc.assert(fc.property(fc.shuffledSubarray(votes, { minLength: votes.length }), (order) => {
      expect(resolveTagConflicts(order).map((v) => toHex(v.id)).sort()).toEqual(ids)
    }), { numRuns: 50 })
  })

  it('backdating refills nothing: one budget slot in 4 hours of one week is one budget tag, in two weeks two', async () => {
    const weekStart = Math.floor(NOW / WEEK_SECONDS) * WEEK_SECONDS
    // votes dated in past hours of the vote's week (all within the validity window of NOW + a week)
    const at = async (created: number, n: number): Promise<string> =>
      toHex(valid(validateEnvelope(await vote({ parent: parentOf(100 + n), created, ttl: WEEK_SECONDS, auth: auth(2, { slot: 5 }) }), { topic: TOPIC, now: created + 3600, powBits: LOW })).auth.links[1]!.tag)
    const sameWeek = await Promise.all([1, 20, 50, 100].map(async (h, n) => await at(weekStart + h * 3600, n)))
    expect(new Set(sameWeek).size).toBe(1)
    const nextWeek = await at(weekStart + WEEK_SECONDS + 3600, 9)
    expect(sameWeek).not.toContain(nextWeek)
  })
})

describe('the downvote budget (S9C: scarce downvotes)', () => {
  it('DOWNVOTE_BUDGET sequence numbers give DOWNVOTE_BUDGET distinct downvote slots in their own scope; the next is refused', async () => {
    const x = members[0]!.secretKey
    const slots = Array.from({ length: DOWNVOTE_BUDGET }, (_, n) => voteSlot(x, TOPIC, BigInt(NOW), n, {}, -1))
    expect([...slots].sort((a, b) => a - b)).toEqual(Array.from({ length: DOWNVOTE_BUDGET }, (_, i) => i))
    expect(() => voteSlot(x, TOPIC, BigInt(NOW), DOWNVOTE_BUDGET, {}, -1)).toThrow(expect.objectContaining({ code: 'ERR_RATE_LIMITED', limit: 'week' }))
    const r = valid(check(await vote({ auth: auth(0, { sequence: { epoch: 3, week: 0 } }) })))
    const week = BigInt(Math.floor(NOW / WEEK_SECONDS))
    expect(r.auth.slot).toBe(slots[3])
    expect(toHex(r.auth.links[1]!.scope)).toBe(toHex(downvoteBudgetScope(TOPIC, week, slots[3]!)))
    await expect(vote({ auth: auth(0, { sequence: { epoch: DOWNVOTE_BUDGET, week: 0 } }) })).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' })
  })

  it('a sybil identity downvoting 40 posts in a week by hand counts for DOWNVOTE_BUDGET: a slot past it is ERR_BAD_SCOPE, a reused one conflicts', async () => {
    // before the downvote budget, a downvote took any of VOTE_BUDGET slots: all 40 counted
    const results = await Promise.all(Array.from({ length: 40 }, async (_, n) => {
      const bytes = await vote({ parent: parentOf(200 + n), auth: auth(1, { slot: n % 20 }) }).catch(() => undefined)
      return bytes === undefined ? undefined : check(bytes)
    }))
    const counted = resolveTagConflicts(results.flatMap((r) => r?.ok === true && r.auth.kind === 'ring' ? [{ id: r.id, tags: r.auth.links.map((l) => l.tag) }] : []))
    expect(counted.length).toBe(DOWNVOTE_BUDGET)
  })

  it('upvotes and downvotes have separate budgets: the same slot numbers in both never link', async () => {
    const up = valid(check(await vote({ vote: 1, parent: parentOf(300), auth: auth(2, { slot: 4 }) })))
    const down = valid(check(await vote({ vote: -1, parent: parentOf(301), auth: auth(2, { slot: 4 }) })))
    expect(equalBytes(up.auth.links[1]!.tag, down.auth.links[1]!.tag)).toBe(false)
    // a downvote's slot is checked against its own budget; an upvote's against VOTE_BUDGET
    await expect(vote({ vote: -1, auth: auth(2, { slot: DOWNVOTE_BUDGET }) })).rejects.toMatchObject({ code: 'ERR_BAD_SCOPE' })
    expect(valid(check(await vote({ vote: 1, parent: parentOf(302), auth: auth(2, { slot: DOWNVOTE_BUDGET }) }))).auth.slot).toBe(DOWNVOTE_BUDGET)
  })
})

describe('no byte-level link between two votes of one member beyond the ring', () => {
  it('two votes in different scopes share no tag, response or c0; in one week their budget tags differ by slot', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({
        parents: fc.tuple(fc.nat(1000), fc.nat(1000)).filter(([a, b]) => a !== b),
        hours: fc.tuple(fc.nat(20), fc.nat(20)),
        sequences: fc.tuple(fc.nat(VOTE_BUDGET - 1), fc.nat(VOTE_BUDGET - 1)),
        channels: fc.tuple(fc.constantFrom('#lobby', '#other', 'geo:u4pruyd'), fc.constantFrom('#lobby', '#other', 'geo:u4pruyd'))
      // two scopes: another week, budget number or channel (one number twice in a week repeats the budget slot)
      }).filter(({ hours, sequences, channels }) => weekAgo(hours[0]) !== weekAgo(hours[1]) || sequences[0] !== sequences[1] || channels[0] !== channels[1]),
      async ({ parents, hours, sequences, channels }) => {
        const [a, b] = await Promise.all([0, 1].map(async (i) => {
          const created = NOW - hours[i]! * EPOCH_SECONDS
          const bytes = (await buildEnvelope({ channel: channels[i]!, kind: 'VOTE', parent: parentOf(parents[i]!), vote: 1, created, ttl: 86_400 * 2, powBits: 0, auth: auth(2, { sequence: { epoch: sequences[i]!, week: 0 } }) })).bytes
          return { envelope: decodeEnvelope(bytes), valid: valid(validateEnvelope(bytes, { topic: channelTopic(channels[i]!), now: NOW, powBits: LOW })) }
        }))
        // the ring is the one thing they may share (a member may pick one ring twice); everything else differs
        const fieldsOf = (e: typeof a): Uint8Array[] => [e!.envelope.ring!.c0, ...e!.envelope.ring!.s, ...e!.envelope.ring!.tags]
        for (const x of fieldsOf(a)) expect(fieldsOf(b).some((y) => equalBytes(x, y))).toBe(false)
        expect(a!.envelope.ring!.ring.length).toBe(b!.envelope.ring!.ring.length)
        // same channel and week, two sequence numbers: two budget slots, two budget tags
        if (channels[0] === channels[1] && weekAgo(hours[0]) === weekAgo(hours[1])) expect(a!.valid.auth.slot).not.toBe(b!.valid.auth.slot)
      }
    ), { numRuns: 25 })
  })

  it('one member in one scope links (that is the limit): two votes on one post share the per-post tag, two in one slot the budget tag', async () => {
    const first = valid(check(await vote({ auth: auth(3, { slot: 9 }) })))
    const again = valid(check(await vote({ vote: 1, auth: auth(3, { slot: 10 }) })))
    expect(equalBytes(first.auth.links[0]!.tag, again.auth.links[0]!.tag)).toBe(true)
    expect(equalBytes(first.auth.links[1]!.tag, again.auth.links[1]!.tag)).toBe(false)
    const sameSlot = valid(check(await vote({ parent: parentOf(1), auth: auth(3, { slot: 9 }) })))
    expect(equalBytes(first.auth.links[1]!.tag, sameSlot.auth.links[1]!.tag)).toBe(true)
    expect(resolveTagConflicts([first, sameSlot].map((v) => ({ id: v.id, tags: v.auth.links.map((l) => l.tag) }))).length).toBe(1)
  })
})
