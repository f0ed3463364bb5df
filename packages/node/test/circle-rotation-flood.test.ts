/**
 * A hostile circle owner's endless rotations (fifteenth read, High 1). Anyone can found a circle and hand
 * out invites; its owner alone rotates, and nothing on the wire limits how often. Before: a member followed
 * every rotation (1,000 in a row cost it 16 CPU-s), kept every generation, tried every frame of any
 * circle with all of them (19-86 CPU-ms per junk frame after 1,000) and sent a JOIN per rotation. Now a
 * member follows at most CIRCLE_ROTATIONS_PER_HOUR rotations an hour and CIRCLE_ROTATIONS_PER_DAY a day,
 * fork switches counted, the next winner waiting; generations superseded more than CIRCLE_FRAME_TTL ago
 * are dropped; the owner's node refuses to rotate past the rate. Counts are asserted, not timings.
 */
import * as protocol from '@murmur/protocol'
import { CircleRecordType, compareBytes, deriveCircleKeys, equalBytes, generateCircleSecret, generateMemberKeys, openCircleFrame, recordDigest, sealCircleFrame, signJoin, signRotation, toHex } from '@murmur/protocol'
import { MemoryLevel } from 'memory-level'
import { describe, expect, it, vi } from 'vitest'
import { CirclePosts } from '../src/circle/circle-posts.js'
import { CIRCLE_FRAME_TTL, JOIN_REANNOUNCE_AGE } from '../src/circle/constants.js'
import { CIRCLE_ROTATIONS_PER_DAY, CIRCLE_ROTATIONS_PER_HOUR } from '../src/circle/follow-rate.js'
import { FrameIntake } from '../src/circle/frame-intake.js'
import { openFrameStore } from '../src/circle/frame-store.js'
import { HeldCircle } from '../src/circle/held-circle.js'
import { CircleService } from '../src/circle/service.js'
import type { CirclePostsComponents } from '../src/circle/circle-posts.js'
import type { CircleServiceComponents } from '../src/circle/service.js'
import { decodeCircleState, encodeCircleState } from '../src/circle/state.js'
import type { CircleState } from '../src/circle/state.js'
import type { Logger } from '@libp2p/interface'
import type { CircleKeys, MemberKeys } from '@murmur/protocol'

vi.mock('@murmur/protocol', async (importOriginal) => {
  const original = await importOriginal<typeof protocol>()
  return { ...original, openCircleFrame: vi.fn(original.openCircleFrame), checkCircleFrame: vi.fn(original.checkCircleFrame) }
})

const T0 = 1_800_000_000
const HOUR = 3_600
const DAY = 86_400
const log = Object.assign(() => {}, { enabled: false, trace: () => {}, error: () => {}, newScope: () => log }) as unknown as Logger
const entry = (m: MemberKeys): { ringKey: Uint8Array, boxKey: Uint8Array } => ({ ringKey: m.ring.publicKey, boxKey: m.box.publicKey })

/** `me`'s node with one circle of `owner`'s at generation 0 (both joined): the real intake, frame store and service. */
async function memberNode (owner: MemberKeys, me: MemberKeys, secret: Uint8Array, clock: { now: number }): Promise<{ service: CircleService, intake: FrameIntake, circle: HeldCircle, sent: Uint8Array[] }> {
  const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  const now = (): number => clock.now
  const frames = await openFrameStore({ db, now })
  const keys = deriveCircleKeys(secret, 0, owner.ring.publicKey)
  const joins = [owner, me].map((m) => ({ body: signJoin(keys, m, { created: T0, name: '' }), seenAt: T0 }))
  const state: CircleState = { name: 'c', owner: owner.ring.publicKey, minRing: 2, member: me, generations: [{ generation: 0, secret, joins, invites: [], leaves: [] }] }
  const sent: Uint8Array[] = []
  const intake: FrameIntake = new FrameIntake({
    frames,
    intake: { receive: async () => 'stored' },
    circles: () => service.circles(),
    changed: async (circle, outcome) => { await service.changed(circle, outcome) },
    powBits: { POST: 1, REPLY: 1, VOTE: 1 },
    now,
    log
  })
  const service: CircleService = new CircleService({
    states: { all: async () => [], put: async () => {}, delete: async () => {} },
    frames,
    intake,
    posts: new CirclePosts({ now, newcomerDelay: 0 } as unknown as CirclePostsComponents),
    send: async (frame: Uint8Array) => { sent.push(frame) },
    syncNow: () => {},
    assertCanPost: () => {},
    assertRunning: () => {},
    dispatch: () => {},
    now,
    log
  } as unknown as CircleServiceComponents, [state])
  return { service, intake, circle: [...service.circles()][0]!, sent }
}

/** The owner's chain of `count` rotations from generation 0, each keeping `kept`, sealed as frames; `last`: the keys of the generation it ends in. */
async function chain (owner: MemberKeys, secret: Uint8Array, kept: MemberKeys[], count: number, created: number): Promise<{ frames: Uint8Array[], last: CircleKeys }> {
  const frames: Uint8Array[] = []
  for (let g = 0; g < count; g++) {
    const keys = deriveCircleKeys(secret, g, owner.ring.publicKey)
    secret = generateCircleSecret()
    frames.push(await sealCircleFrame(keys, CircleRecordType.ROTATE, signRotation(keys, owner, { newSecret: secret, created, removed: [], kept: kept.map(entry) })))
  }
  return { frames, last: deriveCircleKeys(secret, count, owner.ring.publicKey) }
}

/** The owner's chain of `count` rotations from generation 0, each keeping `kept`, sealed as frames. */
async function rotations (owner: MemberKeys, secret: Uint8Array, kept: MemberKeys[], count: number, created: number): Promise<Uint8Array[]> {
  return (await chain(owner, secret, kept, count, created)).frames
}

/** A frame of another circle: what a member cannot tell from junk. */
async function otherCircleFrame (): Promise<Uint8Array> {
  const keys = deriveCircleKeys(generateCircleSecret(), 0, generateMemberKeys().ring.publicKey)
  return await sealCircleFrame(keys, CircleRecordType.JOIN, signJoin(keys, generateMemberKeys(), { created: T0, name: '' }))
}

/** Key tries a frame of another circle costs the member. */
async function triesPerJunkFrame (intake: FrameIntake): Promise<number> {
  const frame = await otherCircleFrame()
  const opens = vi.mocked(protocol.openCircleFrame)
  opens.mockClear()
  expect(await intake.receive(frame, 'junk', 'gossip')).toBe('accept')
  return opens.mock.calls.length
}

describe('a hostile owner rotating without end', () => {
  const owner = generateMemberKeys()
  const bea = generateMemberKeys()

  it(`the member follows ${CIRCLE_ROTATIONS_PER_HOUR} rotations an hour and ${CIRCLE_ROTATIONS_PER_DAY} a day, the rest wait; old generations are dropped after CIRCLE_FRAME_TTL`, async () => {
    const clock = { now: T0 }
    const secret = generateCircleSecret()
    const { service, intake, circle, sent } = await memberNode(owner, bea, secret, clock)
    const flood = await rotations(owner, secret, [owner, bea], 30, T0)
    for (const frame of flood) expect(await intake.receive(frame, 'owner', 'gossip')).toBe('accept')
    // 4 followed (a JOIN each), the 5th waits, the 25 after it are frames of generations this member does not hold
    expect(circle.current.generation).toBe(CIRCLE_ROTATIONS_PER_HOUR)
    expect(circle.state.generations).toHaveLength(CIRCLE_ROTATIONS_PER_HOUR + 1)
    expect(circle.current.waiting).toBeDefined()
    expect(sent).toHaveLength(CIRCLE_ROTATIONS_PER_HOUR)
    expect(await triesPerJunkFrame(intake)).toBe(CIRCLE_ROTATIONS_PER_HOUR + 1)
    // an hour later the sweep follows the waiting one, and the kept frames carry the member up to the day's cap
    clock.now = T0 + HOUR
    await service.sweep()
    await intake.rescanned()
    expect(circle.current.generation).toBe(CIRCLE_ROTATIONS_PER_DAY)
    expect(circle.current.waiting).toBeDefined()
    expect(sent).toHaveLength(CIRCLE_ROTATIONS_PER_DAY)
    // the day's cap holds an hour later still
    clock.now = T0 + 2 * HOUR
    await service.sweep()
    expect(circle.current.generation).toBe(CIRCLE_ROTATIONS_PER_DAY)
    expect(circle.nextRotation(clock.now)).toBe(T0 + DAY)
    // a week after the first four were superseded they are dropped; the roster carried through them stays
    clock.now = T0 + CIRCLE_FRAME_TTL + 1
    await service.sweep()
    expect(circle.state.generations[0]!.generation).toBe(CIRCLE_ROTATIONS_PER_HOUR)
    expect(circle.state.generations[0]!.carried?.map((m) => toHex(m.ringKey)).sort()).toEqual([owner, bea].map((m) => toHex(m.ring.publicKey)).sort())
    expect([...circle.roster().keys()].sort()).toEqual([owner, bea].map((m) => toHex(m.ring.publicKey)).sort())
    expect(await triesPerJunkFrame(intake)).toBe(circle.state.generations.length)
    expect(circle.state.generations.length).toBeLessThanOrEqual(1 + CIRCLE_ROTATIONS_PER_DAY)
    // after a restart: the same roster, rate and waiting rotation from the record
    const again = new HeldCircle(decodeCircleState(encodeCircleState(circle.state)))
    expect([...again.roster().keys()].sort()).toEqual([...circle.roster().keys()].sort())
    expect(again.nextRotation(clock.now)).toBe(circle.nextRotation(clock.now))
    expect(toHex(again.current.waiting ?? new Uint8Array())).toBe(toHex(circle.current.waiting ?? new Uint8Array()))
    expect(again.current.waitingArrived).toBe(circle.current.waitingArrived)
    expect(again.state.generations.map((g) => g.supersededAt)).toEqual(circle.state.generations.map((g) => g.supersededAt))
  })

  it(`rival rotations of one generation, each winning: at most ${CIRCLE_ROTATIONS_PER_HOUR} switches an hour, the best one waits`, async () => {
    const clock = { now: T0 }
    const secret = generateCircleSecret()
    const { service, intake, circle } = await memberNode(owner, bea, secret, clock)
    const keys: CircleKeys = deriveCircleKeys(secret, 0, owner.ring.publicKey)
    const bodies = Array.from({ length: 12 }, () => signRotation(keys, owner, { newSecret: generateCircleSecret(), created: T0, removed: [], kept: [owner, bea].map(entry) }))
    // largest digest first: each one beats the one followed before it
    bodies.sort((a, b) => compareBytes(recordDigest(keys, CircleRecordType.ROTATE, b), recordDigest(keys, CircleRecordType.ROTATE, a)))
    for (const body of bodies) expect(await intake.receive(await sealCircleFrame(keys, CircleRecordType.ROTATE, body), 'owner', 'gossip')).toBe('accept')
    // each read after its verdict
    await intake.settled()
    expect(circle.state.follows).toHaveLength(CIRCLE_ROTATIONS_PER_HOUR)
    expect(circle.state.generations).toHaveLength(2)
    expect(toHex(circle.state.generations[0]!.rotation!)).toBe(toHex(bodies[CIRCLE_ROTATIONS_PER_HOUR - 1]!))
    expect(toHex(circle.state.generations[0]!.waiting!)).toBe(toHex(bodies[bodies.length - 1]!))
    clock.now = T0 + HOUR
    await service.sweep()
    await intake.rescanned()
    expect(toHex(circle.state.generations[0]!.rotation!)).toBe(toHex(bodies[bodies.length - 1]!))
    expect(circle.state.generations[0]!.waiting).toBeUndefined()
    expect(circle.state.follows).toHaveLength(CIRCLE_ROTATIONS_PER_HOUR + 1)
  })

  // sixteenth read, High 1: a rotation found in the kept frames was scanned for from when its scan ran, so
  // the 7th of a batch was never read (stuck at generation 6 of 7 or 24 for days); sweeps fall 30 s past the hour
  for (const count of [7, 24]) {
    it(`${count} rotations of an honest owner in one sync batch: followed as the rate allows, through to the batch's newest record`, async () => {
      const clock = { now: T0 }
      const secret = generateCircleSecret()
      const { service, intake, circle } = await memberNode(owner, bea, secret, clock)
      const cy = generateMemberKeys()
      const { frames, last } = await chain(owner, secret, [owner, bea], count, T0)
      // the newest record of the batch: a JOIN in the generation the chain ends in, arrived first
      const join = await sealCircleFrame(last, CircleRecordType.JOIN, signJoin(last, cy, { created: T0, name: 'cy' }))
      for (const frame of [join, ...frames]) expect(await intake.receive(frame, 'peer', 'sync')).toBe('accept')
      await intake.rescanned()
      expect(circle.current.generation).toBe(CIRCLE_ROTATIONS_PER_HOUR)
      // the waiting rotation's frame came at T0, a fact the record keeps across a restart
      expect(decodeCircleState(encodeCircleState(circle.state)).generations.at(-1)!.waitingArrived).toBe(T0)
      const steps = [T0 + HOUR + 30, T0 + DAY + 60, T0 + DAY + HOUR + 90, T0 + 2 * DAY + 120, T0 + 2 * DAY + HOUR + 150]
      // what the rate allows at each sweep: 4 an hour, 8 a day
      const allowed = [8, 12, 16, 20, 24]
      for (const [i, at] of steps.entries()) {
        clock.now = at
        await service.sweep()
        await intake.rescanned()
        expect(circle.current.generation).toBe(Math.min(count, allowed[i]!))
      }
      expect(circle.current.waiting).toBeUndefined()
      expect(circle.roster().has(toHex(cy.ring.publicKey))).toBe(true)
    })
  }

  it('the owner\'s node refuses a rotation past the rate (ERR_CIRCLE_RATE), several members removed at once count one', async () => {
    const clock = { now: T0 }
    const others = Array.from({ length: 7 }, () => generateMemberKeys())
    const secret = generateCircleSecret()
    const { service, circle, sent } = await memberNode(owner, owner, secret, clock)
    const keys = circle.keysOf(circle.current)
    for (const m of others) circle.apply(circle.current, CircleRecordType.JOIN, signJoin(keys, m, { created: T0, name: '' }), T0)
    const hex = others.map((m) => toHex(m.ring.publicKey))
    for (let i = 0; i < CIRCLE_ROTATIONS_PER_HOUR - 1; i++) await service.remove('c', hex[i]!)
    // several at once: one rotation
    await service.remove('c', [hex[4]!, hex[5]!])
    expect(circle.state.follows).toHaveLength(CIRCLE_ROTATIONS_PER_HOUR)
    const frames = sent.length
    await expect(service.remove('c', hex[6]!)).rejects.toMatchObject({ name: 'CircleError', code: 'ERR_CIRCLE_RATE' })
    expect(sent).toHaveLength(frames)
    expect(circle.current.generation).toBe(CIRCLE_ROTATIONS_PER_HOUR)
    // the owner, others[3] and others[6]
    expect(circle.roster().size).toBe(3)
    clock.now = T0 + HOUR
    await service.remove('c', hex[6]!)
    expect(circle.roster().size).toBe(2)
  })
})

describe('the owner\'s rotation', () => {
  // seventeenth read of issue 12, High 2: a flood that pushed a rotation's frame out of relays' stores locked
  // a member offline meanwhile out for good, as only JOINs were announced again. FAILED on 543393d (no frame)
  it(`is announced again by the owner's node JOIN_REANNOUNCE_AGE after it was made, a fresh seal of the same record, then not again before as long`, async () => {
    const owner = generateMemberKeys()
    const bea = generateMemberKeys()
    const clock = { now: T0 }
    const secret = generateCircleSecret()
    const { service, circle, sent } = await memberNode(owner, owner, secret, clock)
    const keys = circle.keysOf(circle.current)
    circle.apply(circle.current, CircleRecordType.JOIN, signJoin(keys, bea, { created: T0, name: '' }), T0)
    await service.remove('c', toHex(bea.ring.publicKey))
    const rotations = (): Uint8Array[] => sent.flatMap((frame) => {
      const opened = openCircleFrame(keys, frame)
      return opened.ok && opened.type === CircleRecordType.ROTATE ? [opened.body] : []
    })
    expect(rotations()).toHaveLength(1)
    const first = sent.find((frame) => openCircleFrame(keys, frame).ok)!
    clock.now = T0 + JOIN_REANNOUNCE_AGE - 60
    await service.sweep()
    expect(rotations()).toHaveLength(1)
    clock.now = T0 + JOIN_REANNOUNCE_AGE
    await service.sweep()
    expect(rotations()).toHaveLength(2)
    expect(equalBytes(rotations()[1]!, rotations()[0]!)).toBe(true)
    expect(sent.filter((frame) => equalBytes(frame, first))).toHaveLength(1)
    await service.sweep()
    expect(rotations()).toHaveLength(2)
  })
})

describe('a frame of another circle', () => {
  it('costs one relay check (its proof-of-work hash), then a seal try per generation held: 10 circles x 10 generations', async () => {
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
    await db.open()
    const circles = Array.from({ length: 10 }, () => new HeldCircle({
      name: 'c',
      owner: generateMemberKeys().ring.publicKey,
      minRing: 2,
      member: generateMemberKeys(),
      generations: Array.from({ length: 10 }, (_, g) => ({ generation: g, secret: generateCircleSecret(), joins: [], invites: [], leaves: [] }))
    }))
    const intake = new FrameIntake({ frames: await openFrameStore({ db }), intake: { receive: async () => 'stored' }, circles: () => circles, changed: async () => {}, powBits: { POST: 1, REPLY: 1, VOTE: 1 }, now: () => T0, log })
    const frame = await otherCircleFrame()
    const checks = vi.mocked(protocol.checkCircleFrame)
    const opens = vi.mocked(protocol.openCircleFrame)
    checks.mockClear()
    opens.mockClear()
    expect(await intake.receive(frame, 'junk', 'gossip')).toBe('accept')
    expect(opens).toHaveBeenCalledTimes(100)
    // a relay check is a checkCircleFrame call, or an openCircleFrame handed the bytes (it checks them itself):
    // the intake's own check, which the circles' tries share (101 before: one a key)
    const relayChecks = checks.mock.calls.length + opens.mock.calls.filter(([, f]) => f instanceof Uint8Array).length
    expect(relayChecks).toBe(1)
  })
})
