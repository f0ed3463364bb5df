/**
 * Fifteenth read of issue 12, slice B, High 2 and Low 1: a member tried a rotation's new keys on every frame
 * kept since the rotation's `created`, the owner's unchecked claim, and did so inside the frame intake's
 * turn, which the gossip validator of the shared topic awaits. An owner's rotations dated 0 made each
 * member try its whole store once per rotation (10 rotations over 64 MiB of junk: 8.3 s of the member's
 * CPU against the owner's 120 ms), every frame of the member's other circles waited behind them (9.2 s),
 * and the waiting frames held gossip turns every topic shares. Now a rotation tries at most the frames of
 * the ROTATION_SCAN_WINDOW before it reached the node, outside the turn, one scan per circle at a time (a
 * burst of rotations is tried together), each frame read once; and past CIRCLE_INTAKE_WAITING frames
 * waiting for the turn a frame is Ignored, nobody charged.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import {
  CircleRecordType, compareBytes, deriveCircleKeys, generateCircleSecret, generateMemberKeys, sealCircleFrame, signJoin, signRotation, toHex
} from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { CIRCLE_INTAKE_WAITING, ROTATION_SCAN_WINDOW } from '../src/circle/constants.js'
import { FrameIntake } from '../src/circle/frame-intake.js'
import { intakePlaces } from '../src/circle/intake-places.js'
import { CIRCLE_ROTATIONS_PER_HOUR } from '../src/circle/follow-rate.js'
import { frameId, openFrameStore } from '../src/circle/frame-store.js'
import { HeldCircle } from '../src/circle/held-circle.js'
import { decodeCircleState, encodeCircleState } from '../src/circle/state.js'
import { circleFrameValidator } from '../src/circle/relay.js'
import { POW, junkFrame, memoryDatabase, silent } from './circle-fixtures.js'
import type { FrameScan, FrameStore } from '../src/circle/frame-store.js'
import type { InvalidMessageTracker } from '../src/gossip.js'
import type { PeerId } from '@libp2p/interface'
import type { CircleKeys, MemberKeys } from '@murmur/protocol'

/** Junk that arrived two windows (two hours) before the rotations, and junk of the last minutes. */
const OLD = 4096
const RECENT = 256

/** Fails with `what` unless `promise` settles within `ms` (the old code never let these settle). */
async function within<T> (promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${what}: not within ${ms} ms`)) }, ms) })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * A real frame store whose scans are watched: how many scans began, the frames they handed out, and
 * (`hold`) a scan held after its first frame until released.
 */
interface Watched {
  store: FrameStore
  scans: number
  touched: number
  /** The next scan stops after its first frame: resolves when it got there, `release` lets it go on. */
  hold(): { reached: Promise<void>, release: () => void }
}

function watched (store: FrameStore): Watched {
  let held: { reach: () => void, gate: Promise<void> } | undefined
  const watch: Watched = {
    scans: 0,
    touched: 0,
    hold: () => {
      let reach = (): void => {}
      let release = (): void => {}
      const reached = new Promise<void>((resolve) => { reach = resolve })
      held = { reach, gate: new Promise<void>((resolve) => { release = resolve }) }
      return { reached, release }
    },
    store: Object.assign(Object.create(store) as FrameStore, {
      frames: (since?: number): FrameScan => {
        const scan = store.frames(since)
        const hold = held
        held = undefined
        return {
          total: scan.total,
          [Symbol.asyncIterator]: async function * () {
            watch.scans++
            let handed = 0
            for await (const frame of scan) {
              watch.touched++
              yield frame
              if (++handed === 1 && hold !== undefined) {
                hold.reach()
                await hold.gate
              }
            }
          }
        }
      }
    })
  }
  return watch
}

/** A circle of `owner` as `member`'s node holds it, with the owner's rotations (each keeps both). */
class Club {
  readonly circle: HeldCircle
  /** The keys of each generation made so far. */
  readonly keys: CircleKeys[]
  private readonly owner: MemberKeys
  private readonly member: MemberKeys

  constructor (owner: MemberKeys, member: MemberKeys, now: number) {
    this.owner = owner
    this.member = member
    const secret = generateCircleSecret()
    this.keys = [deriveCircleKeys(secret, 0, owner.ring.publicKey)]
    this.circle = new HeldCircle({ name: toHex(secret).slice(0, 8), owner: owner.ring.publicKey, minRing: 2, member, generations: [{ generation: 0, secret, joins: [], invites: [], leaves: [] }] })
    for (const m of [owner, member]) this.circle.apply(this.circle.current, CircleRecordType.JOIN, signJoin(this.keys[0]!, m, { created: now, name: '' }), now)
  }

  /** The owner's rotation out of the newest generation made, dated `created`: its frame. */
  async rotate (created: number): Promise<Uint8Array> {
    const g = this.keys.length - 1
    const keys = this.keys[g]!
    const newSecret = generateCircleSecret()
    const kept = [this.owner, this.member].map((m) => ({ ringKey: m.ring.publicKey, boxKey: m.box.publicKey })).sort((a, b) => compareBytes(a.ringKey, b.ringKey))
    this.keys.push(deriveCircleKeys(newSecret, g + 1, this.owner.ring.publicKey))
    return await sealCircleFrame(keys, CircleRecordType.ROTATE, signRotation(keys, this.owner, { newSecret, created, removed: [], kept }))
  }

  /** A newcomer's JOIN in generation `g`: its frame and the name it gives. */
  async join (g: number, name: string, now: number): Promise<Uint8Array> {
    const keys = this.keys[g]!
    return await sealCircleFrame(keys, CircleRecordType.JOIN, signJoin(keys, generateMemberKeys(), { created: now, name }))
  }

  /** The names on the roster of generation `g` (the current one by default). */
  names (g = this.circle.current.generation): string[] {
    const generation = this.circle.state.generations.find((held) => held.generation === g)
    return generation === undefined ? [] : [...this.circle.roster(generation).values()].map((m) => m.name)
  }
}

/** `member`'s intake over a real frame store holding OLD junk frames from two windows ago and RECENT from the last minutes. */
async function setup (clubs: (now: number) => Club[]): Promise<{ intake: FrameIntake, watch: Watched, held: Club[], now: () => number, applied: Map<string, number> }> {
  let now = Math.floor(Date.now() / 1000) - 2 * ROTATION_SCAN_WINDOW
  const watch = watched(await openFrameStore({ db: await memoryDatabase(), now: () => now }))
  for (let i = 0; i < OLD; i++) await watch.store.put(junkFrame(), `flooder-${i % 4}`)
  now += 2 * ROTATION_SCAN_WINDOW - 300
  for (let i = 0; i < RECENT; i++) await watch.store.put(junkFrame(), `flooder-${i % 4}`)
  now += 300
  const held = clubs(now)
  // how often each record body is applied: a frame read twice applies its record twice
  const applied = new Map<string, number>()
  for (const { circle } of held) {
    const apply = circle.apply.bind(circle)
    circle.apply = (generation, type, body, seenAt) => {
      applied.set(toHex(body), (applied.get(toHex(body)) ?? 0) + 1)
      return apply(generation, type, body, seenAt)
    }
  }
  const intake = new FrameIntake({
    frames: watch.store,
    intake: { receive: async () => 'stored' },
    circles: () => held.map((c) => c.circle),
    changed: async () => {},
    powBits: POW,
    now: () => now,
    log: silent
  })
  return { intake, watch, held, now: () => now, applied }
}

describe('a rotation\'s scan of the kept frames', () => {
  const owner = generateMemberKeys()
  const bea = generateMemberKeys()

  it(`tries only the frames of the last ROTATION_SCAN_WINDOW, whatever the rotation's created says: ${CIRCLE_ROTATIONS_PER_HOUR} rotations dated 0 (the follow rate's hour) over ${OLD + RECENT} junk frames`, async () => {
    const { intake, watch, held: [club], now } = await setup((t) => [new Club(owner, bea, t)])
    // a newcomer's JOIN of the first new generation reaches the member before the rotation does
    const rotations: Uint8Array[] = []
    for (let i = 0; i < CIRCLE_ROTATIONS_PER_HOUR; i++) rotations.push(await club!.rotate(0))
    expect(await intake.receive(await club!.join(1, 'cy', now()), 'g', 'gossip')).toBe('accept')

    for (const rotation of rotations) expect(await within(intake.receive(rotation, 'owner', 'gossip'), 'a rotation\'s verdict')).toBe('accept')
    await intake.rescanned()
    expect(club!.circle.current.generation).toBe(CIRCLE_ROTATIONS_PER_HOUR)
    // the JOIN that overtook the rotation is read; of the old junk, nothing: each scan lists the last hour
    // only (the recent junk, cy's JOIN, the rotations kept so far)
    expect(club!.names(1)).toContain('cy')
    expect(watch.scans).toBeGreaterThan(0)
    expect(watch.touched).toBeLessThanOrEqual(watch.scans * (RECENT + 1 + rotations.length))
  }, 30_000)

  it('runs outside the turn: another circle\'s frame is taken while it is held, and each frame is read once', async () => {
    const { intake, watch, held: [a, b], now, applied } = await setup((t) => [new Club(owner, bea, t), new Club(owner, bea, t)])
    const first = await a!.rotate(now())
    const second = await a!.rotate(now())
    // kept before the rotations: read by the scans
    const cy = await a!.join(1, 'cy', now())
    const dan = await a!.join(2, 'dan', now())
    expect(await intake.receive(cy, 'g', 'gossip')).toBe('accept')
    expect(await intake.receive(dan, 'g', 'gossip')).toBe('accept')

    const scan = watch.hold()
    expect(await within(intake.receive(first, 'owner', 'gossip'), 'the first rotation\'s verdict')).toBe('accept')
    await scan.reached
    // held mid-scan: the next rotation is taken, then frames of both circles, each read on arrival
    expect(await within(intake.receive(second, 'owner', 'gossip'), 'the second rotation\'s verdict')).toBe('accept')
    // read after its verdict, in the turn
    await within(intake.settled(), 'the second rotation read')
    expect(a!.circle.current.generation).toBe(2)
    expect(await within(intake.receive(await b!.join(0, 'honest', now()), 'g', 'gossip'), 'the other circle\'s frame')).toBe('accept')
    await within(intake.settled(), 'the other circle\'s frame read')
    expect(b!.names()).toContain('honest')
    const eve = await a!.join(2, 'eve', now())
    expect(await within(intake.receive(eve, 'g', 'gossip'), 'a live frame of the new generation')).toBe('accept')
    await within(intake.settled(), 'a live frame of the new generation read')
    expect(a!.names()).toContain('eve')
    expect(a!.names()).not.toContain('dan')

    scan.release()
    await intake.rescanned()
    expect(a!.names(1)).toContain('cy')
    expect(a!.names(2)).toEqual(expect.arrayContaining(['dan', 'eve']))
    // the rotation taken while the first scan was held is tried by one more scan, not one each
    expect(watch.scans).toBe(2)
    // eve's frame is in the second scan's list (it arrived before that scan began) and is not read again
    expect([...applied.values()].filter((n) => n !== 1)).toEqual([])
    // both rotations, the JOINs of cy, dan and eve, and the other circle's
    expect(applied.size).toBe(6)
  }, 30_000)
})

describe('a rotation\'s scan cut short by a stop (sixteenth read, Low)', () => {
  it('is resumed when the node starts again: the frame of the new generation kept before the rotation is read then', async () => {
    const now = Math.floor(Date.now() / 1000)
    const db = await memoryDatabase()
    const watch = watched(await openFrameStore({ db, now: () => now }))
    const club = new Club(generateMemberKeys(), generateMemberKeys(), now)
    // the circle's state as the node keeps it (changed, and once a scan is done)
    let kept = encodeCircleState(club.circle.state)
    const keep = async (circle: HeldCircle): Promise<void> => { kept = encodeCircleState(circle.state) }
    const intake = new FrameIntake({ frames: watch.store, intake: { receive: async () => 'stored' }, circles: () => [club.circle], changed: keep, save: keep, powBits: POW, now: () => now, log: silent })
    const rotation = await club.rotate(now)
    // kept before the rotation came: junk, then cy's JOIN of the new generation (carried unread)
    for (let i = 0; i < 8; i++) await watch.store.put(junkFrame(), 'flooder')
    expect(await intake.receive(await club.join(1, 'cy', now), 'g', 'gossip')).toBe('accept')

    const scan = watch.hold()
    expect(await within(intake.receive(rotation, 'owner', 'gossip'), 'the rotation\'s verdict')).toBe('accept')
    await scan.reached
    // the node stops at the scan's first frame
    intake.stop()
    scan.release()
    await intake.rescanned()
    expect(club.names(1)).not.toContain('cy')

    // the next start: the state and the frames as kept, a new intake (old code: nothing scanned cy's JOIN again)
    const again = new HeldCircle(decodeCircleState(kept))
    const frames = await openFrameStore({ db, now: () => now })
    const restarted = new FrameIntake({ frames, intake: { receive: async () => 'stored' }, circles: () => [again], changed: keep, save: keep, powBits: POW, now: () => now, log: silent })
    restarted.resume(again)
    await restarted.rescanned()
    const names = [...again.roster(again.current).values()].map((m) => m.name)
    expect(again.current.generation).toBe(1)
    expect(names).toContain('cy')
    // done: unmarked in the state kept, so the start after does not scan again
    expect(decodeCircleState(kept).generations.map((g) => g.scanFrom)).toEqual([undefined, undefined])
  }, 30_000)

  it('a frame its caller changes after the check is read and kept as it was checked (sixteenth read, Low)', async () => {
    const now = Math.floor(Date.now() / 1000)
    const frames = await openFrameStore({ db: await memoryDatabase(), now: () => now })
    const club = new Club(generateMemberKeys(), generateMemberKeys(), now)
    const intake = new FrameIntake({ frames, intake: { receive: async () => 'stored' }, circles: () => [club.circle], changed: async () => {}, powBits: POW, now: () => now, log: silent })
    const join = await club.join(0, 'cy', now)
    const original = join.slice()
    let release = (): void => {}
    const gate = new Promise<void>((resolve) => { release = resolve })
    const holding = intake.serially(async () => { await gate })
    // checked at once, then waits for the turn; meanwhile its caller reuses the array (old code: the
    // changed bytes were opened, so the JOIN went unread, and kept)
    const verdict = intake.receive(join, 'g', 'gossip')
    join.fill(0, 9)
    release()
    await holding
    expect(await verdict).toBe('accept')
    // read after the verdict (a member's verdict is a relay's, seventeenth read)
    await intake.settled()
    expect(club.names()).toContain('cy')
    expect(await frames.get(frameId(original))).toEqual(original)
    expect(await frames.get(frameId(join))).toBeUndefined()
  })
})

/**
 * A member's frame intake (one circle held) behind the relay's validator, sender groups by `groupOf`;
 * `charged`: the peers the validator penalised; `relayable` makes a frame of a circle this node is not in
 * (valid for a relay); `hold` holds the intake's turn (as a slow record or a stuck store would) until released.
 */
async function validatedIntake (groupOf: (peer: PeerId) => string): Promise<{ intake: FrameIntake, validate: ReturnType<typeof circleFrameValidator>, charged: string[], relayable: () => Promise<Uint8Array>, hold: () => { release: () => void, holding: Promise<void> } }> {
  const now = Math.floor(Date.now() / 1000)
  const frames = await openFrameStore({ db: await memoryDatabase(), now: () => now })
  const club = new Club(generateMemberKeys(), generateMemberKeys(), now)
  const intake = new FrameIntake({ frames, intake: { receive: async () => 'stored' }, circles: () => [club.circle], changed: async () => {}, powBits: POW, now: () => now, log: silent })
  const charged: string[] = []
  const tracker = { credit: () => {}, penalise: (peer: string) => { charged.push(peer) } } as unknown as InvalidMessageTracker
  const validate = circleFrameValidator({ receive: async (frame, peer) => await intake.receive(frame, groupOf(peer), 'gossip'), tracker, log: silent })
  const other = deriveCircleKeys(generateCircleSecret(), 0, generateMemberKeys().ring.publicKey)
  const relayable = async (): Promise<Uint8Array> => await sealCircleFrame(other, CircleRecordType.JOIN, crypto.getRandomValues(new Uint8Array(64)))
  const hold = (): { release: () => void, holding: Promise<void> } => {
    let release = (): void => {}
    const gate = new Promise<void>((resolve) => { release = resolve })
    return { release, holding: intake.serially(async () => { await gate }) }
  }
  return { intake, validate, charged, relayable, hold }
}

describe('the frame intake\'s wait', () => {
  it(`is bounded: past ${CIRCLE_INTAKE_WAITING} frames waiting for the turn a frame is Ignored, nobody charged`, async () => {
    // each from a group of its own: one group holds a share of the places only (below)
    const { validate, charged, relayable, hold } = await validatedIntake((peer) => `ip4/${peer.toString()}`)
    const peerAt = (i: number): PeerId => ({ toString: () => `10.0.0.${i}` }) as unknown as PeerId
    const made: Uint8Array[] = []
    for (let i = 0; i <= CIRCLE_INTAKE_WAITING; i++) made.push(await relayable())
    const { release, holding } = hold()
    const waiting = made.slice(0, CIRCLE_INTAKE_WAITING).map(async (frame, i) => await validate(peerAt(i), { data: frame } as never))
    expect(await within(Promise.resolve(validate(peerAt(CIRCLE_INTAKE_WAITING), { data: made[CIRCLE_INTAKE_WAITING]! } as never)), 'the frame past the bound')).toBe(TopicValidatorResult.Ignore)
    expect(charged).toEqual([])
    release()
    await holding
    expect(await within(Promise.all(waiting), 'the waiting frames')).toEqual(made.slice(0, CIRCLE_INTAKE_WAITING).map(() => TopicValidatorResult.Accept))
    // the wait is counted down: a frame is taken again
    expect(await validate(peerAt(CIRCLE_INTAKE_WAITING), { data: made[CIRCLE_INTAKE_WAITING]! } as never)).toBe(TopicValidatorResult.Accept)
  }, 30_000)

  // sixteenth read, High 2: the places were one count for every sender, so 17 sybil PeerIds of one address
  // had every honest frame Ignored (gossipsub marks its id seen first: lost until sync)
  it('is shared by sender group: 40 sybil PeerIds of one group flooding while an honest group and a sync session send lose none of theirs', async () => {
    const { intake, validate, charged, relayable, hold } = await validatedIntake((peer) => peer.toString().startsWith('sybil') ? 'ip4/10.0.0.66' : 'ip4/192.0.2.7')
    const sybils = Array.from({ length: 40 }, (_, i) => ({ toString: () => `sybil-${i}` }) as unknown as PeerId)
    const honest = [0, 1].map((i) => ({ toString: () => `honest-${i}` }) as unknown as PeerId)
    const ROUNDS = 50
    // junk a relay cannot tell from frames: the flood reuses the frames Ignored, so each round costs the places taken
    const junk: Uint8Array[] = []
    for (let i = 0; i < sybils.length + ROUNDS * CIRCLE_INTAKE_WAITING / 2; i++) junk.push(await relayable())
    let accepted = 0
    let synced = 0
    for (let round = 0; round < ROUNDS; round++) {
      const mine = await Promise.all([...honest, 'sync'].map(relayable))
      // the turn held while the flood fills the places (as a slow store or 4 x 57 generations would)
      const { release, holding } = hold()
      const flood = sybils.map(async (peer) => {
        const frame = junk.shift()!
        const verdict = await validate(peer, { data: frame } as never)
        if (verdict !== TopicValidatorResult.Accept) junk.push(frame)
      })
      const sent = honest.map(async (peer, i) => await validate(peer, { data: mine[i]! } as never))
      const sync = intake.receive(mine[honest.length]!, 'ip4/198.51.100.9', 'sync')
      release()
      await holding
      await Promise.all(flood)
      accepted += (await Promise.all(sent)).filter((v) => v === TopicValidatorResult.Accept).length
      if (await sync === 'accept') synced++
    }
    expect(accepted).toBeGreaterThanOrEqual(0.99 * ROUNDS * honest.length)
    expect(synced).toBe(ROUNDS)
    expect(charged).toEqual([])
  }, 30_000)

  it('when its places are full, a frame of the group holding the most gives way to a newcomer of a smaller group; a lone group keeps its share', () => {
    const places = intakePlaces({ capacity: 16, share: 0.5 })
    // 8 + 4 + 2 + 1 + 1: each group its share of what the others leave
    const taken = [['a', 8], ['b', 4], ['c', 2], ['d', 1], ['e', 1]].flatMap(([group, count]) => Array.from({ length: count as number }, () => places.take(group as string)))
    expect(taken.every((p) => p !== undefined)).toBe(true)
    expect(places.size).toBe(16)
    expect(places.take('a')).toBeUndefined()
    const newcomer = places.take('f')
    expect(newcomer).toBeDefined()
    // a's newest frame gave way, and is Ignored at its turn
    expect(taken.map((p) => p!.dropped)).toEqual(taken.map((_, i) => i === 7))
    expect(places.size).toBe(16)
    // e holds as many as f would: no one gives way to it
    expect(places.take('e')).toBeUndefined()
    for (const place of [...taken, newcomer]) place!.release()
    expect(places.size).toBe(0)
  })
})
