/**
 * Minting in the background: from the first start the member mints a stamp for the current week, then the
 * next week's from its renewal point, each in a worker (a StampMiner), saving the nonce reached so that a
 * restart resumes instead of redoing work; each stamp is announced when its schedule says.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { STAMP_BITS, encodeStamp, isStampWeekAccepted, stampWindow } from '@murmur/protocol'
import { announceAt, planMint } from './schedule.js'
import { stampForwardableAt } from './stamp-forward.js'
import type { MemberState, MintPosition } from './member-state.js'
import type { Logger } from '@libp2p/interface'
import type { MintStampOptions, Stamp, StampProgress } from '@murmur/protocol'

/** How often the nonce reached is saved while minting, in ms (a crash redoes at most this much work). @default 2000 */
export const MINT_SAVE_EVERY_MS = 2000
/** How long after a failed mint (a worker crash) minting is tried again, in ms. @default 60000 */
export const MINT_RETRY_AFTER_MS = 60_000
/**
 * Longest random wait before a stamp is announced, in ms: the wait is drawn uniformly from 0 to this, so
 * the moment an announcement leaves says nothing about when its node started or finished minting (an
 * announcement right after a start would name a newcomer or a restart). @default 900000 (15 minutes)
 */
export const MEMBER_ANNOUNCE_DELAY = 15 * 60_000
/** Longest setTimeout delay (2^31 − 1 ms); longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Something that mints a stamp as protocol mintStamp does: the verification pool (createVerifyPool, whose
 * mintStamp runs in a worker thread or Web Worker and stops at abort), or `{ mintStamp }` from
 * @murmur/protocol on this thread.
 */
export interface StampMiner {
  /** Mints a stamp; rejects with an AbortError when `signal` aborts. */
  mintStamp: (options: MintStampOptions) => Promise<Stamp>
}

/** Progress of the stamp being minted. */
export interface MintProgressDetail extends StampProgress {
  /** The week the stamp is for. */
  week: number
}

/** Events of the {@link MintingService}. */
export interface MintingEvents {
  /** After every evaluation of the running mint (progress, ETA). */
  'mint:progress': CustomEvent<MintProgressDetail>
  /** A stamp was minted and saved. */
  'mint:stamp': CustomEvent<Stamp>
  /** A stamp is due to be announced: publish these bytes (an encoded MemberStamp) through the stem. */
  'announce': CustomEvent<Uint8Array>
  /** A mint failed (it is retried after MINT_RETRY_AFTER_MS). */
  'mint:error': CustomEvent<Error>
}

/** What a UI shows about membership (`murmur status`, the progress bar). */
export interface MembershipStatus {
  /** The stamp accepted now that lasts longest, and until when (unix seconds); none: not a member yet. */
  stamp?: { week: number, expires: number }
  /** Weeks of stamps already minted for later. */
  ahead: number[]
  /** The mint running now and its last progress (none before its first evaluation). */
  minting?: { week: number, progress?: StampProgress }
  /** When the next mint starts (unix seconds), while none is running. */
  nextMintAt?: number
}

/** Options of {@link createMintingService}. */
export interface MintingInit {
  /** The member's key and stamps (openMemberState). */
  state: MemberState
  /** Runs mints off the event loop: the node's verification pool. */
  miner: StampMiner
  /** Stamp difficulty in leading zero bits (smaller in tests). @default STAMP_BITS */
  bits?: number
  /** Unix seconds now. @default () => Math.floor(Date.now() / 1000) */
  clock?: () => number
  /** How often the nonce reached is saved while minting, in ms. @default MINT_SAVE_EVERY_MS */
  saveEveryMs?: number
  /** How long after a failed mint it is retried, in ms. @default MINT_RETRY_AFTER_MS */
  retryAfterMs?: number
  /** Longest random wait before an announcement, in ms (0 in tests). @default MEMBER_ANNOUNCE_DELAY */
  announceDelay?: number
  /** Uniform random numbers in [0, 1) that draw the wait. @default Math.random */
  random?: () => number
  /** Where it logs (a node passes a scope of its components' logger). @default logger('murmur:membership:minting') */
  log?: Logger
}

/** The background minter: start once, stop before closing the storage. */
export interface MintingService extends TypedEventEmitter<MintingEvents> {
  /** Starts minting (or waiting for the next renewal) and schedules the announcements of held stamps not known to be out. */
  start: () => void
  /** Stops the worker at once and saves the nonce reached; resolves when nothing more is written. */
  stop: () => Promise<void>
  /** Membership as a UI shows it. */
  status: () => MembershipStatus
}

interface Job {
  week: number
  controller: AbortController
  progress?: StampProgress
  done?: Promise<void>
}

class BackgroundMinting extends TypedEventEmitter<MintingEvents> implements MintingService {
  private readonly state: MemberState
  private readonly miner: StampMiner
  private readonly bits: number
  private readonly clock: () => number
  private readonly saveEveryMs: number
  private readonly retryAfterMs: number
  private readonly announceDelay: number
  private readonly random: () => number
  private readonly log: Logger
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private started = false
  private job?: Job
  private nextMintAt?: number
  private saves: Promise<void> = Promise.resolve()
  private savedNonce = -1
  private lastSaveMs = 0

  constructor (init: MintingInit) {
    super()
    this.state = init.state
    this.miner = init.miner
    this.bits = init.bits ?? STAMP_BITS
    this.clock = init.clock ?? (() => Math.floor(Date.now() / 1000))
    this.saveEveryMs = init.saveEveryMs ?? MINT_SAVE_EVERY_MS
    this.retryAfterMs = init.retryAfterMs ?? MINT_RETRY_AFTER_MS
    this.announceDelay = init.announceDelay ?? MEMBER_ANNOUNCE_DELAY
    this.random = init.random ?? Math.random
    this.log = init.log ?? logger('murmur:membership:minting')
  }

  start (): void {
    if (this.started) return
    this.started = true
    const now = this.clock()
    // a stamp the network holds is dropped by every honest relay, so a stem frame carrying it can only come
    // from its owner: only a stamp never seen back is announced again (a crash or a lost stem may have lost it)
    for (const stamp of this.state.stamps()) this.scheduleAnnounce(stamp, now)
    this.schedule()
  }

  async stop (): Promise<void> {
    this.started = false
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    const job = this.job
    job?.controller.abort()
    await job?.done
    await this.saves
  }

  status (): MembershipStatus {
    const now = this.clock()
    const stamps = this.state.stamps()
    const current = stamps.filter((s) => isStampWeekAccepted(s.week, now)).at(-1)
    const job = this.job
    return {
      stamp: current === undefined ? undefined : { week: current.week, expires: stampWindow(current.week).notAfter },
      ahead: stamps.filter((s) => now < stampWindow(s.week).notBefore).map((s) => s.week),
      minting: job === undefined ? undefined : { week: job.week, progress: job.progress },
      nextMintAt: job === undefined ? this.nextMintAt : undefined
    }
  }

  private after (ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      run()
    }, Math.min(Math.max(0, ms), MAX_TIMER_MS))
    this.timers.add(timer)
  }

  private schedule (): void {
    if (!this.started) return
    const now = this.clock()
    const plan = planMint(this.state.key.publicKey, this.state.stamps().map((s) => s.week), now)
    this.nextMintAt = plan.at
    if (plan.at <= now) this.run(plan.week)
    else this.after((plan.at - now) * 1000, () => { this.schedule() })
  }

  private run (week: number): void {
    const job: Job = { week, controller: new AbortController() }
    this.job = job
    const startNonce = this.state.startNonce(week)
    this.savedNonce = startNonce
    this.lastSaveMs = Date.now()
    this.log('minting the stamp for week %d from nonce %d', week, startNonce)
    job.done = this.miner.mintStamp({
      memberKey: this.state.key.publicKey,
      week,
      bits: this.bits,
      startNonce,
      signal: job.controller.signal,
      onProgress: (progress) => {
        job.progress = progress
        if (Date.now() - this.lastSaveMs >= this.saveEveryMs) this.save({ week, nextNonce: progress.nextNonce })
        this.safeDispatchEvent('mint:progress', { detail: { ...progress, week } })
      }
    }).then(async (stamp) => {
      await this.saves
      await this.state.addStamp(stamp, this.clock())
      this.job = undefined
      this.log('minted the stamp for week %d', week)
      this.safeDispatchEvent('mint:stamp', { detail: stamp })
      this.scheduleAnnounce(stamp, this.clock())
      this.schedule()
    }).catch((err: Error) => {
      this.job = undefined
      if (job.progress !== undefined) this.save({ week, nextNonce: job.progress.nextNonce })
      if (err.name === 'AbortError') return
      this.log.error('minting the stamp for week %d failed: %e', week, err)
      this.safeDispatchEvent('mint:error', { detail: err })
      if (this.started) this.after(this.retryAfterMs, () => { this.schedule() })
    })
  }

  /** Saves the nonce reached, in order and never backwards. */
  private save (position: MintPosition): void {
    if (position.nextNonce <= this.savedNonce) return
    this.savedNonce = position.nextNonce
    this.lastSaveMs = Date.now()
    this.saves = this.saves
      .then(async () => { await this.state.saveProgress(position) })
      .catch((err: Error) => { this.log.error('saving the minting position failed: %e', err) })
  }

  private scheduleAnnounce (stamp: Stamp, now: number): void {
    if (this.state.isOut(stamp.week)) return
    const at = announceAt(this.state.key.publicKey, stamp.week, this.state.stamps().map((s) => s.week), now)
    // too near its window's end for every neighbour to take it: announcing it would cost this node
    if (!stampForwardableAt(stamp.week, at, 'live')) return
    const bytes = encodeStamp(stamp)
    const wait = (at - now) * 1000 + Math.floor(this.random() * this.announceDelay)
    this.after(wait, () => {
      // it may have come back meanwhile (another node's copy): then it is out there already
      if (this.started && !this.state.isOut(stamp.week)) this.safeDispatchEvent('announce', { detail: bytes })
    })
  }
}

/**
 * The background minter of a member: mints at once while the member holds no usable stamp, then each
 * next week's stamp from its renewal point, in a worker; progress and ETA as events; resumes at the saved
 * nonce after a restart; announces each stamp on schedule after a random wait of up to `announceDelay`, and
 * never again once it is known to be out there (MemberState.markOut) — 'announce' carries the bytes to publish.
 *
 * @example
 * ```ts
 * const minting = createMintingService({ state, miner: verifyPool })
 * minting.addEventListener('mint:progress', (e) => { console.log(`${Math.round(e.detail.chance * 100)} %, ETA ${e.detail.etaSeconds} s`) })
 * minting.addEventListener('announce', (e) => { void node.announce(e.detail) })
 * minting.start()
 * ```
 */
export function createMintingService (init: MintingInit): MintingService {
  return new BackgroundMinting(init)
}
