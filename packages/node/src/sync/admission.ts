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
  /** ms after which a session yields its slot to an address group that holds none, when all are taken */
  holdCap: number
}

/** A shared slot held by one session: given back with {@link ResponderSlots.leave}, or taken over. */
export interface ResponderSlot {
  readonly group: string
  readonly since: number
  /** called when another group takes the slot over: the session must end */
  readonly evict: () => void
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
 * holds more than its share, or (a group that holds none) a slot held longer than `holdCap`. So
 * sybils on a few addresses cannot keep an honest group out, whatever order they came in.
 */
export class ResponderSlots {
  private readonly init: ResponderSlotsInit
  private readonly open = new Map<string, number>()
  private readonly recent = new Map<string, number[]>()
  private readonly held = new Map<string, ResponderSlot[]>()
  private responding = 0

  constructor (init: ResponderSlotsInit) {
    this.init = init
  }

  /** Admit a new stream of `peer` unless it holds too many or opened too many this minute. */
  enter (peer: string, now: number): boolean {
    const recent = (this.recent.get(peer) ?? []).filter((t) => now - t < MINUTE)
    if ((this.open.get(peer) ?? 0) >= this.init.sessionsPerPeer || recent.length >= this.init.requestsPerMinute) return false
    recent.push(now)
    this.recent.set(peer, recent)
    this.open.set(peer, (this.open.get(peer) ?? 0) + 1)
    return true
  }

  /**
   * Take a shared slot for a session of address `group` whose first message arrived, or undefined
   * when the group is at its fair share or no slot can be taken over. `evict` ends the session if
   * another group takes its slot over later.
   */
  take (group: string, now: number, evict: () => void): ResponderSlot | undefined {
    const mine = this.held.get(group) ?? []
    const share = Math.max(1, Math.floor(this.init.maxResponding / (this.held.size + (mine.length === 0 ? 1 : 0))))
    if (mine.length >= share) return undefined
    if (this.responding >= this.init.maxResponding) {
      const victim = this.victim(share, mine.length === 0, now)
      if (victim === undefined) return undefined
      this.release(victim)
      victim.evict()
    }
    const slot: ResponderSlot = { group, since: now, evict, released: false }
    this.held.set(group, [...mine, slot])
    this.responding++
    return slot
  }

  /** Release what a stream of `peer` held: its `enter`, and its shared `slot` when it took one (unless taken over). */
  leave (peer: string, slot?: ResponderSlot): void {
    const open = (this.open.get(peer) ?? 1) - 1
    if (open > 0) this.open.set(peer, open)
    else this.open.delete(peer)
    if (slot !== undefined) this.release(slot)
  }

  /** Forget rate records older than a minute, so the maps stay as small as the live peer set. */
  prune (now: number): void {
    for (const [peer, times] of this.recent) if (times.every((t) => now - t >= MINUTE)) this.recent.delete(peer)
  }

  /** The slot a newcomer takes over: the longest-held of the largest group over `share`, else (for a group holding none) one held past the cap. */
  private victim (share: number, newcomer: boolean, now: number): ResponderSlot | undefined {
    let largest: ResponderSlot[] = []
    for (const slots of this.held.values()) {
      if (slots.length > largest.length || (slots.length === largest.length && (slots[0]?.since ?? 0) < (largest[0]?.since ?? 0))) largest = slots
    }
    const oldest = largest[0]
    if (oldest === undefined) return undefined
    if (largest.length > share) return oldest
    return newcomer && now - oldest.since >= this.init.holdCap ? oldest : undefined
  }

  private release (slot: ResponderSlot): void {
    if (slot.released) return
    slot.released = true
    const rest = (this.held.get(slot.group) ?? []).filter((s) => s !== slot)
    if (rest.length > 0) this.held.set(slot.group, rest)
    else this.held.delete(slot.group)
    this.responding--
  }
}

/**
 * The address group a connection counts against: the IPv4 address, or the IPv6 /48 (a site or
 * household holds many /64s, so a /64 is no cost to a sybil); anything else is a group of its own.
 * A relayed connection's address starts with its relay's, so the peers behind one relay share a
 * group, as a crowd behind one NAT does.
 */
export function addressGroup (addr: Multiaddr): string {
  const { address, network } = addressGroups(addr)
  return address.startsWith('ip6/') ? network : address
}
