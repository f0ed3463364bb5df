import { compareBytes, concatBytes, equalBytes, isBytes, toHex, u32be, u64be } from '../bytes.js'
import { rethrowNotReady, sodium } from '../sodium.js'
import { CircleError } from './errors.js'
import { CircleRecordType } from './frame.js'
import { CIRCLE_SECRET_BYTES, MAX_CIRCLE_GENERATION } from './keys.js'
import type { CircleKeys } from './keys.js'
import { judged, recordDigest, RecordReader, signed } from './records.js'
import type { MemberKeys, RecordResult } from './records.js'
import { MAX_CIRCLE_MEMBERS } from './roster.js'
import type { RosterMember } from './roster.js'


/** A kept member in a rotation: its keys and the new secret sealed to its box key. */
export interface RotationEntry {
  ringKey: Uint8Array
  boxKey: Uint8Array
  /** `crypto_box_seal(newSecret, boxKey)`, 80 bytes: only this member's box secret key opens it. */
  sealed: Uint8Array
}

/** The owner's rotation of a circle to generation `generation` without the `removed` members. */
export interface RotationRecord {
  owner: Uint8Array
  /** The new generation: the old one + 1. */
  generation: number
  created: number
  removed: Uint8Array[]
  /** The members of the new generation, strictly ascending by ring key, the owner among them. */
  kept: RotationEntry[]
}

const SEALED_BYTES = CIRCLE_SECRET_BYTES + 48

/**
 * The owner's ROTATE body, published on the old generation's topic: `owner || u32be(generation + 1) ||
 * u64be(created) || u8 r || removed(32·r) || u8 k || (ringKey || boxKey || sealed(80))·k`, signed by the
 * owner's ring key. `newSecret` is fresh (generateCircleSecret), sealed to each kept member's box key:
 * a removed member, who still reads the old generation, sees that a rotation happened and who stayed,
 * and reads nothing of the new one. Throws a RangeError/TypeError on bad input.
 *
 * @example
 * ```ts
 * const body = signRotation(keys, owner, { newSecret: generateCircleSecret(), created: now, removed: [mallory], kept })
 * await sealCircleFrame(keys, CircleRecordType.ROTATE, body)
 * ```
 */
export function signRotation (keys: CircleKeys, owner: MemberKeys, fields: { newSecret: Uint8Array, created: number, removed: Uint8Array[], kept: Array<{ ringKey: Uint8Array, boxKey: Uint8Array }> }): Uint8Array {
  if (!isBytes(fields.newSecret, CIRCLE_SECRET_BYTES)) throw new TypeError(`expected a ${CIRCLE_SECRET_BYTES}-byte new secret`)
  if (!Number.isSafeInteger(fields.created) || fields.created < 0) throw new RangeError('created must be unix seconds')
  if (keys.generation >= MAX_CIRCLE_GENERATION) throw new RangeError('the circle is at its last generation')
  const kept = [...fields.kept].sort((a, b) => compareBytes(a.ringKey, b.ringKey))
  if (kept.length < 1 || kept.length > MAX_CIRCLE_MEMBERS) throw new RangeError(`a rotation keeps 1..${MAX_CIRCLE_MEMBERS} members`)
  if (fields.removed.length > 255) throw new RangeError('a rotation removes at most 255 members')
  if (!equalBytes(owner.ring.publicKey, keys.owner)) throw new RangeError('only the circle\'s owner rotates it')
  if (!kept.some((m) => equalBytes(m.ringKey, owner.ring.publicKey))) throw new RangeError('the owner keeps itself')
  if (kept.some((m) => fields.removed.some((r) => equalBytes(r, m.ringKey)))) throw new RangeError('a member is both kept and removed')
  const body = concatBytes([
    owner.ring.publicKey, u32be(keys.generation + 1), u64be(fields.created),
    Uint8Array.of(fields.removed.length), ...fields.removed,
    Uint8Array.of(kept.length), ...kept.flatMap((m) => [m.ringKey, m.boxKey, sodium.crypto_box_seal(fields.newSecret, m.boxKey)])
  ])
  return signed(keys, CircleRecordType.ROTATE, body, owner.ring)
}

/**
 * Reads and verifies a ROTATE body against the circle's owner (`keys.owner`): ERR_CIRCLE_ROTATION when
 * another member signed it or it skips a generation, ERR_CIRCLE_RECORD on a broken layout or signature.
 *
 * @example
 * ```ts
 * const rotation = openRotation(keys, opened.body)
 * if (rotation.ok) next = rotationSecret(rotation.record, me)
 * ```
 */
export function openRotation (keys: CircleKeys, body: Uint8Array): RecordResult<RotationRecord> {
  const owner = keys.owner
  return judged(() => {
    const reader = new RecordReader(body)
    const signer = reader.point()
    const generation = reader.u32()
    const created = reader.u64()
    const removed = Array.from({ length: reader.u8() }, () => reader.point())
    const kept = Array.from({ length: reader.u8() }, () => ({ ringKey: reader.point(), boxKey: reader.take(32), sealed: reader.take(SEALED_BYTES) }))
    reader.signedBy(keys, CircleRecordType.ROTATE, signer, 'the rotation is not signed by its signer')
    reader.end()
    if (!equalBytes(signer, owner)) throw new CircleError('ERR_CIRCLE_ROTATION', 'only the circle\'s owner rotates it')
    if (generation !== keys.generation + 1) throw new CircleError('ERR_CIRCLE_ROTATION', `a rotation of generation ${keys.generation} leads to ${keys.generation + 1}, not ${generation}`)
    for (let i = 1; i < kept.length; i++) {
      if (compareBytes(kept[i - 1]!.ringKey, kept[i]!.ringKey) >= 0) throw new CircleError('ERR_CIRCLE_RECORD', 'kept members must be strictly ascending')
    }
    if (!kept.some((m) => equalBytes(m.ringKey, owner))) throw new CircleError('ERR_CIRCLE_ROTATION', 'the owner is not among the kept members')
    return { owner: signer, generation, created, removed, kept }
  })
}

/**
 * The new secret a rotation carries for this member, or undefined when it was not kept (removed, or
 * never a member). Opens only with the member's box key.
 *
 * @example
 * ```ts
 * const secret = rotationSecret(rotation, me)
 * if (secret !== undefined) keys = deriveCircleKeys(secret, rotation.generation, keys.owner)
 * ```
 */
export function rotationSecret (rotation: RotationRecord, member: MemberKeys): Uint8Array | undefined {
  const entry = rotation.kept.find((m) => equalBytes(m.ringKey, member.ring.publicKey) && equalBytes(m.boxKey, member.box.publicKey))
  if (entry === undefined) return undefined
  try {
    return sodium.crypto_box_seal_open(entry.sealed, member.box.publicKey, member.box.secretKey)
  } catch (err) {
    rethrowNotReady(err)
    return undefined
  }
}

/**
 * Of two valid rotations of one generation (the owner rotated from two devices at once), the one every
 * member follows: the smaller record digest. The other's removals that the winner kept are the owner's to
 * make again with a new rotation; members who posted on the losing generation see those posts as a fork.
 *
 * @example
 * ```ts
 * const winner = pickRotation(keys, bodyA, bodyB)
 * ```
 */
export function pickRotation (keys: CircleKeys, a: Uint8Array, b: Uint8Array): Uint8Array {
  return compareBytes(recordDigest(keys, CircleRecordType.ROTATE, a), recordDigest(keys, CircleRecordType.ROTATE, b)) <= 0 ? a : b
}

/**
 * The members a rotation carries into the new generation, as the previous roster held them: the kept keys
 * that were on it (with the same box key), their join time and inviter unchanged. A kept key that was not
 * on the previous roster is not carried: it joins the new generation as any newcomer does (a JOIN, the
 * newcomer delay, the warnings), so an owner cannot slip fakes in as old members by rotating.
 *
 * @example
 * ```ts
 * const next = rosterOf({ joins: [], invites: [], leaves: [], carried: carryOver(rotation, previous.values()) })
 * ```
 */
export function carryOver (rotation: RotationRecord, previous: Iterable<RosterMember>): RosterMember[] {
  const kept = new Map(rotation.kept.map((entry) => [toHex(entry.ringKey), entry]))
  const carried: RosterMember[] = []
  for (const member of previous) {
    const entry = kept.get(toHex(member.ringKey))
    if (entry !== undefined && equalBytes(entry.boxKey, member.boxKey)) carried.push({ ...member })
  }
  return carried
}
