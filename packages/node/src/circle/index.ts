/**
 * Private circles in a node (docs/PROTOCOL.md §6, docs/ANONYMITY.md "Circles"): the relay role every node
 * plays on the one shared topic CIRCLE_SHARED_TOPIC (frames checked, kept for history sync, never
 * DHT-provided, no per-circle topic anywhere), and `node.circles` for the circles this node is a member of.
 */
import { CIRCLE_SHARED_TOPIC, NEWCOMER_DELAY_SECONDS, checkCircleFrame, messageId, toHex } from '@murmur/protocol'
import { openCircleStorage } from '#platform'
import { Outbox, publishTo } from '../outbound.js'
import { openPostCounters } from '../membership/post-counters.js'
import { nextTurn } from '../next-turn.js'
import { UNKNOWN_SENDER } from '../store/index.js'
import { CIRCLE_FRAME_TTL, OWN_FRAMES } from './constants.js'
import { CirclePosts } from './circle-posts.js'
import { FrameIntake } from './frame-intake.js'
import { frameId, openFrameStore } from './frame-store.js'
import { OwnFrames } from './own-frames.js'
import { circleFrameValidator } from './relay.js'
import { CircleService } from './service.js'
import type { AtRestKeys } from '../at-rest/seal.js'
import type { CirclesInit } from './service.js'
import type { HeldCircle } from './held-circle.js'
import type { FrameSender } from './intake-places.js'
import type { InvalidMessageTracker } from '../gossip.js'
import type { MurmurEvents } from '../index.js'
import type { PostIntake, Verdict } from '../intake.js'
import type { LocalReads } from '../local-reads.js'
import type { Release, SendResult } from '../outbound.js'
import type { Stem } from '../stem/index.js'
import type { PostStore, StoreDatabase } from '../store/index.js'
import type { PostView } from '../view.js'
import type { GossipSub, TopicValidatorFn } from '@libp2p/gossipsub'
import type { Logger, PeerId } from '@libp2p/interface'
import type { PostKind, SyncItem } from '@murmur/protocol'

export type { CirclesInit } from './service.js'

/** What {@link openNodeCircles} needs from the node. */
export interface NodeCirclesComponents {
  db: StoreDatabase
  /** The node's data directory: the circles' secrets are kept in private files there. @default the database (memory) */
  dataDir?: string
  /** The data dir's at-rest keys, read once per start (MurmurConfig.atRestKeys). @default read from the data dir */
  atRestKeys?: AtRestKeys
  store: PostStore
  intake: PostIntake
  reads: Pick<LocalReads, 'get' | 'feed' | 'thread'>
  pubsub: GossipSub
  connectionCount(): number
  tracker: InvalidMessageTracker
  /** The address group of a peer (the store's and the frame store's quota count by it). */
  senderGroup(peer: PeerId): string | undefined
  /**
   * A peer's standing within its address group for the frame intake's places (history sync's rank: stalled
   * lately 0, dialed by this node 2, else 1). @default 1
   */
  rank?(peer: PeerId): number
  /** A frame `peer` sent was Ignored for want of a place in the frame intake: sync with it. @default nothing */
  refused?(peer: PeerId): void
  powBits: Record<PostKind, number>
  /**
   * The stem own frames leave through, as own posts do (a frame's first gossip sender is then not its
   * author's node); undefined: own frames are published into gossip directly.
   */
  stem?: Pick<Stem, 'send' | 'seen' | 'resume'>
  /** Unix milliseconds now (the node's clock). */
  clock(): number
  /** Asks peers for the shared topic's frames now. */
  syncNow(): void
  assertCanPost(signal?: AbortSignal): void
  assertRunning(): void
  /** Sends a node event: a circle's posts and rosters, and the own-post events of own circle posts. */
  dispatch<K extends 'circle-post' | 'circle-roster' | 'queued' | 'released' | 'dropped'>(type: K, detail: MurmurEvents[K]['detail']): void
  log: Logger
}

/** What history sync reconciles of the shared circle topic: every frame kept, members' or not. */
export interface CircleSync {
  /** The sync items of the frames kept. */
  items(): SyncItem[]
  /** A kept frame by id. */
  frame(id: Uint8Array): Promise<Uint8Array | undefined>
  /** Takes a frame a sync peer sent, as from gossip but with older posts accepted. */
  ingest(frame: Uint8Array, peer: PeerId): Promise<Verdict>
}

/** The circle parts of a node. */
export interface NodeCircles {
  /** `node.circles`. */
  readonly circles: CircleService
  /** The gossip validator of CIRCLE_SHARED_TOPIC. */
  readonly validator: TopicValidatorFn
  readonly sync: CircleSync
  /** Routes a stored post of a circle channel (announced by the intake) to `circle-post`. */
  announce(view: PostView): void
  /** Drops expired frames and held posts; announces old JOINs again. */
  sweep(): Promise<void>
  /** A stem hop's verdict on a frame it passes on (never kept here unless this node fluffs it). */
  judge(frame: Uint8Array): 'accept' | 'reject' | 'ignore'
  /**
   * Publishes a frame the stem leaves here (own or relayed), then takes it in as from gossip, in the places
   * of `group`: the sender group that handed a relayed frame in (@default UNKNOWN_SENDER: own frames).
   */
  fluff(frame: Uint8Array, expires: number | undefined, group?: string): Promise<SendResult>
  /** Stops the outboxes (own frames not out yet stay on disk for the next start) and the scans of kept frames. */
  stop(): void
}

/**
 * Opens the circle parts of a node: the frame store and the circles kept in `db`, the outbox of own frames
 * (those an earlier run left queued sent again),
 * the validator of the shared topic and what history sync needs.
 *
 * @example
 * ```ts
 * const circles = await openNodeCircles(components, { newcomerDelay: 0 })
 * pubsub.topicValidators.set(CIRCLE_SHARED_TOPIC, circles.validator)
 * pubsub.subscribe(CIRCLE_SHARED_TOPIC)
 * ```
 */
export async function openNodeCircles (components: NodeCirclesComponents, init: CirclesInit = {}): Promise<NodeCircles> {
  const { db, store, intake, reads, pubsub, log } = components
  const now = (): number => components.clock() / 1000
  const newcomerDelay = init.newcomerDelay ?? NEWCOMER_DELAY_SECONDS
  const frames = await openFrameStore({ db, now: () => Math.floor(now()) })
  const states = await openCircleStorage(components.dataDir, db, () => { log.error('a circle record does not decode and is skipped') }, components.atRestKeys)
  const { stem } = components
  const direct = new Outbox({ pubsub, connectionCount: components.connectionCount, release: publishTo(pubsub), log: log.newScope('outbound') })
  // own frames into the stem, or straight into gossip; either way kept for sync only once they are out
  // there (served before, a frame would name this node its author): back through gossip, or fluffed here
  const release: Release = stem === undefined
    ? async (topic, frame, expires) => {
      const sent = await publishTo(pubsub)(topic, frame, expires)
      if (sent !== undefined) await frames.put(frame, OWN_FRAMES)
      return sent
    }
    : async (topic, frame, expires) => await stem.send(topic, frame, expires)
  const own = await OwnFrames.open(db, Math.floor(now()))
  // an own post's frame leaves as it may now (a vote signed again, a stale post given up: see CirclePosts.current)
  const ownRelease: Release = async (topic, queued, expires) => {
    const pending = own.get(queued)
    if (pending === undefined) return await release(topic, queued, expires)
    const frame = await posts.current(service.circles(), pending.frame)
    if (frame !== pending.frame) await own.replace(queued, { ...pending, frame })
    return await release(topic, frame, expires)
  }
  // the own-post events of a circle's posts name the post's id (what circles.post returned), as a channel's do;
  // a frame handed to the stem is kept (marked) until it is out, one published or given up is done
  const ownEvent = async (queued: Uint8Array, event: (id: string) => void, step?: 'sent' | 'done'): Promise<void> => {
    const pending = own.get(queued)
    if (pending === undefined) return
    if (step === 'sent') await own.sent(queued)
    if (step === 'done') await own.done(queued)
    event(toHex(pending.postId))
  }
  const failed = (err: unknown): void => { log.error('could not record an own circle frame - %e', err) }
  const out = (frame: Uint8Array, id?: Uint8Array): void => { own.done(frame, id).catch(failed) }
  const outbox = new Outbox({
    pubsub,
    connectionCount: components.connectionCount,
    release: ownRelease,
    onQueued: (_topic, frame, reason) => { ownEvent(frame, (id) => { components.dispatch('queued', { id, reason }) }).catch(failed) },
    onReleased: (_topic, frame) => { ownEvent(frame, (id) => { components.dispatch('released', { id }) }, stem === undefined ? 'done' : 'sent').catch(failed) },
    onDropped: (_topic, frame, reason, error) => {
      ownEvent(frame, (id) => { components.dispatch('dropped', error === undefined ? { id, reason } : { id, reason, error }) }, 'done').catch(failed)
    },
    log: log.newScope('outbound')
  })
  const send = async (frame: Uint8Array, expires: number): Promise<SendResult> => await outbox.send(CIRCLE_SHARED_TOPIC, frame, expires)
  // kept on disk before it is sent: a restart while it waits sends it then
  const sendOwn = async (frame: Uint8Array, expires: number, postId: Uint8Array): Promise<SendResult> => {
    await own.add({ frame, expires, postId })
    return await send(frame, expires)
  }
  const frameIntake: FrameIntake = new FrameIntake({
    frames,
    intake,
    // frames are taken only once the node has started, the service made below
    circles: (): Iterable<HeldCircle> => service.circles(),
    changed: async (circle, outcome) => { await service.changed(circle, outcome) },
    save: async (circle) => { await states.put(circle.state) },
    powBits: components.powBits,
    now,
    // the stem names a frame as it names any envelope of a topic; an own frame back through gossip is out
    seen: (frame, id) => {
      stem?.seen(messageId(CIRCLE_SHARED_TOPIC, frame))
      out(frame, id)
    },
    log: log.newScope('frames')
  })
  const posts = new CirclePosts({
    counters: await openPostCounters({ db, clock: () => Math.floor(now()) }),
    store,
    reads,
    intake,
    send: sendOwn,
    powBits: components.powBits,
    now,
    newcomerDelay
  })
  const service: CircleService = new CircleService({
    states,
    frames,
    intake: frameIntake,
    posts,
    reads,
    send,
    syncNow: components.syncNow,
    assertCanPost: components.assertCanPost,
    assertRunning: components.assertRunning,
    dispatch: components.dispatch,
    now,
    log
  }, await states.all(), { newcomerDelay })
  const circles = service
  // the kept frames a rotation's scan had not tried when the node stopped
  for (const circle of service.circles()) frameIntake.resume(circle)
  for (const pending of own.queued()) {
    // made before a restart: the outbox sends it once a peer is there, as it may leave then (ownRelease)
    send(pending.frame, pending.expires).catch((err: unknown) => { log.error('could not send an own circle frame kept from an earlier run - %e', err) })
  }
  // handed to the stem before a restart: held there again, not sent again (which would name its author);
  // its embargo gets it out if its successor swallowed it
  for (const pending of own.inStem()) stem?.resume(CIRCLE_SHARED_TOPIC, pending.frame, pending.expires)
  const groupOf = (peer: PeerId): string => components.senderGroup(peer) ?? UNKNOWN_SENDER
  // its place within its group, and the sync that brings a frame refused for want of one
  const sender = (peer: PeerId): FrameSender => ({
    peer: peer.toString(),
    rank: () => components.rank?.(peer) ?? 1,
    refused: () => { components.refused?.(peer) }
  })
  return {
    circles,
    validator: circleFrameValidator({ receive: async (frame, peer) => await frameIntake.receive(frame, groupOf(peer), 'gossip', sender(peer)), tracker: components.tracker, log }),
    sync: {
      items: () => frames.items(),
      frame: async (id) => await frames.get(id),
      ingest: async (frame, peer) => await frameIntake.receive(frame, groupOf(peer), 'sync', sender(peer))
    },
    announce: (view) => { circles.announce(view) },
    sweep: async () => { await circles.sweep() },
    judge: (frame) => {
      if (!checkCircleFrame(frame).ok) return 'reject'
      return frames.has(frameId(frame)) ? 'ignore' : 'accept'
    },
    fluff: async (frame, expires, group = UNKNOWN_SENDER) => {
      let sent: SendResult
      try {
        sent = await direct.send(CIRCLE_SHARED_TOPIC, frame, expires ?? Math.floor(now()) + CIRCLE_FRAME_TTL)
      } finally {
        // taken in a turn after the publish, own or relayed alike: kept for sync, and read when it is of this
        // node's circles (an own one is already). Taken in first, an own frame (opened, its post read) left
        // later than another circle's (fifteenth read of issue 12, High 1: a successor handing it back times that)
        await nextTurn()
        // in the places of the group that handed it in: a stem peer's junk takes its own group's share, not
        // every fluffed frame's (seventeenth read of issue 12, Medium 2)
        await frameIntake.receive(frame, group, 'stem').catch((err: unknown) => { log.error('could not keep a circle frame fluffed here - %e', err) })
      }
      // an own frame published here is out
      out(frame)
      return sent
    },
    stop: () => {
      outbox.stop()
      direct.stop()
      frameIntake.stop()
    }
  }
}
