/**
 * How this node's member signs: the ring auth of its votes and posts in public channels, once its stamp is
 * out there (came back from another node; until then no other directory holds it). A vote gets a
 * fresh ring each time (votes are never linked to the voter's thread pseudonym); a post or reply reuses
 * the ring its author used in that thread (ring-book.ts), so intersecting its rings reveals no more than
 * one ring; a post's slot numbers, and a vote's budget number, are counted on disk before it is built
 * (post-counters.ts). Decoys come
 * from the member directory (decoys.ts), the ring is MIN_MEMBER_RING members, or smaller only while the
 * directory is smaller.
 */
import { CREATED_GRANULARITY, MIN_MEMBER_RING, acceptedStampWeeks, linkTag, toHex, voteScope, weekOf } from '@murmur/protocol'
import { NoDecoysError, StampNotReadyError } from '../errors.js'
import { chooseRing, tenures } from './decoys.js'
import type { DecoyCandidate } from './decoys.js'
import type { MemberDirectory } from './directory.js'
import type { MemberState } from './member-state.js'
import type { PostCounters } from './post-counters.js'
import type { RingBook } from './ring-book.js'
import type { RandomSource, RingAuthOptions, RingLimits, RingLink } from '@murmur/protocol'

/** What {@link createRingSigner} needs. */
export interface RingSignerInit extends RingLimits {
  /** The member key and its stamps. */
  state: MemberState
  /** Where decoys come from. */
  directory: Pick<MemberDirectory, 'members'>
  /** The ring of each thread the member wrote in. */
  rings: RingBook
  /** The member's post counters per channel, hour and week, and vote counters per channel and week. */
  counters: PostCounters
  /** Unix seconds when the stamp being minted is expected, when known (StampNotReadyError.readyAt). @default never known */
  readyAt?: () => number | undefined
  /** Ring size asked for. @default MIN_MEMBER_RING */
  ringSize?: number
  /** Random bytes for the decoys (tests). @default crypto.getRandomValues */
  random?: RandomSource
}

/** Ring auth for this node's member. */
export interface RingSigner {
  /**
   * Whether the member holds a stamp accepted at `created` (unix seconds) that is out there (MemberState.isOut:
   * a copy came back from another node), so that other directories hold it too.
   */
  stamped: (created: number) => boolean
  /**
   * The ring auth of a vote (`vote` +1 or −1, which have separate budgets) in the channel of `topic` created
   * at `created`, over a fresh ring, its budget sequence number counted (on disk) once this resolves. Throws
   * StampNotReadyError without a stamp accepted then, NoDecoysError when the directory holds no other
   * member, RateLimitError (ERR_RATE_LIMITED) when the member cast its VOTE_BUDGET upvotes (DOWNVOTE_BUDGET
   * downvotes) of that week in the channel; nothing is counted then.
   */
  vote: (topic: string, created: number, vote?: 1 | -1) => Promise<RingAuthOptions>
  /** The link (scope and tag) every vote of this member on the post `parent` carries: one per member and post. */
  voteLink: (parent: Uint8Array) => RingLink
  /**
   * The ring auth of a POST (`thread` undefined) or a REPLY in the thread of root `thread`, created at
   * `created`, its sequence numbers counted (on disk) once this resolves; undefined when the member cannot
   * ring-sign it (no stamp accepted then, or no other member known): the post then goes out one-time-signed.
   * Throws RateLimitError (ERR_RATE_LIMITED) when the member made its K posts of that hour (or W of that
   * week) in the channel of `topic`.
   */
  post: (topic: string, created: number, thread?: Uint8Array) => Promise<RingAuthOptions | undefined>
  /** Records the ring a post used in its thread (of root `thread`), kept until `expires`. */
  keep: (thread: Uint8Array, ring: Uint8Array[], expires: number) => Promise<void>
}

/**
 * A ring post's `created` as the protocol builder makes it: `now` minus a uniform jitter of up to a minute,
 * on the minute grid. A ring post needs it before it is built: its sequence
 * numbers are of the hour and week it falls in.
 *
 * @example
 * ```ts
 * const created = jitteredCreated(Date.now() / 1000)
 * ```
 */
export function jitteredCreated (now: number, random: () => number = Math.random): number {
  const seconds = Math.floor(now) - Math.floor(random() * CREATED_GRANULARITY)
  return seconds - (seconds % CREATED_GRANULARITY)
}

/**
 * The ring signer of a member.
 *
 * @example
 * ```ts
 * const signer = createRingSigner({ state, directory, rings: await openRingBook({ db }), counters: await openPostCounters({ db }) })
 * const auth = await signer.vote(topic, created)
 * await buildEnvelope({ channel, kind: 'VOTE', parent, vote: 1, created, auth })
 * ```
 */
export function createRingSigner (init: RingSignerInit): RingSigner {
  const { state, directory, rings, counters } = init
  const ringSize = init.ringSize ?? MIN_MEMBER_RING
  const limits: RingLimits = { postsPerEpoch: init.postsPerEpoch, postsPerWeek: init.postsPerWeek, votesPerWeek: init.votesPerWeek, downvotesPerWeek: init.downvotesPerWeek }
  const weeks = (created: number): number[] => {
    try {
      return acceptedStampWeeks(created)
    } catch {
      return []
    }
  }
  // a stamp not known to be out there is in no other directory: every node would ignore the ring, and its
  // one key no directory knows would be its signer's
  const stamped = (created: number): boolean => weeks(created).some((week) => state.stampFor(week) !== undefined && state.isOut(week))
  /** Members with a stamp accepted at `created`, each with its longest run of stamped weeks. */
  const candidates = (created: number): DecoyCandidate[] => {
    const byKey = new Map<string, DecoyCandidate>()
    for (const week of weeks(created)) {
      for (const candidate of tenures(week, (w) => directory.members(w))) {
        const key = toHex(candidate.memberKey)
        if ((byKey.get(key)?.tenure ?? 0) < candidate.tenure) byKey.set(key, candidate)
      }
    }
    return [...byKey.values()]
  }
  /** The member's own run of consecutive stamped weeks up to the week of `created`. */
  const signerTenure = (created: number): number => {
    let tenure = 0
    for (let week = weekOf(created); week >= 0 && state.stampFor(week) !== undefined; week--) tenure++
    return Math.max(1, tenure)
  }
  /** A ring for `created`, keeping what can be kept of `previous`; undefined when no other member is known. */
  const ring = (created: number, previous?: Uint8Array[]): Uint8Array[] | undefined => {
    const signer = state.key.publicKey
    const pool = candidates(created)
    const others = pool.filter((c) => toHex(c.memberKey) !== toHex(signer)).length
    if (others === 0) return undefined
    return chooseRing({ signer, signerTenure: signerTenure(created), candidates: pool, size: Math.min(ringSize, others + 1), previous, random: init.random })
  }
  return {
    stamped,
    vote: async (topic, created, vote = 1) => {
      if (!stamped(created)) throw new StampNotReadyError(init.readyAt?.())
      const members = ring(created)
      if (members === undefined) throw new NoDecoysError()
      // counted last: a vote refused for want of a stamp or decoys spends no budget
      const sequence = { epoch: await counters.takeVote(topic, created, vote), week: 0 }
      return { kind: 'ring', ring: members, secretKey: state.key.secretKey, sequence, ...limits }
    },
    voteLink: (parent) => {
      const scope = voteScope(parent)
      return { scope, tag: linkTag(state.key.secretKey, scope) }
    },
    post: async (topic, created, thread) => {
      if (!stamped(created)) return undefined
      const members = ring(created, thread === undefined ? undefined : rings.get(thread))
      if (members === undefined) return undefined
      const sequence = await counters.take(topic, created)
      return { kind: 'ring', ring: members, secretKey: state.key.secretKey, sequence, ...limits }
    },
    keep: async (thread, members, expires) => { await rings.set(thread, members, expires) }
  }
}
