/**
 * A member's fold of a circle's records (HeldCircle): the roster does not depend on the order records
 * arrive in (a rotation seen before an old join still carries it), two rotations of one generation
 * converge whichever arrives first, a rotation without this member leaves it removed, and a member who
 * floods joins cannot grow everyone's state without end.
 */
import { CircleRecordType, deriveCircleKeys, generateCircleSecret, generateMemberKeys, signJoin, signRotation, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { CIRCLE_MAX_RECORDS } from '../src/circle/constants.js'
import { HeldCircle } from '../src/circle/held-circle.js'
import type { MemberKeys } from '@murmur/protocol'

const NOW = 1_800_000_000

/** A circle owned by `owner`, as `me` holds it at generation 0. */
function held (owner: MemberKeys, me: MemberKeys, secret: Uint8Array): HeldCircle {
  return new HeldCircle({ name: 'c', owner: owner.ring.publicKey, minRing: 2, member: me, generations: [{ generation: 0, secret, joins: [], invites: [], leaves: [] }] })
}

describe('HeldCircle', () => {
  const owner = generateMemberKeys()
  const bea = generateMemberKeys()
  const cy = generateMemberKeys()
  const secret = generateCircleSecret()
  const keys = deriveCircleKeys(secret, 0, owner.ring.publicKey)
  const join = (member: MemberKeys, at = NOW): Uint8Array => signJoin(keys, member, { created: at, name: '' })
  const rotation = (kept: MemberKeys[]): Uint8Array => signRotation(keys, owner, {
    newSecret: generateCircleSecret(),
    created: NOW,
    removed: [],
    kept: kept.map((m) => ({ ringKey: m.ring.publicKey, boxKey: m.box.publicKey }))
  })

  it('carries a join of the old generation seen after the rotation (the roster does not depend on arrival order)', () => {
    const rotate = rotation([owner, bea, cy])
    const inOrder = held(owner, bea, secret)
    const late = held(owner, bea, secret)
    for (const circle of [inOrder, late]) {
      circle.apply(circle.current, CircleRecordType.JOIN, join(owner), NOW)
      circle.apply(circle.current, CircleRecordType.JOIN, join(bea), NOW)
    }
    inOrder.apply(inOrder.current, CircleRecordType.JOIN, join(cy), NOW)
    expect(inOrder.apply(inOrder.current, CircleRecordType.ROTATE, rotate, NOW)).toBe('rotated')
    expect(late.apply(late.current, CircleRecordType.ROTATE, rotate, NOW)).toBe('rotated')
    expect(late.roster().size).toBe(2)
    // cy's join of generation 0 arrives after the rotation
    expect(late.apply(late.state.generations[0]!, CircleRecordType.JOIN, join(cy), NOW)).toBe('roster')
    expect(late.current.generation).toBe(1)
    expect([...late.roster().keys()].sort()).toEqual([...inOrder.roster().keys()].sort())
    expect(late.roster().size).toBe(3)
  })

  it('two rotations of one generation: every member follows the same one, whichever arrived first', () => {
    const first = rotation([owner, bea])
    const second = rotation([owner, bea])
    const ab = held(owner, bea, secret)
    const ba = held(owner, bea, secret)
    ab.apply(ab.current, CircleRecordType.ROTATE, first, NOW)
    ab.apply(ab.state.generations[0]!, CircleRecordType.ROTATE, second, NOW)
    ba.apply(ba.current, CircleRecordType.ROTATE, second, NOW)
    ba.apply(ba.state.generations[0]!, CircleRecordType.ROTATE, first, NOW)
    expect(ab.state.generations).toHaveLength(2)
    expect(toHex(ab.current.secret)).toBe(toHex(ba.current.secret))
    expect(ab.keysOf(ab.current).topic).toBe(ba.keysOf(ba.current).topic)
  })

  it('a rotation without this member leaves it removed, reading the old generation only', () => {
    const circle = held(owner, cy, secret)
    expect(circle.apply(circle.current, CircleRecordType.ROTATE, rotation([owner, bea]), NOW)).toBe('rotated')
    expect(circle.state.removed).toBe(true)
    expect(circle.state.generations).toHaveLength(1)
  })

  it(`keeps at most ${CIRCLE_MAX_RECORDS} joins of a generation; the roster holds the earliest 64`, () => {
    const circle = held(owner, bea, secret)
    for (let i = 0; i < CIRCLE_MAX_RECORDS; i++) expect(circle.apply(circle.current, CircleRecordType.JOIN, join(generateMemberKeys(), NOW + i), NOW + i)).toBe('roster')
    expect(circle.apply(circle.current, CircleRecordType.JOIN, join(generateMemberKeys()), NOW)).toBe('invalid')
    expect(circle.current.joins).toHaveLength(CIRCLE_MAX_RECORDS)
    expect(circle.roster().size).toBe(64)
  })
})
