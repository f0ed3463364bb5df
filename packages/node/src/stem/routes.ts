/**
 * The routing table of one stem epoch: successors, the own route, the one-to-one map of inbound peers
 * onto successors, and the diffuser role. Held posts and timers live in the router; this only answers
 * "where does a post go".
 */
import type { StemClock } from './clock.js'

/** What {@link StemRoutes} needs: time, randomness, and a hook for every change of the table. */
export interface StemRoutesComponents {
  clock: StemClock
  random(): number
  /** Called after every change of successors or role (a new epoch, a peer replaced or added). */
  onChange(successors: readonly string[], diffuser: boolean): void
  /** Whether this node dialed `peer` by choice now (`StemRouterComponents.dialed`). @default as `addPeer` reported it */
  dialed?(peer: string): boolean
}

/** Parameters of {@link StemRoutes}, already resolved (their defaults are documented on `StemRouterInit`). */
export interface StemRoutesParams {
  fluffProbability: number
  successors: number
  epochDuration: number
  epochJitter: number
  provisionalEpoch: number
}

/**
 * Per epoch: `successors` stem successors among stem-capable peers, peers we dialed first (an attacker
 * can open many connections to us, not make us dial it); the own route among them, a dialed one
 * whenever there is one; whether this node is a diffuser. A successor that dialed us, taken for want of
 * a dialed peer, gives way to the first dialed peer that connects. Inbound peers are mapped onto
 * successors one-to-one (see {@link StemRoutes.routeFor}).
 *
 * @example
 * ```ts
 * const routes = new StemRoutes({ clock: systemClock, random: Math.random, onChange: () => {} }, init)
 * routes.addPeer('peer-a', true)
 * routes.routeFor('inbound-peer') // 'peer-a'
 * ```
 */
export class StemRoutes {
  private readonly components: StemRoutesComponents
  private readonly init: StemRoutesParams
  /** Stem-capable peers, with whether we dialed them as last seen (the truth is {@link StemRoutesComponents.dialed} when given). */
  private readonly candidates = new Map<string, boolean>()
  /** The address group of each candidate. */
  private readonly groups = new Map<string, string>()
  private current: string[] = []
  private own: string | undefined
  private readonly inbound = new Map<string, string>()
  private diffuser = false
  private epochEnd = -Infinity

  constructor (components: StemRoutesComponents, init: StemRoutesParams) {
    this.components = components
    this.init = init
  }

  /** The successors of the current epoch. */
  get successors (): readonly string[] {
    return this.current
  }

  /** The successor own posts leave through this epoch. */
  get ownRoute (): string | undefined {
    return this.own
  }

  /** Whether this node fluffs every relayed post this epoch. */
  get isDiffuser (): boolean {
    return this.diffuser
  }

  /** The successor posts from inbound peer `peer` go to this epoch, if it sent any yet. */
  routeOf (peer: string): string | undefined {
    return this.inbound.get(peer)
  }

  /**
   * The successors own posts may take: those we dialed, or every successor when we dialed none. An own
   * post goes to a successor that dialed us only as a last resort (see `StemRouter`).
   */
  get ownSuccessors (): readonly string[] {
    const dialed = this.current.filter((peer) => this.dialed(peer))
    return dialed.length > 0 ? dialed : this.current
  }

  /** Every stem-capable peer, successor or not. */
  get peers (): string[] {
    return [...this.candidates.keys()]
  }

  /**
   * A stem peer that `eligible` lets through, drawn as the successors are ({@link StemRoutes.ordered}): one
   * this node dialed whenever there is one, an address group at random first and a peer at random within
   * it; undefined when none is eligible. The later hops of a post (loops, hand-offs) are drawn so, else
   * PeerIds that dialed this node from one address weigh as many hosts (eighth read of issue 12, A-M2).
   */
  draw (eligible: (peer: string) => boolean): string | undefined {
    return this.ordered([...this.candidates.keys()].filter(eligible))[0]
  }

  /**
   * A stem peer other than `peer` for an own post to avoid as a relayed post avoids its sender: one that
   * dialed this node whenever there is one (a node is mostly the successor of peers that dialed it, as
   * successors are dialed peers first), by address group; undefined when there is none. Were it any peer
   * alike, {@link StemRoutes.draw}, which tries dialed peers first, would send an own post that avoids a
   * dialed peer to an inbound one sooner than a relayed post, and a successor bouncing it could tell.
   */
  anyPeerBut (peer: string | undefined): string | undefined {
    return this.ordered([...this.candidates.keys()].filter((candidate) => candidate !== peer), false)[0]
  }

  /** One of {@link StemRoutes.ownSuccessors}, drawn at random (undefined with no successor). */
  private anyOwnSuccessor (): string | undefined {
    const pool = this.ownSuccessors
    return pool[Math.floor(this.components.random() * pool.length)]
  }

  /**
   * A stem-capable peer connected; `outbound` when we dialed it; `group`: the address group it connects
   * from, for a peer we dialed the one we dialed (successors are drawn by group, so many PeerIds behind one
   * address weigh as one; once dialed, later reports of inbound connections keep it). @default the peer
   */
  addPeer (peer: string, outbound: boolean, group: string = peer): void {
    // libp2p reports a peer again on every identify and every further connection: once dialed, it stays so
    // (unless the node says otherwise: `dialed`)
    const seen = this.candidates.get(peer)
    const dialed = this.components.dialed?.(peer) ?? (outbound || seen === true)
    const promoted = dialed && seen !== true
    // once dialed, a peer stays grouped by the address dialed: a report of its inbound connection does not regroup it
    if (outbound || !dialed) this.groups.set(peer, group)
    this.candidates.set(peer, dialed)
    if (this.tick()) {
      return
    }
    if (this.current.includes(peer)) {
      if (promoted && this.own !== undefined && !this.dialed(this.own)) {
        this.own = this.anyOwnSuccessor()
        this.changed()
      }
      return
    }
    if (this.current.length < this.init.successors) {
      this.current.push(peer)
      this.epochEnd = Math.min(this.epochEnd, this.components.clock.now() + this.init.provisionalEpoch)
    } else {
      const index = this.current.findIndex((successor) => !this.dialed(successor))
      if (!dialed || index === -1) {
        return
      }
      this.replace(index, peer)
    }
    if (this.own === undefined || (dialed && !this.dialed(this.own))) {
      this.own = this.anyOwnSuccessor()
    }
    this.changed()
  }

  /** A stem-capable peer disconnected (or cannot take stem streams): a successor it was is replaced. */
  removePeer (peer: string): void {
    this.candidates.delete(peer)
    this.groups.delete(peer)
    this.inbound.delete(peer)
    const index = this.current.indexOf(peer)
    if (index === -1) {
      return
    }
    const replacement = this.ordered([...this.candidates.keys()].filter((p) => !this.current.includes(p)))[0]
    this.replace(index, replacement)
    if (replacement === undefined) {
      this.epochEnd = Math.min(this.epochEnd, this.components.clock.now() + this.init.provisionalEpoch)
    }
    this.changed()
  }

  /** Starts a new epoch when the current one is over; true when it did. */
  tick (): boolean {
    const now = this.components.clock.now()
    if (now < this.epochEnd) {
      return false
    }
    this.current = this.ordered([...this.candidates.keys()]).slice(0, this.init.successors)
    this.own = this.anyOwnSuccessor()
    this.diffuser = this.components.random() < this.init.fluffProbability
    this.inbound.clear()
    this.epochEnd = now + this.init.epochDuration + this.components.random() * this.init.epochJitter
    if (this.current.length < this.init.successors) {
      this.epochEnd = Math.min(this.epochEnd, now + this.init.provisionalEpoch)
    }
    this.changed()
    return true
  }

  /**
   * The successor of inbound peer `from`, mapped on first use; never `from` itself while another exists.
   * The map is one-to-one, as in Dandelion++: a new inbound peer takes a successor that the fewest
   * inbound peers map to this epoch (ties at random), so with two inbound and two outbound stem peers
   * each successor carries exactly one inbound edge. Mapping inbound peers independently at random
   * sends both to the same successor half the time; the other then carries nothing but the node's
   * own posts (when they go there), and a spy there names the author (first-spy precision 0.051 instead
   * of 0.036 at p = 0.1 in the paper's model).
   */
  routeFor (from: string): string | undefined {
    const mapped = this.inbound.get(from)
    if (mapped !== undefined && this.current.includes(mapped)) {
      return mapped
    }
    const load = new Map<string, number>()
    for (const to of this.inbound.values()) {
      load.set(to, (load.get(to) ?? 0) + 1)
    }
    const options = this.current.filter((peer) => peer !== from)
    const least = Math.min(...options.map((peer) => load.get(peer) ?? 0))
    const emptiest = options.filter((peer) => (load.get(peer) ?? 0) === least)
    const chosen = emptiest[Math.floor(this.components.random() * emptiest.length)]
    if (chosen !== undefined) {
      this.inbound.set(from, chosen)
    }
    return chosen
  }

  private dialed (peer: string): boolean {
    return this.components.dialed?.(peer) ?? this.candidates.get(peer) === true
  }

  /** Puts `replacement` (or nothing) in place of successor `index`, dropping what was mapped to the old one. */
  private replace (index: number, replacement: string | undefined): void {
    const old = this.current[index]!
    if (replacement === undefined) {
      this.current.splice(index, 1)
    } else {
      this.current[index] = replacement
    }
    for (const [from, to] of this.inbound) {
      if (to === old) {
        this.inbound.delete(from)
      }
    }
    if (this.own === old) {
      this.own = replacement !== undefined && (this.dialed(replacement) || !this.current.some((p) => this.dialed(p)))
        ? replacement
        : this.anyOwnSuccessor()
    }
  }

  /**
   * Peers we dialed first, then the others (the others first unless `dialedFirst`); within each, drawn by address group: groups in random order,
   * one peer of each in turn (a peer at random within its group), so ten PeerIds behind one address are
   * as likely to come first as one peer at another (review 4: the fallback to peers that dialed us was a
   * uniform shuffle by PeerId, and a sybil host took about half the successors).
   */
  private ordered (peers: string[], dialedFirst = true): string[] {
    // one ask per peer: `dialed` reads the node's connections (on every loop, hand-off and timer hop of a held post)
    const split: { dialed: string[], dialing: string[] } = { dialed: [], dialing: [] }
    for (const peer of peers) split[this.dialed(peer) ? 'dialed' : 'dialing'].push(peer)
    const dialed = this.byGroups(split.dialed)
    const dialing = this.byGroups(split.dialing)
    return dialedFirst ? [...dialed, ...dialing] : [...dialing, ...dialed]
  }

  /** `peers` one per group in turn, groups and peers within a group in random order. */
  private byGroups (peers: string[]): string[] {
    const byGroup = new Map<string, string[]>()
    for (const peer of peers) {
      const group = this.groups.get(peer) ?? peer
      byGroup.set(group, [...byGroup.get(group) ?? [], peer])
    }
    const groups = this.shuffle([...byGroup.values()].map((members) => this.shuffle(members)))
    const order: string[] = []
    for (let round = 0; order.length < peers.length; round++) {
      for (const members of groups) {
        if (round < members.length) order.push(members[round]!)
      }
    }
    return order
  }

  private shuffle<T> (items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.components.random() * (i + 1))
      const item = items[i]!
      items[i] = items[j]!
      items[j] = item
    }
    return items
  }

  private changed (): void {
    this.components.onChange(this.current, this.diffuser)
  }
}
