/**
 * A circle whose owner rotated thousands of times (a hostile owner: anyone can found a circle and hand out
 * invites). The roster is folded through every generation held; the fold recursed once per generation and
 * overflowed the stack at about 2,500 (`RangeError`, again after every restart), and `circles.list()`,
 * which a gossip listener calls, threw it out of the node. The state is built directly (as a node that
 * followed the rotations holds it), so the test stays fast.
 */
import * as protocol from '@murmur/protocol'
import { CircleRecordType, deriveCircleKeys, generateCircleSecret, generateMemberKeys, signJoin, signRotation } from '@murmur/protocol'
import { describe, expect, it, vi } from 'vitest'
import { CirclePosts } from '../src/circle/circle-posts.js'
import { CIRCLE_FRAME_TTL } from '../src/circle/constants.js'
import { HeldCircle } from '../src/circle/held-circle.js'
import { CircleService } from '../src/circle/service.js'
import type { CirclePostsComponents } from '../src/circle/circle-posts.js'
import type { CircleServiceComponents } from '../src/circle/service.js'
import type { CircleState, HeldGeneration } from '../src/circle/state.js'
import type { MemberKeys } from '@murmur/protocol'

vi.mock('@murmur/protocol', async (importOriginal) => {
  const original = await importOriginal<typeof protocol>()
  return { ...original, openRotation: vi.fn(original.openRotation) }
})

const NOW = 1_800_000_000
const GENERATIONS = 3_000

/** `me`'s state of a circle `owner` rotated GENERATIONS - 1 times, keeping both: each generation's rotation signed for real. */
function deepState (owner: MemberKeys, me: MemberKeys): CircleState {
  const secret = generateCircleSecret()
  const kept = [owner, me].map((m) => ({ ringKey: m.ring.publicKey, boxKey: m.box.publicKey }))
  const generations: HeldGeneration[] = []
  for (let g = 0; g < GENERATIONS; g++) {
    const keys = deriveCircleKeys(secret, g, owner.ring.publicKey)
    const joins = g === 0 ? [owner, me].map((m) => ({ body: signJoin(keys, m, { created: NOW, name: '' }), seenAt: NOW })) : []
    const generation: HeldGeneration = { generation: g, secret, joins, invites: [], leaves: [] }
    if (g < GENERATIONS - 1) generation.rotation = signRotation(keys, owner, { newSecret: secret, created: NOW, removed: [], kept })
    generations.push(generation)
  }
  return { name: 'deep', owner: owner.ring.publicKey, minRing: 2, member: me, generations }
}

/** A circle service over `states` with only what `list()` and `leave()` read; the frames it sends go to `sent`. */
function service (states: CircleState[], errors: unknown[], sent: Uint8Array[] = []): CircleService {
  const now = (): number => NOW
  const posts = new CirclePosts({ now, newcomerDelay: 0 } as unknown as CirclePostsComponents)
  const log = Object.assign(() => {}, { enabled: false, trace: () => {}, error: (...args: unknown[]) => { errors.push(args) }, newScope: () => log })
  const intake = { serially: async <T>(job: () => Promise<T>): Promise<T> => await job(), forget: () => {} }
  const states$ = { delete: async () => {} }
  return new CircleService({
    posts, now, log, intake, states: states$, assertRunning: () => {}, dispatch: () => {}, send: async (frame: Uint8Array) => { sent.push(frame) }
  } as unknown as CircleServiceComponents, states)
}

describe('a circle of thousands of generations', () => {
  const owner = generateMemberKeys()
  const bea = generateMemberKeys()
  const state = deepState(owner, bea)
  const openRotation = vi.mocked(protocol.openRotation)

  it(`reads the roster of ${GENERATIONS} generations without overflowing the stack, each rotation verified once`, () => {
    // as after a restart: a new HeldCircle, nothing folded yet (on a copy: the next test reads the state untouched)
    const circle = new HeldCircle({ ...state, generations: state.generations.map((g) => ({ ...g, joins: [...g.joins] })) })
    openRotation.mockClear()
    expect(circle.ringMembers()).toHaveLength(2)
    expect(openRotation).toHaveBeenCalledTimes(GENERATIONS - 1)
    // a newcomer's JOIN in the current generation refolds that generation only: no rotation checked again
    openRotation.mockClear()
    const keys = circle.keysOf(circle.current)
    expect(circle.apply(circle.current, CircleRecordType.JOIN, signJoin(keys, generateMemberKeys(), { created: NOW, name: 'n' }), NOW)).toBe('roster')
    expect(circle.roster().size).toBe(3)
    // a late JOIN of an old generation refolds from there on, still without checking a rotation again
    const old = circle.state.generations[GENERATIONS - 3]!
    expect(circle.apply(old, CircleRecordType.JOIN, signJoin(circle.keysOf(old), generateMemberKeys(), { created: NOW, name: '' }), NOW)).toBe('roster')
    expect(circle.roster().size).toBe(3)
    expect(openRotation).toHaveBeenCalledTimes(0)
    // a week after (the record has no supersededAt: its rotations' `created` stands for it) all but the
    // current generation are dropped, the members carried through them kept
    expect(circle.prune(NOW + CIRCLE_FRAME_TTL + 1)).toBe(true)
    expect(circle.state.generations).toHaveLength(1)
    expect(circle.roster().size).toBe(3)
  })

  it('circles.list() never throws: a circle whose record is damaged is listed as damaged, the error logged', () => {
    // a secret of the wrong length (a record hand-edited, or written by a buggy version): its keys cannot be derived
    const damaged: CircleState = { ...state, name: 'broken', generations: [{ ...state.generations[0]!, secret: new Uint8Array(3) }] }
    const errors: unknown[] = []
    const circles = service([{ ...state, name: 'deep' }, damaged], errors)
    const list = circles.list()
    expect(list.map((c) => c.name)).toEqual(['deep', 'broken'])
    expect(list[0]!.members).toBe(2)
    expect(list[1]).toMatchObject({ name: 'broken', damaged: true, canPost: false })
    expect(errors).toHaveLength(1)
    expect(circles.size).toBe(2)
  })

  it('a damaged circle can be left: it is forgotten, no LEAVE sent (none can be sealed), the error logged', async () => {
    const damaged: CircleState = { ...state, name: 'broken', generations: [{ ...state.generations[0]!, secret: new Uint8Array(3) }] }
    const errors: unknown[] = []
    const sent: Uint8Array[] = []
    const circles = service([damaged], errors, sent)
    await circles.leave('broken')
    expect(circles.size).toBe(0)
    expect(sent).toHaveLength(0)
    expect(errors).toHaveLength(1)
  })
})
