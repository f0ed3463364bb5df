import { concatBytes, equalBytes, isBytes, u64be, utf8 } from './bytes.js'
import { MemberStamp } from './directory.js'
import { AbortError } from './errors.js'
import { sha256 } from './hash.js'
import { leadingZeroBits } from './pow.js'
import { isValidPoint } from './ring.js'
import { rethrowNotReady, sodium } from './sodium.js'
import { StampError } from './stamp-errors.js'
import type { StampErrorCode } from './stamp-errors.js'
import { MAX_STAMP_WEEK, isStampWeekAccepted, stampWindow } from './stamp-window.js'

/** Argon2id memory of one stamp evaluation in bytes: beyond on-chip caches of CPUs and GPUs. @default 64 MiB */
export const STAMP_MEMLIMIT = 64 * 1024 * 1024
/** Argon2id passes of one stamp evaluation (RFC 9106: memory first, then passes). @default 1 */
export const STAMP_OPSLIMIT = 1
/**
 * Difficulty of a stamp in leading zero bits of its Argon2id output: 2^10 = 1024 evaluations expected,
 * about a minute of one core in Node (docs/MEMBERSHIP.md, bench/stamp.ts). @default 10
 */
export const STAMP_BITS = 10
/** Largest encoded stamp accepted, checked before decoding (the largest canonical one is 56 bytes). @default 64 */
export const MAX_STAMP_BYTES = 64

const STAMP_DOMAIN = utf8('murmur/v2/stamp')
const SALT_DOMAIN = utf8('murmur/v2/stamp-salt')
/** Largest nonce (and week): the wire integers are 32-bit. */
const MAX_UINT32 = 2 ** 32 - 1

/** A member stamp: proof that `memberKey` paid the memory-hard work for one week. */
export interface Stamp {
  /** The member's 32-byte ristretto255 public key. */
  memberKey: Uint8Array
  /** The week it is for: `floor(unix seconds / 604800)`. */
  week: number
  /** The nonce the minter found, 0..2^32−1. */
  nonce: number
}

/** Options of {@link verifyStamp}. */
export interface VerifyStampOptions {
  /** Unix seconds the stamp must be accepted at (a post's `created` when checking its ring). @default now */
  now?: number
  /** Difficulty in leading zero bits; a deployment parameter, smaller in tests. @default STAMP_BITS */
  bits?: number
}

/** Result of {@link verifyStamp}: never thrown, always returned. */
export type StampVerification =
  | { ok: true, stamp: Stamp, /** Leading zero bits of its Argon2id output. */ work: number }
  | { ok: false, code: StampErrorCode, reason: string }

/** Progress of {@link mintStamp}, reported after every evaluation. */
export interface StampProgress {
  /** Evaluations done by this call. */
  attempts: number
  /** The nonce to resume from (`startNonce`) if minting stops now. */
  nextNonce: number
  /** Difficulty being mined. */
  bits: number
  /** Expected evaluations of a whole mint: 2^bits (minting is memoryless: also the expected remainder). */
  expectedEvaluations: number
  /** Mean milliseconds per evaluation so far. */
  evaluationMs: number
  /** Expected seconds left: expectedEvaluations × evaluationMs / 1000 (whatever was done already). */
  etaSeconds: number
  /** Chance that a miner would have found a stamp within this many evaluations: 1 − (1 − 2^−bits)^attempts. */
  chance: number
}

/** Options of {@link mintStamp}. */
export interface MintStampOptions {
  /** The member's 32-byte public key (the secret key is not needed and never asked for). */
  memberKey: Uint8Array
  /** The week to mint for (see weekToMint, renewalSchedule). */
  week: number
  /** Difficulty in leading zero bits. @default STAMP_BITS */
  bits?: number
  /** First nonce to try, to resume after a restart (StampProgress.nextNonce). @default 0 */
  startNonce?: number
  /** Cancels minting; the promise then rejects with an AbortError. */
  signal?: AbortSignal
  /** Called after every evaluation. */
  onProgress?: (progress: StampProgress) => void
}

function checkBits (bits: number): void {
  if (!Number.isInteger(bits) || bits < 0 || bits > 256) throw new RangeError(`expected stamp bits in 0..256, got ${bits}`)
}

/**
 * The Argon2id input of a stamp: `password = "murmur/v2/stamp" || memberKey || u64be(week) || u64be(nonce)`,
 * `salt = SHA-256("murmur/v2/stamp-salt" || memberKey || u64be(week))[0..16]`.
 */
function stampInput (memberKey: Uint8Array, week: number): { password: Uint8Array, salt: Uint8Array, nonceView: DataView } {
  const password = concatBytes([STAMP_DOMAIN, memberKey, u64be(week), new Uint8Array(8)])
  const salt = sha256(SALT_DOMAIN, memberKey, u64be(week)).subarray(0, sodium.crypto_pwhash_SALTBYTES)
  return { password, salt, nonceView: new DataView(password.buffer, password.byteOffset + password.byteLength - 8, 8) }
}

function argon2id (password: Uint8Array, salt: Uint8Array): Uint8Array {
  return sodium.crypto_pwhash(32, password, salt, STAMP_OPSLIMIT, STAMP_MEMLIMIT, sodium.crypto_pwhash_ALG_ARGON2ID13)
}

/**
 * The 32-byte Argon2id output of a stamp (64 MiB, one pass, one lane); a stamp is valid when it has at
 * least `bits` leading zero bits. One evaluation: about 55 ms of one core (bench/stamp.ts). Throws a
 * RangeError on an unusable stamp.
 *
 * @example
 * ```ts
 * leadingZeroBits(stampHash(stamp)) >= STAMP_BITS
 * ```
 */
export function stampHash (stamp: Stamp): Uint8Array {
  const problem = stampShapeProblem(stamp)
  if (problem !== undefined) throw new RangeError(problem.reason)
  const { password, salt, nonceView } = stampInput(stamp.memberKey, stamp.week)
  nonceView.setUint32(4, stamp.nonce, false)
  return argon2id(password, salt)
}

/** What makes a value unusable as a stamp before any crypto, or undefined. */
function stampShapeProblem (stamp: unknown): { code: StampErrorCode, reason: string } | undefined {
  if (typeof stamp !== 'object' || stamp === null) return { code: 'ERR_MALFORMED', reason: 'stamp must be an object' }
  const { memberKey, week, nonce } = stamp as Partial<Stamp>
  if (typeof week !== 'number' || !Number.isSafeInteger(week) || week < 0 || week > MAX_STAMP_WEEK) {
    return { code: 'ERR_MALFORMED', reason: `stamp week must be an integer in 0..${MAX_STAMP_WEEK}` }
  }
  if (typeof nonce !== 'number' || !Number.isInteger(nonce) || nonce < 0 || nonce > MAX_UINT32) return { code: 'ERR_MALFORMED', reason: 'stamp nonce must be an integer in 0..2^32-1' }
  if (!isBytes(memberKey, 32)) return { code: 'ERR_BAD_MEMBER_KEY', reason: 'member key must be 32 bytes' }
  return undefined
}

/**
 * Verifies a stamp, cheapest check first: its shape, the member key (a valid non-identity point), the
 * week's window at `now` (ERR_STAMP_WEEK, Ignore), and last the one Argon2id evaluation (ERR_BAD_STAMP,
 * Reject). Never throws. Verify once per stamp and remember the result: each call costs an evaluation.
 *
 * @example
 * ```ts
 * const result = verifyStamp(decodeStamp(bytes), { now: Math.floor(Date.now() / 1000) })
 * if (!result.ok) console.log(result.code) // e.g. 'ERR_BAD_STAMP'
 * ```
 */
export function verifyStamp (stamp: Stamp, options: VerifyStampOptions = {}): StampVerification {
  try {
    const problem = stampShapeProblem(stamp)
    if (problem !== undefined) return { ok: false, ...problem }
    if (!isValidPoint(stamp.memberKey) || sodium.is_zero(stamp.memberKey)) {
      return { ok: false, code: 'ERR_BAD_MEMBER_KEY', reason: 'member key is not a valid non-identity ristretto255 point' }
    }
    const now = options.now ?? Math.floor(Date.now() / 1000)
    if (!isStampWeekAccepted(stamp.week, now)) {
      const { notBefore, notAfter } = stampWindow(stamp.week)
      return { ok: false, code: 'ERR_STAMP_WEEK', reason: `a stamp for week ${stamp.week} is accepted from ${notBefore} until ${notAfter}, not at ${now}` }
    }
    const bits = options.bits ?? STAMP_BITS
    checkBits(bits)
    const work = leadingZeroBits(stampHash(stamp))
    if (work < bits) return { ok: false, code: 'ERR_BAD_STAMP', reason: `stamp work is ${work} leading zero bits, ${bits} required` }
    return { ok: true, stamp, work }
  } catch (err) {
    rethrowNotReady(err)
    return { ok: false, code: 'ERR_MALFORMED', reason: `stamp cannot be verified: ${err instanceof Error ? err.message : String(err)}` }
  }
}

/**
 * Canonical bytes of a stamp (a MemberStamp protobuf, at most 56 bytes): what a directory announcement
 * carries. Throws a StampError (ERR_MALFORMED, ERR_BAD_MEMBER_KEY) on a value that is not a stamp.
 *
 * @example
 * ```ts
 * const bytes = encodeStamp(await mintStamp({ memberKey, week }))
 * ```
 */
export function encodeStamp (stamp: Stamp): Uint8Array {
  const problem = stampShapeProblem(stamp)
  if (problem !== undefined) throw new StampError(problem.code, problem.reason)
  return MemberStamp.encode({ memberKey: new Uint8Array(stamp.memberKey), week: stamp.week, nonce: stamp.nonce })
}

/**
 * Decodes a stamp: at most MAX_STAMP_BYTES, canonical, a 32-byte member key and a week within range.
 * Does not check the point, the window or the work (see verifyStamp). Throws a StampError
 * (ERR_TOO_LARGE, ERR_MALFORMED, ERR_NOT_CANONICAL, ERR_BAD_MEMBER_KEY).
 *
 * @example
 * ```ts
 * const stamp = decodeStamp(bytes)
 * ```
 */
export function decodeStamp (bytes: Uint8Array): Stamp {
  if (!(bytes instanceof Uint8Array)) throw new StampError('ERR_MALFORMED', 'stamp must be a Uint8Array')
  if (bytes.byteLength > MAX_STAMP_BYTES) throw new StampError('ERR_TOO_LARGE', `stamp is ${bytes.byteLength} bytes, at most ${MAX_STAMP_BYTES} allowed`)
  let decoded: MemberStamp
  try {
    decoded = MemberStamp.decode(bytes)
  } catch (err) {
    throw new StampError('ERR_MALFORMED', `stamp does not decode: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  const stamp: Stamp = { memberKey: decoded.memberKey, week: decoded.week, nonce: decoded.nonce }
  if (!isBytes(stamp.memberKey, 32)) throw new StampError('ERR_BAD_MEMBER_KEY', `member key must be 32 bytes, got ${decoded.memberKey.byteLength}`)
  if (!equalBytes(encodeStamp(stamp), bytes)) throw new StampError('ERR_NOT_CANONICAL', 'stamp is not canonically encoded')
  return stamp
}

const yieldToEventLoop = async (): Promise<void> => {
  await new Promise<void>((resolve) => { setTimeout(resolve, 0) })
}

/**
 * Mints a stamp for `memberKey` and `week`: tries nonces from `startNonce` upwards until the Argon2id output
 * has `bits` leading zero bits (2^bits evaluations expected; a lottery, so any one mint may take several
 * times that). Yields to the event loop after every evaluation, so it blocks for one evaluation (~55 ms) at
 * a time; a UI should still run it in a worker. Reports progress after every evaluation; cancellable.
 *
 * @example
 * ```ts
 * const stamp = await mintStamp({
 *   memberKey: key.publicKey,
 *   week: weekToMint(Math.floor(Date.now() / 1000)),
 *   startNonce: saved.nextNonce,
 *   signal,
 *   onProgress: (p) => { saved.nextNonce = p.nextNonce; console.log(`${Math.round(p.chance * 100)} %, ETA ${p.etaSeconds} s`) }
 * })
 * ```
 */
export async function mintStamp (options: MintStampOptions): Promise<Stamp> {
  const { memberKey, week, signal, onProgress } = options
  const bits = options.bits ?? STAMP_BITS
  checkBits(bits)
  let nonce = options.startNonce ?? 0
  const problem = stampShapeProblem({ memberKey, week, nonce })
  if (problem !== undefined) throw new StampError(problem.code, problem.reason)
  if (!isValidPoint(memberKey) || sodium.is_zero(memberKey)) throw new StampError('ERR_BAD_MEMBER_KEY', 'member key is not a valid non-identity ristretto255 point')

  const { password, salt, nonceView } = stampInput(memberKey, week)
  const expectedEvaluations = 2 ** bits
  const started = performance.now()
  let attempts = 0
  for (;;) {
    if (signal?.aborted === true) throw new AbortError('stamp minting was aborted')
    if (nonce > MAX_UINT32) throw new StampError('ERR_MALFORMED', 'stamp nonces exhausted')
    nonceView.setUint32(4, nonce, false)
    const found = leadingZeroBits(argon2id(password, salt)) >= bits
    attempts++
    const evaluationMs = (performance.now() - started) / attempts
    onProgress?.({
      attempts,
      nextNonce: found ? nonce : nonce + 1,
      bits,
      expectedEvaluations,
      evaluationMs,
      etaSeconds: found ? 0 : expectedEvaluations * evaluationMs / 1000,
      chance: found ? 1 : 1 - (1 - 2 ** -bits) ** attempts
    })
    if (found) return { memberKey: new Uint8Array(memberKey), week, nonce }
    nonce++
    await yieldToEventLoop()
  }
}
