import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ready, toHex } from '../src/index.js'
import { deriveCircleKeys, generateCircleSecret } from '../src/circle/keys.js'
import { generateInviteSeed, inviteKey } from '../src/circle/invite.js'
import { generateMemberKeys, openInviteRecord, openJoin, openLeave, signInviteRecord, signJoin, signLeave } from '../src/circle/records.js'
import { openRotation, pickRotation, rotationSecret, signRotation } from '../src/circle/rotation.js'
import { rosterOf, selectRing, UNATTRIBUTED } from '../src/circle/roster.js'
import { CircleRecordType, openCircleFrame, sealCircleFrame } from '../src/circle/frame.js'
import { recordOf, seededRandom } from './helpers.js'

await ready()

const NOW = 1_767_225_600
const OWNER = generateMemberKeys()
const keys = deriveCircleKeys(seededRandom('roster-secret')(32), 0, OWNER.ring.publicKey)

describe('roster records', () => {
  it('a join is signed by its ring key and co-signed by the invite key it names; a changed byte or another circle refuses it', () => {
    const owner = generateMemberKeys()
    const newcomer = generateMemberKeys()
    const seed = generateInviteSeed()
    const body = signJoin(keys, newcomer, { created: NOW, name: 'ana', invite: inviteKey(seed) })
    const join = openJoin(keys, body)
    expect(join).toMatchObject({ ok: true, record: { name: 'ana', created: NOW } })
    if (join.ok) expect(toHex(join.record.inviteKey)).toBe(toHex(inviteKey(seed).publicKey))
    for (let i = 0; i < body.byteLength; i++) {
      const changed = body.slice()
      changed[i]! ^= 0x40
      expect(openJoin(keys, changed).ok, `byte ${i}`).toBe(false)
    }
    expect(openJoin(keys, body.subarray(0, body.byteLength - 1)).ok).toBe(false)
    expect(openJoin(deriveCircleKeys(seededRandom('roster-secret')(32), 1, OWNER.ring.publicKey), body)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_RECORD' })
    // the owner's own join names no invite
    expect(openJoin(keys, signJoin(keys, owner, { created: NOW, name: 'owner' }))).toMatchObject({ ok: true })
    // a name a UI would not show as it is
    expect(() => signJoin(keys, owner, { created: NOW, name: 'a\u202eb' })).toThrow()
  })

  it('invite and leave records verify, and only as their signer', () => {
    const member = generateMemberKeys()
    const invite = signInviteRecord(keys, member, { inviteKey: inviteKey(generateInviteSeed()).publicKey, created: NOW, expires: NOW + 86_400 })
    expect(openInviteRecord(keys, invite)).toMatchObject({ ok: true, record: { created: NOW, expires: NOW + 86_400 } })
    const leave = signLeave(keys, member, NOW)
    expect(openLeave(keys, leave)).toMatchObject({ ok: true })
    // another member's key put in place of the signer's
    const forged = leave.slice()
    forged.set(generateMemberKeys().ring.publicKey, 0)
    expect(openLeave(keys, forged)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_RECORD' })
    expect(openLeave(keys, new Uint8Array(3))).toMatchObject({ ok: false, code: 'ERR_CIRCLE_RECORD' })
  })

  it('rosters converge: any order of the same records gives the same roster, attributed to inviters', () => {
    const owner = generateMemberKeys()
    const friends = Array.from({ length: 5 }, () => generateMemberKeys())
    const seeds = friends.map(() => generateInviteSeed())
    const invites = seeds.map((seed, i) => openInviteRecord(keys, signInviteRecord(keys, i < 3 ? owner : friends[0]!, { inviteKey: inviteKey(seed).publicKey, created: NOW, expires: NOW + 86_400 })))
    const joins = [owner, ...friends].map((member, i) => openJoin(keys, signJoin(keys, member, { created: NOW + i, name: `m${i}`, ...(i === 0 ? {} : { invite: inviteKey(seeds[i - 1]!) }) })))
    const leave = openLeave(keys, signLeave(keys, friends[4]!, NOW + 100))
    if (!leave.ok) throw new Error(leave.reason)
    const joinRecords = joins.map(recordOf)
    const inviteRecords = invites.map(recordOf)
    const view = (roster: ReturnType<typeof rosterOf>): string[] => [...roster.values()].map((m) => `${toHex(m.ringKey)}:${m.inviter}:${m.joinedAt}`).sort()
    const reference = view(rosterOf({ joins: joinRecords.map((record) => ({ record, seenAt: NOW })), invites: inviteRecords, leaves: [leave.record] }))
    expect(reference).toHaveLength(5)
    const roster = rosterOf({ joins: joinRecords.map((record) => ({ record, seenAt: NOW })), invites: inviteRecords, leaves: [leave.record] })
    expect(roster.get(toHex(owner.ring.publicKey))?.inviter).toBe(UNATTRIBUTED)
    expect(roster.get(toHex(friends[1]!.ring.publicKey))?.inviter).toBe(toHex(owner.ring.publicKey))
    expect(roster.get(toHex(friends[3]!.ring.publicKey))?.inviter).toBe(toHex(friends[0]!.ring.publicKey))
    expect(roster.has(toHex(friends[4]!.ring.publicKey))).toBe(false)
    fc.assert(fc.property(fc.shuffledSubarray(joinRecords, { minLength: joinRecords.length }), fc.shuffledSubarray(inviteRecords, { minLength: inviteRecords.length }), (j, inv) => {
      expect(view(rosterOf({ joins: j.map((record) => ({ record, seenAt: NOW })), invites: inv, leaves: [leave.record] }))).toEqual(reference)
    }), { seed: 4015, numRuns: 50 })
  })

  it('a join under an expired invite is not on the roster; a backdated join counts from when it was seen', () => {
    const inviter = generateMemberKeys()
    const seed = generateInviteSeed()
    const record = openInviteRecord(keys, signInviteRecord(keys, inviter, { inviteKey: inviteKey(seed).publicKey, created: NOW, expires: NOW + 10 }))
    const late = openJoin(keys, signJoin(keys, generateMemberKeys(), { created: NOW + 11, name: '', invite: inviteKey(seed) }))
    const backdated = openJoin(keys, signJoin(keys, generateMemberKeys(), { created: NOW - 10 * 86_400, name: '', invite: inviteKey(seed) }))
    if (!record.ok || !late.ok || !backdated.ok) throw new Error('records')
    const roster = rosterOf({ joins: [{ record: late.record, seenAt: NOW + 11 }, { record: backdated.record, seenAt: NOW + 5 }], invites: [record.record], leaves: [] })
    expect([...roster.values()].map((m) => m.joinedAt)).toEqual([NOW + 5])
  })
})

describe('roster cap', () => {
  it('a flood of joins past 64 members leaves the roster to the earliest 64: nobody is crowded out of rings', () => {
    const joins = Array.from({ length: 70 }, (_, i) => ({ record: recordOf(openJoin(keys, signJoin(keys, generateMemberKeys(), { created: NOW + i, name: '' }))), seenAt: NOW + i }))
    const roster = rosterOf({ joins: [...joins].reverse(), invites: [], leaves: [] })
    expect(roster.size).toBe(64)
    expect([...roster.values()].map((m) => m.joinedAt).sort((x, y) => x - y)).toEqual(joins.slice(0, 64).map((j) => j.seenAt))
  })
})

describe('rotation', () => {
  it('re-invites the kept members only: the removed one reads nothing after it', async () => {
    const [owner, alice, mallory] = [OWNER, generateMemberKeys(), generateMemberKeys()]
    const newSecret = generateCircleSecret()
    const body = signRotation(keys, owner, { newSecret, created: NOW, removed: [mallory.ring.publicKey], kept: [owner, alice].map((m) => ({ ringKey: m.ring.publicKey, boxKey: m.box.publicKey })) })
    // it travels on the old generation, so mallory opens the frame and the record ...
    const frame = await sealCircleFrame(keys, CircleRecordType.ROTATE, body, { powBits: 4 })
    const opened = openCircleFrame(keys, frame, 4)
    if (!opened.ok) throw new Error(opened.reason)
    const rotation = openRotation(keys, opened.body)
    if (!rotation.ok) throw new Error(rotation.reason)
    expect(rotation.record.generation).toBe(1)
    // ... but not the new secret
    expect(rotationSecret(rotation.record, mallory)).toBeUndefined()
    expect(toHex(rotationSecret(rotation.record, alice)!)).toBe(toHex(newSecret))
    expect(toHex(rotationSecret(rotation.record, owner)!)).toBe(toHex(newSecret))
    // a frame of the new generation does not open with the old keys, nor the topic match
    const next = deriveCircleKeys(newSecret, 1, owner.ring.publicKey)
    expect(next.topic).not.toBe(keys.topic)
    const after = await sealCircleFrame(next, CircleRecordType.ENVELOPE, new Uint8Array(20), { powBits: 4 })
    expect(openCircleFrame(keys, after, 4)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_SEAL' })
    expect(openCircleFrame(next, after, 4)).toMatchObject({ ok: true })
  })

  it('only the owner rotates, to the next generation; two rotations at once converge on one', () => {
    const [owner, alice] = [OWNER, generateMemberKeys()]
    const kept = [owner, alice].map((m) => ({ ringKey: m.ring.publicKey, boxKey: m.box.publicKey }))
    expect(() => signRotation(keys, alice, { newSecret: generateCircleSecret(), created: NOW, removed: [], kept })).toThrow(RangeError)
    // alice signs one anyway, as the circle of an owner she names herself: members refuse it
    const byAlice = signRotation({ ...keys, owner: alice.ring.publicKey }, alice, { newSecret: generateCircleSecret(), created: NOW, removed: [], kept })
    expect(openRotation(keys, byAlice)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_ROTATION' })
    const skipping = signRotation(keys, owner, { newSecret: generateCircleSecret(), created: NOW, removed: [], kept })
    expect(openRotation({ ...keys, generation: 5 }, skipping)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_ROTATION' })
    const a = signRotation(keys, owner, { newSecret: generateCircleSecret(), created: NOW, removed: [], kept })
    const b = signRotation(keys, owner, { newSecret: generateCircleSecret(), created: NOW, removed: [], kept: kept.slice(0, 1) })
    expect(pickRotation(keys, a, b)).toBe(pickRotation(keys, b, a))
    expect(() => signRotation(keys, owner, { newSecret: generateCircleSecret(), created: NOW, removed: [], kept: kept.slice(1) })).toThrow(RangeError)
  })
})

describe('ring cut', () => {
  const members = Array.from({ length: 12 }, (_, i) => ({ ringKey: generateMemberKeys().ring.publicKey, boxKey: new Uint8Array(32), joinedAt: 0, inviter: UNATTRIBUTED, name: `m${i}` }))
  const self = members[0]!.ringKey
  const policy = { self, now: 10 * 86400, minRing: 2, maxSize: 5 }

  it('a ring cut without a secret seed is refused: a ranking keyed by the public signer key names the signer', () => {
    // the attack: anyone ranks the roster under each member's key and finds the one whose cut matches the ring
    expect(() => selectRing(members, policy)).toThrow(/secret seed/)
  })

  it('a member left off a full roster cannot post, and asking for its ring does not throw', () => {
    // a hostile member fills the roster with 64 joins before the honest newcomer's join: the newcomer's
    // node must say it is off the roster, not fail every circle command
    const full = Array.from({ length: 64 }, (_, i) => ({ ringKey: generateMemberKeys().ring.publicKey, boxKey: new Uint8Array(32), joinedAt: 0, inviter: UNATTRIBUTED, name: `f${i}` }))
    const outsider = generateMemberKeys().ring.publicKey
    const selection = selectRing(full, { self: outsider, now: 10 * 86400, minRing: 2 })
    expect(selection).toMatchObject({ belowMinimum: true, offRoster: true, eligible: 0 })
    expect(selection.ring.map(toHex)).toEqual([toHex(outsider)])
  })

  it('a ring cut with a seed is stable for the seed and holds the signer', () => {
    const seed = new Uint8Array(32).fill(7)
    const a = selectRing(members, { ...policy, seed })
    const b = selectRing(members, { ...policy, seed })
    expect(a.ring).toHaveLength(5)
    expect(a.ring.map(toHex)).toEqual(b.ring.map(toHex))
    expect(a.ring.some((key) => toHex(key) === toHex(self))).toBe(true)
  })
})
