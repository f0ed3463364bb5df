/**
 * How a frame of the shared circle topic is taken, from gossip or history sync (docs/PROTOCOL.md §6.3):
 * the relay check every node makes (Reject on a broken frame), the frame kept for history sync and
 * forwarded, and then, for a frame of one of this node's circles, the member's reading of its record or
 * post (one that is bad is dropped here; the verdict, a relay's, does not say it). A post whose ring names keys not on the roster yet is held
 * until their joins arrive or the post expires (§6.4).
 */
import { CircleRecordType, checkCircleFrame, toHex, validateCircleEnvelope } from '@murmur/protocol'
import { LIVE_EPOCH_WINDOW } from '../intake.js'
import { nextTurn } from '../next-turn.js'
import { UNKNOWN_SENDER } from '../store/index.js'
import { CIRCLE_FRAME_TTL, CIRCLE_HELD_MAX, JOIN_SCAN_SLICE_MS, ROTATION_SCAN_MARGIN, ROTATION_SCAN_WINDOW } from './constants.js'
import { frameId } from './frame-store.js'
import { intakePlaces } from './intake-places.js'
import type { HeldCircle, OpenedFrame, RecordOutcome } from './held-circle.js'
import type { FrameSender } from './intake-places.js'
import type { HeldGeneration } from './state.js'
import type { FrameScan, FrameStore } from './frame-store.js'
import type { JoinScanProgress } from './types.js'
import type { PostIntake, Verdict } from '../intake.js'
import type { Logger } from '@libp2p/interface'
import type { CheckedCircleFrame, PostKind } from '@murmur/protocol'

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
  /** Keeps a circle's state (a rotation's scan of the kept frames done: see `HeldGeneration.scanFrom`). @default nothing */
  save?(circle: HeldCircle): Promise<void>
  powBits: Record<PostKind, number>
  /** Unix seconds now. */
  now(): number
  /** A frame arrived through gossip, `id` its frameId (the stem's embargo of an own frame ends when it comes back). @default nothing */
  seen?(frame: Uint8Array, id: Uint8Array): void
  log: Logger
}

/** Options of {@link FrameIntake.scanJoined}. */
export interface JoinScanOptions {
  /** Called after each slice of JOIN_SCAN_SLICE_MS and once at the end. @default nothing */
  onProgress?(progress: JoinScanProgress): void
}

/**
 * The generations a scan reads the frames of, each with the frame store's `arrivals` when this node took
 * it: a frame that came later was tried by `take` with its keys already.
 */
type Marks = Map<HeldGeneration, number>

/** The rotations of a circle taken while a scan of its kept frames for rotations runs: the next scan's. */
interface NextRescan {
  marks: Marks
  /** Unix second the kept frames are listed from (the earliest of its rotations'). */
  since: number
}

/** A post waiting for the joins of its ring's members. */
interface Held {
  circle: HeldCircle
  /** The generation it opened with. */
  generation: HeldGeneration
  /** The first ring key (hex) not on that generation's roster: the post is judged again once it is. */
  waiting: string
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
  /** The places of frames waiting for the turn, by sender group: gossip's, and those of sync and stem (never starved by a gossip flood). */
  private readonly places = { gossip: intakePlaces(), other: intakePlaces() }
  /** The circles whose kept frames are being tried after a rotation, each with the rotations taken meanwhile. */
  private readonly rescans = new Map<HeldCircle, NextRescan | undefined>()
  /** Those scans (one a circle), until done. */
  private readonly running = new Set<Promise<void>>()
  private stopped = false

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
   * The verdict on a frame from `from` (a sender group; `sender` the peer, for its place within the group):
   * 'reject' for a frame any relay can tell is broken, 'ignore' for one held already or without a place,
   * else 'accept': kept and forwarded, as a relay does. A frame of this node's circles is read after the
   * verdict, in the same turn (the next frame is judged by the roster it leaves): a member's verdict is a
   * relay's whatever the frame holds, so no key holder can tell a member from a relay by gossiping it a bad
   * record or post (seventeenth read of issue 12, High 1); one that does not verify is dropped here, unread
   * and unshown. 'stem' is a frame this node fluffs: taken as from gossip. A frame waits for the turn in a
   * place of its path's (gossip, or sync and stem) shared by sender group and within it by peer
   * (`intakePlaces`: CIRCLE_INTAKE_WAITING each); without one, or when its place was given to another's
   * frame, 'ignore' and `sender.refused` (history sync with it brings the frame; gossipsub marked its id
   * seen): an intake held up must not hold every gossip turn of the node, nor one group's flood every
   * honest frame.
   */
  async receive (frame: Uint8Array, from: string, path: FramePath, sender?: FrameSender): Promise<Verdict> {
    const checked = checkCircleFrame(frame)
    if (!checked.ok) {
      this.components.log('circle frame refused: %s (%s)', checked.code, checked.reason)
      return 'reject'
    }
    // the check's own copy from here on: the caller changing its array cannot change what is read and kept
    const copy = checked.frame
    const id = frameId(copy)
    if (path === 'gossip') this.components.seen?.(copy, id)
    if (this.components.frames.has(id)) return 'ignore'
    const places = path === 'gossip' ? this.places.gossip : this.places.other
    const place = places.take(from, sender)
    if (place === undefined) {
      this.components.log('%d circle frames wait for the intake: one from %s ignored', places.size, from)
      sender?.refused?.()
      return 'ignore'
    }
    return await new Promise<Verdict>((resolve, reject) => {
      this.serially(async () => {
        place.release()
        if (place.dropped) sender?.refused?.()
        if (place.dropped || this.components.frames.has(id)) {
          resolve('ignore')
          return
        }
        await this.components.frames.put(copy, from)
        resolve('accept')
        await this.take(checked, from, path)
      }).catch((err: unknown) => {
        // before the verdict: the validator Ignores it; after: the frame is kept, its reading lost
        reject(err)
        this.components.log('a circle frame was not kept, or kept and not read - %e', err)
      })
    })
  }

  /**
   * Tries the frames kept (`scan`) with the keys of a circle just joined (only its keys tell which frames
   * are its own), without holding the intake's turn. `scan` must be listed in the turn that made the
   * circle held: a frame taken before that turn is in it, one taken after is tried by `take` with the new
   * circle's keys, so each is read once. A full store of junk (65,536 frames) costs seconds of CPU, which
   * no longer stop the frames of the node's other circles (see `scan`). Stops when the circle is left.
   */
  async scanJoined (circle: HeldCircle, scan: FrameScan, options: JoinScanOptions = {}): Promise<void> {
    // every frame of `scan` was held when it was listed, before any generation the circle takes later
    await this.scan(circle, scan, new Map(circle.state.generations.map((g) => [g, Infinity])), options)
  }

  /** Resolves once every frame received so far is read (`receive` answers before its frame is read). */
  async settled (): Promise<void> {
    await this.serially(async () => {})
  }

  /**
   * Resolves once the frames received so far are read and the scans of kept frames after the rotations
   * among them are done: a rotation's verdict comes before them (they run out of the turn).
   */
  async rescanned (): Promise<void> {
    await this.settled()
    while (this.running.size > 0) await Promise.all(this.running)
  }

  /** Ends the scans of kept frames at their next frame (the node stops). */
  stop (): void {
    this.stopped = true
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

  /** Whether `circle` is still one of this node's circles. */
  private holds (circle: HeldCircle): boolean {
    for (const held of this.components.circles()) {
      if (held === circle) return true
    }
    return false
  }

  /**
   * Tries the frames of `scan` with the keys of `circle`'s generations in `marks`, outside the intake's
   * turn, in slices of JOIN_SCAN_SLICE_MS with a yield to the event loop between two: only a frame that
   * opens is read, in turn. Stops when the circle is left, none of the generations is held any more (a
   * fork dropped them), or the node stops.
   */
  private async scan (circle: HeldCircle, scan: FrameScan, marks: Marks, options: JoinScanOptions = {}): Promise<void> {
    let tried = 0
    let slice = performance.now()
    for await (const frame of scan) {
      const first = this.firstOf(circle, marks)
      if (this.stopped || first === undefined) return
      // opened again in turn: a record read meanwhile may have changed the circle's generations
      if (circle.open(frame, first) !== undefined) await this.serially(async () => { await this.reread(circle, frame, marks) })
      tried++
      if (performance.now() - slice >= JOIN_SCAN_SLICE_MS) {
        options.onProgress?.({ tried, total: scan.total })
        await nextTurn()
        slice = performance.now()
      }
    }
    options.onProgress?.({ tried, total: scan.total })
  }

  /** The index of the first generation of `marks` that `circle` still holds, or undefined (none, or the circle left). */
  private firstOf (circle: HeldCircle, marks: Marks): number | undefined {
    if (!this.holds(circle)) return undefined
    const held = circle.state.generations.findIndex((g) => marks.has(g))
    return held < 0 ? undefined : held
  }

  /**
   * A kept frame of `circle` read in turn, when it is of a generation in `marks` and was held when this node
   * took that generation (one that came after was read on arrival). A frame dropped from the store
   * meanwhile is read: a second read changes nothing, a missed one would.
   */
  private async reread (circle: HeldCircle, frame: Uint8Array, marks: Marks): Promise<void> {
    const first = this.firstOf(circle, marks)
    const opened = first === undefined ? undefined : circle.open(frame, first)
    const mark = opened === undefined ? undefined : marks.get(opened.generation)
    if (opened === undefined || mark === undefined) return
    const id = frameId(frame)
    const arrival = this.components.frames.arrival(id)
    if (arrival === undefined || arrival < mark) await this.opened(circle, opened, frame, UNKNOWN_SENDER, 'sync', this.components.frames.arrivedAt(id))
  }

  /**
   * `circle` took `generation` by a rotation, in turn: the frames that came before are tried with its keys,
   * out of the turn. Its secret is fresh, so only frames that arrived since the rotation was made can open
   * with it: since its `created`, the owner's claim (`arrived` when that is later, less ROTATION_SCAN_MARGIN
   * for the clocks), but never more than ROTATION_SCAN_WINDOW before the rotation's frame reached this node
   * (`arrived`, unix seconds: now, or earlier for one read from the frames kept or that waited for the follow
   * rate, so a chain of rotations read from the store is followed through). One scan of a circle runs at a
   * time; the rotations it takes meanwhile (a burst, or one found by the scan) are tried together by the
   * next, so a burst costs two scans, not one each. The scan is marked on the generation (`scanFrom`) until
   * done: call it before the circle's state is kept, so that a node stopped mid-scan resumes it.
   */
  rotated (circle: HeldCircle, generation: HeldGeneration, arrived = Math.floor(this.components.now())): void {
    const created = circle.rotatedAt(generation) ?? arrived
    const since = Math.max(Math.min(created, arrived) - ROTATION_SCAN_MARGIN, arrived - ROTATION_SCAN_WINDOW)
    generation.scanFrom = since
    this.queueScan(circle, new Map([[generation, this.components.frames.arrivals]]), since)
  }

  /**
   * Scans again the kept frames for the generations of `circle` whose scan after their rotation a stop cut
   * short (`scanFrom`, kept with the circle): every frame loaded at the start is tried (one that came after
   * the rotation was read then, and a second read changes nothing), and those that come later on arrival.
   */
  resume (circle: HeldCircle): void {
    const due = circle.state.generations.filter((g) => g.scanFrom !== undefined)
    if (due.length === 0) return
    const since = Math.min(...due.map((g) => g.scanFrom!))
    this.queueScan(circle, new Map(due.map((g) => [g, this.components.frames.arrivals])), since)
  }

  /** Starts a scan of `circle`'s kept frames since `since` for the generations of `marks`, or adds them to the next one. */
  private queueScan (circle: HeldCircle, marks: Marks, since: number): void {
    if (this.rescans.has(circle)) {
      const next = this.rescans.get(circle)
      for (const [g, mark] of next?.marks ?? []) marks.set(g, mark)
      this.rescans.set(circle, { marks, since: Math.min(since, next?.since ?? since) })
      return
    }
    this.rescans.set(circle, undefined)
    const run = this.rescan(circle, { marks, since }).catch((err: unknown) => {
      this.components.log('the kept frames of a circle were not all tried after a rotation - %e', err)
    }).finally(() => { this.running.delete(run) })
    this.running.add(run)
  }

  /** Scans for `first`'s rotations, then for those taken meanwhile, until none is left. */
  private async rescan (circle: HeldCircle, first: NextRescan): Promise<void> {
    try {
      for (let next: NextRescan | undefined = first; next !== undefined; next = this.rescans.get(circle)) {
        this.rescans.set(circle, undefined)
        const { marks, since } = next
        await this.scan(circle, this.components.frames.frames(since), marks)
        // cut short by a stop: still marked in the state kept, so the next start resumes it
        if (this.stopped) return
        await this.serially(async () => { await this.scanned(circle, marks) })
      }
    } finally {
      this.rescans.delete(circle)
    }
  }

  /** Unmarks the generations of `marks` whose scan is done and keeps the state, unless the circle was left meanwhile. */
  private async scanned (circle: HeldCircle, marks: Marks): Promise<void> {
    let done = false
    for (const generation of marks.keys()) {
      if (generation.scanFrom === undefined) continue
      delete generation.scanFrom
      done = true
    }
    if (done && this.holds(circle)) await this.components.save?.(circle)
  }

  /**
   * A frame kept after its relay check (`checked`: hashed once, whatever the circles held) read in turn, when
   * it is of one of this node's circles, once the event loop has carried its verdict on (the reading, a
   * ring signature or a store write, must not delay the forward: nor whether it verifies, nor whether an own
   * post is held already, seventeenth read of issue 12, Medium 1); another circle's frame, or junk a relay
   * cannot tell from one, is carried unread.
   */
  private async take (checked: CheckedCircleFrame, from: string, path: FramePath): Promise<void> {
    for (const circle of this.components.circles()) {
      const opened = circle.open(checked)
      if (opened === undefined) continue
      await nextTurn()
      if (this.holds(circle)) await this.opened(circle, opened, checked.frame, from, path)
      return
    }
  }

  /**
   * A member reads a frame of its own circle, that came to this node at unix second `arrived` (now by
   * default): a record that does not verify, or a rotation that lost, is dropped unread.
   */
  private async opened (circle: HeldCircle, opened: OpenedFrame, frame: Uint8Array, from: string, path: FramePath, arrived?: number): Promise<void> {
    const { type, body } = opened.record
    if (type === CircleRecordType.ENVELOPE) {
      await this.envelope(circle, opened, frame, from, path)
      return
    }
    const now = Math.floor(this.components.now())
    const outcome = circle.apply(opened.generation, type, body, now, arrived ?? now)
    if (outcome === 'invalid') {
      this.components.log('a record of a circle of this node does not verify: dropped')
      return
    }
    if (outcome === 'forked') {
      // a rotation that lost: the owner's node makes its removals again
      await this.components.changed(circle, outcome)
      return
    }
    if (outcome !== 'known') {
      // the new generation is the last (a rotation that left this member out adds none), taken before
      // `changed`: an owner's node may rotate again from it there, and the frames of this generation (a
      // rival rotation of it among them) must still be tried
      const taken = circle.current
      // its scan marked on the generation before `changed` keeps the state: a stop mid-scan is resumed
      if (outcome === 'rotated' && circle.state.removed !== true) this.rotated(circle, taken, arrived ?? now)
      await this.components.changed(circle, outcome)
      await this.retry(circle)
    }
  }

  /** A post of the circle: stored as any post (tags per scope: one vote per member per post), held, or dropped when bad. */
  private async envelope (circle: HeldCircle, opened: OpenedFrame, frame: Uint8Array, from: string, path: FramePath): Promise<void> {
    const now = Math.floor(this.components.now())
    let stranger: string | undefined
    const result = validateCircleEnvelope(opened.keys, opened.record.body, {
      isMember: (key) => {
        const member = circle.isMember(opened.generation, key)
        if (!member) stranger ??= key
        return member
      },
      minRing: circle.state.minRing,
      powBits: this.components.powBits,
      now,
      epochWindow: path === 'sync' ? undefined : LIVE_EPOCH_WINDOW
    })
    if (!result.ok) {
      if (stranger !== undefined && result.code === 'ERR_CIRCLE_RING') {
        this.hold({ circle, generation: opened.generation, waiting: stranger, frame, from, path, until: now + CIRCLE_FRAME_TTL })
        return
      }
      this.components.log('a post of a circle of this node dropped: %s', result.code)
      return
    }
    await this.components.intake.receive(opened.record.body, result, from)
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

  /**
   * Held posts of `circle` judged again against its new roster: only those whose awaited key is on it now
   * (judging one verifies its ring signature: a roster record must not cost every held post that again).
   * A post of a generation the circle no longer holds (a rotation that lost) is dropped.
   */
  private async retry (circle: HeldCircle): Promise<void> {
    for (const [key, held] of [...this.held]) {
      if (held.circle !== circle) continue
      const index = circle.state.generations.indexOf(held.generation)
      if (index >= 0 && !circle.roster(held.generation).has(held.waiting)) continue
      this.held.delete(key)
      const opened = index < 0 ? undefined : circle.open(held.frame, index)
      if (opened !== undefined) await this.envelope(circle, opened, held.frame, held.from, held.path)
    }
  }
}
