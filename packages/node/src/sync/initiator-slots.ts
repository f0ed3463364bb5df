import { decrement, increment } from './admission.js'

/** Limits of {@link InitiatorSlots}; see ./constants.ts for the defaults. */
export interface InitiatorSlotsInit {
  /** sessions this node runs as initiator at once, over all peers */
  maxInitiating: number
  /** of those, sessions with the peers of one address group at once */
  perGroup: number
  /** sessions of one address group waiting for a slot; past it, the lowest-ranked waiting one gives way or the newcomer is dropped */
  queuePerGroup: number
}

/** Who a session is with, for its place in its group's queue. */
export interface InitiatorPlace {
  /** the peer (a PeerId string): it holds at most one waiting place in its group */
  peer: string
  /**
   * Its tier, read when a slot frees or the queue is full: a place of tier 0 is served after every other,
   * and a newcomer never takes the place of a higher tier. History sync ranks a peer that stalled lately
   * 0, a peer this node dialed 2 (a sybil cannot make it dial one at will), any other 1.
   */
  rank: () => number
  /**
   * When its peer was last served (its latest session began) or connected, whichever is later. Past tier
   * 0 the earliest is served first, dialed or not (the earliest queued among equals), and a newcomer to a
   * full queue takes the place of the latest of the lowest tier if it is earlier: a standing a peer loses
   * by being served, so PeerIds served again and again wait behind one served less lately (seventeenth
   * read of issue 12, High 1), and sybils this node happened to dial cannot keep the rest of their group
   * waiting either.
   */
  servedAt: () => number
}

interface Waiting extends InitiatorPlace {
  start: (start: boolean) => void
}

/**
 * The sessions a node begins, shared out per address group. Any peer that subscribes to a channel gets a
 * session the node starts, so PeerIds minted on one host made it run a session each at once (eight sybils:
 * fifteen sessions, a whole core; fourteenth read of issue 12, Medium 1). A session runs only while fewer
 * than `maxInitiating` run in all and fewer than `perGroup` with its peer's group; otherwise it waits its
 * turn, and a freed slot goes to the waiting group that runs fewest now, groups taking turns. So sybils on
 * one address get `perGroup` sessions at a time, and a group that runs none is served first whatever the
 * others queued. Within a group a peer waits in one place at most, the one served least lately served
 * first (one that stalled lately last); a full queue (`queuePerGroup`) sheds the place of the lowest tier
 * served most lately for a newcomer that outranks it. So 36 sybils sharing an honest crowd's address, that never answer and re-subscribe every second, no
 * longer keep the group's queue full of themselves (sixteenth read, High 1): once stalled they rank below
 * any crowd-mate. Nor do sybils that answer every session and ask again the moment it ends (seventeenth
 * read, High 1): each one served goes behind every peer served before it.
 *
 * @example
 * ```ts
 * const slots = new InitiatorSlots({ maxInitiating: 8, perGroup: 2, queuePerGroup: 32 })
 * const place = { peer: peer.toString(), rank: () => 1, servedAt: () => Date.now() }
 * const report = await slots.run('ip4/192.0.2.1', async () => await sync.syncWith(peer, topic), place) // undefined: dropped
 * ```
 */
export class InitiatorSlots {
  private readonly init: InitiatorSlotsInit
  private readonly runningBy = new Map<string, number>()
  /** sessions waiting, by group, in the order groups take turns */
  private readonly waiting = new Map<string, Waiting[]>()
  private total = 0
  private closed = false

  constructor (init: InitiatorSlotsInit) {
    this.init = init
  }

  /** Sessions running now (not those waiting). */
  get active (): number {
    return this.total
  }

  /** Sessions of `group` running now. */
  runningIn (group: string): number {
    return this.runningBy.get(group) ?? 0
  }

  /**
   * Runs `session` once a slot of `group` is free; resolves to its result, or to undefined without running
   * it when its peer already waits in `group`, the queue is full of sessions it does not outrank
   * ({@link outranks}), it gave its place to a newcomer that outranks it, or the slots were closed
   * meanwhile; a rejection of `session` is passed on, its slot freed.
   */
  async run<T> (group: string, session: () => Promise<T>, place: InitiatorPlace): Promise<T | undefined> {
    if (!await this.acquire(group, place)) return undefined
    try {
      return await session()
    } finally {
      decrement(this.runningBy, group)
      this.total--
      this.drain()
    }
  }

  /** Drops every waiting session (they resolve to undefined) and admits no more. */
  close (): void {
    this.closed = true
    for (const queue of this.waiting.values()) for (const { start } of queue) start(false)
    this.waiting.clear()
  }

  private async acquire (group: string, place: InitiatorPlace): Promise<boolean> {
    if (this.closed) return false
    if (this.total < this.init.maxInitiating && this.runningIn(group) < this.init.perGroup) {
      this.take(group)
      return true
    }
    const queue = this.waiting.get(group) ?? []
    if (queue.some((waiting) => waiting.peer === place.peer)) return false
    if (queue.length >= this.init.queuePerGroup) {
      const standings = queue.map(standing)
      const last = extreme(standings, 'last')
      if (!outranks(standing(place), standings[last]!)) return false
      const [evicted] = queue.splice(last, 1)
      evicted!.start(false)
    }
    return await new Promise<boolean>((resolve) => {
      queue.push({ ...place, start: resolve })
      this.waiting.set(group, queue)
    })
  }

  private take (group: string): void {
    increment(this.runningBy, group)
    this.total++
  }

  /**
   * Starts waiting sessions while slots are free: each time of the group running fewest (the first such in
   * turn), its first place ({@link servedFirst}), the earliest queued among equals.
   */
  private drain (): void {
    while (this.total < this.init.maxInitiating) {
      let next: string | undefined
      for (const group of this.waiting.keys()) {
        if (this.runningIn(group) < this.init.perGroup && (next === undefined || this.runningIn(group) < this.runningIn(next))) next = group
      }
      if (next === undefined) return
      const queue = this.waiting.get(next)!
      const [{ start }] = queue.splice(extreme(queue.map(standing), 'first'), 1) as [Waiting]
      // the group goes to the back of the turns
      this.waiting.delete(next)
      if (queue.length > 0) this.waiting.set(next, queue)
      this.take(next)
      start(true)
    }
  }
}

/** A place's tier and when its peer was served, read once per decision. */
type Standing = readonly [rank: number, servedAt: number]

function standing (place: InitiatorPlace): Standing {
  return [place.rank(), place.servedAt()]
}

/** Whether a place of standing `a` is served before one of `b`: tier 0 after any other, then the one served earlier. */
function servedFirst ([rankA, servedA]: Standing, [rankB, servedB]: Standing): boolean {
  return (rankA > 0 && rankB === 0) || ((rankA === 0) === (rankB === 0) && servedA < servedB)
}

/** Whether a newcomer of standing `a` may take the place of one of `b`: a higher tier, or the same served earlier. */
function outranks ([rankA, servedA]: Standing, [rankB, servedB]: Standing): boolean {
  return rankA > rankB || (rankA === rankB && servedA < servedB)
}

/**
 * Where in a queue (its places' standings, in the order they came) is its `first` place, served next:
 * the earliest that no other is served before; or its `last`, shed for a newcomer: the latest that
 * outranks no other. Those waiting longer keep their turn among equals.
 */
function extreme (standings: readonly Standing[], which: 'first' | 'last'): number {
  let at = 0
  for (let i = 1; i < standings.length; i++) {
    if (which === 'first' ? servedFirst(standings[i]!, standings[at]!) : !outranks(standings[i]!, standings[at]!)) at = i
  }
  return at
}
