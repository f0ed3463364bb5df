/**
 * Private circles, circle format 1 (docs/PROTOCOL.md §6): keys and topic from a circle secret, invite
 * strings, sealed frames that carry ring-signed v2 envelopes and roster records, the roster, rotation, and
 * the author-side defences against sybil members. Pure functions, no I/O.
 */
export { InvalidInviteError, CircleError } from './errors.js'
export type { InviteErrorCode, CircleErrorCode } from './errors.js'
export { CIRCLE_SECRET_BYTES, MAX_CIRCLE_GENERATION, CIRCLE_TOPIC_PREFIX, generateCircleSecret, deriveCircleKeys, isCircleFrameTopic } from './keys.js'
export type { CircleKeys } from './keys.js'
export { INVITE_PREFIX, INVITE_VERSION, MAX_INVITE_NAME_BYTES, MAX_INVITE_HINTS, MAX_INVITE_HINT_BYTES, MIN_CIRCLE_RING, DEFAULT_CIRCLE_MIN_RING, INVITE_SEED_BYTES, encodeInvite, decodeInvite, generateInviteSeed, inviteKey, hasInviteKey } from './invite.js'
export type { CircleInvite } from './invite.js'
export { CIRCLE_FRAME_VERSION, CIRCLE_SHARED_TOPIC, CIRCLE_FRAME_BUCKETS, CIRCLE_FRAME_POW_BITS, MAX_CIRCLE_RECORD_BYTES, CircleRecordType, sealCircleFrame, checkCircleFrame, openCircleFrame } from './frame.js'
export type { CircleRecordTypeValue, CircleRecord, CircleFrameResult, CheckedCircleFrame, SealCircleFrameInit } from './frame.js'
export { buildCirclePost, validateCircleEnvelope } from './post.js'
export type { BuildCirclePostOptions, BuiltCirclePost, ValidateCircleEnvelopeOptions, CircleEnvelopeResult } from './post.js'
export { MAX_MEMBER_NAME_BYTES, generateMemberKeys, recordDigest, signJoin, openJoin, signInviteRecord, openInviteRecord, signLeave, openLeave } from './records.js'
export type { MemberKeys, JoinRecord, InviteRecord, LeaveRecord, RecordResult } from './records.js'
export { signRotation, openRotation, rotationSecret, pickRotation, carryOver } from './rotation.js'
export type { RotationEntry, RotationRecord } from './rotation.js'
export { MAX_CIRCLE_MEMBERS, NEWCOMER_DELAY_SECONDS, GROWTH_WINDOW_SECONDS, FAST_GROWTH_JOINS, ONE_INVITER_SHARE, UNATTRIBUTED, rosterOf, selectRing, rosterWarnings, anonymitySet } from './roster.js'
export type { RosterMember, RosterInput, RingPolicy, RingSelection, CircleWarning, WarningPolicy } from './roster.js'
