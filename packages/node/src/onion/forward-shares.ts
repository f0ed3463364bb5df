/**
 * The part of a next hop's key that this mix lets each of its own senders spend. A mix charges a packet's
 * replay tag to the address group of the hop before it (`MixKeyring`), so everything this mix forwards
 * to a next hop spends this mix's one share there, whoever sent it: an attacker who routed its own posts
 * through an honest mix spent that share alone, and the mix's honest forwards to that next hop were
 * refused until its key expired, up to an hour (sixteenth read of issue 12, Medium 1: 36 packets at
 * maxTags 64, 0 of 10 honest packets delivered). The next hop cannot tell forwarded packets from the
 * mix's own; this mix can, so it shares its part out as the next hop shares its key: by the address
 * group each packet came from (`'own'` for its own), one group at most a fair share (a half) of what
 * the others leave, over the time a next hop keeps a key's tags (two key lifetimes).
 *
 * The part counted per next hop is what the next hop leaves this mix's group once another group (the
 * attacker's own address, sending to it directly) holds its half: a quarter of a key. Senders' packets
 * through this mix past their part are refused here (`ERR_MIX_SHARE`, charged to nobody), so the mix
 * keeps its own share at the next hop for its other senders.
 */
import { fairShare } from '../relay-share.js'
import { decrement, increment } from '../sync/admission.js'
import { MAX_REPLAY_TAGS, MIX_KEY_LIFETIME, MIX_TAG_SHARE } from './constants.js'

/** A forward counted against a next hop; `refund` it when the packet never reached that hop. */
export interface ForwardCharge {
  refund(): void
}

/** Options of {@link ForwardShares}. */
export interface ForwardSharesInit {
  /** Replay tags a next hop keeps under one key (the network's `maxTags`). @default MAX_REPLAY_TAGS (65,536) */
  maxTags?: number
  /** Fraction of a key one group may spend of what others leave, at the next hop and here. @default MIX_TAG_SHARE (0.5) */
  share?: number
  /** How long forwards are counted: as long as a next hop keeps a key's tags (two key lifetimes), in ms. @default 2 × MIX_KEY_LIFETIME */
  window?: number
  /** Slices the window is counted in (a forward is forgotten one slice late at most). @default 8 */
  slices?: number
  /** The clock, in ms. @default Date.now */
  now?: () => number
}

/** Forwards to one next hop in one slice of time, by the group each came from. */
interface Slice {
  start: number
  byGroup: Map<string, number>
  total: number
}

/**
 * Forwards to each next hop, shared by the address group each packet came from.
 *
 * @example
 * ```ts
 * const shares = new ForwardShares()
 * const charge = shares.charge(next.toString(), group)
 * if (charge === undefined) return 'ERR_MIX_SHARE' // this group's part of the next hop's key is spent
 * if (!await send()) charge.refund()
 * ```
 */
export class ForwardShares {
  /** What one next hop leaves this mix's group per key, once another group holds its share. */
  private readonly part: number
  private readonly share: number
  private readonly window: number
  private readonly sliceLength: number
  private readonly now: () => number
  /** Slices of each next hop, oldest first; next hops least lately charged first. Only forwards not refunded are remembered: at most the packets the mix holds and sent within a window. */
  private readonly byNextHop = new Map<string, Slice[]>()

  constructor (init: ForwardSharesInit = {}) {
    const maxTags = init.maxTags ?? MAX_REPLAY_TAGS
    this.share = init.share ?? MIX_TAG_SHARE
    this.part = fairShare(maxTags, fairShare(maxTags, 0, this.share), this.share)
    this.window = init.window ?? 2 * MIX_KEY_LIFETIME
    this.sliceLength = this.window / (init.slices ?? 8)
    this.now = init.now ?? Date.now
  }

  /**
   * Counts a packet from address group `group` to next hop `next` (a PeerId's string), or undefined when
   * that group holds its share of this mix's part of the next hop's key.
   */
  charge (next: string, group: string): ForwardCharge | undefined {
    const now = this.now()
    this.forget(now)
    const slices = this.live(this.byNextHop.get(next) ?? [], now)
    let mine = 0
    let total = 0
    for (const slice of slices) {
      mine += slice.byGroup.get(group) ?? 0
      total += slice.total
    }
    if (mine >= fairShare(this.part, total - mine, this.share)) return undefined
    let slice = slices[slices.length - 1]
    if (slice === undefined || now - slice.start >= this.sliceLength) {
      slice = { start: now, byGroup: new Map(), total: 0 }
      slices.push(slice)
    }
    increment(slice.byGroup, group)
    slice.total++
    // moved to the end: the map runs from the next hop least lately charged
    this.byNextHop.delete(next)
    this.byNextHop.set(next, slices)
    const charged = slice
    let refunded = false
    return {
      refund: () => {
        if (refunded) return
        refunded = true
        decrement(charged.byGroup, group)
        // a next hop never reached (a packet naming hosts that do not answer) is not remembered
        if (--charged.total > 0) return
        const slices = this.byNextHop.get(next)
        const at = slices?.indexOf(charged) ?? -1
        if (at >= 0) slices!.splice(at, 1)
        if (slices?.length === 0) this.byNextHop.delete(next)
      }
    }
  }

  /** Drops the next hops whose every slice ended a window ago, least lately charged first. */
  private forget (now: number): void {
    for (const [next, slices] of this.byNextHop) {
      if (this.live(slices, now).length > 0) return
      this.byNextHop.delete(next)
    }
  }

  /** `slices` without those that ended a window ago. */
  private live (slices: Slice[], now: number): Slice[] {
    while (slices.length > 0 && now - slices[0]!.start >= this.window + this.sliceLength) slices.shift()
    return slices
  }
}
