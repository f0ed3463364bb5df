import {
  directoryItemId, encodeStamp, generateAuthorKey, leadingZeroBits, mintStamp, stampHash, stampRetainedUntil, toHex, verifyStamp, weekOf, weekStart
} from '@murmur/protocol'
import { MemoryLevel } from 'memory-level'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { openMemberDirectory } from '../src/membership/directory.js'
import type { MemberDirectoryInit, StampVerifier } from '../src/membership/directory.js'
import type { Stamp } from '@murmur/protocol'

/** Difficulty of the valid stamps minted here (2 evaluations expected each). */
const BITS = 1
/** Difficulty no random nonce meets (2^-24 per try): every hand-made stamp is bogus. */
const HARD = 24
/** An hour into a week: the previous week's stamps are in their grace day, the current week's accepted. */
const NOW = weekStart(2950) + 3600
const WEEK = weekOf(NOW)

const mint = async (week = WEEK, memberKey = generateAuthorKey().publicKey): Promise<Stamp> => mintStamp({ memberKey, week, bits: BITS })

/** verifyStamp that counts its calls: each one that reaches the work check is one Argon2id. */
function countingVerifier (): { verify: StampVerifier, calls: () => number } {
  let calls = 0
  return { verify: (stamp, options) => { calls++; return verifyStamp(stamp, options) }, calls: () => calls }
}

describe('member directory', () => {
  let db: MemoryLevel<Uint8Array, Uint8Array>
  let valid: Stamp[]
  beforeAll(async () => { valid = await Promise.all([mint(), mint(), mint(), mint(WEEK - 1)]) })
  beforeEach(async () => { db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }) })
  afterEach(async () => { await db.close() })

  const open = async (init: Partial<MemberDirectoryInit> = {}): ReturnType<typeof openMemberDirectory> =>
    openMemberDirectory({ db, bits: BITS, clock: () => NOW, ...init })

  describe('attacks', () => {
    it('1,000 bogus stamps from one peer, all at once, cost exactly one Argon2id evaluation; the peer is reported at the first', async () => {
      const { verify, calls } = countingVerifier()
      const reported: string[] = []
      const directory = await open({ bits: HARD, verify, onInvalid: (peer) => { reported.push(peer) } })
      const flood = Array.from({ length: 1000 }, () => encodeStamp({ memberKey: generateAuthorKey().publicKey, week: WEEK, nonce: Math.floor(Math.random() * 2 ** 32) }))
      const verdicts = await Promise.all(flood.map(async (bytes) => directory.receive(bytes, { from: 'attacker' })))
      expect(calls()).toBe(1)
      expect(directory.evaluations).toBe(1)
      expect(verdicts[0]).toMatchObject({ action: 'reject', code: 'ERR_BAD_STAMP' })
      expect(reported[0]).toBe('attacker')
      expect(new Set(verdicts.slice(1).map((v) => v.action !== 'accept' && v.code))).toEqual(new Set(['ERR_SENDER_CUT_OFF', 'ERR_RATE_LIMITED']))
      expect(verdicts.some((v) => v.action === 'accept')).toBe(false)
    })

    it('the same bogus stamps sent one by one still cost one evaluation, and the same bytes from another peer none', async () => {
      const { verify, calls } = countingVerifier()
      const reported: string[] = []
      const directory = await open({ bits: HARD, verify, onInvalid: (peer) => { reported.push(peer) } })
      const first = encodeStamp({ memberKey: generateAuthorKey().publicKey, week: WEEK, nonce: 1 })
      expect(await directory.receive(first, { from: 'attacker' })).toMatchObject({ action: 'reject', code: 'ERR_BAD_STAMP' })
      for (let i = 0; i < 1000; i++) {
        const verdict = await directory.receive(encodeStamp({ memberKey: generateAuthorKey().publicKey, week: WEEK, nonce: i }), { from: 'attacker' })
        expect(verdict).toMatchObject({ action: 'ignore', code: 'ERR_SENDER_CUT_OFF' })
      }
      // a sybil forwarding the very bytes already found bogus is refused from the cache, and reported
      expect(await directory.receive(first, { from: 'sybil' })).toMatchObject({ action: 'reject', code: 'ERR_BAD_STAMP' })
      expect(calls()).toBe(1)
      expect(reported).toEqual(['attacker', 'sybil'])
    })

    it('throwaway PeerIds from one address share one budget and one strike: 20 bogus stamps cost one evaluation, and an honest stamp from another address is still taken', async () => {
      const { verify, calls } = countingVerifier()
      const reported: string[] = []
      const directory = await open({ verify, onInvalid: (peer) => { reported.push(peer) } })
      // stamps of fresh keys whose work falls short: each found bogus by one evaluation of its own
      const bogus: Uint8Array[] = []
      for (let nonce = 0; bogus.length < 20; nonce++) {
        const stamp = { memberKey: generateAuthorKey().publicKey, week: WEEK, nonce }
        if (!verifyStamp(stamp, { now: NOW, bits: BITS }).ok) bogus.push(encodeStamp(stamp))
      }
      const verdicts = await Promise.all(bogus.map(async (bytes, i) => directory.receive(bytes, { from: `sybil-${i}`, group: '203.0.113.7' })))
      expect(calls()).toBe(1)
      expect(verdicts.filter((v) => v.action === 'reject')).toHaveLength(1)
      expect(reported).toHaveLength(1)
      // later ones, one at a time (a sybil that waits for the verdict), cost nothing either
      for (let i = 0; i < 5; i++) {
        expect((await directory.receive(bogus[i]!.slice(), { from: `late-${i}`, group: '203.0.113.7' })).action).not.toBe('accept')
      }
      expect(calls()).toBe(1)
      // the overall budget is untouched: an honest announcement from another address is evaluated and taken
      expect(await directory.receive(encodeStamp(valid[2]!), { from: 'honest', group: '198.51.100.1' })).toMatchObject({ action: 'accept' })
      // and a struck group's stamps still come by sync, which brings only what this node asked for
      expect(await directory.receive(encodeStamp(valid[1]!), { from: 'sybil-0', path: 'sync' })).toMatchObject({ action: 'accept' })
    })

    it('malformed, oversized and non-canonical announcements cost no evaluation and cut their sender off', async () => {
      const { verify, calls } = countingVerifier()
      const directory = await open({ verify })
      const good = encodeStamp(valid[0]!)
      expect(await directory.receive(new Uint8Array(65), { from: 'a' })).toMatchObject({ action: 'reject', code: 'ERR_TOO_LARGE' })
      expect(await directory.receive(Uint8Array.of(0xff, 0xff), { from: 'b' })).toMatchObject({ action: 'reject', code: 'ERR_MALFORMED' })
      expect(await directory.receive(Uint8Array.of(...good, 0x18, 0x00), { from: 'c' })).toMatchObject({ action: 'reject' })
      expect(await directory.receive(good, { from: 'a' })).toMatchObject({ action: 'ignore', code: 'ERR_SENDER_CUT_OFF' })
      expect(calls()).toBe(0)
    })

    it('a bogus stamp for a member key does not block that member\'s real stamp (verdicts are cached by bytes, not by item)', async () => {
      const directory = await open()
      const real = valid[1]!
      let forged = { ...real, nonce: real.nonce + 1 }
      while (leadingZeroBits(stampHash(forged)) >= BITS) forged = { ...forged, nonce: forged.nonce + 1 }
      expect(await directory.receive(encodeStamp(forged), { from: 'attacker' })).toMatchObject({ action: 'reject', code: 'ERR_BAD_STAMP' })
      expect(await directory.receive(encodeStamp(real), { from: 'honest' })).toMatchObject({ action: 'accept' })
      expect(directory.has(real.memberKey, WEEK)).toBe(true)
    })

    it('a stamp moved to another key or week is refused; one outside its window costs no evaluation', async () => {
      const { verify, calls } = countingVerifier()
      const directory = await open({ verify })
      const stamp = valid[0]!
      const otherKey = { ...stamp, memberKey: generateAuthorKey().publicKey }
      const otherWeek = { ...stamp, week: WEEK - 1 } // accepted now (grace day), but not what the work was for
      const future = { ...stamp, week: WEEK + 3 }
      const refusals = [otherKey, otherWeek].filter((s) => leadingZeroBits(stampHash(s)) < BITS)
      for (const moved of refusals) {
        expect(await directory.receive(encodeStamp(moved), { from: `peer-${refusals.indexOf(moved)}` })).toMatchObject({ action: 'reject', code: 'ERR_BAD_STAMP' })
      }
      expect(calls()).toBe(refusals.length)
      expect(await directory.receive(encodeStamp(future), { from: 'early' })).toMatchObject({ action: 'ignore', code: 'ERR_STAMP_WEEK' })
      expect(calls()).toBe(refusals.length)
      expect(directory.has(otherKey.memberKey, WEEK)).toBe(false)
      expect(directory.has(stamp.memberKey, WEEK - 1)).toBe(false)
    })

    it('a ring of 16 unknown members costs zero evaluations and queues a bounded, rate-limited fetch from its sender', async () => {
      const { verify, calls } = countingVerifier()
      const directory = await open({ verify, fetchesPerPeerPerMinute: 16 })
      const ring = Array.from({ length: 16 }, () => generateAuthorKey().publicKey)
      const result = directory.checkRing(ring, { created: NOW, from: 'peer' })
      expect(result).toMatchObject({ ok: false, code: 'ERR_UNKNOWN_MEMBER' })
      expect(result.ok === false && result.code === 'ERR_UNKNOWN_MEMBER' && result.missing.length).toBe(16)
      // a flood of such rings from the same peer adds nothing within the minute
      for (let i = 0; i < 200; i++) directory.checkRing(Array.from({ length: 16 }, () => generateAuthorKey().publicKey), { created: NOW, from: 'peer' })
      expect(calls()).toBe(0)
      // the budget goes to the stamps of the ring's own week first: all 16 members of it
      const wanted = directory.wanted('peer')
      expect(wanted.map(toHex).sort()).toEqual(ring.map((memberKey) => toHex(directoryItemId({ memberKey, week: WEEK }))).sort())
      expect(directory.wanted('peer')).toEqual([])
      expect(directory.wanted('someone-else')).toEqual([])
    })

    it('tells of the stamps it queued (stamps-wanted), only those the sender\'s budget let in, and asks another peer on its own account', async () => {
      // a ring at an hour into the week needs one of 2 weeks' stamps per member: 32 ids, then 4 left
      const directory = await open({ fetchesPerPeerPerMinute: 36 })
      const told: Array<{ peer: string, created: number, members: string[] }> = []
      directory.addEventListener('stamps-wanted', (evt) => { told.push({ ...evt.detail, members: evt.detail.members.map(toHex) }) })
      const ring = Array.from({ length: 16 }, () => generateAuthorKey().publicKey)
      directory.checkRing(ring, { created: NOW, from: 'peer' })
      expect(told).toEqual([{ peer: 'peer', created: NOW, members: ring.map(toHex) }])
      // 4 ids of budget left: the next ring's first 4 members (its own week first), then nothing at all
      const next = Array.from({ length: 16 }, () => generateAuthorKey().publicKey)
      directory.checkRing(next, { created: NOW, from: 'peer' })
      expect(told[1]?.members).toEqual(next.slice(0, 4).map(toHex))
      directory.checkRing(Array.from({ length: 16 }, () => generateAuthorKey().publicKey), { created: NOW, from: 'peer' })
      expect(told).toHaveLength(2)
      // another peer asked on this node's account, whatever that peer's own budget
      const ids = ring.map((memberKey) => directoryItemId({ memberKey, week: WEEK }))
      directory.ask('other', ids)
      expect(directory.wanted('other').map(toHex)).toEqual(ids.map(toHex))
      expect(directory.stamped(ring[0]!, NOW)).toBe(false)
      const stamp = await mint(WEEK, ring[0])
      expect((await directory.receive(encodeStamp(stamp))).action).toBe('accept')
      expect(directory.stamped(ring[0]!, NOW)).toBe(true)
    })

    it('a ring with a hostile created time is refused, never thrown', async () => {
      const directory = await open()
      const ring = Array.from({ length: 16 }, () => generateAuthorKey().publicKey)
      for (const created of [-1, Number.NaN, 2 ** 60, 1.5]) {
        expect(directory.checkRing(ring, { created, from: 'peer' }).ok, String(created)).toBe(false)
      }
    })

    it('per-peer and overall evaluation limits refuse unknown stamps without evaluating them', async () => {
      const { verify, calls } = countingVerifier()
      const directory = await open({ verify, peerEvaluationsPerMinute: 2, evaluationsPerSecond: 1000 })
      const verdicts = []
      for (const stamp of valid.slice(0, 3)) verdicts.push(await directory.receive(encodeStamp(stamp), { from: 'busy' }))
      expect(verdicts.map((v) => v.action === 'accept' ? 'accept' : v.code)).toEqual(['accept', 'accept', 'ERR_RATE_LIMITED'])
      expect(calls()).toBe(2)
      // history sync brings only what was asked for: neither limit applies there
      expect(await directory.receive(encodeStamp(valid[2]!), { from: 'busy', path: 'sync' })).toMatchObject({ action: 'accept' })
      const fresh = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
      const capped = await open({ db: fresh, verify, evaluationsPerSecond: 1 })
      const both = await Promise.all(valid.slice(0, 2).map(async (s, i) => capped.receive(encodeStamp(s), { from: `p${i}` })))
      expect(both.map((v) => v.action === 'accept' ? 'accept' : v.code).sort()).toEqual(['ERR_RATE_LIMITED', 'accept'])
      expect(await capped.receive(encodeStamp(valid[3]!), { from: 'p0', path: 'sync' })).toMatchObject({ action: 'accept' })
      await fresh.close()
    })
  })

  describe('keeping stamps', () => {
    it('verifies a stamp once: a second delivery, even concurrent, is a duplicate without evaluation', async () => {
      const { verify, calls } = countingVerifier()
      const directory = await open({ verify })
      const bytes = encodeStamp(valid[0]!)
      const verdicts = await Promise.all([directory.receive(bytes, { from: 'a' }), directory.receive(bytes, { from: 'b' }), directory.receive(bytes)])
      expect(verdicts.map((v) => v.action === 'accept' ? 'accept' : v.code).sort()).toEqual(['ERR_DUPLICATE', 'ERR_DUPLICATE', 'accept'])
      expect(calls()).toBe(1)
    })

    it('a stem hop judges without keeping: the gossip copy is then accepted (so forwarded) at no second evaluation', async () => {
      const { verify, calls } = countingVerifier()
      const directory = await open({ verify })
      const bytes = encodeStamp(valid[0]!)
      expect(await directory.receive(bytes, { from: 'stem-peer', path: 'stem' })).toMatchObject({ action: 'accept' })
      expect(await directory.receive(bytes, { from: 'other-stem-peer', path: 'stem' })).toMatchObject({ action: 'accept' })
      expect(directory.has(valid[0]!.memberKey, WEEK)).toBe(false)
      expect(await directory.receive(bytes, { from: 'gossip-peer' })).toMatchObject({ action: 'accept' })
      expect(directory.has(valid[0]!.memberKey, WEEK)).toBe(true)
      expect(await directory.receive(bytes, { from: 'another' })).toMatchObject({ action: 'ignore', code: 'ERR_DUPLICATE' })
      expect(calls()).toBe(1)
    })

    it('an own stamp vouched for is not held, and its copies get a stem hop\'s verdicts: stem accepted, gossip accepted and kept, never evaluated', async () => {
      const { verify, calls } = countingVerifier()
      const directory = await open({ verify })
      const bytes = encodeStamp(valid[0]!)
      directory.vouch(bytes)
      expect(directory.has(valid[0]!.memberKey, WEEK)).toBe(false)
      expect(directory.items()).toHaveLength(0)
      expect(await directory.receive(bytes, { from: 'stem-peer', path: 'stem' })).toMatchObject({ action: 'accept' })
      expect(directory.has(valid[0]!.memberKey, WEEK)).toBe(false)
      expect(await directory.receive(bytes, { from: 'gossip-peer' })).toMatchObject({ action: 'accept' })
      expect(directory.has(valid[0]!.memberKey, WEEK)).toBe(true)
      expect(await directory.receive(bytes, { from: 'another' })).toMatchObject({ action: 'ignore', code: 'ERR_DUPLICATE' })
      expect(calls()).toBe(0)
    })

    it('a restart keeps verified stamps without verifying them again', async () => {
      const first = await open()
      for (const stamp of valid) expect((await first.receive(encodeStamp(stamp), { path: 'sync' })).action).toBe('accept')
      const never: StampVerifier = () => { throw new Error('a restart must not re-verify') }
      const again = await open({ verify: never })
      expect(again.evaluations).toBe(0)
      for (const stamp of valid) expect(again.has(stamp.memberKey, stamp.week)).toBe(true)
      expect(await again.receive(encodeStamp(valid[0]!), { from: 'x' })).toMatchObject({ action: 'ignore', code: 'ERR_DUPLICATE' })
      expect(again.items().map((item) => toHex(item.id)).sort()).toEqual(first.items().map((item) => toHex(item.id)).sort())
      expect(again.size(NOW)).toBe(4)
      expect(again.members(WEEK - 1).map(toHex)).toEqual([toHex(valid[3]!.memberKey)])
    })

    it('a ring of known members passes; a small ring only while the directory is small', async () => {
      const { verify, calls } = countingVerifier()
      const directory = await open({ verify, minRingSize: 3 })
      for (const stamp of valid) await directory.receive(encodeStamp(stamp))
      const before = calls()
      const ring = valid.map((s) => s.memberKey).sort((a, b) => Buffer.compare(a, b))
      expect(directory.checkRing(ring, { created: NOW })).toEqual({ ok: true })
      expect(directory.checkRing(ring.slice(0, 2), { created: NOW })).toMatchObject({ ok: false, code: 'ERR_RING_TOO_SMALL' })
      expect(directory.checkRing(ring.slice(0, 2), { created: NOW, minRingSize: 16 })).toMatchObject({ ok: false, code: 'ERR_RING_TOO_SMALL' })
      expect(directory.checkRing(ring.slice(0, 3), { created: NOW, minRingSize: 16 })).toMatchObject({ ok: false, code: 'ERR_RING_TOO_SMALL' })
      expect(directory.checkRing(ring, { created: NOW, minRingSize: 16 })).toEqual({ ok: true })
      expect(calls()).toBe(before)
    })

    it('a stamp verified while the database fails to write is still accepted, never thrown', async () => {
      const directory = await open()
      await db.close()
      expect(await directory.receive(encodeStamp(valid[0]!), { from: 'a' })).toMatchObject({ action: 'accept' })
      expect(directory.has(valid[0]!.memberKey, WEEK)).toBe(true)
      await db.open()
    })

    it('withholds an item from sync (an own stamp not known out) until it is disclosed', async () => {
      const directory = await open()
      const own = valid[0]!
      const id = directoryItemId(own)
      directory.withhold(id)
      expect(await directory.receive(encodeStamp(own))).toMatchObject({ action: 'accept' })
      expect(directory.has(own.memberKey, own.week)).toBe(true)
      expect(directory.items().map((item) => toHex(item.id))).not.toContain(toHex(id))
      expect(directory.get(id)).toBeUndefined()
      directory.disclose(id)
      expect(directory.items().map((item) => toHex(item.id))).toContain(toHex(id))
      expect(directory.get(id)).toEqual(encodeStamp(own))
    })

    it('serves its items to sync and drops them once no longer kept, from memory and the database', async () => {
      let now = NOW
      const directory = await open({ clock: () => now })
      for (const stamp of valid) await directory.receive(encodeStamp(stamp), { path: 'sync' })
      const item = directory.items().find((i) => i.created === weekStart(WEEK - 1))!
      expect(directory.get(item.id)).toEqual(encodeStamp(valid[3]!))
      now = stampRetainedUntil(WEEK - 1)
      await directory.prune()
      expect(directory.get(item.id)).toBeUndefined()
      expect(directory.items().length).toBe(3)
      const reopened = await open({ clock: () => now })
      expect(reopened.items().length).toBe(3)
    })
  })
})
