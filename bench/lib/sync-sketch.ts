// One sketch-reconciliation session alone (rateless IBLT over salted short ids, packages/protocol/src/sync/sketch.ts)
// between a newcomer and a full peer, in memory, with the bytes the wire carries: the sync.proto sketch fields
// (salt, size, cells, more, short-id need; each a protobuf tag, a length where it has one, and the message's
// length prefix) and the envelopes as the node sends them (encodeSyncMessage, batched by its reply budget).
// The node runs the sketch only after a range round shows spread differences; this is the sketch for every case.
import { encodingLength } from 'uint8-varint'
import { encodeSyncMessage } from '@murmur/protocol'
import { SketchInitiator, SketchResponder, sketchFirstBatch } from '../../packages/protocol/dist/src/sync/sketch.js'
import type { SketchStep } from '../../packages/protocol/dist/src/sync/sketch.js'

/** The node's reply budget (packages/node/src/sync/constants.ts). */
const REPLY_BYTES = 1024 * 1024
const REPLY_ENVELOPES = 1024

/** What one session cost. */
export interface SketchOutcome {
  /** Bytes both ways, length prefixes included. */
  bytes: number
  /** Of which reconciliation (everything but the envelope messages). */
  reconcileBytes: number
  roundTrips: number
  /** Cells the responder sent. */
  cells: number
  /** CPU time of reconciliation, both ends (short ids, encoding, decoding), ms. */
  ms: number
  /** Ids the newcomer learned it lacks. */
  need: Uint8Array[]
  /** Whether the difference was past the sketch's bound (the node would use ranges). */
  fallback: boolean
}

const framed = (payload: number): number => payload + encodingLength(payload)
/** A length-delimited protobuf field (tag under 16). */
const field = (length: number): number => 1 + encodingLength(length) + length
/** A varint protobuf field. */
const varintField = (value: number): number => value === 0 ? 0 : 1 + encodingLength(value)

/**
 * Runs a session: `mine` are the newcomer's ids, `theirs` the peer's; `envelope` gives the peer's envelope of an id.
 *
 * @example
 * ```ts
 * const outcome = sketchSession(topic, held.map((p) => p.id), posts.map((p) => p.id), (id) => byId.get(toHex(id))!)
 * ```
 */
export function sketchSession (topic: string, mine: Uint8Array[], theirs: Uint8Array[], envelope: (id: Uint8Array) => Uint8Array): SketchOutcome {
  return session(topic, mine, theirs, envelope)
}
/** A sketch session; `topic` undefined when an earlier message of the session named it. */
function session (topic: string | undefined, mine: Uint8Array[], theirs: Uint8Array[], envelope: (id: Uint8Array) => Uint8Array): SketchOutcome {
  let cpu = 0
  const timed = <T>(f: () => T): T => { const t = performance.now(); try { return f() } finally { cpu += performance.now() - t } }
  const initiator = timed(() => new SketchInitiator(mine))
  // request 1: topic, salt, size
  let bytes = framed((topic === undefined ? 0 : field(new TextEncoder().encode(topic).byteLength)) + field(initiator.salt.byteLength) + varintField(initiator.size))
  const responder = timed(() => new SketchResponder(theirs, initiator.salt))
  let step: SketchStep = { status: 'more', more: sketchFirstBatch(initiator.size, theirs.length) }
  let roundTrips = 0
  for (let first = true; step.status === 'more'; first = false) {
    if (!first) bytes += framed(varintField(step.more)) // "more: n"
    roundTrips++
    const more: number = step.more
    const cells: Uint8Array = timed(() => responder.next(more))
    bytes += framed(field(cells.byteLength))
    step = timed((): SketchStep => initiator.receive(cells))
  }
  if (step.status === 'fallback') return { bytes, reconcileBytes: bytes, roundTrips, cells: responder.cells, ms: cpu, need: [], fallback: true }
  const done = step
  const need = timed(() => responder.resolve(done.need))
  // the newcomer takes in only envelopes whose ids it asked for (the node checks this before validation)
  timed(() => { for (const id of need) if (!initiator.asked(id)) throw new Error('the peer answered with an id that was not asked for') })
  // the need request, then envelope replies while envelopes are pending (an empty request asks for the next)
  bytes += framed(field(done.need.byteLength))
  const reconcileBytes = bytes
  let at = 0
  do {
    roundTrips++
    if (at > 0) bytes += framed(0)
    const batch: Uint8Array[] = []
    let size = 0
    while (at < need.length && batch.length < REPLY_ENVELOPES) {
      const e = envelope(need[at]!)
      if (batch.length > 0 && size + e.byteLength > REPLY_BYTES) break
      batch.push(e)
      size += e.byteLength
      at++
    }
    bytes += framed(encodeSyncMessage({ topic: '', ranges: [], need: [], envelopes: batch as Array<Uint8Array<ArrayBuffer>>, pending: need.length - at }).byteLength)
  } while (at < need.length)
  return { bytes, reconcileBytes, roundTrips, cells: responder.cells, ms: cpu, need, fallback: false }
}
