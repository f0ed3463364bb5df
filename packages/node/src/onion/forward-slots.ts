/**
 * The connections a mix may dial at once to forward packets to next hops it is not connected to, shared
 * between the address groups the packets came from. A packet's next hop is bytes its sender picked, so
 * charging a dial to the group of the host it names let one address take every dial with fresh PeerIds at
 * 8 tarpit addresses (eleventh read of issue 12, H1); the sender's address is what costs it something, as
 * for the held packets (`HeldPosts`) and a relay's slots (`fairShare`). Three rules:
 * - a group may hold a fair share (MIX_FORWARD_SHARE) of the dials other groups leave free, and only
 *   packets from a peer this node chose to dial reach the last MIX_FORWARD_CHOSEN_RESERVE;
 * - a group's share shrinks with the dials of its packets that failed lately (a next hop that never
 *   answered, or never took the packet), down to one at a time, never none: an honest mix's one next hop
 *   gone offline costs it a little, a sender naming dead hops all of it;
 * - packets from one group have at most MAX_MIX_FORWARD_DIALS_PER_GROUP dials open to one group of hosts.
 */
import { fairShare } from '../relay-share.js'
import { MAX_MIX_FORWARD_DIALS, MAX_MIX_FORWARD_DIALS_PER_GROUP, MIX_FORWARD_CHOSEN_RESERVE, MIX_FORWARD_FAILURE_WINDOW, MIX_FORWARD_SHARE } from './constants.js'

/** Who a forwarding dial is charged to: the packet's sender. */
export interface ForwardSource {
  /** The address group of the peer the packet came from. */
  group: string
  /** Whether this node chose to dial that peer (`ChosenPeers.dialed`). */
  chosen: boolean
}

/** A forwarding dial taken; `release` it once the dial and its packet are done, saying whether the packet got through. */
export interface ForwardSlot {
  release(reached: boolean): void
}

/** Options of {@link ForwardSlots}. */
export interface ForwardSlotsInit {
  /** Dials open at once. @default MAX_MIX_FORWARD_DIALS (16) */
  capacity?: number
  /** Of those, the ones only chosen peers' packets may take. @default MIX_FORWARD_CHOSEN_RESERVE (4) */
  chosenReserve?: number
  /** Fraction of the dials other groups leave free that one group may take. @default MIX_FORWARD_SHARE (0.5) */
  share?: number
  /** Dials one source group may have open to one target group. @default MAX_MIX_FORWARD_DIALS_PER_GROUP (2) */
  perTarget?: number
  /** Time constant of the memory of failed dials, in ms. @default MIX_FORWARD_FAILURE_WINDOW (60000) */
  failureWindow?: number
  /** The clock, in ms. @default Date.now */
  now?: () => number
}

/** Recent outcomes of one group's dials, each weighted by `e^(-age / window)`, as of `at`. */
interface Outcomes {
  reached: number
  failed: number
  at: number
}

/** Outcomes this many windows old weigh e^-8 (0.03 %): forgotten. */
const FORGET_AFTER_WINDOWS = 8

/**
 * A mix's forwarding dials (see the module comment).
 *
 * @example
 * ```ts
 * const slots = new ForwardSlots()
 * const slot = slots.take({ group: 'ip4/192.0.2.1', chosen: false }, addressGroup(target))
 * if (slot !== undefined) slot.release(await dialAndWrite())
 * ```
 */
export class ForwardSlots {
  private readonly capacity: number
  private readonly chosenReserve: number
  private readonly share: number
  private readonly perTarget: number
  private readonly failureWindow: number
  private readonly now: () => number
  private readonly bySource = new Map<string, number>()
  private readonly byPair = new Map<string, number>()
  private readonly outcomes = new Map<string, Outcomes>()
  private held = 0

  constructor (init: ForwardSlotsInit = {}) {
    this.capacity = init.capacity ?? MAX_MIX_FORWARD_DIALS
    this.chosenReserve = init.chosenReserve ?? MIX_FORWARD_CHOSEN_RESERVE
    this.share = init.share ?? MIX_FORWARD_SHARE
    this.perTarget = init.perTarget ?? MAX_MIX_FORWARD_DIALS_PER_GROUP
    this.failureWindow = init.failureWindow ?? MIX_FORWARD_FAILURE_WINDOW
    this.now = init.now ?? Date.now
  }

  /** Dials open now. */
  get size (): number {
    return this.held
  }

  /**
   * A dial for a packet from `source` to a host in address group `target`, or undefined when the dials
   * open to the source are taken, the source holds its share, or its dials to that group.
   */
  take (source: ForwardSource, target: string): ForwardSlot | undefined {
    const capacity = source.chosen ? this.capacity : this.capacity - this.chosenReserve
    const mine = this.bySource.get(source.group) ?? 0
    const pair = `${source.group} ${target}`
    if (this.held >= capacity || mine >= this.limit(source.group, capacity, mine) || (this.byPair.get(pair) ?? 0) >= this.perTarget) return undefined
    this.held++
    this.bySource.set(source.group, mine + 1)
    this.byPair.set(pair, (this.byPair.get(pair) ?? 0) + 1)
    let released = false
    return {
      release: (reached) => {
        if (released) return
        released = true
        this.held--
        decrement(this.bySource, source.group)
        decrement(this.byPair, pair)
        this.record(source.group, reached)
      }
    }
  }

  /**
   * The dials `group` may hold: its fair share of what other groups leave free, times the odds that its
   * next dial gets through, judged from its recent ones with one success assumed (a group that never
   * dialed keeps its whole share, one failure halves it), rounded up: at least one while a dial is free.
   */
  private limit (group: string, capacity: number, mine: number): number {
    const share = fairShare(capacity, this.held - mine, this.share)
    const { reached, failed } = this.recent(group)
    return Math.ceil(share * (reached + 1) / (reached + failed + 1))
  }

  private recent (group: string): Outcomes {
    const now = this.now()
    const outcomes = this.outcomes.get(group)
    if (outcomes === undefined) return { reached: 0, failed: 0, at: now }
    const weight = Math.exp(-(now - outcomes.at) / this.failureWindow)
    return { reached: outcomes.reached * weight, failed: outcomes.failed * weight, at: now }
  }

  private record (group: string, reached: boolean): void {
    const outcomes = this.recent(group)
    if (reached) outcomes.reached++
    else outcomes.failed++
    this.outcomes.set(group, outcomes)
    // groups that have not dialed for a while are forgotten, so the table holds only recent senders
    const forgotten = outcomes.at - FORGET_AFTER_WINDOWS * this.failureWindow
    for (const [other, { at }] of this.outcomes) if (at < forgotten) this.outcomes.delete(other)
  }
}

function decrement (counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1
  if (left > 0) counts.set(key, left)
  else counts.delete(key)
}
