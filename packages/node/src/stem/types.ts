/**
 * The shapes around `StemRouter`: what it needs, what it reports, and its parameters (defaults in
 * `constants.ts`).
 */
import type { StemClock } from './clock.js'
import type { SendResult } from '../outbound.js'
import type { Logger } from '@libp2p/interface'

/**
 * Why a post left the stem:
 * `diffuser` — this node is a diffuser this epoch; `embargo` — its fail-safe timer fired before the post
 * came back through gossip and no untried successor (or, for a post handed on to publish, no other stem
 * peer) was left; `handoff` — a stem peer ended its stem and handed it here to publish; `loop` — it came
 * back along the stem more than `loopLimit` times, or with no untried stem peer left, and no stem peer
 * could take it to publish (or `handOff` is off); `no-route` — no successor other than the
 * sender; `no-stem-peer` — an own post found no stem peer. Own and relayed posts leave for the same reasons, except `diffuser` (relayed
 * only) and `no-stem-peer` (own only).
 */
export type FluffReason = 'diffuser' | 'embargo' | 'handoff' | 'loop' | 'no-route' | 'no-stem-peer'

/** What the router did, for logs, metrics and the simulation. */
export type StemEvent =
  | { type: 'epoch', successors: string[], diffuser: boolean }
  | { type: 'forward', id: string, to: string, own: boolean, /** marked for `to` to publish (the stem ended here) */ publish: boolean }
  | { type: 'fluff', id: string, topic: string, reason: FluffReason, own: boolean }
  /** An own post time overtook while held here (`passable` said no): `fluff` gave it up, for `error`; nothing was published. */
  | { type: 'dropped', id: string, topic: string, error: Error }

/** What `StemRouter` needs from its surroundings. */
export interface StemRouterComponents {
  /**
   * Writes a stem post to `peer`, marked for `peer` to publish when `publish` (pass it on to the peer's
   * `StemRouter.relay`). Fire and forget: report a failed write with `StemRouter.sendFailed`.
   */
  send(peer: string, topic: string, envelope: Uint8Array, id: string, publish: boolean): void
  /**
   * Publishes into gossip; `expires` (unix seconds) is known for own posts only, `group` (the sender group
   * of the peer that handed it in) for relayed ones only.
   */
  fluff(topic: string, envelope: Uint8Array, expires: number | undefined, group?: string): Promise<SendResult>
  /** Whether a fluff of `topic` can spread from here (someone subscribed); a relay forwards instead when not. */
  canFluff?(topic: string): boolean
  /** Whether a held post may still leave the node (its forward rule); one that may not is never handed on: `fluff` gets it, to keep it or give it up. @default always */
  passable?(topic: string, envelope: Uint8Array): boolean
  /**
   * Whether this node dialed `peer` by choice and holds that connection, asked whenever a peer is drawn or
   * replaced (the node: `ChosenPeers.dialed`, which gossip scoring and sync ask too): a peer whose chosen
   * connection closed while another stays open is no longer a dialed one. @default as `addPeer` reported it
   */
  dialed?(peer: string): boolean
  /** @default systemClock */
  clock?: StemClock
  /** Uniform in [0, 1). @default Math.random */
  random?(): number
  /** Called synchronously for every routing decision. */
  onEvent?(event: StemEvent): void
  /** @default logger('murmur:stem') */
  log?: Logger
}

/** Parameters of `StemRouter`; defaults in `stem/constants.ts`. */
export interface StemRouterInit {
  /**
   * Probability that the node is a diffuser for an epoch.
   *
   * @default 0.1
   */
  fluffProbability?: number
  /**
   * Successors picked per epoch.
   *
   * @default 2
   */
  successors?: number
  /**
   * Shortest epoch in ms.
   *
   * @default 600_000
   */
  epochDuration?: number
  /**
   * Uniform random extra per epoch, in ms.
   *
   * @default 60_000
   */
  epochJitter?: number
  /**
   * Longest epoch, in ms, while fewer than `successors` successors could be picked.
   *
   * @default 60_000
   */
  provisionalEpoch?: number
  /**
   * Floor of the embargo timer of every held post, own or relayed, in ms.
   *
   * @default EMBARGO_MIN (10_000)
   */
  embargoMin?: number
  /**
   * Longest a post stays in the stem here, in ms: an embargo firing later publishes it instead of handing it on.
   *
   * @default MAX_STEM_HOLD (60_000)
   */
  maxHold?: number
  /**
   * Mean of the exponential part of the embargo timer, in ms.
   *
   * @default EMBARGO_MEAN (10_000)
   */
  embargoMean?: number
  /**
   * Times a held post may come back to this node (along a cycle, or sent back by a successor) and still
   * be sent on to a stem peer it has not been through; the next copy back ends its stem here.
   * `Infinity` sends it on until no such peer is left.
   *
   * @default LOOP_LIMIT (1)
   */
  loopLimit?: number
  /**
   * Whether a post whose stem ends on a loop (see `loopLimit`) is handed, marked "publish", to another
   * stem peer, which publishes it; `false` publishes it where the loop closed (the rule before
   * `/murmur/stem/3.0.0`, kept for the simulations).
   *
   * @default HAND_OFF (true)
   */
  handOff?: boolean
  /**
   * Most relayed posts held at once; when full, the sender address group holding the most loses its oldest.
   *
   * @default MAX_HELD_POSTS (1024)
   */
  maxHeld?: number
  /**
   * How long ids of posts that left the stem are remembered, in ms.
   *
   * @default 1_800_000
   */
  rememberDone?: number
  /**
   * Shortest delay before an own post is fluffed for want of a stem peer, in ms.
   *
   * @default 500
   */
  noPeerDelayMin?: number
  /**
   * Longest such delay, in ms.
   *
   * @default 2_000
   */
  noPeerDelayMax?: number
}

