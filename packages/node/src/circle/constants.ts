/**
 * Defaults of a node's circle service (docs/PROTOCOL.md §6.8 holds the protocol's own parameters).
 */
import { MAX_CIRCLE_MEMBERS, MAX_TTL } from '@murmur/protocol'

/** Seconds an invite stays usable unless the inviter says otherwise. @default 604800 (7 days) */
export const CIRCLE_INVITE_EXPIRES = 604_800

/**
 * Seconds a frame is kept for history sync after it arrived: a relay cannot read a frame's inner `ttl`, so
 * it keeps every frame as long as the longest post lives (§6.3). @default MAX_TTL (604800)
 */
export const CIRCLE_FRAME_TTL = MAX_TTL

/**
 * Most bytes of frames kept for history sync. Past it the oldest frame of the sender group holding the most
 * bytes goes first, so that a flood from one group (a frame costs only 12 bits of proof of work) evicts its
 * own frames, not the frames of everyone else. @default 64 MiB
 */
export const CIRCLE_FRAMES_MAX_BYTES = 64 * 1024 * 1024

/**
 * Seconds of arrival whose frames share the frame store's budget (CIRCLE_FRAMES_MAX_BYTES) together: a full
 * store gives up the newest frames of the span holding the most bytes (by sender group within it), so a
 * flood takes room from the hour it arrives in, not from the history kept before it. @default 3600
 */
export const CIRCLE_EVICT_SPAN = 3600

/**
 * Most opened circle posts held back because their ring names keys not on the roster yet (§6.4): kept
 * until the join arrives or the post expires; past it the one expiring first is dropped. @default 256
 */
export const CIRCLE_HELD_MAX = 256

/**
 * Seconds before a rotation's `created` (the owner's clock; this node's now when that is later) from
 * which the frames kept are tried with the new generation's keys: its secret is fresh, so no frame that
 * arrived before it was made opens with it (§6.3). Covers twice the clock skew peers accept (the owner's
 * and this node's, MAX_CLOCK_SKEW each) with room to spare. @default 600
 */
export const ROTATION_SCAN_MARGIN = 600

/**
 * Seconds before a rotation reached this node beyond which no kept frame is tried with its keys, whatever
 * its `created` says (§6.3): `created` is the owner's claim, and one dated 0 made every member try every
 * frame kept (64 MiB of junk: 0.8 s of CPU a rotation). A frame of the new generation can reach a node
 * before the rotation does only while gossip or history sync (every 60 s) has not brought the rotation
 * yet; an hour covers that many times over, and bounds what a rotation costs to the frames of an hour.
 * @default 3600
 */
export const ROTATION_SCAN_WINDOW = 3600

/**
 * Most frames from gossip waiting for the frame intake's turn (§6.3), and as many from sync and stem; shared
 * by sender group (CIRCLE_INTAKE_SHARE). Past it a frame is Ignored (nobody is charged; history sync brings
 * it later), so a circle intake held up cannot hold the node's gossip turns
 * (GOSSIP_TURNS, 64), which every topic shares: 48 stay for the others. Gossip hands over one frame of
 * a peer at a time (GOSSIP_PEER_TURNS) and a sync session one at a time, so honest peers have about one
 * frame each waiting, and a frame is taken in about a millisecond. @default 16
 */
export const CIRCLE_INTAKE_WAITING = 16

/**
 * The part of the frame intake's places (CIRCLE_INTAKE_WAITING) that the other sender groups leave which one
 * group may hold (`fairShare`): a lone address holds 8 of 16, the next 4. Sybil PeerIds of one address
 * share one group's places, so they cannot have every honest frame Ignored. @default 0.5
 */
export const CIRCLE_INTAKE_SHARE = 0.5

/**
 * Age in seconds of the frame carrying a member's JOIN after which its node announces the JOIN again (a
 * fresh seal of the same record): relays drop frames after CIRCLE_FRAME_TTL, and a newcomer learns the
 * roster from frames it can still fetch (§6.6). @default 302400 (half of CIRCLE_FRAME_TTL)
 */
export const JOIN_REANNOUNCE_AGE = CIRCLE_FRAME_TTL / 2

/**
 * Most JOIN, INVITE and LEAVE records each a member keeps of one generation; past it a new one is not taken
 * (nor forwarded). A roster holds at most MAX_CIRCLE_MEMBERS (64), the earliest joins; the bound keeps a
 * member who floods records (each frame costs 12 bits of proof of work) from growing every member's state
 * and roster fold without end. @default 256
 */
export const CIRCLE_MAX_RECORDS = 4 * MAX_CIRCLE_MEMBERS

/** Longest local circle name, in UTF-8 bytes. @default 64 */
export const MAX_CIRCLE_NAME_BYTES = 64

/** Sublevel of the node's database holding the circles this node is a member of (keys included). */
export const CIRCLE_STATE_SUBLEVEL = 'circles'

/** Sublevel of the node's database holding the frames kept for history sync. */
export const CIRCLE_FRAMES_SUBLEVEL = 'circle-frames'

/** The sender group of frames this node made itself. */
export const OWN_FRAMES = 'own'

/**
 * Milliseconds a scan of the kept frames (a newcomer's, or one after a rotation) runs before it yields to
 * the event loop (§6.3): the scan runs outside the frame intake's turn, and frames of every circle are
 * taken between two slices. A frame tried costs one AEAD open (~40 µs), so a slice is some hundreds of
 * frames. @default 10
 */
export const JOIN_SCAN_SLICE_MS = 10

/**
 * Most generations a member keeps the secret of after dropping them for a rotation that won (§6.7), to show
 * its own posts made on them as not delivered; each is kept CIRCLE_FRAME_TTL at most. @default 8
 */
export const CIRCLE_FORKS_KEPT = 8
