/**
 * The verification pool: a fixed set of workers (platform.ts) running the CPU-heavy functions of
 * `@murmur/protocol` (worker.ts), a bounded queue in front of them, and the bookkeeping that keeps a
 * crashed worker from taking the node down.
 *
 * A worker holds up to {@link WORKER_PIPELINE} envelope checks (validate, ringVerify: synchronous, run one
 * after the other) or one stamp check, and besides them at most one mining job of each kind (a post's
 * minePow, a stamp's mintStamp), which yields between slices of work, so a week's stamp mint does not stop
 * a core from verifying, nor an own post's proof of work wait minutes for it on a one-core pool. The pipeline
 * keeps a worker busy while the main thread is: with one job at a time, a worker sat idle from the end of
 * each check until the main thread's event loop took its answer and sent the next. Each kind waits in its
 * own FIFO, so a mining job waiting for a worker never holds verifications up.
 *
 * A stamp check (one Argon2id evaluation over 64 MiB) costs as much as a hundred envelope checks. Envelope
 * checks (validate, ringVerify) therefore go ahead of waiting stamp checks, and stamp checks hold at most
 * `size - 1` workers at once (one with a single worker), so that a burst of stamps (a directory sync, or
 * every node of a process sharing one pool) delays an envelope check by one stamp check at most. A stamp
 * check passed over {@link MAX_STAMP_OVERTAKES} times takes the next worker it may hold, so a flood of
 * envelopes cannot keep the directory from growing.
 *
 * Envelope checks wait by priority ({@link VerifyPriority}): the stem's frames and the node's own posts
 * first (a stem hop is relayed, or its embargo fluffs it, within the stem's timers; the sender reads one
 * frame at a time, so they are few), then gossip, then history sync (thousands at once, nobody waiting on
 * one). A class passed over {@link MAX_PRIORITY_OVERTAKES} times by a more urgent one takes the next
 * worker, so a gossip flood slows sync down but cannot stop it.
 *
 * The queue is shared by sender: a verification may name the address group of the peer it is for, and when
 * the queue is full the group with the most verifications waiting gives way (its newest job is refused),
 * not the newcomer — unless the newcomer's group is that group. One flooding address group cannot lock
 * every other sender out of the pool.
 */
import { AbortError, StampError } from '@murmur/protocol'
import type { StampErrorCode } from '@murmur/protocol'
import { VerifyPoolStoppedError, VerifyQueueFullError, VerifyWorkerCrashedError } from './errors.js'
import type { FromWorker, VerifyJob, VerifyJobProgress, VerifyJobResults, WorkerError } from './messages.js'
import type { SpawnVerifyWorker, VerifyWorkerHandle } from './platform.js'

/** Workers that die before they ever become ready, one after the other, before the pool gives up. */
export const MAX_START_FAILURES = 3

/** Envelope checks that may take a worker ahead of the oldest waiting stamp check before it goes first. */
export const MAX_STAMP_OVERTAKES = 32

/** Envelope checks one worker holds at once (sent, not yet answered). */
export const WORKER_PIPELINE = 4

/** Envelope checks of more urgent classes that may take a worker while one of a less urgent class waits, before its oldest goes. */
export const MAX_PRIORITY_OVERTAKES = 32

/**
 * How urgent an envelope check is: 'high' for the stem's frames and the node's own posts, 'normal' for
 * gossip, 'low' for history sync.
 */
export type VerifyPriority = 'high' | 'normal' | 'low'

/** Queue classes, most urgent first. */
const PRIORITIES: readonly VerifyPriority[] = ['high', 'normal', 'low']

/** A job with its caller's promise, waiting for a worker or running on one. */
interface Task {
  id: number
  job: VerifyJob
  transfer: ArrayBuffer[]
  mining: boolean
  /** A stamp check: waits behind envelope checks, on at most `size - 1` workers at once. */
  stamp: boolean
  resolve(value: unknown): void
  reject(err: Error): void
  onProgress?: (progress: unknown) => void
  signal?: AbortSignal
  /** Removes the abort listener; called once the task is settled. */
  detach(): void
  settled: boolean
  /** The worker running it, once it runs. */
  slot?: Slot
  /** Whom a verification is for ({@link RunOptions.group}; '' when not given). */
  group: string
  /** Its queue class: an index into PRIORITIES. */
  rank: number
}

/** One worker and what it runs. */
interface Slot {
  handle: VerifyWorkerHandle
  ready: boolean
  /** The verifications sent to it and not yet answered, oldest first: envelope checks, or one stamp check. */
  verifying: Task[]
  /** The mining jobs it runs: at most one of each kind. */
  mining: Task[]
}

/** What {@link WorkerPool} needs from its creator (index.ts resolves the defaults). */
export interface WorkerPoolOptions {
  size: number
  maxQueue: number
  spawn: SpawnVerifyWorker
}

/** Options of one job: a cancel signal, for mining jobs a progress callback, for verifications whom they are for. */
export interface RunOptions<P = unknown> {
  signal?: AbortSignal
  onProgress?: (progress: P) => void
  /** The address group of the peer a verification is for: a full queue refuses the group with most jobs first. @default '' (one group for all unnamed jobs) */
  group?: string
  /** How urgent an envelope check is (stamp checks and mining keep their own order). @default 'normal' */
  priority?: VerifyPriority
}

/** Rebuilds the named error a worker threw, so callers match it on `name` and `code` as on the main thread. */
function rebuildError (error: WorkerError): Error {
  switch (error.name) {
    case 'AbortError': return new AbortError(error.message)
    case 'StampError': return new StampError(error.code as StampErrorCode, error.message)
    case 'RangeError': return new RangeError(error.message)
    case 'TypeError': return new TypeError(error.message)
    default: {
      const err = new Error(error.message)
      err.name = error.name
      return err
    }
  }
}

/** The pool itself; see index.ts for the public face. */
export class WorkerPool {
  readonly size: number
  private readonly maxQueue: number
  private readonly spawn: SpawnVerifyWorker
  private readonly slots: Slot[] = []
  private readonly waitingVerifications: Task[] = []
  private readonly waitingMining: Task[] = []
  /** Verifications waiting, by group. */
  private readonly waitingByGroup = new Map<string, number>()
  private nextId = 0
  /** Envelope checks that took a worker while a stamp check waited, since a stamp check last took one. */
  private stampOvertakes = 0
  /** By queue class: envelope checks of more urgent classes that took a worker while one of this class waited, since one of it last took one. */
  private readonly priorityOvertakes = PRIORITIES.map(() => 0)
  private stopped?: Error
  private startFailures = 0

  constructor (options: WorkerPoolOptions) {
    this.size = options.size
    this.maxQueue = options.maxQueue
    this.spawn = options.spawn
    for (let i = 0; i < this.size; i++) this.slots.push(this.startWorker())
  }

  /** Jobs waiting for a worker. */
  get queued (): number {
    return this.waitingVerifications.length + this.waitingMining.length
  }

  /** Runs `job` on a worker; resolves to what the main-thread function returns. */
  async run<K extends VerifyJob['kind']> (job: Extract<VerifyJob, { kind: K }>, options: RunOptions<K extends keyof VerifyJobProgress ? VerifyJobProgress[K] : never> = {}, transfer: ArrayBuffer[] = []): Promise<VerifyJobResults[K]> {
    if (this.stopped !== undefined) throw this.stopped
    options.signal?.throwIfAborted()
    const mining = job.kind === 'minePow' || job.kind === 'mintStamp'
    const group = options.group ?? ''
    const rank = PRIORITIES.indexOf(options.priority ?? 'normal')
    if (rank < 0) throw new RangeError(`expected a priority of ${PRIORITIES.join(', ')}, got ${String(options.priority)}`)
    if (this.queued >= this.maxQueue && (mining || !this.makeRoom(group))) {
      throw new VerifyQueueFullError(`the verification queue is full: ${this.queued} jobs wait for ${this.size} workers`)
    }
    return await new Promise<VerifyJobResults[K]>((resolve, reject) => {
      const task: Task = {
        id: this.nextId++,
        job,
        transfer,
        mining,
        stamp: job.kind === 'verifyStamp',
        resolve: resolve as (value: unknown) => void,
        reject,
        onProgress: options.onProgress as ((progress: unknown) => void) | undefined,
        signal: options.signal,
        detach: () => {},
        settled: false,
        group,
        rank
      }
      if (options.signal !== undefined) {
        const signal = options.signal
        const onAbort = (): void => { this.abort(task) }
        signal.addEventListener('abort', onAbort, { once: true })
        task.detach = () => { signal.removeEventListener('abort', onAbort) }
      }
      if (mining) this.waitingMining.push(task)
      else this.enqueue(task)
      this.dispatch()
    })
  }

  /** Stops every worker; jobs waiting or running reject with VerifyPoolStoppedError. Resolves once all are gone. */
  async stop (): Promise<void> {
    if (this.stopped === undefined) this.stopped = new VerifyPoolStoppedError()
    this.failAll(this.stopped)
    const slots = this.slots.splice(0)
    await Promise.all(slots.map(async (slot) => { await slot.handle.terminate() }))
  }

  private startWorker (): Slot {
    const slot: Slot = { handle: this.spawn(), ready: false, verifying: [], mining: [] }
    slot.handle.listen((message) => { this.onMessage(slot, message) }, (err) => { this.onCrash(slot, err) })
    slot.handle.keepAlive(false)
    return slot
  }

  private onMessage (slot: Slot, message: FromWorker): void {
    if (message.type === 'ready') {
      slot.ready = true
      this.startFailures = 0
      this.dispatch()
      return
    }
    const task = slot.verifying.find((held) => held.id === message.id) ?? slot.mining.find((held) => held.id === message.id)
    if (task === undefined) return
    if (message.type === 'progress') {
      if (!task.settled) task.onProgress?.(message.progress)
      return
    }
    this.release(slot, task)
    if (message.type === 'done') this.settle(task, undefined, message.result)
    else this.settle(task, rebuildError(message.error))
    this.dispatch()
  }

  /** A worker died: its jobs fail, another takes its place (unless workers keep dying before they start). */
  private onCrash (slot: Slot, err: Error): void {
    const index = this.slots.indexOf(slot)
    if (index < 0) return
    for (const task of [...slot.verifying, ...slot.mining]) {
      this.settle(task, new VerifyWorkerCrashedError(`a verification worker crashed running ${task.job.kind}: ${err.message}`, { cause: err }))
    }
    if (!slot.ready && ++this.startFailures >= MAX_START_FAILURES) {
      this.stopped = new VerifyPoolStoppedError(`verification workers fail to start (${this.startFailures} times in a row): ${err.message}`, { cause: err })
      void this.stop()
      return
    }
    try {
      this.slots[index] = this.startWorker()
      this.dispatch()
    } catch (startErr) {
      this.slots.splice(index, 1)
      this.stopped = new VerifyPoolStoppedError('a verification worker cannot be started', { cause: startErr })
      void this.stop()
    }
  }

  /** Hands waiting jobs to free workers, oldest first, one to each worker before a second to any. */
  private dispatch (): void {
    // a worker that mines takes verifications only after the idle ones
    const ready = this.slots.filter((slot) => slot.ready)
    const order = [...ready.filter((slot) => slot.mining.length === 0), ...ready.filter((slot) => slot.mining.length > 0)]
    for (let depth = 0; depth < WORKER_PIPELINE; depth++) {
      for (const slot of order) {
        if (slot.verifying.length === depth) this.assign(slot, this.nextVerification(slot))
      }
    }
    // idle workers first; a post's proof of work may then join a stamp's mint
    for (const slot of order) {
      for (let next = this.nextMining(slot); next !== undefined; next = this.nextMining(slot)) this.assign(slot, next)
    }
    // a worker keeps a Node.js process alive while it has work, or while it starts and jobs wait for it;
    // an idle pool never does
    const waiting = this.queued > 0
    for (const slot of this.slots) slot.handle.keepAlive(waiting || slot.verifying.length > 0 || slot.mining.length > 0)
  }

  /** A job of `slot` was answered (or could not be sent): the worker no longer holds it. */
  private release (slot: Slot, task: Task): void {
    if (task.mining) slot.mining = slot.mining.filter((held) => held !== task)
    else slot.verifying = slot.verifying.filter((held) => held !== task)
  }

  private assign (slot: Slot, task: Task | undefined): void {
    if (task === undefined) return
    task.slot = slot
    if (task.mining) slot.mining.push(task)
    else slot.verifying.push(task)
    try {
      slot.handle.post({ type: 'run', id: task.id, job: task.job, progress: task.onProgress !== undefined }, task.transfer)
    } catch (err) {
      // the job holds something that cannot be cloned (a function, say): the caller's mistake, not the worker's
      this.release(slot, task)
      this.settle(task, new TypeError(`${task.job.kind} was given input that cannot be sent to a worker`, { cause: err }))
      this.assign(slot, task.mining ? this.nextMining(slot) : this.nextVerification(slot))
    }
  }

  /**
   * A caller gave up on a job: it leaves the queue, or, if a worker runs it, its promise rejects now and a
   * mining worker is told to stop (a verification takes milliseconds and runs out, its result unused).
   */
  private abort (task: Task): void {
    const err = new AbortError(`${task.job.kind} was aborted`)
    if (task.slot === undefined) {
      if (task.mining) {
        const index = this.waitingMining.indexOf(task)
        if (index >= 0) this.waitingMining.splice(index, 1)
      } else {
        this.dequeue(this.waitingVerifications.indexOf(task))
      }
      this.dispatch()
    } else if (task.mining) {
      task.slot.handle.post({ type: 'cancel', id: task.id })
    }
    this.settle(task, err)
  }

  /** The oldest waiting mining job of a kind `slot` does not run yet, out of the queue. */
  private nextMining (slot: Slot): Task | undefined {
    const index = this.waitingMining.findIndex((task) => !slot.mining.some((held) => held.job.kind === task.job.kind))
    return index < 0 ? undefined : this.waitingMining.splice(index, 1)[0]
  }

  /** Queues a verification, counted to its group. */
  private enqueue (task: Task): void {
    this.waitingVerifications.push(task)
    this.waitingByGroup.set(task.group, (this.waitingByGroup.get(task.group) ?? 0) + 1)
  }

  /**
   * The verification `slot` takes next, out of the queue: the next envelope check ({@link nextEnvelope}), unless a stamp check
   * may take the worker and either no envelope check waits or the oldest stamp check was passed over
   * {@link MAX_STAMP_OVERTAKES} times. A stamp check takes a worker alone: none joins a worker that holds
   * one, and a worker a stamp check is due on takes no more envelope checks until it has answered its own.
   */
  private nextVerification (slot: Slot): Task | undefined {
    if (slot.verifying[0]?.stamp === true || slot.verifying.length >= WORKER_PIPELINE) return undefined
    const envelope = this.nextEnvelope()
    const stamp = this.waitingVerifications.findIndex((task) => task.stamp)
    if (stamp < 0) return this.takeEnvelope(envelope)
    const stampsRunning = this.slots.filter((held) => held.verifying[0]?.stamp === true).length
    const stampDue = stampsRunning < Math.max(1, this.size - 1) && (envelope < 0 || this.stampOvertakes >= MAX_STAMP_OVERTAKES)
    if (stampDue) {
      if (slot.verifying.length > 0) return undefined
      this.stampOvertakes = 0
      return this.dequeue(stamp)
    }
    if (envelope >= 0) this.stampOvertakes++
    return this.takeEnvelope(envelope)
  }

  /**
   * Where the envelope check to run next waits (-1: none): the oldest of the least urgent class passed
   * over MAX_PRIORITY_OVERTAKES times, else the oldest of the most urgent class waiting.
   */
  private nextEnvelope (): number {
    const oldest = PRIORITIES.map(() => -1)
    this.waitingVerifications.forEach((task, index) => {
      if (!task.stamp && oldest[task.rank] === -1) oldest[task.rank] = index
    })
    for (let rank = PRIORITIES.length - 1; rank > 0; rank--) {
      if (oldest[rank]! >= 0 && this.priorityOvertakes[rank]! >= MAX_PRIORITY_OVERTAKES) return oldest[rank]!
    }
    return oldest.find((index) => index >= 0) ?? -1
  }

  /** Takes the envelope check at `index` (if any) out of the queue, and counts it against the less urgent classes waiting. */
  private takeEnvelope (index: number): Task | undefined {
    const task = this.dequeue(index)
    if (task === undefined) return undefined
    this.priorityOvertakes[task.rank] = 0
    for (let rank = task.rank + 1; rank < PRIORITIES.length; rank++) {
      const waiting = this.waitingVerifications.some((queued) => !queued.stamp && queued.rank === rank)
      this.priorityOvertakes[rank] = waiting ? this.priorityOvertakes[rank]! + 1 : 0
    }
    return task
  }

  /** Takes the waiting verification at `index` (if any) out of the queue and its group's count. */
  private dequeue (index: number): Task | undefined {
    if (index < 0) return undefined
    const [task] = this.waitingVerifications.splice(index, 1)
    if (task === undefined) return undefined
    const left = (this.waitingByGroup.get(task.group) ?? 1) - 1
    if (left > 0) this.waitingByGroup.set(task.group, left)
    else this.waitingByGroup.delete(task.group)
    return task
  }

  /**
   * The queue is full and a verification for `group` comes: the group with the most verifications waiting
   * gives way, its newest refused with VerifyQueueFullError. False (the newcomer is refused) when `group`
   * would then hold as many as that group, or only mining jobs wait.
   */
  private makeRoom (group: string): boolean {
    let largest: string | undefined
    let most = 0
    for (const [candidate, count] of this.waitingByGroup) {
      if (count > most) {
        largest = candidate
        most = count
      }
    }
    if (largest === undefined || (this.waitingByGroup.get(group) ?? 0) + 1 >= most) return false
    for (let index = this.waitingVerifications.length - 1; index >= 0; index--) {
      if (this.waitingVerifications[index]!.group !== largest) continue
      const evicted = this.dequeue(index)!
      this.settle(evicted, new VerifyQueueFullError(`the verification queue is full: ${most} of its jobs are for one address group, which gives way`))
      return true
    }
    return false
  }

  private settle (task: Task, err: Error | undefined, result?: unknown): void {
    if (task.settled) return
    task.settled = true
    task.detach()
    if (err !== undefined) task.reject(err)
    else task.resolve(result)
  }

  private failAll (err: Error): void {
    for (const task of this.waitingVerifications.splice(0)) this.settle(task, err)
    this.waitingByGroup.clear()
    for (const task of this.waitingMining.splice(0)) this.settle(task, err)
    for (const slot of this.slots) {
      for (const task of [...slot.verifying, ...slot.mining]) this.settle(task, err)
    }
  }
}
