import { concatBytes, isBytes, u64be, utf8 } from '../bytes.js'
import { NONCE_BYTES, openCirclePost, sealWithRandom } from '../circle.js'
import { ProtocolError } from '../errors.js'
import { sha256 } from '../hash.js'
import { checkPow, minePow } from '../pow.js'
import type { MinePowOptions } from '../pow.js'
import type { RandomSource } from '../ring.js'
import { randomBytes } from '../sodium.js'
import { CircleError } from './errors.js'
import type { CircleErrorCode } from './errors.js'
import type { CircleKeys } from './keys.js'

/** The circle frame format this code writes and reads (the first byte of every frame). */
export const CIRCLE_FRAME_VERSION = 1
/**
 * The gossip topic circle frames travel on: one topic shared by every circle, which every relaying node
 * subscribes to, so that a subscription says nothing of who is in which circle (a per-circle topic
 * announces each member's PeerId under it to every connected peer; docs/ANONYMITY.md, Circles). Members
 * try each frame with the keys of their circles: a frame of another circle fails its seal in one
 * Poly1305 pass.
 */
export const CIRCLE_SHARED_TOPIC = 'murmur/2/circles'
/**
 * Wire sizes of a circle frame: the smallest that fits. The ring inside dominates a frame's size (68 bytes a
 * member: its key and its response), so the buckets say to a relay only a ring-size class (measured: a
 * short post over a ring of up to 7 and a vote over up to 8 fit 1024; short posts up to 19 members 2048,
 * up to 48 4096; a 2048-byte body over 2..16 members 4096, anything larger 8192; rotations of more than
 * 55 members 16384). Doubling steps cost at most twice the bytes.
 * @default [1024, 2048, 4096, 8192, 16384]
 */
export const CIRCLE_FRAME_BUCKETS: readonly number[] = Object.freeze([1024, 2048, 4096, 8192, 16384])
/**
 * Leading zero bits of the relay proof of work every frame carries: the one thing a relay that is not a
 * member can check, so that flooding a circle's topic costs the flooder (members check the inner
 * envelope's own proof of work, with its ring term, after opening). @default 12
 */
export const CIRCLE_FRAME_POW_BITS = 12

/** What a frame carries, by its first plaintext byte. */
export const CircleRecordType = Object.freeze({
  /** A protocol v2 envelope (POST, REPLY, VOTE), ring-signed over members. */
  ENVELOPE: 1,
  /** A newcomer's join announcement. */
  JOIN: 2,
  /** An inviter publishes an invite key, so the joins it signs name their inviter. */
  INVITE: 3,
  /** A member leaves. */
  LEAVE: 4,
  /** The owner rotates the circle to a new secret without the removed members. */
  ROTATE: 5
} as const)

/** A record type byte. */
export type CircleRecordTypeValue = typeof CircleRecordType[keyof typeof CircleRecordType]

const TYPES: ReadonlySet<number> = new Set(Object.values(CircleRecordType))
const POW_INPUT = utf8('murmur/v2/circle/pow-input')
const MAC_BYTES = 16
/** version, relay proof-of-work nonce, seal nonce, MAC. */
const OVERHEAD = 1 + 8 + NONCE_BYTES + MAC_BYTES
/** type, u16 length. */
const HEADER = 3

/** Largest record body a frame carries. */
export const MAX_CIRCLE_RECORD_BYTES = CIRCLE_FRAME_BUCKETS[CIRCLE_FRAME_BUCKETS.length - 1]! - OVERHEAD - HEADER

/** An opened frame: its record type and body. */
export interface CircleRecord {
  type: CircleRecordTypeValue
  body: Uint8Array
}

/** Result of {@link openCircleFrame} and {@link checkCircleFrame}: never thrown, a stable code on failure. */
export type CircleFrameResult<T> = ({ ok: true } & T) | { ok: false, code: CircleErrorCode, reason: string }

/**
 * A frame that passed {@link checkCircleFrame}: {@link openCircleFrame} takes it in place of the bytes and
 * does not hash the frame again, so a member trying a frame with the keys of every generation of every
 * circle it holds pays the relay proof of work's hash once, not once a key. Only the object
 * `checkCircleFrame` returned counts as checked (a look-alike is checked again).
 */
export interface CheckedCircleFrame {
  readonly ok: true
  /** The whole frame: a copy made by the check, so that changing the array checked changes nothing here. */
  readonly frame: Uint8Array
  /** The sealed bytes (nonce, ciphertext, MAC): the frame past its version and proof-of-work nonce. */
  readonly sealed: Uint8Array
  /** The relay proof-of-work bits it was checked for. */
  readonly powBits: number
}

/** The results checkCircleFrame made (by identity: no bytes are compared). */
const CHECKED = new WeakSet<object>()

/** Options of {@link sealCircleFrame}. */
export interface SealCircleFrameInit extends Pick<MinePowOptions, 'signal' | 'onProgress'> {
  /** Relay proof-of-work bits to mine. @default CIRCLE_FRAME_POW_BITS (12) */
  powBits?: number
}

/**
 * The relay proof-of-work digest `SHA-256("murmur/v2/circle/pow-input" || sealed)`. No topic: a relay on the
 * shared topic does not know the circle's, and the seal binds the circle already (its topic is the
 * associated data), so a frame moved elsewhere opens nowhere.
 */
function powInput (sealed: Uint8Array): Uint8Array {
  return sha256(POW_INPUT, sealed)
}

/** The smallest bucket a record body fits, or undefined. */
function bucketFor (body: number): number | undefined {
  return CIRCLE_FRAME_BUCKETS.find((bucket) => body + OVERHEAD + HEADER <= bucket)
}

/**
 * {@link sealCircleFrame} with an injected source of the seal's hedging randomness (test vectors only;
 * not exported from the package).
 */
export async function sealCircleFrameWith (keys: CircleKeys, type: CircleRecordTypeValue, body: Uint8Array, random: RandomSource, init: SealCircleFrameInit = {}): Promise<Uint8Array> {
  if (!TYPES.has(type)) throw new RangeError(`unknown circle record type ${String(type)}`)
  if (!isBytes(body)) throw new TypeError('expected record body bytes')
  const bucket = bucketFor(body.byteLength)
  if (bucket === undefined) throw new CircleError('ERR_CIRCLE_SIZE', `a circle record is at most ${MAX_CIRCLE_RECORD_BYTES} bytes, got ${body.byteLength}`)
  const plaintext = new Uint8Array(bucket - OVERHEAD)
  plaintext[0] = type
  plaintext[1] = body.byteLength >>> 8
  plaintext[2] = body.byteLength & 0xff
  plaintext.set(body, HEADER)
  // the v2 seal (docs/PROTOCOL.md §6): XChaCha20-Poly1305 with a hedged nonce, the topic as associated data
  const sealed = sealWithRandom(keys.sealKey, keys.topic, plaintext, random)
  const pow = await minePow(powInput(sealed), init.powBits ?? CIRCLE_FRAME_POW_BITS, init)
  return concatBytes([Uint8Array.of(CIRCLE_FRAME_VERSION), u64be(pow), sealed])
}

/**
 * Seals a record into a circle frame: `0x01 || u64be(pow) || nonce(24) || XChaCha20-Poly1305(sealKey,
 * nonce, type(1) || u16be(len) || body || zero padding, ad = topic)`, the whole frame exactly one of
 * CIRCLE_FRAME_BUCKETS long, with a relay proof of work over the sealed bytes. Everything a relay could
 * read (the ring, the link tags, the record type) is inside the seal. Throws CircleError ERR_CIRCLE_SIZE
 * on a body above MAX_CIRCLE_RECORD_BYTES, an AbortError when `signal` aborts mining.
 *
 * @example
 * ```ts
 * const frame = await sealCircleFrame(keys, CircleRecordType.JOIN, encodeJoin(join))
 * ```
 */
export async function sealCircleFrame (keys: CircleKeys, type: CircleRecordTypeValue, body: Uint8Array, init: SealCircleFrameInit = {}): Promise<Uint8Array> {
  return await sealCircleFrameWith(keys, type, body, randomBytes, init)
}

/**
 * What a relay that is not a member can check of a frame, with no key: version, a bucket size, and the
 * relay proof of work (one hash over the sealed bytes). ERR_CIRCLE_FRAME, ERR_CIRCLE_SIZE, ERR_CIRCLE_POW.
 *
 * @example
 * ```ts
 * const verdict = checkCircleFrame(data)
 * if (!verdict.ok) console.log(verdict.code)
 * ```
 */
export function checkCircleFrame (frame: Uint8Array, powBits: number = CIRCLE_FRAME_POW_BITS): CheckedCircleFrame | { ok: false, code: CircleErrorCode, reason: string } {
  if (!isBytes(frame) || frame.byteLength < 1) return { ok: false, code: 'ERR_CIRCLE_FRAME', reason: 'empty frame' }
  if (frame[0] !== CIRCLE_FRAME_VERSION) return { ok: false, code: 'ERR_CIRCLE_FRAME', reason: `circle frame version ${frame[0]!}, ${CIRCLE_FRAME_VERSION} expected` }
  if (!CIRCLE_FRAME_BUCKETS.includes(frame.byteLength)) return { ok: false, code: 'ERR_CIRCLE_SIZE', reason: `a circle frame of ${frame.byteLength} bytes is no bucket size` }
  const pow = new DataView(frame.buffer, frame.byteOffset + 1, 8).getBigUint64(0, false)
  if (!checkPow(powInput(frame.subarray(9)), pow, powBits)) return { ok: false, code: 'ERR_CIRCLE_POW', reason: `relay proof of work below ${powBits} bits` }
  // a copy of its own, made once it passed (the check is synchronous): the caller's array, changed after
  // the check, must not change what was checked and is then opened and kept. Not `slice`: a Node.js
  // Buffer's is a view of the same bytes
  const own = new Uint8Array(frame)
  const sealed = own.subarray(9)
  const checked: CheckedCircleFrame = Object.freeze({ ok: true, frame: own, sealed, powBits })
  CHECKED.add(checked)
  return checked
}

/** `frame` as checked for `powBits`: the result checkCircleFrame made for it, or a new check. */
function checkedFor (frame: Uint8Array | CheckedCircleFrame, powBits: number): ReturnType<typeof checkCircleFrame> {
  if (isBytes(frame)) return checkCircleFrame(frame, powBits)
  if (typeof frame === 'object' && frame !== null && CHECKED.has(frame) && frame.powBits >= powBits) return frame
  return checkCircleFrame((frame as Partial<CheckedCircleFrame> | null)?.frame as Uint8Array, powBits)
}

/**
 * Opens a circle frame with a generation's keys: the relay checks of {@link checkCircleFrame} (not again
 * when `frame` is what it returned, checked for at least `powBits`), then the seal (ERR_CIRCLE_SEAL: not
 * this circle's generation, or tampered), then the record header (ERR_CIRCLE_FRAME: unknown type, a
 * length past the plaintext, non-zero padding). Never throws.
 *
 * @example
 * ```ts
 * const checked = checkCircleFrame(data)
 * for (const keys of generations) {
 *   const opened = checked.ok ? openCircleFrame(keys, checked) : checked
 *   if (opened.ok && opened.type === CircleRecordType.ENVELOPE) validateCircleEnvelope(keys, opened.body, options)
 * }
 * ```
 */
export function openCircleFrame (keys: CircleKeys, frame: Uint8Array | CheckedCircleFrame, powBits: number = CIRCLE_FRAME_POW_BITS): CircleFrameResult<CircleRecord> {
  const checked = checkedFor(frame, powBits)
  if (!checked.ok) return checked
  let plaintext: Uint8Array
  try {
    plaintext = openCirclePost(keys.sealKey, keys.topic, checked.sealed)
  } catch (err) {
    if (err instanceof ProtocolError) return { ok: false, code: 'ERR_CIRCLE_SEAL', reason: 'the frame does not open with this circle generation\'s key' }
    throw err
  }
  const type = plaintext[0]!
  const length = (plaintext[1]! << 8) | plaintext[2]!
  if (!TYPES.has(type)) return { ok: false, code: 'ERR_CIRCLE_FRAME', reason: `unknown circle record type ${type}` }
  if (HEADER + length > plaintext.byteLength) return { ok: false, code: 'ERR_CIRCLE_FRAME', reason: 'record length past the frame' }
  // the padding is part of the canonical form: a member re-sealing other bytes makes another message id anyway,
  // but a frame is one record and nothing else
  if (plaintext.subarray(HEADER + length).some((byte) => byte !== 0)) return { ok: false, code: 'ERR_CIRCLE_FRAME', reason: 'non-zero padding' }
  if (bucketFor(length) !== checked.frame.byteLength) return { ok: false, code: 'ERR_CIRCLE_SIZE', reason: 'the record fits a smaller bucket' }
  return { ok: true, type: type as CircleRecordTypeValue, body: plaintext.slice(HEADER, HEADER + length) }
}
