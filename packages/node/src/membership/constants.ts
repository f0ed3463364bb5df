/**
 * Defaults of the member directory (docs/MEMBERSHIP.md §6). A stamp evaluation is one 64 MiB Argon2id,
 * about 55 ms of one core: the limits bound what peers can make a node spend on them.
 */

/** Unknown stamps one peer may make this node evaluate per minute on the live paths (gossip, stem). @default 60 */
export const DIRECTORY_PEER_EVALUATIONS_PER_MINUTE = 60
/**
 * Stamp evaluations per second over all peers on the live paths (10 × 55 ms: about half a core at most).
 * History sync is not limited here: it brings only what the node asked for. @default 10
 */
export const DIRECTORY_EVALUATIONS_PER_SECOND = 10
/** Announcements of one peer waiting for its evaluation before the next is refused outright. @default 16 */
export const DIRECTORY_QUEUED_PER_PEER = 16
/** Peers remembered as cut off for sending an invalid announcement (least recently seen forgotten first). @default 4096 */
export const DIRECTORY_STRUCK_PEERS = 4096
/** Invalid announcements remembered by their bytes, so a repeat costs no evaluation. @default 4096 */
export const DIRECTORY_INVALID_CACHE = 4096
/** Announcements judged valid as a stem hop, remembered by their bytes until their gossip copy arrives. @default 1024 */
export const DIRECTORY_JUDGED_CACHE = 1024
/** Missing ring members' stamps one peer is asked for per minute. @default 16 */
export const DIRECTORY_FETCHES_PER_PEER_PER_MINUTE = 16
/** Item ids waiting to be asked of one peer. @default 64 */
export const DIRECTORY_WANTED_PER_PEER = 64
/** Peers with ids waiting to be asked of them (least recently used forgotten first). @default 256 */
export const DIRECTORY_WANTED_PEERS = 256
/** Sublevel of the node's database holding the directory: item id → encoded stamp. */
export const DIRECTORY_SUBLEVEL = 'member-directory'
/**
 * Envelopes kept in all while their ring's stamps are missing (awaiting-stamps.ts): about 1 MB of ring votes
 * of 16 members (AWAITING_STAMPS_BYTES caps larger envelopes). @default 1024
 */
export const AWAITING_STAMPS_ENVELOPES = 1024
/**
 * Bytes kept in all while their ring's stamps are missing, as counted: each envelope's bytes plus
 * AWAITING_MEMBER_BYTES per ring member (what a kept entry really costs); room for 1,024 ring votes of 16.
 * @default 10 MiB
 */
export const AWAITING_STAMPS_BYTES = 10 * 1024 * 1024
/** Envelopes of one address group kept while their ring's stamps are missing: a flood of rings of unknown members pushes out its own first. @default 64 */
export const AWAITING_STAMPS_ENVELOPES_PER_GROUP = 64
/** Bytes of one address group kept while their ring's stamps are missing, counted as AWAITING_STAMPS_BYTES is: room for 64 ring votes of 16. @default 640 KiB */
export const AWAITING_STAMPS_BYTES_PER_GROUP = 640 * 1024
/** Peers asked in turn for one missing ring member's stamp before it is left to anti-entropy and gossip. @default 3 */
export const STAMP_FETCH_SOURCES = 3
/** Directory sync sessions for missing stamps waited on at once. @default 2 */
export const STAMP_FETCH_CONCURRENCY = 2
/** Shortest time between two directory sync sessions with one peer for missing stamps, in ms. @default 5000 */
export const STAMP_FETCH_INTERVAL = 5_000
/** How long a session for missing stamps is waited on before the next peer is asked as well, in ms. @default 5000 */
export const STAMP_FETCH_PATIENCE = 5_000
/** Missing stamps fetched at once; a ring naming more unknown members than that waits for anti-entropy. @default 256 */
export const STAMP_FETCH_PENDING = 256
