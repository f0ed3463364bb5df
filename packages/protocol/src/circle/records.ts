import { concatBytes, equalBytes, isBytes, u64be, utf8 } from '../bytes.js'
import { displayLine } from '../display.js'
import { signOneTime, verifyOneTime } from '../one-time.js'
import { generateAuthorKey, isValidPoint, ringSign, ringVerify } from '../ring.js'
import type { AuthorKey } from '../ring.js'
import { sodium } from '../sodium.js'
import { CircleError } from './errors.js'
import type { CircleErrorCode } from './errors.js'
import { CircleRecordType } from './frame.js'
import type { CircleRecordTypeValue } from './frame.js'
import type { CircleKeys } from './keys.js'

/** A member's keys of one circle: fresh per circle, never its public author key nor its PeerId. */
export interface MemberKeys {
  /** Signs posts in rings and its own roster records (a ring of one). Its public key is on the roster. */
  ring: AuthorKey
  /** X25519 key that only receives rotated circle secrets (crypto_box_seal); never signs, never in a ring. */
  box: { publicKey: Uint8Array, secretKey: Uint8Array }
}

/** A newcomer's announcement, sealed in the circle: its keys, the name it shows, and the invite it used. */
export interface JoinRecord {
  ringKey: Uint8Array
  boxKey: Uint8Array
  /** Unix seconds, as the newcomer claims (members also note when they first saw it). */
  created: number
  /** The Ed25519 invite key that co-signed the join; all zero when the join names no invite (the owner's own). */
  inviteKey: Uint8Array
  /** The name the member shows to the circle, 0..32 bytes. */
  name: string
}

/** An inviter's record of an invite key: joins co-signed by that key were invited by `inviter`. */
export interface InviteRecord {
  /** The inviter's ring key. */
  inviter: Uint8Array
  inviteKey: Uint8Array
  created: number
  /** Unix seconds after which joins under this key are not counted as invited by `inviter`. */
  expires: number
}

/** A member's leaving. */
export interface LeaveRecord {
  ringKey: Uint8Array
  created: number
}

/** Longest member name in UTF-8 bytes. */
export const MAX_MEMBER_NAME_BYTES = 32

const RECORD_DOMAIN = utf8('murmur/v2/circle/record')
/** The single link-tag scope of a record signature (a ring of one: a Schnorr signature with a tag). */
const RECORD_SCOPE = utf8('murmur/v2/circle/record-scope')
const SIGNATURE_BYTES = 96
const ZERO_KEY = new Uint8Array(32)

/**
 * Fresh keys for one circle.
 *
 * @example
 * ```ts
 * const me = generateMemberKeys()
 * ```
 */
export function generateMemberKeys (): MemberKeys {
  const { publicKey, privateKey } = sodium.crypto_box_keypair()
  return { ring: generateAuthorKey(), box: { publicKey, secretKey: privateKey } }
}

/**
 * `BLAKE2b-256(key = rosterKey, "murmur/v2/circle/record" || type || fields)`: what a roster record's
 * signature signs, bound to the circle generation; also the order of two concurrent rotations.
 *
 * @example
 * ```ts
 * const digest = recordDigest(keys, CircleRecordType.ROTATE, body)
 * ```
 */
export function recordDigest (keys: CircleKeys, type: CircleRecordTypeValue, fields: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(32, concatBytes([RECORD_DOMAIN, Uint8Array.of(type), fields]), keys.rosterKey)
}

/** `fields || c0 || s || tag`: a ring signature of one member over the record digest. */
export function signed (keys: CircleKeys, type: CircleRecordTypeValue, fields: Uint8Array, signer: AuthorKey): Uint8Array {
  const sig = ringSign({ message: recordDigest(keys, type, fields), ring: [signer.publicKey], secretKey: signer.secretKey, scopes: [RECORD_SCOPE] })
  return concatBytes([fields, sig.c0, sig.s[0]!, sig.tags[0]!])
}

/** Whether `signature` (96 bytes) is `signerKey`'s over the record. */
function verifySigned (keys: CircleKeys, type: CircleRecordTypeValue, fields: Uint8Array, signature: Uint8Array, signerKey: Uint8Array): boolean {
  return ringVerify({ message: recordDigest(keys, type, fields), ring: [signerKey], scopes: [RECORD_SCOPE], c0: signature.subarray(0, 32), s: [signature.subarray(32, 64)], tags: [signature.subarray(64, 96)] })
}

/** A cursor over record bytes; every read past the end throws CircleError ERR_CIRCLE_RECORD. */
export class RecordReader {
  private at = 0
  constructor (private readonly bytes: Uint8Array) {}
  take (length: number): Uint8Array {
    if (this.at + length > this.bytes.byteLength) throw new CircleError('ERR_CIRCLE_RECORD', 'record cut short')
    const out = this.bytes.slice(this.at, this.at + length)
    this.at += length
    return out
  }

  u8 (): number { return this.take(1)[0]! }
  u32 (): number { return new DataView(this.take(4).buffer).getUint32(0, false) }
  u64 (): number {
    const value = new DataView(this.take(8).buffer).getBigUint64(0, false)
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new CircleError('ERR_CIRCLE_RECORD', 'time past 2^53')
    return Number(value)
  }

  point (): Uint8Array {
    const p = this.take(32)
    if (!isValidPoint(p) || sodium.is_zero(p)) throw new CircleError('ERR_CIRCLE_RECORD', 'not a valid non-identity ristretto255 key')
    return p
  }

  /** Reads the record signature after the fields read so far: the fields, or ERR_CIRCLE_RECORD `refusal` unless it is `signerKey`'s. */
  signedBy (keys: CircleKeys, type: CircleRecordTypeValue, signerKey: Uint8Array, refusal: string): Uint8Array {
    const fields = this.bytes.subarray(0, this.at)
    if (!verifySigned(keys, type, fields, this.take(SIGNATURE_BYTES), signerKey)) throw new CircleError('ERR_CIRCLE_RECORD', refusal)
    return fields
  }
  /** Throws unless every byte was read. */
  end (): void {
    if (this.at !== this.bytes.byteLength) throw new CircleError('ERR_CIRCLE_RECORD', 'trailing bytes after the record')
  }
}

const textDecoder = new TextDecoder('utf-8', { fatal: true })

function checkTime (value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be unix seconds`)
}

function nameBytes (name: string): Uint8Array {
  const bytes = utf8(name)
  if (bytes.byteLength > MAX_MEMBER_NAME_BYTES || displayLine(name) !== name) throw new CircleError('ERR_CIRCLE_RECORD', `a member name is at most ${MAX_MEMBER_NAME_BYTES} bytes a UI shows as they are`)
  return bytes
}

/** A record's result: the record, or why it is refused (ERR_CIRCLE_RECORD). Never thrown. */
export type RecordResult<T> = { ok: true, record: T } | { ok: false, code: CircleErrorCode, reason: string }

/** A reader's result, its CircleError (or a decoder's TypeError/RangeError) as a refusal; anything else is thrown. */
export function judged<T> (read: () => T): RecordResult<T> {
  try {
    return { ok: true, record: read() }
  } catch (err) {
    if (err instanceof CircleError) return { ok: false, code: err.code, reason: err.message }
    if (err instanceof TypeError || err instanceof RangeError) return { ok: false, code: 'ERR_CIRCLE_RECORD', reason: err.message }
    throw err
  }
}

/**
 * A newcomer's JOIN body: `ringKey || boxKey || u64be(created) || inviteKey || u8 len || name`, signed by
 * the ring key (a ring of one, which also proves the newcomer holds it) and, when the invite had a key,
 * co-signed by the invite key (Ed25519), so members attribute the join to whoever published that key.
 *
 * @example
 * ```ts
 * const body = signJoin(keys, me, { created: now, name: 'ana', invite: inviteKey(invite.inviteSeed) })
 * const frame = await sealCircleFrame(keys, CircleRecordType.JOIN, body)
 * ```
 */
export function signJoin (keys: CircleKeys, member: MemberKeys, fields: { created: number, name: string, invite?: { publicKey: Uint8Array, secretKey: Uint8Array } }): Uint8Array {
  checkTime(fields.created, 'created')
  const inviteKey = fields.invite?.publicKey ?? ZERO_KEY
  const body = concatBytes([member.ring.publicKey, member.box.publicKey, u64be(fields.created), inviteKey, Uint8Array.of(utf8(fields.name).byteLength), nameBytes(fields.name)])
  const ringSigned = signed(keys, CircleRecordType.JOIN, body, member.ring)
  if (fields.invite === undefined) return ringSigned
  return concatBytes([ringSigned, signOneTime(recordDigest(keys, CircleRecordType.JOIN, body), fields.invite.secretKey)])
}

/**
 * Reads and verifies a JOIN body (ERR_CIRCLE_RECORD on any fault: layout, keys, name, signatures).
 *
 * @example
 * ```ts
 * const join = openJoin(keys, opened.body)
 * if (join.ok) roster.add(join.record)
 * ```
 */
export function openJoin (keys: CircleKeys, body: Uint8Array): RecordResult<JoinRecord> {
  return judged(() => {
    const reader = new RecordReader(body)
    const ringKey = reader.point()
    const boxKey = reader.take(32)
    const created = reader.u64()
    const inviteKey = reader.take(32)
    const name = textDecoder.decode(reader.take(reader.u8()))
    nameBytes(name)
    const fields = reader.signedBy(keys, CircleRecordType.JOIN, ringKey, 'the join is not signed by its ring key')
    if (!equalBytes(inviteKey, ZERO_KEY) && !verifyOneTime(recordDigest(keys, CircleRecordType.JOIN, fields), inviteKey, reader.take(64))) {
      throw new CircleError('ERR_CIRCLE_RECORD', 'the join is not co-signed by the invite key it names')
    }
    reader.end()
    return { ringKey, boxKey, created, inviteKey, name }
  })
}

/**
 * An inviter's INVITE body: `inviter || inviteKey || u64be(created) || u64be(expires)`, signed by the
 * inviter's ring key. Published before the invite string is handed out.
 *
 * @example
 * ```ts
 * const seed = generateInviteSeed()
 * const body = signInviteRecord(keys, me, { inviteKey: inviteKey(seed).publicKey, created: now, expires: now + 7 * 86400 })
 * ```
 */
export function signInviteRecord (keys: CircleKeys, member: MemberKeys, fields: Omit<InviteRecord, 'inviter'>): Uint8Array {
  checkTime(fields.created, 'created')
  checkTime(fields.expires, 'expires')
  if (!isBytes(fields.inviteKey, 32)) throw new TypeError('expected a 32-byte Ed25519 invite key')
  const body = concatBytes([member.ring.publicKey, fields.inviteKey, u64be(fields.created), u64be(fields.expires)])
  return signed(keys, CircleRecordType.INVITE, body, member.ring)
}

/**
 * Reads and verifies an INVITE body (ERR_CIRCLE_RECORD).
 *
 * @example
 * ```ts
 * const record = openInviteRecord(keys, opened.body)
 * ```
 */
export function openInviteRecord (keys: CircleKeys, body: Uint8Array): RecordResult<InviteRecord> {
  return judged(() => {
    const reader = new RecordReader(body)
    const inviter = reader.point()
    const inviteKey = reader.take(32)
    const created = reader.u64()
    const expires = reader.u64()
    reader.signedBy(keys, CircleRecordType.INVITE, inviter, 'the invite record is not signed by its inviter')
    reader.end()
    return { inviter, inviteKey, created, expires }
  })
}

/**
 * A LEAVE body: `ringKey || u64be(created)`, signed by the leaving member.
 *
 * @example
 * ```ts
 * await sealCircleFrame(keys, CircleRecordType.LEAVE, signLeave(keys, me, now))
 * ```
 */
export function signLeave (keys: CircleKeys, member: MemberKeys, created: number): Uint8Array {
  checkTime(created, 'created')
  return signed(keys, CircleRecordType.LEAVE, concatBytes([member.ring.publicKey, u64be(created)]), member.ring)
}

/**
 * Reads and verifies a LEAVE body (ERR_CIRCLE_RECORD).
 *
 * @example
 * ```ts
 * const leave = openLeave(keys, opened.body)
 * ```
 */
export function openLeave (keys: CircleKeys, body: Uint8Array): RecordResult<LeaveRecord> {
  return judged(() => {
    const reader = new RecordReader(body)
    const ringKey = reader.point()
    const created = reader.u64()
    reader.signedBy(keys, CircleRecordType.LEAVE, ringKey, 'the leave is not signed by the member')
    reader.end()
    return { ringKey, created }
  })
}
