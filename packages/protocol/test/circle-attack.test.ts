import { describe, expect, it } from 'vitest'
import { equalBytes, linkTag, ready, toHex } from '../src/index.js'
import { deriveCircleKeys, generateCircleSecret } from '../src/circle/keys.js'
import { generateInviteSeed, inviteKey } from '../src/circle/invite.js'
import { generateMemberKeys, openInviteRecord, openJoin, signInviteRecord, signJoin } from '../src/circle/records.js'
import type { InviteRecord, JoinRecord, MemberKeys } from '../src/circle/records.js'
import { anonymitySet, NEWCOMER_DELAY_SECONDS, rosterOf, rosterWarnings, selectRing, UNATTRIBUTED } from '../src/circle/roster.js'
import { carryOver, openRotation, signRotation } from '../src/circle/rotation.js'
import type { RosterMember } from '../src/circle/roster.js'
import { buildCirclePostWith, validateCircleEnvelope } from '../src/circle/post.js'
import { CircleRecordType, openCircleFrame, sealCircleFrame } from '../src/circle/frame.js'
import { recordOf, seededRandom } from './helpers.js'

await ready()

// Secret's attack (issue 15): a reader who brings fake members plus one target into a circle learns which
// posts are the target's. docs/ANONYMITY.md (Circles) says what a circle promises: against a coalition that
// controls c of a ring's n keys, a post is hidden among the n - c others, no more and no less; what the
// defences add is that the target is told before it posts, and that fakes are kept out of rings for a day.

const T0 = 1_767_225_600
const HOUR = 3600
const MIN_RING = 5
const OWNER = generateMemberKeys()
const keys = deriveCircleKeys(seededRandom('attack-secret')(32), 0, OWNER.ring.publicKey)

/** A circle's records as members build them: each newcomer joins with an invite key its inviter published. */
class CircleHistory {
  readonly joins: Array<{ record: JoinRecord, seenAt: number }> = []
  readonly invites: InviteRecord[] = []

  found (owner: MemberKeys, at: number): void {
    this.joins.push({ record: recordOf(openJoin(keys, signJoin(keys, owner, { created: at, name: 'owner' }))), seenAt: at })
  }

  invite (inviter: MemberKeys, newcomer: MemberKeys, at: number, name: string): void {
    const seed = generateInviteSeed()
    this.invites.push(recordOf(openInviteRecord(keys, signInviteRecord(keys, inviter, { inviteKey: inviteKey(seed).publicKey, created: at, expires: at + 7 * 86_400 }))))
    this.joins.push({ record: recordOf(openJoin(keys, signJoin(keys, newcomer, { created: at, name, invite: inviteKey(seed) }))), seenAt: at })
  }

  roster (): RosterMember[] {
    return [...rosterOf({ joins: this.joins, invites: this.invites, leaves: [] }).values()]
  }
}

const POW = { POST: 8, REPLY: 8, VOTE: 8 }

/** A post by `signer` over `ring`, as every member validates it: the links it carries. */
async function postBy (signer: MemberKeys, ring: Uint8Array[], label: string, at: number, sequence: number): Promise<{ scope: Uint8Array, tag: Uint8Array, ring: Uint8Array[] }> {
  const built = await buildCirclePostWith(keys, { body: label, created: at, powBits: 8, minRing: MIN_RING, frame: { powBits: 0 }, auth: { kind: 'ring', ring, secretKey: signer.ring.secretKey, sequence: { epoch: sequence, week: sequence } } }, seededRandom(label))
  const opened = openCircleFrame(keys, built.frame, 0)
  if (!opened.ok) throw new Error(opened.reason)
  const valid = validateCircleEnvelope(keys, opened.body, { isMember: () => true, minRing: MIN_RING, now: at + 60, powBits: POW })
  if (!valid.ok || valid.auth.kind !== 'ring') throw new Error(valid.ok ? 'not ring' : valid.reason)
  return { scope: valid.auth.links[0]!.scope, tag: valid.auth.links[0]!.tag, ring: valid.auth.ring }
}

/** What the attacker can tell of a post: which of its own keys made it, by recomputing their tags. */
function attackerCandidates (post: { scope: Uint8Array, tag: Uint8Array, ring: Uint8Array[] }, own: MemberKeys[]): Uint8Array[] {
  const mine = own.find((m) => equalBytes(linkTag(m.ring.secretKey, post.scope), post.tag))
  if (mine !== undefined) return [mine.ring.publicKey]
  const controlled = new Set(own.map((m) => toHex(m.ring.publicKey)))
  return post.ring.filter((key) => !controlled.has(toHex(key)))
}

describe("Secret's attack on a circle", () => {
  it('a circle of 7 fakes and one target: the target is told before it can post, and the analysis says the truth: a set of 1', async () => {
    const attacker = generateMemberKeys()
    const fakes = Array.from({ length: 7 }, () => generateMemberKeys())
    const target = generateMemberKeys()
    const history = new CircleHistory()
    history.found(attacker, T0)
    fakes.forEach((fake, i) => { history.invite(attacker, fake, T0 + i * 60, `friend ${i}`) })
    history.invite(attacker, target, T0 + 600, 'target')

    // an hour after joining: every other member is a newcomer, and so is the target
    const early = { self: target.ring.publicKey, now: T0 + HOUR, minRing: MIN_RING }
    const soon = selectRing(history.roster(), early)
    expect(soon.ring).toHaveLength(1)
    expect(soon.belowMinimum).toBe(true)
    expect(soon.selfNewcomerUntil).toBe(T0 + 600 + NEWCOMER_DELAY_SECONDS)
    const earlyCodes = rosterWarnings(history.roster(), early).map((w) => w.code)
    expect(earlyCodes).toEqual(expect.arrayContaining(['RING_BELOW_MINIMUM', 'SELF_NEWCOMER', 'NEWCOMERS_WAITING', 'FAST_GROWTH']))
    await expect(postBy(target, soon.ring, 'too-early', T0 + HOUR, 0)).rejects.toMatchObject({ code: 'ERR_CIRCLE_RING' })

    // a day later the ring is 9 strong, and the target is told whose honesty it rests on
    const later = { self: target.ring.publicKey, now: T0 + 25 * HOUR, minRing: MIN_RING }
    const selection = selectRing(history.roster(), later)
    expect(selection.ring).toHaveLength(9)
    expect(selection.belowMinimum).toBe(false)
    const warnings = rosterWarnings(history.roster(), later)
    expect(warnings).toContainEqual({ code: 'ONE_INVITER', inviter: toHex(attacker.ring.publicKey), invited: 7, of: 8 })
    expect(warnings).toContainEqual(expect.objectContaining({ code: 'FAST_GROWTH', inviter: toHex(attacker.ring.publicKey), joins: 7 }))

    // if it posts anyway, the attacker singles out its posts: exactly what the analysis promises (1), no better
    const coalition = [attacker, ...fakes]
    const controlled = new Set(coalition.map((m) => toHex(m.ring.publicKey)))
    expect(anonymitySet(selection.ring, controlled)).toBe(1)
    const post = await postBy(target, selection.ring, 'target-post', T0 + 25 * HOUR, 0)
    expect(attackerCandidates(post, coalition).map(toHex)).toEqual([toHex(target.ring.publicKey)])
  })

  it('fakes brought into an honest circle do not shrink an honest post\'s set: 9 of a ring of 10, then of 17', async () => {
    const members = Array.from({ length: 10 }, () => generateMemberKeys())
    const [owner, attacker, target] = [members[0]!, members[1]!, members[2]!]
    const history = new CircleHistory()
    history.found(owner, T0)
    // honest growth: members invited by several inviters over weeks
    members.slice(1).forEach((member, i) => { history.invite(members[i % 3]!, member, T0 + (i + 1) * 3 * 86_400, `m${i + 1}`) })
    const wave = T0 + 40 * 86_400
    const fakes = Array.from({ length: 7 }, () => generateMemberKeys())
    fakes.forEach((fake, i) => { history.invite(attacker, fake, wave + i * 60, `new ${i}`) })
    const coalition = [attacker, ...fakes]
    const controlled = new Set(coalition.map((m) => toHex(m.ring.publicKey)))

    // within the newcomer delay the fakes are in no ring, and the target sees the wave
    const during = { self: target.ring.publicKey, now: wave + HOUR, minRing: MIN_RING }
    const ring = selectRing(history.roster(), during)
    expect(ring.ring).toHaveLength(10)
    expect(ring.newcomers).toBe(7)
    expect(rosterWarnings(history.roster(), during)).toContainEqual(expect.objectContaining({ code: 'FAST_GROWTH', inviter: toHex(attacker.ring.publicKey), joins: 7 }))
    const duringPost = await postBy(target, ring.ring, 'during', wave + HOUR, 0)
    expect(attackerCandidates(duringPost, coalition)).toHaveLength(9)
    expect(anonymitySet(ring.ring, controlled)).toBe(9)

    // after the delay they are in rings: the ring grows to 17, the honest set stays 9 (the fakes dilute the
    // ring's apparent size, not the honest set; the warning stays while the growth is in the window)
    const after = { self: target.ring.publicKey, now: wave + 25 * HOUR, minRing: MIN_RING }
    const grown = selectRing(history.roster(), after)
    expect(grown.ring).toHaveLength(17)
    const afterPost = await postBy(target, grown.ring, 'after', wave + 25 * HOUR, 1)
    const candidates = attackerCandidates(afterPost, coalition)
    expect(candidates).toHaveLength(9)
    expect(candidates.some((key) => equalBytes(key, target.ring.publicKey))).toBe(true)
    expect(anonymitySet(grown.ring, controlled)).toBe(9)
    // the attacker's own posts it recognises (it holds the keys); nobody else's
    const own = await postBy(fakes[0]!, grown.ring, 'fake', wave + 25 * HOUR, 0)
    expect(attackerCandidates(own, coalition).map(toHex)).toEqual([toHex(fakes[0]!.ring.publicKey)])
  })

  it('a circle grown by several inviters over weeks raises no warning (the warnings are not noise)', () => {
    const members = Array.from({ length: 12 }, () => generateMemberKeys())
    const history = new CircleHistory()
    history.found(members[0]!, T0)
    members.slice(1).forEach((member, i) => { history.invite(members[i % 4]!, member, T0 + (i + 1) * 2 * 86_400, `m${i + 1}`) })
    for (const self of members) {
      expect(rosterWarnings(history.roster(), { self: self.ring.publicKey, now: T0 + 60 * 86_400, minRing: MIN_RING })).toEqual([])
    }
  })

  it('an owner cannot slip fakes in as old members by rotating: they are carried only if they were members', async () => {
    const [owner, target, alice, bob] = [OWNER, generateMemberKeys(), generateMemberKeys(), generateMemberKeys()]
    const history = new CircleHistory()
    history.found(owner, T0)
    history.invite(owner, target, T0 + 86_400, 'target')
    history.invite(target, alice, T0 + 2 * 86_400, 'alice')
    history.invite(alice, bob, T0 + 3 * 86_400, 'bob')
    const previous = history.roster()
    const fakes = Array.from({ length: 7 }, () => generateMemberKeys())
    const at = T0 + 30 * 86_400
    const kept = [owner, target, alice, bob, ...fakes].map((m) => ({ ringKey: m.ring.publicKey, boxKey: m.box.publicKey }))
    const rotation = recordOf(openRotation(keys, signRotation(keys, owner, { newSecret: generateCircleSecret(), created: at, removed: [], kept })))
    const carried = carryOver(rotation, previous)
    expect(carried.map((m) => toHex(m.ringKey)).sort()).toEqual([owner, target, alice, bob].map((m) => toHex(m.ring.publicKey)).sort())
    // the fakes must join the new generation like anyone else: newcomers for a day, and the wave is shown
    const next = deriveCircleKeys(generateCircleSecret(), 1, owner.ring.publicKey)
    const joins = fakes.map((fake, i) => ({ record: recordOf(openJoin(next, signJoin(next, fake, { created: at, name: `fake ${i}` }))), seenAt: at + 60 }))
    const roster = [...rosterOf({ joins, invites: [], leaves: [], carried }).values()]
    const policy = { self: target.ring.publicKey, now: at + HOUR, minRing: 3 }
    expect(selectRing(roster, policy).ring).toHaveLength(4)
    expect(rosterWarnings(roster, policy)).toContainEqual(expect.objectContaining({ code: 'FAST_GROWTH', inviter: UNATTRIBUTED, joins: 7 }))
  })

  it('an inviter who names itself owner in an invite gives the newcomer another, empty circle, not a false owner', async () => {
    const mallory = generateMemberKeys()
    const secret = seededRandom('attack-secret')(32)
    const lied = deriveCircleKeys(secret, 0, mallory.ring.publicKey)
    expect(lied.topic).not.toBe(keys.topic)
    const frame = await sealCircleFrame(keys, CircleRecordType.JOIN, signJoin(keys, OWNER, { created: T0, name: 'owner' }), { powBits: 0 })
    expect(openCircleFrame(lied, frame, 0)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_SEAL' })
    // and mallory's rotations, made for the circle she named, are nobody's in the real one
    const forged = signRotation(lied, mallory, { newSecret: generateCircleSecret(), created: T0, removed: [], kept: [{ ringKey: mallory.ring.publicKey, boxKey: mallory.box.publicKey }] })
    expect(openRotation(keys, forged).ok).toBe(false)
  })
})
