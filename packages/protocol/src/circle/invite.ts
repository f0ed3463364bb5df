import { fromString } from 'uint8arrays/from-string'
import { toString } from 'uint8arrays/to-string'
import { concatBytes, equalBytes, isBytes, u32be, utf8 } from '../bytes.js'
import { MAX_RING_SIZE } from '../constants.js'
import { displayLine } from '../display.js'
import { isValidPoint } from '../ring.js'
import { sodium } from '../sodium.js'
import { InvalidInviteError } from './errors.js'
import { CIRCLE_SECRET_BYTES, MAX_CIRCLE_GENERATION } from './keys.js'

/**
 * What every invite string starts with. Upper-case base32 after it, so that the whole string is in QR's
 * alphanumeric set (5.5 bits a character instead of 8 in byte mode) and survives case-folding chats.
 */
export const INVITE_PREFIX = 'MURMUR:CIRCLE:'
/** The invite layout this code writes and reads. */
export const INVITE_VERSION = 1
/** Longest name hint in UTF-8 bytes. */
export const MAX_INVITE_NAME_BYTES = 32
/** Most bootstrap hints in one invite. */
export const MAX_INVITE_HINTS = 4
/** Longest bootstrap hint (a multiaddr as text) in UTF-8 bytes. */
export const MAX_INVITE_HINT_BYTES = 160
/** Smallest minimum ring size a circle may set (a ring of 1 names its author). */
export const MIN_CIRCLE_RING = 2
/** The minimum ring size of a circle when its creator does not choose one (docs/PROTOCOL.md §6.8). @default 5 */
export const DEFAULT_CIRCLE_MIN_RING = 5
/** Byte length of an invite's key seed. */
export const INVITE_SEED_BYTES = 16

const CHECKSUM_BYTES = 4
const CHECKSUM_DOMAIN = utf8('murmur/v2/circle/invite-checksum')
/** version, generation, secret, owner, seed, min ring, name length, hint count, checksum. */
const FIXED_BYTES = 1 + 4 + CIRCLE_SECRET_BYTES + 32 + INVITE_SEED_BYTES + 1 + 1 + 1 + CHECKSUM_BYTES

/** Everything an invite carries. */
export interface CircleInvite {
  /** The circle secret of `generation` (whoever holds the invite reads the circle). */
  secret: Uint8Array
  /** The generation the secret belongs to (0 at creation, +1 at each rotation). */
  generation: number
  /** The ring key (ristretto255) of the circle's owner: the only key whose rotations members follow. */
  owner: Uint8Array
  /**
   * Seed of this invite's Ed25519 key: the inviter published the key (an invite record signed with its
   * member key), and the newcomer's join is signed with it, so every member sees who invited whom.
   * All zero: an invite with no key (the owner's own devices).
   */
  inviteSeed: Uint8Array
  /** The circle's minimum ring size, MIN_CIRCLE_RING..MAX_RING_SIZE. */
  minRing: number
  /** A name the inviter suggests (the newcomer chooses its own local name), 0..32 bytes, shown as it is. */
  name: string
  /**
   * Multiaddrs (text) of peers that carry the circle. Hints only: a UI shows them and the node adds
   * them to its usual peers, never as its only peer (a crafted invite must not route a newcomer through
   * an attacker's relay).
   */
  hints: string[]
}

/** The first 4 bytes of `BLAKE2b-256("murmur/v2/circle/invite-checksum" || payload)`. */
function checksum (payload: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(32, concatBytes([CHECKSUM_DOMAIN, payload]), null).subarray(0, CHECKSUM_BYTES)
}

function fail (message: string): never {
  throw new RangeError(message)
}

/** Why an invite cannot be written or read, or undefined. */
function inviteProblem (invite: CircleInvite): string | undefined {
  if (!isBytes(invite.secret, CIRCLE_SECRET_BYTES)) return `the secret must be ${CIRCLE_SECRET_BYTES} bytes`
  if (!Number.isInteger(invite.generation) || invite.generation < 0 || invite.generation > MAX_CIRCLE_GENERATION) return 'the generation must be a u32'
  if (!isValidPoint(invite.owner) || sodium.is_zero(invite.owner)) return 'the owner must be a valid non-identity ristretto255 key'
  if (!isBytes(invite.inviteSeed, INVITE_SEED_BYTES)) return `the invite seed must be ${INVITE_SEED_BYTES} bytes`
  if (!Number.isInteger(invite.minRing) || invite.minRing < MIN_CIRCLE_RING || invite.minRing > MAX_RING_SIZE) return `the minimum ring size must be ${MIN_CIRCLE_RING}..${MAX_RING_SIZE}`
  if (typeof invite.name !== 'string' || utf8(invite.name).byteLength > MAX_INVITE_NAME_BYTES) return `the name must be at most ${MAX_INVITE_NAME_BYTES} bytes`
  if (displayLine(invite.name) !== invite.name) return 'the name holds characters a UI would not show as they are'
  if (!Array.isArray(invite.hints) || invite.hints.length > MAX_INVITE_HINTS) return `at most ${MAX_INVITE_HINTS} hints`
  for (const hint of invite.hints) {
    const length = typeof hint === 'string' ? utf8(hint).byteLength : 0
    if (length < 2 || length > MAX_INVITE_HINT_BYTES || !hint.startsWith('/') || !/^[\x21-\x7e]+$/.test(hint)) {
      return `a hint must be a multiaddr in printable ASCII, 2..${MAX_INVITE_HINT_BYTES} bytes`
    }
  }
  return undefined
}

/**
 * Writes an invite: `MURMUR:CIRCLE:` and upper-case base32 (RFC 4648, no padding) of
 * `version(1) || u32be(generation) || secret(32) || owner(32) || inviteSeed(16) || minRing(1) ||
 * u8 len || name || u8 count || (u8 len || hint)* || checksum(4)`. Throws a RangeError on a field out
 * of range (the same rules {@link decodeInvite} applies).
 *
 * @example
 * ```ts
 * const text = encodeInvite({ secret, generation: 0, owner: me.publicKey, inviteSeed, minRing: 5, name: 'book club', hints: [] })
 * ```
 */
export function encodeInvite (invite: CircleInvite): string {
  const problem = inviteProblem(invite)
  if (problem !== undefined) fail(problem)
  const name = utf8(invite.name)
  const payload = concatBytes([
    Uint8Array.of(INVITE_VERSION), u32be(invite.generation), invite.secret, invite.owner, invite.inviteSeed,
    Uint8Array.of(invite.minRing, name.byteLength), name, Uint8Array.of(invite.hints.length),
    ...invite.hints.flatMap((hint) => { const bytes = utf8(hint); return [Uint8Array.of(bytes.byteLength), bytes] })
  ])
  return INVITE_PREFIX + toString(concatBytes([payload, checksum(payload)]), 'base32upper')
}

/** The byte length the layout of `bytes` declares, or undefined when the bytes end before it says how long it is. */
function declaredLength (bytes: Uint8Array): number | undefined {
  let at = FIXED_BYTES - CHECKSUM_BYTES - 2 // the name's length byte
  if (bytes.byteLength <= at) return undefined
  at += 1 + bytes[at]!
  if (bytes.byteLength <= at) return undefined
  const hints = bytes[at]!
  at += 1
  for (let i = 0; i < hints; i++) {
    if (bytes.byteLength <= at) return undefined
    at += 1 + bytes[at]!
  }
  return at + CHECKSUM_BYTES
}

const textDecoder = new TextDecoder('utf-8', { fatal: true })

/** Reads the fields of a checksummed version-1 payload; throws a RangeError on a field out of range. */
function readFields (bytes: Uint8Array): CircleInvite {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 1
  const take = (length: number): Uint8Array => { const out = bytes.slice(at, at + length); at += length; return out }
  const generation = view.getUint32(at, false); at += 4
  const secret = take(CIRCLE_SECRET_BYTES)
  const owner = take(32)
  const inviteSeed = take(INVITE_SEED_BYTES)
  const minRing = take(1)[0]!
  const name = textDecoder.decode(take(take(1)[0]!))
  const hints = Array.from({ length: take(1)[0]! }, () => textDecoder.decode(take(take(1)[0]!)))
  const invite = { secret, generation, owner, inviteSeed, minRing, name, hints }
  const problem = inviteProblem(invite)
  if (problem !== undefined) fail(problem)
  return invite
}

/**
 * Reads an invite string (whitespace anywhere and lower case are forgiven: it was copied from a chat or a
 * wrapped terminal). Throws an {@link InvalidInviteError} with a one-line message and a stable code:
 * ERR_INVITE_FORMAT (not an invite), ERR_INVITE_TRUNCATED (cut short), ERR_INVITE_CHECKSUM (a character
 * changed, dropped or added), ERR_INVITE_VERSION (a format this code does not read), ERR_INVITE_MALFORMED
 * (checksummed but out of range: hand-built). Never throws anything else, whatever the input.
 *
 * @example
 * ```ts
 * const invite = decodeInvite('MURMUR:CIRCLE:AEAAAAAA…')
 * const keys = deriveCircleKeys(invite.secret, invite.generation, invite.owner)
 * ```
 */
export function decodeInvite (text: string): CircleInvite {
  if (typeof text !== 'string') throw new InvalidInviteError('ERR_INVITE_FORMAT', 'an invite is a string starting with MURMUR:CIRCLE:')
  const compact = text.replace(/\s+/g, '').toUpperCase()
  if (!compact.startsWith(INVITE_PREFIX)) throw new InvalidInviteError('ERR_INVITE_FORMAT', 'not a circle invite: it must start with MURMUR:CIRCLE:')
  const body = compact.slice(INVITE_PREFIX.length)
  const bad = /[^A-Z2-7]/.exec(body)
  if (bad !== null) throw new InvalidInviteError('ERR_INVITE_FORMAT', `not a circle invite: "${bad[0]}" is not a base32 character (A-Z, 2-7)`)
  let bytes: Uint8Array
  try {
    bytes = fromString(body, 'base32upper')
  } catch (err) {
    // the last character carries bits past the last byte (a writer leaves them zero), or base32 of whole
    // bytes never ends there: cut short if the whole groups before it declare more than the string holds
    const declared = declaredLength(fromString(body.slice(0, body.length - (body.length % 8)), 'base32upper'))
    if (declared === undefined || declared > Math.floor(body.length * 5 / 8)) throw new InvalidInviteError('ERR_INVITE_TRUNCATED', 'the invite is cut short: copy all of it', { cause: err })
    throw new InvalidInviteError('ERR_INVITE_CHECKSUM', 'the invite is damaged (its last character is wrong): copy it again', { cause: err })
  }
  if (bytes.byteLength < FIXED_BYTES) throw new InvalidInviteError('ERR_INVITE_TRUNCATED', 'the invite is cut short: copy all of it')
  const payload = bytes.subarray(0, bytes.byteLength - CHECKSUM_BYTES)
  if (!equalBytes(checksum(payload), bytes.subarray(payload.byteLength))) {
    const declared = declaredLength(bytes)
    if (declared === undefined || declared > bytes.byteLength) throw new InvalidInviteError('ERR_INVITE_TRUNCATED', 'the invite is cut short: copy all of it')
    throw new InvalidInviteError('ERR_INVITE_CHECKSUM', 'the invite is damaged (its checksum does not match): copy it again')
  }
  if (bytes[0] !== INVITE_VERSION) {
    throw new InvalidInviteError('ERR_INVITE_VERSION', `this invite is of format ${bytes[0]!}, this version of Murmur reads format ${INVITE_VERSION}: update Murmur`)
  }
  if (declaredLength(bytes) !== bytes.byteLength) throw new InvalidInviteError('ERR_INVITE_MALFORMED', 'the invite\'s fields do not add up to its length')
  try {
    return readFields(bytes)
  } catch (err) {
    throw new InvalidInviteError('ERR_INVITE_MALFORMED', `the invite holds a bad field: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
}

/**
 * A fresh invite key seed (16 random bytes).
 *
 * @example
 * ```ts
 * const { publicKey } = inviteKey(generateInviteSeed())
 * ```
 */
export function generateInviteSeed (): Uint8Array {
  return sodium.randombytes_buf(INVITE_SEED_BYTES)
}

/**
 * The Ed25519 key pair of an invite seed: `seed32 = BLAKE2b-256("murmur/v2/circle/invite-key" || seed)`.
 *
 * @example
 * ```ts
 * const { publicKey, secretKey } = inviteKey(invite.inviteSeed)
 * ```
 */
export function inviteKey (seed: Uint8Array): { publicKey: Uint8Array, secretKey: Uint8Array } {
  if (!isBytes(seed, INVITE_SEED_BYTES)) throw new TypeError(`expected a ${INVITE_SEED_BYTES}-byte invite seed`)
  const { publicKey, privateKey } = sodium.crypto_sign_seed_keypair(sodium.crypto_generichash(32, concatBytes([INVITE_KEY_DOMAIN, seed]), null))
  return { publicKey, secretKey: privateKey }
}

const INVITE_KEY_DOMAIN = utf8('murmur/v2/circle/invite-key')

/**
 * Whether an invite carries an invite key (a zero seed means none).
 *
 * @example
 * ```ts
 * if (hasInviteKey(invite)) signJoin(..., inviteKey(invite.inviteSeed))
 * ```
 */
export function hasInviteKey (invite: Pick<CircleInvite, 'inviteSeed'>): boolean {
  return !sodium.is_zero(invite.inviteSeed)
}
