/**
 * Issue 15 (S10C 1): a newcomer tries every kept frame with its new keys (only they tell which frames are
 * its circle's), and anyone on the shared topic can fill a relay's store with junk (64 MiB, 12 bits of
 * proof of work a frame). The join's scan ran inside the frame intake's turn: for its seconds no frame of
 * any circle of the node was taken. Now it runs outside the turn, in slices that yield, and a frame that
 * arrives meanwhile is read once, as is each kept frame of the new circle.
 */
import {
  CircleRecordType, buildCirclePost, compareBytes, deriveCircleKeys, generateCircleSecret, generateMemberKeys, signJoin, toHex
} from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { FrameIntake } from '../src/circle/frame-intake.js'
import { openFrameStore } from '../src/circle/frame-store.js'
import { HeldCircle } from '../src/circle/held-circle.js'
import { POW, junkFrame, memoryDatabase, silent, slots } from './circle-fixtures.js'
import type { FrameScan, FrameStore } from '../src/circle/frame-store.js'
import type { MemberKeys } from '@murmur/protocol'

/** JOIN_SCAN_JUNK=65536 measures a full store (64 MiB of 1 KiB frames). */
const JUNK = Number(process.env.JOIN_SCAN_JUNK ?? 4096)

/** A circle of `owner` and `member`, as `member`'s node holds it, and a way to make its posts (`names`: envelope hex → body). */
function circleOf (owner: MemberKeys, member: MemberKeys, now: number, names: Map<string, string>): { circle: HeldCircle, post: (body: string) => Promise<Uint8Array> } {
  const secret = generateCircleSecret()
  const keys = deriveCircleKeys(secret, 0, owner.ring.publicKey)
  const circle = new HeldCircle({ name: toHex(secret).slice(0, 8), owner: owner.ring.publicKey, minRing: 2, member, generations: [{ generation: 0, secret, joins: [], invites: [], leaves: [] }] })
  for (const m of [owner, member]) circle.apply(circle.current, CircleRecordType.JOIN, signJoin(keys, m, { created: now, name: '' }), now)
  const ring = [owner.ring.publicKey, member.ring.publicKey].sort(compareBytes)
  const sequence = slots()
  const post = async (body: string): Promise<Uint8Array> => {
    const built = await buildCirclePost(keys, {
      body, created: now, ttl: 86_400, powBits: POW.POST, minRing: 2, auth: { kind: 'ring', ring, secretKey: owner.ring.secretKey, sequence }
    })
    names.set(toHex(built.bytes), body)
    return built.frame
  }
  return { circle, post }
}

/** A frame store whose scans call `midway` once half their frames were handed out. */
function watched (store: FrameStore, midway: () => void): FrameStore {
  return Object.assign(Object.create(store) as FrameStore, {
    frames: (since?: number): FrameScan => {
      const scan = store.frames(since)
      return {
        total: scan.total,
        [Symbol.asyncIterator]: async function * () {
          let handed = 0
          for await (const frame of scan) {
            if (++handed === Math.floor(scan.total / 2)) midway()
            yield frame
          }
        }
      }
    }
  })
}

describe('a join\'s scan of the kept frames', () => {
  it(`runs outside the intake's turn: another circle's frame is taken while ${JUNK} junk frames are tried, and each frame is read once`, async () => {
    const now = Math.floor(Date.now() / 1000)
    const owner = generateMemberKeys()
    const self = generateMemberKeys()
    // the circle the node is in already, and the one it joins
    const names = new Map<string, string>()
    const other = circleOf(generateMemberKeys(), self, now, names)
    const joined = circleOf(owner, self, now, names)
    const held: HeldCircle[] = [other.circle]
    const read = new Map<string, number>()
    const order: string[] = []
    let midway = (): void => {}
    const frames = watched(await openFrameStore({ db: await memoryDatabase(), maxBytes: 80 * 1024 * 1024 }), () => { midway() })
    const intake = new FrameIntake({
      frames,
      intake: {
        receive: async (envelope) => {
          const text = names.get(toHex(envelope)) ?? '?'
          read.set(text, (read.get(text) ?? 0) + 1)
          return 'stored'
        }
      },
      circles: () => held,
      changed: async () => {},
      powBits: POW,
      now: () => now,
      log: silent
    })

    // the joined circle's posts kept among the junk: before, in the middle, at the end
    const kept = [await joined.post('joined post 0'), await joined.post('joined post 1'), await joined.post('joined post 2')]
    await frames.put(kept[0]!, 'g')
    for (let i = 0; i < JUNK; i++) {
      await frames.put(junkFrame(), `flooder-${i % 4}`)
      if (i === JUNK / 2) await frames.put(kept[1]!, 'g')
    }
    await frames.put(kept[2]!, 'g')
    const live = await joined.post('joined post 3')
    const otherPost = await other.post('other post 0')

    // mid-scan, a frame of the other circle and one of the joined circle arrive by gossip
    const arrived: Array<Promise<unknown>> = []
    midway = () => {
      order.push('midway')
      arrived.push(intake.receive(otherPost, 'peer', 'gossip').then((verdict) => { order.push(`other taken: ${verdict}`) }))
      arrived.push(intake.receive(live, 'peer', 'gossip').then((verdict) => { order.push(`live taken: ${verdict}`) }))
    }
    const progress: number[] = []
    const cpu = process.cpuUsage()
    const started = performance.now()
    // as the service's join: held, and the kept frames listed, in one turn
    const scan = await intake.serially(async () => {
      held.push(joined.circle)
      return frames.frames()
    })
    await intake.scanJoined(joined.circle, scan, { onProgress: ({ tried }) => progress.push(tried) })
    order.push('scan done')
    const took = performance.now() - started
    const used = process.cpuUsage(cpu)
    await Promise.all(arrived)
    console.log(`join scan of ${scan.total} frames: ${took.toFixed(0)} ms, CPU ${((used.user + used.system) / 1000).toFixed(0)} ms`)

    // the other circle's frame did not wait for the scan
    expect(order.indexOf('other taken: accept')).toBeGreaterThan(order.indexOf('midway'))
    expect(order.indexOf('other taken: accept')).toBeLessThan(order.indexOf('scan done'))
    // every post of the joined circle read once: the kept ones by the scan, the live one by the intake
    expect(Object.fromEntries(read)).toEqual({ 'joined post 0': 1, 'joined post 1': 1, 'joined post 2': 1, 'joined post 3': 1, 'other post 0': 1 })
    expect(scan.total).toBe(JUNK + 3)
    expect(progress.at(-1)).toBe(JUNK + 3)
    expect(progress.length).toBeGreaterThan(1)
  }, 120_000)
})
