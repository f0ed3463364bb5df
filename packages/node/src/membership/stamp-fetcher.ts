/**
 * Missing ring members' stamps fetched at once: when a ring names members the directory does not know
 * (the envelope is kept meanwhile, AwaitingStamps), a directory sync session with the peer that sent the
 * ring asks for their stamps now, instead of at the next anti-entropy round. When that peer does not bring
 * them (it withholds, stalls, answers junk, or never had them), the next connected peer of the directory
 * topic is asked, up to a few per stamp: one peer cannot keep a node from taking valid votes and posts.
 */
import { acceptedStampWeeks, directoryItemId, toHex } from '@murmur/protocol'
import { Recent } from '../recent.js'
import { STAMP_FETCH_CONCURRENCY, STAMP_FETCH_INTERVAL, STAMP_FETCH_PATIENCE, STAMP_FETCH_PENDING, STAMP_FETCH_SOURCES } from './constants.js'
import type { Logger } from '@libp2p/interface'

/** What {@link StampFetcher} needs from the node. */
export interface StampFetcherComponents {
  /**
   * Runs a directory sync session with `peer` now (HistorySync.maybeSyncWith on DIRECTORY_TOPIC, no
   * cooldown: the fetcher paces each peer itself); it asks for the ids queued for that peer
   * (MemberDirectory.wanted). Resolves when the session ended, was skipped or failed.
   */
  sync(peer: string): Promise<unknown>
  /** At most `count` connected peers of the directory topic to ask next, best first (HistorySync.peersFor: by address group, chosen peers first). */
  peers(count: number): string[]
  /** Whether the directory holds a stamp of `memberKey` accepted at `created` now (MemberDirectory.stamped). */
  stamped(memberKey: Uint8Array, created: number): boolean
  /** Queues `ids` to ask of `peer` in its next directory sync session (MemberDirectory.ask). */
  ask(peer: string, ids: Uint8Array[]): void
  log: Logger
}

/** Limits of {@link StampFetcher}; every field has a documented default in ./constants.ts. */
export interface StampFetcherInit {
  /** @default STAMP_FETCH_SOURCES (3) */
  sources?: number
  /** @default STAMP_FETCH_CONCURRENCY (2) */
  concurrency?: number
  /** @default STAMP_FETCH_INTERVAL (5 s) */
  interval?: number
  /** @default STAMP_FETCH_PATIENCE (5 s) */
  patience?: number
  /** @default STAMP_FETCH_PENDING (256) */
  pending?: number
}

/** A member's stamp being fetched, one accepted at `created`: the peers asked for it so far and the one asked now. */
interface Pending {
  memberKey: Uint8Array
  created: number
  tried: Set<string>
  asked: string
}

/**
 * Fetches the stamps a ring is missing: a directory sync session with the peer that sent the ring, then
 * with other peers of the directory topic while the stamps are still missing (each member's stamp asked of
 * at most `sources` peers, each peer synced at most once per `interval`, at most `concurrency` sessions
 * waited on at once, at most `pending` members' stamps fetched at once; beyond that anti-entropy and gossip
 * still bring them).
 *
 * @example
 * ```ts
 * const fetcher = new StampFetcher({ sync: (peer) => sync.maybeSyncWith(peerOf(peer), DIRECTORY_TOPIC, 0), peers, holds, ask, log })
 * directory.addEventListener('stamps-wanted', (evt) => { fetcher.wanted(evt.detail) })
 * directory.addEventListener('stamp-added', (evt) => { fetcher.arrived(evt.detail.memberKey) })
 * ```
 */
export class StampFetcher {
  private readonly components: StampFetcherComponents
  private readonly sources: number
  private readonly concurrency: number
  private readonly interval: number
  private readonly patience: number
  private readonly limit: number
  private readonly pending = new Map<string, Pending>()
  /** Peers to sync with, in order, each once. */
  private readonly queue = new Set<string>()
  /** When each peer was last synced for stamps (ms). */
  private readonly lastFetch: Recent<number>
  private running = 0
  private timer?: ReturnType<typeof setTimeout>
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private stopped = false

  constructor (components: StampFetcherComponents, init: StampFetcherInit = {}) {
    this.components = components
    this.sources = init.sources ?? STAMP_FETCH_SOURCES
    this.concurrency = init.concurrency ?? STAMP_FETCH_CONCURRENCY
    this.interval = init.interval ?? STAMP_FETCH_INTERVAL
    this.patience = init.patience ?? STAMP_FETCH_PATIENCE
    this.limit = init.pending ?? STAMP_FETCH_PENDING
    this.lastFetch = new Recent(this.limit)
  }

  /**
   * `peer` sent a ring naming `members` the directory does not know, and their stamps were queued to ask of
   * it (the directory's 'stamps-wanted' event): sync with it soon.
   */
  wanted ({ peer, created, members }: { peer: string, created: number, members: Uint8Array[] }): void {
    if (this.stopped) return
    let added = false
    for (const memberKey of members) {
      const hex = toHex(memberKey)
      if (this.pending.has(hex) || this.pending.size >= this.limit) continue
      this.pending.set(hex, { memberKey, created, tried: new Set([peer]), asked: peer })
      added = true
    }
    if (added) this.enqueue(peer)
  }

  /** A stamp of `memberKey` arrived (any path): it is no longer fetched. */
  arrived (memberKey: Uint8Array): void {
    this.pending.delete(toHex(memberKey))
  }

  /** Stamps being fetched now. */
  get size (): number {
    return this.pending.size
  }

  /** Stops fetching: no session starts after this (those under way end within their own timeouts). */
  stop (): void {
    this.stopped = true
    clearTimeout(this.timer)
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    this.queue.clear()
    this.pending.clear()
  }

  private enqueue (peer: string): void {
    this.queue.add(peer)
    // a turn later: the envelope whose ring wants these stamps is kept first
    queueMicrotask(() => { this.pump() })
  }

  /** Starts sessions with queued peers whose turn has come, as far as the concurrency allows; waits for the next turn otherwise. */
  private pump (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.stopped) return
    const now = Date.now()
    let nextTurn = Infinity
    for (const peer of this.queue) {
      if (this.running >= this.concurrency) return
      const turn = (this.lastFetch.get(peer) ?? -Infinity) + this.interval
      if (turn > now) {
        nextTurn = Math.min(nextTurn, turn)
        continue
      }
      this.queue.delete(peer)
      this.lastFetch.set(peer, now)
      this.running++
      void this.session(peer)
    }
    if (nextTurn < Infinity) this.timer = setTimeout(() => { this.pump() }, nextTurn - now)
  }

  /** One session with `peer`, waited on for at most `patience` (a stalling peer does not hold the turn of the next). */
  private async session (peer: string): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const patience = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.patience)
      this.timers.add(timer)
    })
    try {
      await Promise.race([this.components.sync(peer).catch((err: unknown) => { this.components.log('a stamp fetch failed - %e', err) }), patience])
    } finally {
      clearTimeout(timer)
      this.timers.delete(timer!)
      this.running--
      this.next(peer)
      this.pump()
    }
  }

  /** After a session with `peer`: the stamps it was asked for and did not bring are asked of the next peer, or given up. */
  private next (peer: string): void {
    if (this.stopped) return
    const { stamped, peers, ask } = this.components
    const byPeer = new Map<string, Uint8Array[]>()
    let candidates: string[] | undefined
    for (const [hex, pending] of this.pending) {
      if (pending.asked !== peer) continue
      if (stamped(pending.memberKey, pending.created)) {
        this.pending.delete(hex)
        continue
      }
      // one more than a stamp is ever asked of: an untried peer is among them whenever one is connected
      candidates ??= peers(this.sources + 1)
      const other = pending.tried.size < this.sources ? candidates.find((p) => !pending.tried.has(p)) : undefined
      if (other === undefined) {
        // anti-entropy and gossip may still bring it; the envelopes waiting for it stay within their bounds
        this.pending.delete(hex)
        continue
      }
      pending.tried.add(other)
      pending.asked = other
      byPeer.set(other, [...byPeer.get(other) ?? [], ...itemIds(pending)])
    }
    for (const [other, ids] of byPeer) {
      ask(other, ids)
      this.queue.add(other)
    }
    if (byPeer.size > 0) this.components.log('missing stamps not brought by a peer asked of %d other peers', byPeer.size)
  }
}

/** The item ids of the stamps of a pending member that its ring can use: one per week accepted at its `created`. */
function itemIds ({ memberKey, created }: Pending): Uint8Array[] {
  try {
    return acceptedStampWeeks(created).map((week) => directoryItemId({ memberKey, week }))
  } catch {
    return []
  }
}
