/**
 * @packageDocumentation
 *
 * `@murmur/protocol` owns every byte Murmur puts on the wire (protocol v2): the protobuf envelope, the
 * content digest and the signer-bound post id, proof of work that grows with ring size, padding, one-time Ed25519 authentication with per-thread pseudonyms, bLSAG ring
 * signatures with scoped link tags, circle sealing, and the validation pipeline. Pure functions, no I/O;
 * runs in Node.js and browsers. docs/PROTOCOL.md is the normative spec.
 *
 * @example
 * ```ts
 * import { buildEnvelope, validateEnvelope, channelTopic, ready } from '@murmur/protocol'
 *
 * await ready() // libsodium's WASM, once, before the first key, hash or check
 * const { bytes, id } = await buildEnvelope({ channel: '#lobby', body: 'hello, anyone?' })
 * const result = validateEnvelope(bytes, { topic: channelTopic('#lobby') })
 * if (result.ok) console.log(result.post.body)
 * ```
 */

export * from './constants.js'
export { ERROR_ACTIONS, ProtocolError, AbortError, RateLimitError, isErrorCode } from './errors.js'
export type { ErrorCode, ErrorAction } from './errors.js'
export { ready, CryptoNotReadyError } from './sodium.js'
export { toHex, fromHex, compareBytes, equalBytes } from './bytes.js'
export { validateChannel, channelTopic, circleChannel, isCircleChannel } from './channel.js'
export { Post, Envelope, OneTimeAuth, RingAuth, decodeEnvelope, decodePost, encodeEnvelope, encodePost } from './codec.js'
export type { PostKind } from './fields.js'
export { contentDigest, authBinding, postId, powDigest, postIdOf, messageId, gossipMessageId } from './digest.js'
export { minePow, checkPow, powHash, leadingZeroBits, ringPowBits, requiredPowBits } from './pow.js'
export type { MinePowOptions, PowProgress } from './pow.js'
export { downvoteBudgetScope, postScope, threadScope, voteBudgetScope, voteScope, weekScope } from './scope.js'
export { linkTag } from './auth.js'
export { ringSlots, voteSlot } from './slots.js'
export type { RingPeriod, RingSequence } from './slots.js'
export { padPost, paddingLength } from './padding.js'
export { oneTimeKey, pseudonymSeed, signOneTime, verifyOneTime } from './one-time.js'
export type { OneTimeKey } from './one-time.js'
export { memberThread, threadPseudonymSeed } from './thread.js'
export type { ThreadRoot } from './thread.js'
export { generateAuthorKey, authorPublicKey, ringSign, ringVerify, MAX_LINK_TAGS } from './ring.js'
export type { AuthorKey, RandomSource, RingSignInput, RingSignature, RingVerifyInput } from './ring.js'
export { sealCirclePost, openCirclePost } from './circle.js'
export { buildEnvelope } from './build.js'
export type { BuildEnvelopeOptions, BuiltEnvelope, OneTimeAuthOptions, PowMiner, RingAuthOptions } from './build.js'
export { precheckEnvelope, validateEnvelope } from './validate.js'
export { acceptableAt, forwardableAt, forwardableUntil, inEpochWindow, isExpired, timeRefusal } from './time-window.js'
export type { EpochRule, PostTimes, TimeRefusal } from './time-window.js'
export type { PrecheckResult, ValidateOptions, ValidationResult, ValidEnvelope, InvalidEnvelope, AuthInfo, RingLink } from './validate.js'
export type { RingLimits } from './auth.js'
export * from './sync/index.js'
export { displayText, displayLine, pseudonymName, pseudonymHue, authorName, isBlankText, PSEUDONYM_NAME_BITS } from './display.js'
export { channelName } from './channel-name.js'
export { LIFETIMES, LIFETIME_NAMES, DEFAULT_LIFETIME, VOTE_TTL, LIFETIME_REASON, LifetimeError, parseLifetime, checkLifetime, lifetimeOf, lifetimeWords, timeLeft } from './lifetime.js'
export type { Lifetime } from './lifetime.js'
export { graphemes, cutGraphemes } from './display-text.js'
export { STAMP_BITS, STAMP_MEMLIMIT, STAMP_OPSLIMIT, MAX_STAMP_BYTES, stampHash, verifyStamp, mintStamp, encodeStamp, decodeStamp } from './stamp.js'
export type { Stamp, StampProgress, MintStampOptions, VerifyStampOptions, StampVerification } from './stamp.js'
export { STAMP_EARLY_SECONDS, STAMP_GRACE_SECONDS, STAMP_RENEW_SPREAD_SECONDS, MAX_STAMP_WEEK, weekOf, weekStart, stampWindow, isStampWeekAccepted, acceptedStampWeeks, weekToMint, stampRetainedUntil, renewalSchedule } from './stamp-window.js'
export type { StampWindow, RenewalSchedule } from './stamp-window.js'
export { STAMP_ERROR_ACTIONS, StampError } from './stamp-errors.js'
export type { StampErrorCode } from './stamp-errors.js'
export { DIRECTORY_TOPIC, MIN_MEMBER_RING, directoryItemId, validateAnnouncement, announcementAction, checkRingMembers } from './directory-announce.js'
export type { ValidateAnnouncementOptions, ValidAnnouncement, AnnouncementValidation, RingMembersOptions, RingMembership } from './directory-announce.js'
export { MemberStamp } from './directory.js'
export { MIN_HIDE_MARGIN, AUDIENCE_SHARE, AUDIENCE_RANK, AUDIENCE_WINDOW_SECONDS, HIDE_AFTER_SECONDS, hideMargin, voteVerdict, channelAudience, keptEnvelope, resolveTagConflicts, tallyVotes } from './votes.js'
export type { VoteTally, PostVotes, ChannelVotes, VoteRule, VoteVerdict, TaggedVote } from './votes.js'
export * from './circle/index.js'
export { GEOHASH_ALPHABET, MAX_GEOHASH_LENGTH, encodeGeohash, geohashAt, geohashBounds, geohashGrid } from './geohash.js'
export type { CellBounds, CellGrid } from './geohash.js'
export { LOCATION_LEVELS, DEFAULT_FINEST_LEVEL, TARGET_COVER_CELLS, MAX_COVER_CELLS, MIN_RADIUS_METERS, MAX_RADIUS_METERS, EARTH_RADIUS_METERS, LocationError, locationChannel, locationCell, pointChannel, locationCover, distanceToCell, greatCircleMeters } from './location.js'
export type { LocationLevel, LocationErrorCode, Circle, LocationCoverOptions, LocationCover } from './location.js'
export * from './onion/index.js'
