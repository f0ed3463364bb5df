/**
 * The connections a mix may dial at once to forward packets to next hops it is not connected to, shared
 * between the address groups the packets came from. A packet's next hop is bytes its sender picked, so
 * charging a dial to the group of the host it names let one address take every dial with fresh PeerIds at
 * 8 tarpit addresses (eleventh read of issue 12, H1); the sender's address is what costs it something, as
 * for the held packets (`HeldPosts`) and a relay's slots (`fairShare`). Three rules:
 * - a group may hold a fair share (MIX_FORWARD_SHARE) of the dials other groups leave free, and only
 *   packets from a peer this node chose to dial reach the last MIX_FORWARD_CHOSEN_RESERVE;
 * - within a group, a sending PeerId whose recent dials mostly got through (a proven sender) may take the
 *   group's whole share, less its own failures; the others (new PeerIds, and those whose dials mostly
 *   failed) share a part of it that shrinks with their dials that failed lately (a next hop that never
 *   answered, or never took the packet), down to one at a time, never none, and leave the proven ones
 *   the group's last dial while theirs get through. So one member of a crowd
 *   behind one address (NAT, CGNAT, a relay) naming tarpits, under as many PeerIds as it likes, loses
 *   its priority after its first failed dial, and the crowd's proven senders keep theirs (thirteenth read
 *   of issue 12, M1); an honest mix's one next hop gone offline costs it a little;
 * - packets from one group have at most MAX_MIX_FORWARD_DIALS_PER_GROUP dials open to one group of hosts.
 */
import { fairShare } from '../relay-share.js'
import { decrement, increment } from '../sync/admission.js'
import { MAX_MIX_FORWARD_DIALS, MAX_MIX_FORWARD_DIALS_PER_GROUP, MIX_FORWARD_CHOSEN_RESERVE, MIX_FORWARD_FAILURE_WINDOW, MIX_FORWARD_SHARE } from './constants.js'

/** Who a forwarding dial is charged to: the packet's sender. */
export interface ForwardSource {
  /** The address group of the peer the packet came from. */
  group: string
  /** Whether this node chose to dial that peer (`ChosenPeers.dialed`). */
  chosen: boolean
  /** The PeerId of that peer (`toString()`), whose own dials decide its place in its group's share. @default one unnamed sender per group */
  peer?: string
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
  /** Sending PeerIds (and groups) whose dials are remembered; the one that dialed least lately is forgotten first. @default 1024 */
  remembered?: number
  /** The clock, in ms. @default Date.now */
  now?: () => number
}

/** Recent outcomes of dials (a group's unproven senders', or one PeerId's), each weighted by `e^(-age / window)`, as of `at`. */
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
 * const slot = slots.take({ group: 'ip4/192.0.2.1', chosen: false, peer: from.toString() }, addressGroup(target))
 * if (slot !== undefined) slot.release(await dialAndWrite())
 * ```
 */
export class ForwardSlots {
  private readonly capacity: number
  private readonly chosenReserve: number
  private readonly share: number
  private readonly perTarget: number
  private readonly failureWindow: number
  private readonly remembered: number
  private readonly now: () => number
  private readonly bySource = new Map<string, number>()
  private readonly byPair = new Map<string, number>()
  /** Dials held by each sending PeerId (keyed `group peer`), and by each group's unproven senders. */
  private readonly byPeer = new Map<string, number>()
  private readonly unproven = new Map<string, number>()
  /** Outcomes of each group's unproven and proven senders' dials, and of each PeerId's; least lately updated first. */
  private readonly outcomes = new Map<string, Outcomes>()
  private readonly provenOutcomes = new Map<string, Outcomes>()
  private readonly peers = new Map<string, Outcomes>()
  private held = 0

  constructor (init: ForwardSlotsInit = {}) {
    this.capacity = init.capacity ?? MAX_MIX_FORWARD_DIALS
    this.chosenReserve = init.chosenReserve ?? MIX_FORWARD_CHOSEN_RESERVE
    this.share = init.share ?? MIX_FORWARD_SHARE
    this.perTarget = init.perTarget ?? MAX_MIX_FORWARD_DIALS_PER_GROUP
    this.failureWindow = init.failureWindow ?? MIX_FORWARD_FAILURE_WINDOW
    this.remembered = init.remembered ?? 1024
    this.now = init.now ?? Date.now
  }

  /** Dials open now. */
  get size (): number {
    return this.held
  }

  /**
   * A dial for a packet from `source` to a host in address group `target`, or undefined when the dials
   * open to the source are taken, its group holds its share, the source its part of it, or its group its
   * dials to that target group.
   */
  take (source: ForwardSource, target: string): ForwardSlot | undefined {
    const { group } = source
    const capacity = source.chosen ? this.capacity : this.capacity - this.chosenReserve
    const mine = this.bySource.get(group) ?? 0
    const share = fairShare(capacity, this.held - mine, this.share)
    const peer = `${group} ${source.peer ?? ''}`
    const own = this.recent(this.peers, peer)
    // a proven sender is held back by its own failures only, the others together by theirs
    const proven = own.reached > own.failed
    const [counts, key, part] = proven ? [this.byPeer, peer, likely(share, own)] : [this.unproven, group, this.unprovenPart(group, share)]
    const pair = `${group} ${target}`
    if (this.held >= capacity || mine >= share || (counts.get(key) ?? 0) >= part || (this.byPair.get(pair) ?? 0) >= this.perTarget) return undefined
    this.held++
    increment(this.bySource, group)
    increment(this.byPair, pair)
    increment(counts, key)
    let released = false
    return {
      release: (reached) => {
        if (released) return
        released = true
        this.held--
        decrement(this.bySource, group)
        decrement(this.byPair, pair)
        decrement(counts, key)
        this.record(this.peers, peer, reached)
        this.record(proven ? this.provenOutcomes : this.outcomes, group, reached)
      }
    }
  }

  /**
   * The dials of `share` that the group's unproven senders may hold together: less as their dials fail,
   * and, while the group's proven senders' dials mostly get through, not the last one (a burst of fresh
   * PeerIds, whose dials have not failed yet, leaves the crowd one), but always one.
   */
  private unprovenPart (group: string, share: number): number {
    const lately = this.recent(this.provenOutcomes, group)
    return Math.min(likely(share, this.recent(this.outcomes, group)), lately.reached > lately.failed ? Math.max(1, share - 1) : share)
  }

  private recent (table: Map<string, Outcomes>, key: string): Outcomes {
    const now = this.now()
    const outcomes = table.get(key)
    if (outcomes === undefined) return { reached: 0, failed: 0, at: now }
    const weight = Math.exp(-(now - outcomes.at) / this.failureWindow)
    return { reached: outcomes.reached * weight, failed: outcomes.failed * weight, at: now }
  }

  private record (table: Map<string, Outcomes>, key: string, reached: boolean): void {
    const outcomes = this.recent(table, key)
    if (reached) outcomes.reached++
    else outcomes.failed++
    // moved to the end, so the table runs from the least lately updated: those not updated for a while are forgotten
    table.delete(key)
    table.set(key, outcomes)
    const forgotten = outcomes.at - FORGET_AFTER_WINDOWS * this.failureWindow
    for (const [other, { at }] of table) {
      if (at >= forgotten && table.size <= this.remembered) break
      table.delete(other)
    }
  }
}

/**
 * Dials out of `share` that senders with these outcomes may hold: the share times the odds that their next
 * dial gets through, judged from their recent ones with one success assumed (senders that never dialed
 * keep the whole share, one failure halves it), rounded up: at least one while a dial is free.
 */
function likely (share: number, { reached, failed }: Outcomes): number {
  return Math.ceil(share * (reached + 1) / (reached + failed + 1))
}

