/**
 * How a frame of the shared circle topic is taken, from gossip or history sync (docs/PROTOCOL.md §6.3):
 * the relay check every node makes (Reject on a broken frame), then, for a frame of one of this node's
 * circles, the member's verdict on its record or post (Ignore when it is bad: a member does not forward
 * it), and the frame kept for history sync. A post whose ring names keys not on the roster yet is held
 * until their joins arrive or the post expires (§6.4).
 */
import { CircleRecordType, checkCircleFrame, toHex, validateCircleEnvelope } from '@murmur/protocol'
import { LIVE_EPOCH_WINDOW } from '../intake.js'
import { UNKNOWN_SENDER } from '../store/index.js'
import { CIRCLE_FRAME_TTL, CIRCLE_HELD_MAX } from './constants.js'
import { frameId } from './frame-store.js'
import type { HeldCircle, OpenedFrame, RecordOutcome } from './held-circle.js'
import type { FrameStore } from './frame-store.js'
import type { PostIntake, Verdict } from '../intake.js'
import type { Logger } from '@libp2p/interface'
import type { PostKind } from '@murmur/protocol'

/** The way a frame came in: live (gossip, or the stem when this node fluffs it) or history sync (older posts accepted). */
export type FramePath = 'gossip' | 'stem' | 'sync'

/** What {@link FrameIntake} needs. */
export interface FrameIntakeComponents {
  frames: FrameStore
  intake: Pick<PostIntake, 'receive'>
  /** The circles this node is a member of. */
  circles(): Iterable<HeldCircle>
  /** A circle's roster or generation changed (`outcome`): persist it, tell listeners. */
  changed(circle: HeldCircle, outcome: RecordOutcome): Promise<void>
  powBits: Record<PostKind, number>
  /** Unix seconds now. */
  now(): number
  /** A frame arrived through gossip (the stem's embargo of an own frame ends when it comes back). @default nothing */
  seen?(frame: Uint8Array): void
  log: Logger
}

/** A post waiting for the joins of its ring's members. */
interface Held {
  circle: HeldCircle
  frame: Uint8Array
  from: string
  path: FramePath
  until: number
}

/** Takes frames in, one at a time (records change rosters, which the next frame is judged by). */
export class FrameIntake {
  private readonly components: FrameIntakeComponents
  private readonly held = new Map<string, Held>()
  private turn: Promise<unknown> = Promise.resolve()

  constructor (components: FrameIntakeComponents) {
    this.components = components
  }

  /** Runs `work` after every frame and change taken before it. */
  async serially<T> (work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work)
    this.turn = run.catch(() => {})
    return await run
  }

  /**
   * The verdict on a frame from `from` (a sender group): 'reject' for a frame any relay can tell is
   * broken, 'ignore' for one held already or that a member found bad, else 'accept' (kept, forwarded).
   * 'stem' is a frame this node fluffs: taken as from gossip (an own one is kept for sync only now).
   */
  async receive (frame: Uint8Array, from: string, path: FramePath): Promise<Verdict> {
    const checked = checkCircleFrame(frame)
    if (!checked.ok) {
      this.components.log('circle frame refused: %s (%s)', checked.code, checked.reason)
      return 'reject'
    }
    if (path === 'gossip') this.components.seen?.(frame)
    const id = frameId(frame)
    if (this.components.frames.has(id)) return 'ignore'
    return await this.serially(async () => {
      if (this.components.frames.has(id)) return 'ignore'
      const verdict = await this.take(frame, from, path)
      if (verdict === 'accept') await this.components.frames.put(frame, from)
      return verdict
    })
  }

  /** Tries every frame kept with the keys of `circle` (a new member, a new generation); call it serially. */
  async rescan (circle: HeldCircle): Promise<void> {
    // a rotation found makes the next generation's frames readable: scan again, at most once per generation
    for (let pass = 0; pass < 8; pass++) {
      const generations = circle.state.generations.length
      for await (const frame of this.components.frames.frames()) {
        const opened = circle.open(frame)
        if (opened !== undefined) await this.opened(circle, opened, frame, UNKNOWN_SENDER, 'sync')
      }
      if (circle.state.generations.length === generations) return
    }
  }

  /** Drops held posts past their time. */
  sweep (): void {
    const now = this.components.now()
    for (const [key, held] of this.held) {
      if (held.until <= now) this.held.delete(key)
    }
  }

  /** Forgets what is held for a circle this node left. */
  forget (circle: HeldCircle): void {
    for (const [key, held] of this.held) {
      if (held.circle === circle) this.held.delete(key)
    }
  }

  /** Posts held now. */
  get holding (): number {
    return this.held.size
  }

  private async take (frame: Uint8Array, from: string, path: FramePath): Promise<Verdict> {
    for (const circle of this.components.circles()) {
      const opened = circle.open(frame)
      if (opened !== undefined) return await this.opened(circle, opened, frame, from, path)
    }
    // another circle's frame, or junk a relay cannot tell from one: carried, unread
    return 'accept'
  }

  /** The member's verdict on a frame of its own circle. */
  private async opened (circle: HeldCircle, opened: OpenedFrame, frame: Uint8Array, from: string, path: FramePath): Promise<Verdict> {
    const { type, body } = opened.record
    if (type === CircleRecordType.ENVELOPE) return await this.envelope(circle, opened, frame, from, path)
    const outcome = circle.apply(opened.generation, type, body, Math.floor(this.components.now()))
    if (outcome === 'invalid') {
      this.components.log('a record of a circle of this node does not verify: not forwarded')
      return 'ignore'
    }
    if (outcome !== 'known') {
      await this.components.changed(circle, outcome)
      if (outcome === 'rotated') await this.rescan(circle)
      await this.retry(circle)
    }
    return 'accept'
  }

  /** A post of the circle: stored as any post (tags per scope: one vote per member per post), or held. */
  private async envelope (circle: HeldCircle, opened: OpenedFrame, frame: Uint8Array, from: string, path: FramePath): Promise<Verdict> {
    const now = Math.floor(this.components.now())
    let stranger = false
    const result = validateCircleEnvelope(opened.keys, opened.record.body, {
      isMember: (key) => {
        const member = circle.isMember(opened.generation, key)
        stranger ||= !member
        return member
      },
      minRing: circle.state.minRing,
      powBits: this.components.powBits,
      now,
      epochWindow: path === 'sync' ? undefined : LIVE_EPOCH_WINDOW
    })
    if (!result.ok) {
      if (stranger && result.code === 'ERR_CIRCLE_RING') {
        this.hold({ circle, frame, from, path, until: now + CIRCLE_FRAME_TTL })
        return 'accept'
      }
      this.components.log('a post of a circle of this node refused: %s', result.code)
      return 'ignore'
    }
    const stored = await this.components.intake.receive(opened.record.body, result, from)
    return stored === 'stored' || stored === 'duplicate' ? 'accept' : 'ignore'
  }

  private hold (held: Held): void {
    this.held.set(toHex(frameId(held.frame)), held)
    if (this.held.size <= CIRCLE_HELD_MAX) return
    let first: [string, Held] | undefined
    for (const entry of this.held) {
      if (first === undefined || entry[1].until < first[1].until) first = entry
    }
    if (first !== undefined) this.held.delete(first[0])
  }

  /** Held posts of `circle` judged again against its new roster. */
  private async retry (circle: HeldCircle): Promise<void> {
    for (const [key, held] of [...this.held]) {
      if (held.circle !== circle) continue
      this.held.delete(key)
      const opened = circle.open(held.frame)
      if (opened !== undefined) await this.envelope(circle, opened, held.frame, held.from, held.path)
    }
  }
}
