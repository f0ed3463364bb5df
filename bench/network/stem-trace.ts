/**
 * Where an own post's time goes, by events (issue 14 §3): every stem decision and every stem frame of a
 * run, recorded per post id in the one process that runs all nodes. The wrapping is the bench's own (it
 * reaches into the node's stem as the node tests do); the node logs none of this, since a post id next
 * to "own" would name its author.
 *
 * Per own post: post() called → the author's `post` event (built and recorded) → `originate` → for each
 * hop the frame's write (stream opened or reused), arrival, validation, and the router's decision
 * (forward, loop, fluff and why, embargo timer, lost successor) → first delivery beyond the author →
 * last delivery.
 */
import { decodeStemFrame } from '../../packages/node/dist/src/stem/frame.js'
import type { Murmur } from '@murmur/node'

/** One recorded event: node index, time (performance.now), post id (hex) where it has one. */
export interface TraceEvent {
  node: number
  at: number
  type: 'call' | 'returned' | 'originate' | 'forward' | 'write' | 'stream-open' | 'written' | 'write-failed' | 'arrive' | 'validated' | 'relay' | 'loop' | 'fluff' | 'embargo' | 'retry-own' | 'peer-lost' | 'delivered'
  id?: string
  /** forward: the index of the successor; fluff: the reason; validated: the verdict. */
  detail?: string | number
}

interface RouterInternals {
  components: { onEvent?: (event: { type: string, id?: string, to?: string, reason?: string, own?: boolean }) => void }
  held: { has(id: string): boolean }
  originate(topic: string, envelope: Uint8Array, id: string, expires?: number): Promise<unknown>
  relay(from: string, topic: string, envelope: Uint8Array, id: string, group?: string, publish?: boolean): void
  embargoFired(post: { id: string }): void
  retryOwn(post: { id: string }): void
  removePeer(peer: string): void
}
interface TransportInternals {
  router: RouterInternals
  components: { validate(topic: string, envelope: Uint8Array, from: unknown): Promise<string> }
  idOf(topic: string, envelope: Uint8Array): string
  streams: Map<string, unknown>
  receive(peer: unknown, group: string, bytes: Uint8Array): Promise<boolean>
  write(peer: string, topic: string, envelope: Uint8Array): Promise<void>
}

/** Records every stem event of the nodes of one run. */
export class StemTrace {
  readonly events: TraceEvent[] = []
  private readonly index = new Map<string, number>()

  /** Wraps the stem of `node` (index `i` in the run). */
  attach (i: number, node: Murmur): void {
    this.index.set(node.peerId.toString(), i)
    const stem = (node as unknown as { stem?: TransportInternals }).stem
    if (stem === undefined) throw new Error('stem-trace: the node runs without a stem')
    const router = stem.router
    const log = (type: TraceEvent['type'], id?: string, detail?: string | number): void => {
      this.events.push({ node: i, at: performance.now(), type, ...(id === undefined ? {} : { id }), ...(detail === undefined ? {} : { detail }) })
    }
    const onEvent = router.components.onEvent
    router.components.onEvent = (event) => {
      if (event.type === 'forward') log('forward', event.id, this.index.get(event.to!) ?? -1)
      if (event.type === 'fluff') log('fluff', event.id, event.reason)
      onEvent?.(event)
    }
    const originate = router.originate.bind(router)
    router.originate = async (topic, envelope, id, expires) => { log('originate', id); return originate(topic, envelope, id, expires) }
    const relay = router.relay.bind(router)
    router.relay = (from, topic, envelope, id, group, publish) => { log(router.held.has(id) ? 'loop' : 'relay', id); relay(from, topic, envelope, id, group, publish) }
    const embargoFired = router.embargoFired.bind(router)
    router.embargoFired = (post) => { if (router.held.has(post.id)) log('embargo', post.id); embargoFired(post) }
    const retryOwn = router.retryOwn.bind(router)
    router.retryOwn = (post) => { log('retry-own', post.id); retryOwn(post) }
    const removePeer = router.removePeer.bind(router)
    router.removePeer = (peer) => { log('peer-lost', undefined, this.index.get(peer) ?? -1); removePeer(peer) }
    const validate = stem.components.validate
    stem.components.validate = async (topic, envelope, from) => {
      const verdict = await validate(topic, envelope, from)
      log('validated', stem.idOf(topic, envelope), verdict)
      return verdict
    }
    const receive = stem.receive.bind(stem)
    stem.receive = async (peer, group, bytes) => {
      try {
        const { topic, envelope } = decodeStemFrame(bytes)
        log('arrive', stem.idOf(topic, envelope))
      } catch {
        // not a frame: the node penalises it, and it has no post to trace
      }
      return receive(peer, group, bytes)
    }
    const write = stem.write.bind(stem)
    stem.write = async (peer, topic, envelope) => {
      const id = stem.idOf(topic, envelope)
      if (!stem.streams.has(peer)) log('stream-open', id, this.index.get(peer) ?? -1)
      await write(peer, topic, envelope)
      log('written', id)
    }
  }

  /** Records a node-level event (the bench's post() call, the `post` event). */
  record (node: number, type: TraceEvent['type'], id?: string, at = performance.now()): void {
    this.events.push({ node, at, type, ...(id === undefined ? {} : { id }) })
  }
}

/** Where one own post's time went, in ms, and what happened to it. */
export interface PostPath {
  id: string
  author: number
  /** post() called → the author's `post` event (built, mined, recorded). */
  build: number
  /** The author's `post` event → `originate` (the outbox and the stem record). */
  queue: number
  /** `originate` → the fluff that put it into gossip. */
  stem: number
  /** The fluff → the last delivery. */
  gossip: number
  /** post() → the first node beyond the author, and → the last node. */
  first: number
  last: number
  hops: number
  loops: number
  embargoes: number
  /** Stem frames that waited for a new stream to the successor. */
  streamOpens: number
  /** Summed over the hops: frame handed to the stem → written to the stream (stream opening included). */
  write: number
  /** Written → arrived at the next node (the transport and the receiver's event loop). */
  transit: number
  /** Arrived → validated (the verify pool and its queue). */
  validate: number
  /** Validated → the next hop's frame handed over, or the fluff (the router's decision and the event loop). */
  route: number
  /** Time spent waiting for an embargo timer (from the hop before it to the timer). */
  timer: number
  fluffReason: string
  fluffNode: number
}

/** Per own post of a run: its path through the stem (posts that never left the author are skipped). */
export function paths (events: readonly TraceEvent[]): PostPath[] {
  const byId = new Map<string, TraceEvent[]>()
  for (const event of events) {
    if (event.id === undefined) continue
    byId.set(event.id, [...byId.get(event.id) ?? [], event])
  }
  const out: PostPath[] = []
  for (const [id, list] of byId) {
    list.sort((a, b) => a.at - b.at)
    const originate = list.find((e) => e.type === 'originate')
    const call = list.find((e) => e.type === 'call')
    const fluff = list.find((e) => e.type === 'fluff')
    if (originate === undefined || call === undefined || fluff === undefined) continue
    const author = originate.node
    const announced = list.find((e) => e.type === 'delivered' && e.node === author)?.at ?? originate.at
    const delivered = list.filter((e) => e.type === 'delivered' && e.node !== author).map((e) => e.at)
    if (delivered.length === 0) continue
    const path: PostPath = {
      id, author, build: announced - call.at, queue: originate.at - announced, stem: fluff.at - originate.at,
      gossip: Math.max(...delivered) - fluff.at, first: Math.min(...delivered) - call.at, last: Math.max(...delivered) - call.at,
      hops: 0, loops: 0, embargoes: 0, streamOpens: 0, write: 0, transit: 0, validate: 0, route: 0, timer: 0,
      fluffReason: String(fluff.detail), fluffNode: fluff.node
    }
    // walk the events up to the fluff; `mark` is when the post was last handed on at some node
    let mark = originate.at
    for (const e of list) {
      if (e.at > fluff.at) break
      switch (e.type) {
        case 'forward': path.hops++; path.route += e.at - mark; mark = e.at; break
        case 'stream-open': path.streamOpens++; break
        case 'written': path.write += e.at - mark; mark = e.at; break
        case 'arrive': path.transit += e.at - mark; mark = e.at; break
        case 'validated': path.validate += e.at - mark; mark = e.at; break
        case 'loop': path.loops++; break
        case 'embargo': path.embargoes++; path.timer += e.at - mark; mark = e.at; break
        case 'fluff': path.route += e.at - mark; mark = e.at; break
        default: break
      }
    }
    out.push(path)
  }
  return out
}

/** The segments of a post's time that {@link dominantCause} compares. */
const CAUSES = ['build', 'queue', 'write', 'transit', 'validate', 'route', 'timer', 'gossip'] as const
type Cause = typeof CAUSES[number]

/** The segment that took the largest part of a post's time to its last node. */
export function dominantCause (path: PostPath): Cause {
  return CAUSES.reduce((best, cause) => path[cause] > path[best] ? cause : best, CAUSES[0])
}

/** What a run's own posts spent their time on: quantiles, fluff reasons, and the slow posts' causes. */
export function summarisePaths (all: readonly PostPath[], quantile: (values: number[], q: number) => number): Record<string, unknown> {
  const q = (pick: (p: PostPath) => number): { p50: number, p90: number, p99: number, max: number } => {
    const values = all.map(pick)
    return { p50: quantile(values, 0.5), p90: quantile(values, 0.9), p99: quantile(values, 0.99), max: Math.max(...values) }
  }
  const count = <K extends string>(keys: K[]): Record<K, number> => {
    const counts = {} as Record<K, number>
    for (const key of keys) counts[key] = (counts[key] ?? 0) + 1
    return counts
  }
  // slow: the slowest tenth by time to the last node
  const cut = quantile(all.map((p) => p.last), 0.9)
  const slow = all.filter((p) => p.last >= cut)
  const perHop = (pick: (p: PostPath) => number): number => all.reduce((s, p) => s + pick(p), 0) / Math.max(1, all.reduce((s, p) => s + p.hops, 0))
  return {
    posts: all.length,
    ms: Object.fromEntries(['first', 'last', 'build', 'queue', 'stem', 'gossip', 'write', 'transit', 'validate', 'route', 'timer'].map((k) => [k, q((p) => p[k as keyof PostPath] as number)])),
    hops: q((p) => p.hops),
    msPerHop: { write: perHop((p) => p.write), transit: perHop((p) => p.transit), validate: perHop((p) => p.validate), route: perHop((p) => p.route) },
    loops: all.reduce((s, p) => s + p.loops, 0),
    embargoes: all.reduce((s, p) => s + p.embargoes, 0),
    streamOpens: all.reduce((s, p) => s + p.streamOpens, 0),
    fluffReasons: count(all.map((p) => p.fluffReason)),
    fluffAtAuthor: all.filter((p) => p.fluffNode === p.author).length,
    slow: { lastAtLeastMs: cut, posts: slow.length, causes: count(slow.map(dominantCause)), hops: slow.map((p) => p.hops), streamOpens: slow.reduce((s, p) => s + p.streamOpens, 0) },
    causes: count(all.map(dominantCause))
  }
}
