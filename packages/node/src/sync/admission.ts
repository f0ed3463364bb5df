import type { Multiaddr } from '@multiformats/multiaddr'

/** Limits of {@link ResponderSlots}; see ./constants.ts for the defaults. */
export interface ResponderSlotsInit {
  /** concurrent streams one peer may hold, first message or not */
  sessionsPerPeer: number
  /** streams one peer may open per minute */
  requestsPerMinute: number
  /** sessions answered at once over all peers */
  maxResponding: number
  /** slots one address group may hold once half of `maxResponding` are taken */
  perAddress: number
}

const MINUTE = 60_000

/**
 * Who may hold a responder slot. A stream is admitted in two steps: `enter` when it opens (per-peer
 * concurrency and rate only, no shared slot), `take` once its first message has arrived (a shared
 * slot, within its address group's fair share). So streams that never speak hold nothing shared,
 * and sybils on one host can take at most half the slots, plus `perAddress` more.
 */
export class ResponderSlots {
  private readonly init: ResponderSlotsInit
  private readonly open = new Map<string, number>()
  private readonly recent = new Map<string, number[]>()
  private readonly groups = new Map<string, number>()
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

  /** Take a shared slot for a stream of address `group` whose first message arrived. */
  take (group: string): boolean {
    const held = this.groups.get(group) ?? 0
    if (this.responding >= this.init.maxResponding) return false
    if (held >= this.init.perAddress && this.responding >= this.init.maxResponding / 2) return false
    this.groups.set(group, held + 1)
    this.responding++
    return true
  }

  /** Release what a stream of `peer` held: its `enter`, and its `take` when `group` is given. */
  leave (peer: string, group?: string): void {
    const open = (this.open.get(peer) ?? 1) - 1
    if (open > 0) this.open.set(peer, open)
    else this.open.delete(peer)
    if (group === undefined) return
    const held = (this.groups.get(group) ?? 1) - 1
    if (held > 0) this.groups.set(group, held)
    else this.groups.delete(group)
    this.responding--
  }

  /** Forget rate records older than a minute, so the maps stay as small as the live peer set. */
  prune (now: number): void {
    for (const [peer, times] of this.recent) if (times.every((t) => now - t >= MINUTE)) this.recent.delete(peer)
  }
}

/**
 * The address group a connection counts against: `ip4/<address>`, `ip6/<first 64 bits>`, or the
 * whole first component otherwise. A relayed connection's address starts with its relay's, so the
 * peers behind one relay share a group, as a crowd behind one NAT does.
 */
export function addressGroup (addr: Multiaddr): string {
  const text = addr.toString()
  const match = /^\/(ip4|ip6|dns4|dns6|dns)\/([^/]+)/.exec(text)
  if (match === null) return text.split('/').slice(0, 3).join('/')
  const [, family, host] = match
  if (family !== 'ip6' || host === undefined) return `${family}/${host}`
  return `ip6/${expandIp6(host).slice(0, 4).join(':')}`
}

/** The eight 16-bit groups of an IPv6 address, `::` expanded (an embedded IPv4 tail is kept as text). */
function expandIp6 (host: string): string[] {
  const [head = '', tail] = host.toLowerCase().split('::')
  const left = head === '' ? [] : head.split(':')
  if (tail === undefined) return left
  const right = tail === '' ? [] : tail.split(':')
  return [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
}
