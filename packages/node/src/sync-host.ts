/**
 * What history sync reconciles in a node: the channels it joined (posts from its store), while
 * membership is on the member directory, a pseudo-channel named by its topic (DIRECTORY_TOPIC), and the
 * frames of the shared circle topic (CIRCLE_SHARED_TOPIC), which every node keeps as a relay.
 */
import { CIRCLE_SHARED_TOPIC, DIRECTORY_TOPIC, forwardableAt } from '@murmur/protocol'
import { frameItem } from './circle/frame-store.js'
import { announcementItem } from './node-membership.js'
import { postItemOf } from './sync/index.js'
import type { CircleSync } from './circle/index.js'
import type { InvalidMessageTracker } from './gossip.js'
import type { PostIntake } from './intake.js'
import type { NodeMembership } from './node-membership.js'
import type { PostStore } from './store/index.js'
import type { SyncHost } from './sync/index.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import type { SyncItem } from '@murmur/protocol'

/** What {@link nodeSyncHost} needs from the node. */
export interface NodeSyncHostComponents {
  store: PostStore
  intake: Pick<PostIntake, 'ingest'>
  /** The membership layer, once opened; undefined while membership is off. */
  members(): NodeMembership | undefined
  /** The circle frames kept for sync, once the node's circle parts are open. @default none */
  circles?(): CircleSync | undefined
  /** The channel of a joined topic. */
  channelOf(topic: string): string | undefined
  /** Topics of the joined channels. */
  joinedTopics(): string[]
  /** The address group a delivering peer's posts are charged to in the store's quota. */
  senderGroup(peer: PeerId): string | undefined
  /** Whether this node chose and dialed `peer` (`ChosenPeers.dialed`): anti-entropy draws such peers first. */
  chosen(peer: PeerId): boolean
  tracker: InvalidMessageTracker
  pubsub: GossipSub
  /** The node's clock, unix milliseconds: a post is served only while forwardable by it. @default Date.now */
  now?(): number
}

/**
 * The node's side of history sync: each joined channel's unexpired posts, and the member directory's
 * stamps (items by member key and week, served from memory, ingested through the directory on path
 * 'sync', the ids its rings miss asked as `need`).
 *
 * @example
 * ```ts
 * const sync = new HistorySync(libp2p, nodeSyncHost({ store, intake, members: () => membership, channelOf, joinedTopics, senderGroup, tracker, pubsub }), { log })
 * ```
 */
export function nodeSyncHost (components: NodeSyncHostComponents): SyncHost {
  const { store, intake, members, tracker, pubsub } = components
  const circles = (): CircleSync | undefined => components.circles?.()
  const now = components.now ?? (() => Date.now())
  // a post too near its time limits for every peer within the clock tolerance to take is not served: the
  // peer would refuse it and charge this node (forwardableAt)
  const servable = async (id: Uint8Array): Promise<Uint8Array | undefined> => {
    const entry = await store.get(id)
    if (entry === undefined || !forwardableAt({ created: entry.created, ttl: entry.expires - entry.created }, Math.floor(now() / 1000))) return undefined
    return entry.envelope
  }
  return {
    channelOf: (topic) => isSyncedTopic(topic, components) ? components.channelOf(topic) ?? topic : undefined,
    // own posts not yet back from the network are not in the store: never listed, never served
    items: async (channel) => {
      if (channel === DIRECTORY_TOPIC) return members()?.directory.items() ?? []
      if (channel === CIRCLE_SHARED_TOPIC) return circles()?.items() ?? []
      const items: SyncItem[] = []
      for await (const item of store.ids(channel)) items.push(item)
      return items
    },
    // a responder hands out only ids of the session's own set: a directory item is never asked of the store
    envelope: async (id) => members()?.directory.get(id) ?? await circles()?.frame(id) ?? await servable(id),
    ingest: async (topic, envelope, peer) => {
      if (topic === DIRECTORY_TOPIC) return await members()?.ingest(envelope, peer) ?? 'ignore'
      if (topic === CIRCLE_SHARED_TOPIC) return await circles()?.ingest(envelope, peer) ?? 'ignore'
      return await intake.ingest(topic, envelope, components.senderGroup(peer), peer.toString())
    },
    itemOf: (topic, envelope) => {
      if (topic === DIRECTORY_TOPIC) return announcementItem(envelope)
      if (topic === CIRCLE_SHARED_TOPIC) return frameItem(envelope)
      return postItemOf(topic, envelope)
    },
    wanted: (topic, peer) => topic === DIRECTORY_TOPIC ? members()?.directory.wanted(peer.toString()) ?? [] : [],
    blocked: (peer) => tracker.isCutOff(peer.toString()),
    groupOf: (peer) => components.senderGroup(peer),
    chosen: (peer) => components.chosen(peer),
    penalise: (peer) => { tracker.penalise(peer.toString()) },
    topics: () => [
      ...components.joinedTopics(),
      ...(members() === undefined ? [] : [DIRECTORY_TOPIC]),
      ...(circles() === undefined ? [] : [CIRCLE_SHARED_TOPIC])
    ],
    members: (topic) => pubsub.getSubscribers(topic)
  }
}

/**
 * Whether history sync runs on `topic` in a node: a joined channel's, the member directory's while
 * membership is on, the shared circle topic's once the circle parts are open.
 */
export function isSyncedTopic (topic: string, components: Pick<NodeSyncHostComponents, 'members' | 'channelOf' | 'circles'>): boolean {
  if (topic === DIRECTORY_TOPIC) return components.members() !== undefined
  if (topic === CIRCLE_SHARED_TOPIC) return components.circles?.() !== undefined
  return components.channelOf(topic) !== undefined
}
