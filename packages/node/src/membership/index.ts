/**
 * Membership (issue 13, docs/MEMBERSHIP.md): the member key and its stamps kept across restarts, stamps
 * minted in the background and renewed before they expire, the member directory that checks each stamp
 * once and rings against what it holds, the choice of decoys for a ring and the ring kept per thread, and how the
 * member signs its votes and posts (ring-signer.ts, with its posts counted per channel and hour in post-counters.ts). Platform-neutral: Node keeps
 * the member records as private files (`./storage-file.js`, imported by the Node platform only), a browser
 * in its database (createLevelMemberStorage).
 *
 * @example
 * ```ts
 * const state = await openMemberState({ storage: createLevelMemberStorage(db) })
 * const minting = createMintingService({ state, miner: verifyPool })
 * const directory = await openMemberDirectory({ db, verify: (stamp, options) => verifyPool.verifyStamp(stamp, options), onInvalid: cutOff })
 * minting.addEventListener('announce', (e) => { void publishThroughStem(DIRECTORY_TOPIC, e.detail) })
 * minting.start()
 * ```
 *
 * @packageDocumentation
 */
export { MembershipError } from './errors.js'
export type { MembershipErrorCode } from './errors.js'
export { MEMBER_RECORDS, MEMBER_SUBLEVEL, createLevelMemberStorage } from './storage.js'
export type { MemberDatabase, MemberRecord, MemberStorage } from './storage.js'
export { openMemberState } from './member-state.js'
export type { MemberState, MemberStateInit, MintPosition } from './member-state.js'
export { announceAt, planMint } from './schedule.js'
export type { MintPlan } from './schedule.js'
export { MEMBER_ANNOUNCE_DELAY, MINT_RETRY_AFTER_MS, MINT_SAVE_EVERY_MS, createMintingService } from './minting.js'
export type { MembershipStatus, MintProgressDetail, MintingEvents, MintingInit, MintingService, StampMiner } from './minting.js'
export * from './constants.js'
export { openMemberDirectory } from './directory.js'
export { firstForwardable, stampAcceptedAt, stampForwardableAt } from './stamp-forward.js'
export type { AnnouncementPath, CheckRingOptions, DirectoryCode, DirectoryVerdict, MemberDirectory, MemberDirectoryEvents, MemberDirectoryInit, ReceiveOptions, StampVerifier, StampsWanted } from './directory.js'
export { StampFetcher } from './stamp-fetcher.js'
export { MEMBERSHIP_PROGRESS_EVENT_INTERVAL, StatusReporter, nextStampBoundary } from './status-reporter.js'
export type { StatusReporterComponents, StatusReporterInit } from './status-reporter.js'
export type { StampFetcherComponents, StampFetcherInit } from './stamp-fetcher.js'
export { AwaitingStamps } from './awaiting-stamps.js'
export type { AwaitingEnvelope, AwaitingStampsComponents, AwaitingStampsInit } from './awaiting-stamps.js'
export { DECOY_PREFERRED_TENURE, chooseRing, tenures } from './decoys.js'
export type { ChooseRingInit, DecoyCandidate } from './decoys.js'
export { RING_BOOK_SUBLEVEL, openRingBook } from './ring-book.js'
export type { RingBook, RingBookInit } from './ring-book.js'
export { POST_COUNTERS_SUBLEVEL, openPostCounters } from './post-counters.js'
export type { PostCounters, PostCountersInit } from './post-counters.js'
export { createRingSigner, jitteredCreated } from './ring-signer.js'
export type { RingSigner, RingSignerInit } from './ring-signer.js'
