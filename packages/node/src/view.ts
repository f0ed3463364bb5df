/**
 * Turns stored posts into the plain, JSON-friendly objects apps receive.
 */
import { equalBytes, toHex } from '@murmur/protocol'
import { threadRoot } from './store/index.js'
import type { PostEntry } from './store/index.js'

/** A post, reply or vote as an app sees it. Every id is lowercase hex. */
export interface PostView {
  /** Post id (64 hex chars). */
  id: string
  /** Channel, e.g. `#lobby`. */
  channel: string
  kind: 'POST' | 'REPLY' | 'VOTE'
  /** Text of a POST or REPLY; empty for a VOTE. */
  body: string
  /** Id of the post replied to or voted on; undefined for a POST. */
  parent?: string
  /** Id of the thread's root post; the post's own id for a POST, undefined for a VOTE. */
  root?: string
  /** +1 or -1 for a VOTE, 0 otherwise. */
  vote: number
  /**
   * Unix seconds, as claimed by the author: a whole minute, 0..119 s before the post was made (protocol
   * v2 coarsens it so that it neither times the post nor links posts by clock skew); validated to be at
   * most 120 s in the future.
   */
  created: number
  /** Unix seconds after which every node deletes the post. */
  expires: number
  /** Sum of the votes received. */
  score: number
  /** Number of replies received. */
  replies: number
  /**
   * The author's per-thread pseudonym in hex: the same for every post of that author in that thread,
   * unlinkable to any other thread. A one-time post's public key; a member's ring-signed POST's or REPLY's
   * thread tag. Undefined for ring-signed votes; a one-time vote carries a fresh key, which identifies nothing.
   */
  pseudonym?: string
  /** Whether the post was signed by the thread's author ("OP"): always true for a POST. */
  op: boolean
  /**
   * Whether a stamped member wrote it: ring-signed over stamped members (the UIs mark it "a member wrote
   * this"). False for a one-time-signed post, which every UI marks "unverified"; its votes count for nothing.
   */
  member: boolean
  /**
   * `true` on a post the vote rule hides now (members' downvotes outnumber their upvotes by the channel's
   * margin, see `voteVerdict`): feeds return such posts only when asked to include hidden ones.
   */
  hidden?: true
}

/**
 * The view of a stored entry. `rootKey` is the author key (pseudonym) of the thread's root (for REPLY "OP"
 * marks); pass undefined when the root is unknown.
 */
export function toPostView (entry: PostEntry, rootKey?: Uint8Array): PostView {
  const root = entry.kind === 'VOTE' ? undefined : threadRoot(entry)
  const op = entry.kind === 'POST' ||
    (entry.kind === 'REPLY' && entry.authorKey !== undefined && rootKey !== undefined && equalBytes(entry.authorKey, rootKey))
  const view: PostView = {
    id: toHex(entry.id),
    channel: entry.channel,
    kind: entry.kind,
    body: entry.body,
    vote: entry.vote,
    created: entry.created,
    expires: entry.expires,
    score: entry.score,
    replies: entry.replyCount,
    op,
    member: entry.tag !== undefined
  }
  if (entry.parent !== undefined) view.parent = toHex(entry.parent)
  if (root !== undefined) view.root = toHex(root)
  if (entry.authorKey !== undefined) view.pseudonym = toHex(entry.authorKey)
  if (entry.hidden === true) view.hidden = true
  return view
}
