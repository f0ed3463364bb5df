/**
 * The member directory's public shapes: what it makes of an announcement (verdicts and their codes), how
 * an announcement or a ring reaches it, its options, events and interface. The implementation is
 * directory.ts.
 */
import type { EvaluationAdmissionInit } from './admission.js'
import type { MemberDatabase } from './storage.js'
import type { WantedStampsInit } from './wanted.js'
import type { Logger, TypedEventTarget } from '@libp2p/interface'
import type { RingMembership, Stamp, StampErrorCode, StampVerification, SyncItem, VerifyStampOptions } from '@murmur/protocol'

/** Stable codes of a directory verdict: the stamp codes, and the directory's own. */
export type DirectoryCode = StampErrorCode
  /** The directory holds this key's stamp for this week already: no evaluation spent. */
  | 'ERR_DUPLICATE'
  /** Over a per-peer or overall evaluation limit of the live paths: not evaluated; it may come again (by sync). */
  | 'ERR_RATE_LIMITED'
  /** The sender sent an invalid announcement before: nothing of it is evaluated any more. */
  | 'ERR_SENDER_CUT_OFF'
  /** The verifier (the verification pool) could not evaluate it now: overloaded, stopped or crashed. */
  | 'ERR_VERIFIER_UNAVAILABLE'

/** What the directory made of an announcement; `action` is what gossipsub does with it. */
export type DirectoryVerdict =
  | { action: 'accept', id: Uint8Array, stamp: Stamp }
  | { action: 'ignore' | 'reject', code: DirectoryCode, reason: string }

/**
 * How an announcement came: 'live' (gossip: stamps accepted now), 'stem' (a stem hop: judged like gossip
 * but not kept, so that the gossip copy is still accepted and forwarded by this node, at no second
 * evaluation), or 'sync' (history sync: stamps still kept).
 */
export type AnnouncementPath = 'live' | 'stem' | 'sync'

/** Options of {@link MemberDirectory.receive}. */
export interface ReceiveOptions {
  /** The peer that delivered it (gossip: the propagation source); none for the node's own. */
  from?: string
  /**
   * The address group `from` connects from (sender-groups): the live paths' evaluation limits, the queue
   * and the strike for an invalid announcement count by it, so throwaway PeerIds from one address share
   * one budget and one strike. @default from
   */
  group?: string
  /** @default 'live' */
  path?: AnnouncementPath
}

/** Options of {@link MemberDirectory.checkRing}. */
export interface CheckRingOptions {
  /** The post's or vote's `created` (unix seconds): members need a stamp accepted then. */
  created: number
  /** The peer that sent it: the missing members' stamps are asked of it. */
  from?: string
  /** @default the directory's minRingSize */
  minRingSize?: number
  /**
   * Stamps known to be valid besides those held: the node's own member, whose stamp stays out of the
   * directory until a copy comes back (vouch). @default none
   */
  alsoStamped?: (memberKey: Uint8Array, week: number) => boolean
}

/**
 * Checks a decoded stamp as protocol verifyStamp does: that function on this thread, or the verification
 * pool's verifyStamp (a worker). One call is one Argon2id evaluation at most.
 */
export type StampVerifier = (stamp: Stamp, options: VerifyStampOptions) => StampVerification | Promise<StampVerification>

/** Options of {@link openMemberDirectory}. */
export interface MemberDirectoryInit extends EvaluationAdmissionInit, WantedStampsInit {
  /** The node's database; the directory keeps its items in the DIRECTORY_SUBLEVEL sublevel. */
  db: MemberDatabase
  /** Stamp difficulty in leading zero bits (smaller in tests). @default STAMP_BITS */
  bits?: number
  /** Unix seconds now. @default () => Math.floor(Date.now() / 1000) */
  clock?: () => number
  /** Evaluates a stamp: pass the verification pool's verifyStamp to keep Argon2id off the event loop. @default verifyStamp */
  verify?: StampVerifier
  /** Told of every invalid announcement's sender: the node cuts it off (its shared per-peer tracker). */
  onInvalid?: (peer: string) => void
  /** Smallest ring asked for while the directory holds that many members. @default MIN_MEMBER_RING */
  minRingSize?: number
  /** Invalid announcements remembered by their bytes. @default DIRECTORY_INVALID_CACHE */
  invalidCacheSize?: number
  /** Where it logs (a node passes a scope of its components' logger). @default logger('murmur:membership:directory') */
  log?: Logger
}

/** What a 'stamps-wanted' event says: who sent a ring naming unknown members, at which `created`, and who they are. */
export interface StampsWanted {
  peer: string
  /** The ring's envelope's `created` (unix seconds): a stamp accepted then is what it needs. */
  created: number
  /** The ring's members without a stamp here. */
  members: Uint8Array[]
}

/** Events of the {@link MemberDirectory}. */
export interface MemberDirectoryEvents {
  /**
   * A stamp was verified and is held now (from gossip, the stem's gossip copy, sync, or an own stamp coming
   * back): rings naming its member may pass now. Not fired for what an earlier run verified (loaded at open).
   */
  'stamp-added': CustomEvent<Stamp>
  /**
   * A ring named members the directory does not know, and their stamps' item ids were queued to ask of the
   * peer that sent it (within its fetch budget): a node syncs the directory with that peer now (StampFetcher).
   */
  'stamps-wanted': CustomEvent<StampsWanted>
}

/** The member directory of a node. */
export interface MemberDirectory extends TypedEventTarget<MemberDirectoryEvents> {
  /**
   * Takes an announcement (an encoded stamp) from gossip, the stem or sync: cheap checks first, a known
   * item or known-invalid bytes cost nothing, and at most one stamp evaluation, within the limits.
   */
  receive: (bytes: Uint8Array, options?: ReceiveOptions) => Promise<DirectoryVerdict>
  /** Whether a verified stamp of `memberKey` for `week` is held. */
  has: (memberKey: Uint8Array, week: number) => boolean
  /** How many members hold a stamp accepted at `created` (counted up to `atMost`). */
  size: (created: number, atMost?: number) => number
  /** The membership rule for a ring (protocol checkRingMembers); unknown members are queued to fetch from `from`. Never evaluates. */
  checkRing: (ring: Uint8Array[], options: CheckRingOptions) => RingMembership
  /** Item ids to ask `peer` for (missing ring members' stamps), each handed out once. */
  wanted: (peer: string) => Uint8Array[]
  /** Queues item ids to ask `peer` for on this node's own account (the peer that sent their ring did not bring them). */
  ask: (peer: string, ids: Uint8Array[]) => void
  /** Whether a stamp of `memberKey` accepted at `created` is held. */
  stamped: (memberKey: Uint8Array, created: number) => boolean
  /** Member keys holding a stamp for `week`, in no particular order. */
  members: (week: number) => Uint8Array[]
  /** The held items an honest receiver keeps whatever its clock within the tolerated skew, for the directory's sync (`window: 'retain'`). */
  items: () => SyncItem[]
  /** The encoded stamp of an item, to answer a sync `need`; undefined when `items` leaves it out. */
  get: (id: Uint8Array) => Uint8Array | undefined
  /** Drops the items no longer kept (stampRetainedUntil) from memory and the database. */
  prune: () => Promise<void>
  /**
   * Keeps a held item out of sync (items, get): an own stamp the network may not hold yet, which only its
   * owner could hand out. Its copy coming back from a peer (sync asks for it like any missing item) shows it is out.
   */
  withhold: (id: Uint8Array) => void
  /** Serves a withheld item to sync again. */
  disclose: (id: Uint8Array) => void
  /**
   * Takes an own stamp as valid without holding it: it stays out of the directory until a copy comes (gossip,
   * stem or sync), which is then judged as a stem hop's would be (accepted, kept unless by stem) — a bounced
   * copy must not tell the owner from a relay. The owner counts its own member from its own state meanwhile.
   */
  vouch: (bytes: Uint8Array) => void
  /** Stamp evaluations done since the directory was opened. */
  readonly evaluations: number
}
