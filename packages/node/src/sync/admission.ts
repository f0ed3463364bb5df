import { hostIp, ipGroup } from '../address-scope.js'
import { addressGroups } from '../relay-share.js'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Limits of {@link ResponderSlots}; see ./constants.ts for the defaults. */
export interface ResponderSlotsInit {
  /** concurrent streams one peer may hold, first message or not */
  sessionsPerPeer: number
  /** streams one peer may open per minute */
  requestsPerMinute: number
  /** sessions answered at once over all peers */
  maxResponding: number
  /** sessions answered besides those, only for peers this node dialed, one per address group, when the others are all refused */
  dialedReserve: number
  /**
   * Slot-time, in ms, after which an address group yields a slot to a group that holds none, when all
   * are taken: what one slot held this long from idle amounts to in the group's recent use (see
   * {@link SLOT_USE_WINDOW}), counted over all its sessions, so ending a session and opening the next
   * does not start the count again
   */
  holdCap: number
}

/**
 * Time constant, in ms, of the recent slot use of an address group: slot-time weighted by
 * `e^(-age / window)`, so a group holding one slot for good tends to a minute of use, and one idle for a
 * minute has a third of it left.
 */
export const SLOT_USE_WINDOW = 60_000

/** Recent slot use of one address group, up to date at `at`, while it holds `holding` slots. */
interface SlotUse {
  use: number
  at: number
  holding: number
}

/** A shared slot held by one session: given back with {@link ResponderSlots.leave}, or taken over. */
export interface ResponderSlot {
  readonly group: string
  readonly since: number
  /** called when another group takes the slot over: the session must end */
  readonly evict: () => void
  /** one of the slots kept for peers this node dialed (never taken over) */
  readonly reserved: boolean
  released: boolean
}

const MINUTE = 60_000

/**
 * Who may hold a responder slot. A stream is admitted in two steps: `enter` when it opens (per-peer
 * concurrency and rate only, no shared slot), `take` once its first message has arrived (a shared
 * slot, within its address group's fair share). So streams that never speak hold nothing shared.
 *
 * The fair share is `maxResponding / active groups` (at least one): a group at its share is refused,
 * and when every slot is taken a newcomer takes over the longest-held slot of the largest group that
 * holds more than its share; a group that holds none also takes over from the holder with the most
 * recent slot use ({@link SLOT_USE_WINDOW}) once that exceeds its own by one slot held `holdCap`.
 * Use is counted per group over all its sessions, so a group cannot keep its slot young by ending each
 * session just before the cap and opening the next. So sybils on a few addresses cannot keep an honest
 * group out, whatever order they came in, and sybils on more groups than slots must spread their use
 * thin enough that none stands a cap above an honest group's: about `maxResponding × window / holdCap`
 * groups (96 at the defaults). Whatever the sybils hold, a few more slots (`dialedReserve`, one per
 * group) are kept for peers this node dialed, which a sybil cannot make it do at will.
 */
export class ResponderSlots {
  private readonly init: ResponderSlotsInit
  private readonly open = new Map<string, number>()
  private readonly recent = new Map<string, number[]>()
  private readonly held = new Map<string, ResponderSlot[]>()
  /** groups holding one of the slots kept for dialed peers */
  private readonly reserve = new Set<string>()
  private readonly use = new Map<string, SlotUse>()
  private sweepAt = SWEEP_AT
  /** The use a group reaches holding one slot for `holdCap` from idle, less a millisecond for rounding: how far a holder must be ahead to yield. */
  private readonly capUse: number
  private responding = 0

  constructor (init: ResponderSlotsInit) {
    this.init = init
    this.capUse = advance({ use: 0, at: 0, holding: 1 }, init.holdCap).use - 1
  }

  /** Admit a new stream of `peer` unless it holds too many or opened too many this minute. */
  enter (peer: string, now: number): boolean {
    const recent = (this.recent.get(peer) ?? []).filter((t) => now - t < MINUTE)
    if ((this.open.get(peer) ?? 0) >= this.init.sessionsPerPeer || recent.length >= this.init.requestsPerMinute) return false
    recent.push(now)
    this.recent.set(peer, recent)
    increment(this.open, peer)
    return true
  }

  /**
   * Take a shared slot for a session of address `group` whose first message arrived, or undefined
   * when the group is at its fair share or no slot can be taken over; a session with a peer this node
   * dialed (`dialed`) then takes one of the slots kept for those if its group holds none of them.
   * `evict` ends the session if another group takes its slot over later.
   */
  take (group: string, now: number, evict: () => void, dialed = false): ResponderSlot | undefined {
    const slot = this.takeShared(group, now, evict)
    if (slot !== undefined || !dialed || this.reserve.size >= this.init.dialedReserve || this.reserve.has(group)) return slot
    this.reserve.add(group)
    return { group, since: now, evict, reserved: true, released: false }
  }

  private takeShared (group: string, now: number, evict: () => void): ResponderSlot | undefined {
    const mine = this.held.get(group) ?? []
    const share = Math.max(1, Math.floor(this.init.maxResponding / (this.held.size + (mine.length === 0 ? 1 : 0))))
    if (mine.length >= share) return undefined
    if (this.responding >= this.init.maxResponding) {
      const victim = this.victim(group, share, mine.length === 0, now)
      if (victim === undefined) return undefined
      this.release(victim, now)
      victim.evict()
    }
    const slot: ResponderSlot = { group, since: now, evict, reserved: false, released: false }
    this.held.set(group, [...mine, slot])
    this.hold(group, now, 1)
    this.responding++
    return slot
  }

  /** Release, at `now`, what a stream of `peer` held: its `enter`, and its shared `slot` when it took one (unless taken over). */
  leave (peer: string, now: number, slot?: ResponderSlot): void {
    decrement(this.open, peer)
    if (slot !== undefined) this.release(slot, now)
  }

  /** Forget rate records older than a minute and slot use worn down to nothing, so the maps stay as small as the live peer set. */
  prune (now: number): void {
    for (const [peer, times] of this.recent) if (times.every((t) => now - t >= MINUTE)) this.recent.delete(peer)
    this.forgetIdle(now)
  }

  /** Recent slot use of `group` at `now`, in ms of slot-time (see {@link SLOT_USE_WINDOW}). */
  usage (group: string, now: number): number {
    const use = this.use.get(group)
    if (use === undefined) return 0
    const current = advance(use, now)
    this.use.set(group, current)
    return current.use
  }

  /**
   * The slot `group` takes over: the longest-held of the largest group over `share`; else, for a group
   * holding none, the longest-held slot of the holder with the most recent use, when that is ahead of
   * the newcomer's by a cap's worth.
   */
  private victim (group: string, share: number, newcomer: boolean, now: number): ResponderSlot | undefined {
    let largest: ResponderSlot[] = []
    let busiest: ResponderSlot[] = []
    let busiestUse = -Infinity
    for (const [holder, slots] of this.held) {
      if (slots.length > largest.length || (slots.length === largest.length && (slots[0]?.since ?? 0) < (largest[0]?.since ?? 0))) largest = slots
      const use = this.usage(holder, now)
      if (use > busiestUse) {
        busiest = slots
        busiestUse = use
      }
    }
    if (largest.length > share) return largest[0]
    return newcomer && busiestUse - this.usage(group, now) >= this.capUse ? busiest[0] : undefined
  }

  private release (slot: ResponderSlot, now: number): void {
    if (slot.released) return
    slot.released = true
    if (slot.reserved) {
      this.reserve.delete(slot.group)
      return
    }
    const rest = (this.held.get(slot.group) ?? []).filter((s) => s !== slot)
    if (rest.length > 0) this.held.set(slot.group, rest)
    else this.held.delete(slot.group)
    this.hold(slot.group, now, -1)
    this.responding--
  }

  /** Brings `group`'s use up to `now` and changes the number of slots it holds by `change`. */
  private hold (group: string, now: number, change: number): void {
    const use = advance(this.use.get(group) ?? { use: 0, at: now, holding: 0 }, now)
    this.use.set(group, { ...use, holding: use.holding + change })
    // many addresses taking slots in turn between two prunes: the use left above FORGOTTEN_USE sums to at most maxResponding × window
    if (this.use.size > this.sweepAt) {
      this.forgetIdle(now)
      this.sweepAt = Math.max(SWEEP_AT, 2 * this.use.size)
    }
  }

  /** Forgets groups that hold nothing and whose use has worn down to nothing. */
  private forgetIdle (now: number): void {
    for (const [group, use] of this.use) if (use.holding === 0 && this.usage(group, now) < FORGOTTEN_USE) this.use.delete(group)
  }
}

/** Counts one more under `key`. */
export function increment (counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1)
}

/** Counts one less under `key`, forgetting it at none. */
export function decrement (counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1
  if (left > 0) counts.set(key, left)
  else counts.delete(key)
}

/** Use (ms of slot-time) below which a group that holds nothing is forgotten: it is as good as new. */
const FORGOTTEN_USE = 100

/** Groups with a use on record past which `take` forgets idle ones without waiting for `prune`. */
const SWEEP_AT = 1024

/**
 * `use` carried forward to `now`: holding k slots, use tends to `k × window` as
 * `du/dt = k − u / window`, solved exactly between two changes.
 */
function advance (use: SlotUse, now: number): SlotUse {
  const elapsed = Math.max(0, now - use.at)
  const limit = use.holding * SLOT_USE_WINDOW
  return { use: limit + (use.use - limit) * Math.exp(-elapsed / SLOT_USE_WINDOW), at: Math.max(now, use.at), holding: use.holding }
}

/**
 * The address group a connection counts against: the IPv4 address, or the IPv6 /48 (a site or
 * household holds many /64s, so a /64 is no cost to a sybil), an IPv6 address carrying an IPv4 one
 * (IPv4-mapped, NAT64, 6to4, Teredo's client) counting as that IPv4 address (`ipGroup`: a Teredo
 * client varying the server field, or a 6to4 router its subnets, is still one group); every DNS name
 * one group, every address naming no host one group, anything else a group of its own (`addressGroups`).
 * A relayed connection's address starts with its relay's, so the peers behind one relay share a
 * group, as a crowd behind one NAT does.
 *
 * @example
 * ```ts
 * addressGroup(multiaddr('/ip6/2001:0:4136:e378:8000:63bf:3fff:fdd2/udp/1')) // 'ip4/192.0.2.45'
 * ```
 */
export function addressGroup (addr: Multiaddr): string {
  const ip = hostIp(addr)
  return ip === undefined ? addressGroups(addr).address : ipGroup(ip)
}
