import { checkShape } from '../codec.js'
import { ProtocolError } from '../errors.js'
import type { WireShape } from '../codec.js'
import { SKETCH_SALT_BYTES } from './sketch.js'
import { SyncMessage } from './sync.js'

/** Decoding limits of sync messages (a DoS defence; docs/PROTOCOL.md §10). */
export const SYNC_LIMITS = Object.freeze({
  /** Largest sync message in bytes. @default 2 MiB */
  maxBytes: 2 * 1024 * 1024,
  /** Most ranges in one message. @default 4096 */
  ranges: 4096,
  /** Most ids in one ID_LIST range. @default 256 */
  ids: 256,
  /** Most ids asked for in one message. @default 1024 */
  need: 1024,
  /** Most envelopes in one message. @default 2048 */
  envelopes: 2048
})

/** Bytes of a post id (ids of an ID_LIST range, need). */
const ID_BYTES = 32

// each field once and in order, but the lists, counted as they are walked: ids and need exactly ID_BYTES
// each, so 2 MiB holds at most 61,680 ids (34 bytes apiece on the wire) however the ranges share them out
// (4096 x 256 ids could never fit), and the walk stops at the first entry past a limit
const SYNC_RANGE_SHAPE: WireShape = { 1: { wire: 0 }, 2: { wire: 2 }, 3: { wire: 0 }, 4: { wire: 2 }, 5: { wire: 0 }, 6: { wire: 2, max: SYNC_LIMITS.ids, len: ID_BYTES } }
const SYNC_MESSAGE_SHAPE: WireShape = {
  1: { wire: 2 },
  2: { wire: 2, max: SYNC_LIMITS.ranges, shape: SYNC_RANGE_SHAPE },
  3: { wire: 2, max: SYNC_LIMITS.need, len: ID_BYTES },
  4: { wire: 2, max: SYNC_LIMITS.envelopes },
  5: { wire: 0 },
  6: { wire: 2 },
  7: { wire: 0 },
  8: { wire: 0 },
  9: { wire: 2 },
  10: { wire: 2 }
}

/**
 * Decodes a sync message within SYNC_LIMITS, its wire shape checked first (a 2 MiB message of a million
 * empty topics, or of a million empty list entries, took 0.6-2.9 s to decode): every list counted against
 * its limit as it is walked, ids and need 32 bytes each, a sketch salt 16; throws ProtocolError ERR_TOO_LARGE, ERR_MALFORMED or ERR_NOT_CANONICAL.
 *
 * @example
 * ```ts
 * const message = decodeSyncMessage(bytes)
 * ```
 */
export function decodeSyncMessage (bytes: Uint8Array): SyncMessage {
  if (bytes.byteLength > SYNC_LIMITS.maxBytes) throw new ProtocolError('ERR_TOO_LARGE', `sync message of ${bytes.byteLength} bytes`)
  checkShape('sync message', bytes, SYNC_MESSAGE_SHAPE)
  let message: SyncMessage
  try {
    message = SyncMessage.decode(bytes, {
      limits: { ranges: SYNC_LIMITS.ranges, need: SYNC_LIMITS.need, envelopes: SYNC_LIMITS.envelopes, ranges$: { ids: SYNC_LIMITS.ids } }
    })
  } catch (err) {
    throw new ProtocolError('ERR_MALFORMED', `sync message does not decode: ${err instanceof Error ? err.message : String(err)}`)
  }
  // another length failed only in the responder's sketch, as a RangeError the peer paid nothing for
  if (message.sketchSalt !== undefined && message.sketchSalt.byteLength !== SKETCH_SALT_BYTES) {
    throw new ProtocolError('ERR_MALFORMED', `sketch salt of ${message.sketchSalt.byteLength} bytes, not ${SKETCH_SALT_BYTES}`)
  }
  return message
}

/**
 * Encodes a sync message.
 *
 * @example
 * ```ts
 * const bytes = encodeSyncMessage({ topic, ranges, need: [], envelopes: [], pending: 0 })
 * ```
 */
export function encodeSyncMessage (message: SyncMessage): Uint8Array {
  return SyncMessage.encode(message)
}
