/**
 * Issue 12 B-M1: junk on the shared circle topic must not make every rotation (or every roster change)
 * cost a member's node work in proportion to everything it keeps. Anyone can fill a node's frame store
 * with frames that open nowhere (a relay cannot tell them from another circle's), and any key holder can
 * fill its held posts with posts whose rings name keys not on the roster. Before the fix a rotation tried
 * every kept frame again (4,096 here; 65,536 in a full store: 6.7 s of CPU a rotation on the loaded VM) and every roster
 * record verified every held post's ring signature again; now a rotation tries only the frames that
 * arrived since the rotation was made, and a held post is judged again only when the key it waits for
 * joins. Also (seventeenth read): a member's verdict is a relay's and comes before its reading; the
 * intake's places within a crowd's address group go by standing; a fluffed frame is placed by the group
 * of the stem peer that handed it in.
 */
import {
  CircleRecordType, buildCirclePost, compareBytes, deriveCircleKeys, generateCircleSecret, generateMemberKeys, sealCircleFrame, signJoin, signRotation
} from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { FrameIntake } from '../src/circle/frame-intake.js'
import { frameId, openFrameStore } from '../src/circle/frame-store.js'
import { HeldCircle } from '../src/circle/held-circle.js'
import { StemRouter } from '../src/stem/index.js'
import { POW, junkFrame, memoryDatabase, silent, slots } from './circle-fixtures.js'
import type { FrameScan, FrameStore } from '../src/circle/frame-store.js'
import type { CircleKeys, MemberKeys } from '@murmur/protocol'

const JUNK = 4096

/** A frame store that counts the frames it hands out for a scan. */
function counting (store: FrameStore): { store: FrameStore, touched: () => number } {
  let touched = 0
  return {
    store: Object.assign(Object.create(store) as FrameStore, {
      frames: (since?: number): FrameScan => {
        const scan = store.frames(since)
        return {
          total: scan.total,
          [Symbol.asyncIterator]: async function * () {
            for await (const frame of scan) {
              touched++
              yield frame
            }
          }
        }
      }
    }),
    touched: () => touched
  }
}

describe('junk frames and held posts against a member', () => {
  const owner = generateMemberKeys()
  const bea = generateMemberKeys()
  const secret = generateCircleSecret()
  const keys = deriveCircleKeys(secret, 0, owner.ring.publicKey)

  const setup = async (now: () => number): Promise<{ circle: HeldCircle, intake: FrameIntake, frames: FrameStore, touched: () => number, stored: () => number }> => {
    const circle = new HeldCircle({ name: 'c', owner: owner.ring.publicKey, minRing: 2, member: bea, generations: [{ generation: 0, secret, joins: [], invites: [], leaves: [] }] })
    const t = Math.floor(now())
    circle.apply(circle.current, CircleRecordType.JOIN, signJoin(keys, owner, { created: t, name: '' }), t)
    circle.apply(circle.current, CircleRecordType.JOIN, signJoin(keys, bea, { created: t, name: '' }), t)
    const counted = counting(await openFrameStore({ db: await memoryDatabase(), now: () => Math.floor(now()) }))
    let stored = 0
    const intake = new FrameIntake({
      frames: counted.store,
      intake: { receive: async () => { stored++; return 'stored' } },
      circles: () => [circle],
      changed: async () => {},
      powBits: POW,
      now,
      log: silent
    })
    return { circle, intake, frames: counted.store, touched: counted.touched, stored: () => stored }
  }

  it(`a rotation tries the frames that arrived since it was made, not the ${JUNK} junk frames kept before`, async () => {
    let now = Math.floor(Date.now() / 1000) - 86_400
    const { circle, intake, frames, touched } = await setup(() => now)
    for (let i = 0; i < JUNK; i++) await frames.put(junkFrame(), `flooder-${i % 4}`)

    now += 3600
    const newSecret = generateCircleSecret()
    const rotation = signRotation(keys, owner, {
      newSecret,
      created: now,
      removed: [],
      kept: [owner, bea].map((m) => ({ ringKey: m.ring.publicKey, boxKey: m.box.publicKey })).sort((a, b) => compareBytes(a.ringKey, b.ringKey))
    })
    // a newcomer's JOIN of the new generation overtakes the rotation: it is kept unread, and read once the rotation is
    const cy = generateMemberKeys()
    const next = deriveCircleKeys(newSecret, 1, owner.ring.publicKey)
    expect(await intake.receive(await sealCircleFrame(next, CircleRecordType.JOIN, signJoin(next, cy, { created: now, name: 'cy' })), 'g', 'gossip')).toBe('accept')

    const before = touched()
    const started = performance.now()
    expect(await intake.receive(await sealCircleFrame(keys, CircleRecordType.ROTATE, rotation), 'g', 'gossip')).toBe('accept')
    // the kept frames are tried out of the intake's turn, after the verdict
    await intake.rescanned()
    const took = performance.now() - started
    expect(circle.current.generation).toBe(1)
    expect([...circle.roster().values()].map((m) => m.name)).toContain('cy')
    // the JOIN that overtook it and the rotation's own frame (kept before it is read), nothing of the junk
    expect(touched() - before).toBeLessThanOrEqual(2)
    expect(took).toBeLessThan(2000)
  }, 60_000)

  it('a roster record judges again only the held posts waiting for the key that joined', async () => {
    const now = Math.floor(Date.now() / 1000)
    const { circle, intake, stored } = await setup(() => now)
    // a key holder's posts whose rings name a key that is not on the roster: held, as a join may be on its way
    const stranger = generateMemberKeys()
    const ring = [bea.ring.publicKey, stranger.ring.publicKey].sort(compareBytes)
    const sequence = slots()
    const HELD = 32
    for (let i = 0; i < HELD; i++) {
      const { frame } = await buildCirclePost(keys, {
        body: `held ${i}`,
        created: now - 3600 * Math.floor(i / 8),
        ttl: 7 * 86_400,
        powBits: POW.POST,
        minRing: 2,
        auth: { kind: 'ring', ring, secretKey: bea.ring.secretKey, sequence }
      })
      expect(await intake.receive(frame, 'key-holder', 'sync')).toBe('accept')
    }
    await intake.settled()
    expect(intake.holding).toBe(HELD)

    let judged = 0
    const isMember = circle.isMember.bind(circle)
    circle.isMember = (generation, key) => {
      judged++
      return isMember(generation, key)
    }
    // an honest newcomer's join changes the roster: none of the held posts waits for it
    const join = async (member: MemberKeys, circleKeys: CircleKeys = keys): Promise<void> => {
      expect(await intake.receive(await sealCircleFrame(circleKeys, CircleRecordType.JOIN, signJoin(circleKeys, member, { created: now, name: '' })), 'g', 'gossip')).toBe('accept')
      await intake.settled()
    }
    await join(generateMemberKeys())
    expect(judged).toBe(0)
    expect(intake.holding).toBe(HELD)
    // the key they wait for joins: each is judged again once, and taken
    await join(stranger)
    expect(intake.holding).toBe(0)
    expect(stored()).toBe(HELD)
    expect(judged).toBeLessThanOrEqual(HELD * ring.length)
  }, 60_000)
})

describe('a member\'s verdict is a relay\'s', () => {
  const owner = generateMemberKeys()
  const bea = generateMemberKeys()
  const mallory = generateMemberKeys()
  const secret = generateCircleSecret()
  const keys = deriveCircleKeys(secret, 0, owner.ring.publicKey)
  /** bea's circle, owner, bea and mallory joined */
  const joined = (now: number): HeldCircle => {
    const circle = new HeldCircle({ name: 'c', owner: owner.ring.publicKey, minRing: 2, member: bea, generations: [{ generation: 0, secret, joins: [], invites: [], leaves: [] }] })
    for (const m of [owner, bea, mallory]) circle.apply(circle.current, CircleRecordType.JOIN, signJoin(keys, m, { created: now, name: '' }), now)
    return circle
  }

  // seventeenth read of issue 12, High 1: a member Ignored a frame of its circle whose record or post is bad
  // where a relay Accepts it, so any holder of a generation's secret could probe a node for membership
  // (20 of 20 probes told; this FAILED on 543393d: 'ignore' at the member)
  it('a key holder\'s JOIN and rotation with broken signatures and a post short of proof of work: accepted and kept by member and relay alike, read as nothing by the member', async () => {
    const now = Math.floor(Date.now() / 1000)
    const circle = joined(now)
    let stored = 0
    const node = async (circles: HeldCircle[]): Promise<{ intake: FrameIntake, frames: FrameStore }> => {
      const frames = await openFrameStore({ db: await memoryDatabase(), now: () => now })
      // 16 bits asked: a post made with none falls short but for a 1 in 65,536 chance
      const intake = new FrameIntake({ frames, intake: { receive: async () => { stored++; return 'stored' } }, circles: () => circles, changed: async () => {}, powBits: { POST: 16, REPLY: 16, VOTE: 16 }, now: () => now, log: silent })
      return { intake, frames }
    }
    const member = await node([circle])
    const relay = await node([])
    const broken = (body: Uint8Array): Uint8Array => {
      body[body.length - 1]! ^= 1
      return body
    }
    const probes = [
      await sealCircleFrame(keys, CircleRecordType.JOIN, broken(signJoin(keys, generateMemberKeys(), { created: now, name: 'x' }))),
      await sealCircleFrame(keys, CircleRecordType.ROTATE, broken(signRotation(keys, owner, { newSecret: generateCircleSecret(), created: now, removed: [], kept: [owner, bea].map((m) => ({ ringKey: m.ring.publicKey, boxKey: m.box.publicKey })).sort((a, b) => compareBytes(a.ringKey, b.ringKey)) }))),
      // a post below the circle's proof of work
      (await buildCirclePost(keys, { body: 'x', created: now, ttl: 3600, powBits: 0, minRing: 2, auth: { kind: 'ring', ring: [bea.ring.publicKey, mallory.ring.publicKey].sort(compareBytes), secretKey: mallory.ring.secretKey, sequence: slots() } })).frame
    ]
    const roster = circle.roster().size
    for (const probe of probes) {
      const verdicts = [await member.intake.receive(probe, 'prober', 'gossip'), await relay.intake.receive(probe, 'prober', 'gossip')]
      expect(verdicts).toEqual(['accept', 'accept'])
      expect(member.frames.has(frameId(probe))).toBe(true)
    }
    await member.intake.settled()
    expect(circle.roster().size).toBe(roster)
    expect(circle.current.generation).toBe(0)
    expect(stored).toBe(0)
  }, 30_000)

  // seventeenth read of issue 12, Medium 1: an own post is stored when made, so its gossip copy was a
  // 'duplicate' (0.06 ms) inside the verdict that gates forwarding where a relayed one was 'stored' (0.79 ms):
  // a threshold told them apart with advantage 0.98. FAILED on 543393d (the store came first)
  it('on a post of its circle comes before the post is stored or verified: the forward waits for neither', async () => {
    const now = Math.floor(Date.now() / 1000)
    const circle = joined(now)
    const order: string[] = []
    const frames = await openFrameStore({ db: await memoryDatabase(), now: () => now })
    const intake = new FrameIntake({ frames, intake: { receive: async () => { order.push('stored'); return 'duplicate' } }, circles: () => [circle], changed: async () => {}, powBits: POW, now: () => now, log: silent })
    const ring = [owner.ring.publicKey, bea.ring.publicKey].sort(compareBytes)
    const { frame } = await buildCirclePost(keys, { body: 'mine', created: now, ttl: 3600, powBits: POW.POST, minRing: 2, auth: { kind: 'ring', ring, secretKey: bea.ring.secretKey, sequence: slots() } })
    const verdict = intake.receive(frame, 'successor', 'gossip').then((v) => { order.push(v) })
    await verdict
    await intake.settled()
    expect(order).toEqual(['accept', 'stored'])
  }, 30_000)
})

/** A relay's frame intake (no circle of its own), and frames it keeps: another circle's, fresh each call. */
async function relayIntake (): Promise<{ intake: FrameIntake, relayable: () => Promise<Uint8Array> }> {
  const now = Math.floor(Date.now() / 1000)
  const frames = await openFrameStore({ db: await memoryDatabase(), now: () => now })
  const intake = new FrameIntake({ frames, intake: { receive: async () => 'stored' }, circles: () => [], changed: async () => {}, powBits: POW, now: () => now, log: silent })
  const other = deriveCircleKeys(generateCircleSecret(), 0, generateMemberKeys().ring.publicKey)
  return { intake, relayable: async () => await sealCircleFrame(other, CircleRecordType.JOIN, crypto.getRandomValues(new Uint8Array(64))) }
}

describe('the intake\'s places within a crowd\'s address group', () => {
  // seventeenth read of issue 12, High 3: 40 sybil PeerIds behind the crowd's one address (a NAT, a relay, a
  // browser's inbound peers) filled the group's share, and every crowd-mate's frame was Ignored, gossipsub
  // marking it seen: lost until a sync (100/100 greedy). FAILED on 543393d (the dialed crowd-mate lost 8 of 8).
  it('a crowd-mate this node dialed takes a sybil\'s place; an unknown one is refused and told (a sync with it brings the frame)', async () => {
    const { intake, relayable } = await relayIntake()
    const CROWD = 'ip4/203.0.113.5'
    const ROUNDS = 8
    const junk: Uint8Array[] = []
    for (let i = 0; i < 40 + ROUNDS * 8; i++) junk.push(await relayable())
    let refusedSybil = 0
    let refusedUnknown = 0
    const sybils = Array.from({ length: 40 }, (_, i) => ({ peer: `sybil-${i}`, rank: () => 1, refused: () => { refusedSybil++ } }))
    const dialed = { peer: 'crowd-dialed', rank: () => 2 }
    const unknown = { peer: 'crowd-unknown', rank: () => 1, refused: () => { refusedUnknown++ } }
    let accepted = 0
    let unknownAccepted = 0
    for (let round = 0; round < ROUNDS; round++) {
      let release = (): void => {}
      const gate = new Promise<void>((resolve) => { release = resolve })
      const holding = intake.serially(async () => { await gate })
      const flood = sybils.map(async (sybil) => {
        const frame = junk.shift()!
        if (await intake.receive(frame, CROWD, 'gossip', sybil) !== 'accept') junk.push(frame)
      })
      const mine = intake.receive(await relayable(), CROWD, 'gossip', dialed)
      const theirs = intake.receive(await relayable(), CROWD, 'gossip', unknown)
      release()
      await holding
      await Promise.all(flood)
      if (await mine === 'accept') accepted++
      if (await theirs === 'accept') unknownAccepted++
    }
    expect(accepted).toBe(ROUNDS)
    // refused for want of a place, never silently: each is fetched by sync from its sender
    expect(unknownAccepted + refusedUnknown).toBe(ROUNDS)
    expect(refusedSybil).toBeGreaterThan(0)
  }, 30_000)
})

describe('a circle frame the stem fluffs here', () => {
  // seventeenth read of issue 12, Medium 2: every fluffed frame was taken as from UNKNOWN_SENDER, one place
  // group, so any stem peer handing junk off (`publish`) had honest fluffed frames Ignored (100/100 greedy).
  // FAILED on 543393d: the router handed no group (undefined)
  it('is placed by the group of the stem peer that handed it in: that peer\'s flood fills its own share, not another\'s', async () => {
    const { intake, relayable } = await relayIntake()
    const verdicts = new Map<string, Array<Promise<string>>>()
    const router = new StemRouter({
      send: () => {},
      // as the node's circle fluff takes it in (circle/index.ts)
      fluff: async (_topic, envelope, _expires, group) => {
        verdicts.set(group ?? 'none', [...verdicts.get(group ?? 'none') ?? [], intake.receive(envelope, group ?? 'none', 'stem')])
        return { status: 'sent', recipients: 1 }
      }
    }, { fluffProbability: 1 })
    let release = (): void => {}
    const gate = new Promise<void>((resolve) => { release = resolve })
    const holding = intake.serially(async () => { await gate })
    for (let i = 0; i < 40; i++) router.relay(`flooder-${i}`, 'circles', await relayable(), `junk-${i}`, 'ip4/198.51.100.66', true)
    for (let i = 0; i < 4; i++) router.relay(`honest-${i}`, 'circles', await relayable(), `honest-${i}`, `ip4/192.0.2.${i}`, true)
    release()
    await holding
    expect([...verdicts.keys()].sort()).toEqual(['ip4/192.0.2.0', 'ip4/192.0.2.1', 'ip4/192.0.2.2', 'ip4/192.0.2.3', 'ip4/198.51.100.66'])
    for (let i = 0; i < 4; i++) expect(await Promise.all(verdicts.get(`ip4/192.0.2.${i}`)!)).toEqual(['accept'])
    expect((await Promise.all(verdicts.get('ip4/198.51.100.66')!)).filter((v) => v === 'ignore').length).toBeGreaterThan(0)
    router.stop()
  }, 30_000)
})
