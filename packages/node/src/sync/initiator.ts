/**
 * The initiator's side of one history-sync session, once its stream is open (HistorySync.syncWith dials it,
 * and demotes, aborts and times it out): reconcile, ask for what is missing, take in only what was asked
 * for (see `Requested`), within the session's round trips and range budget.
 */
import { Reconciler, SYNC_LIMITS, toHex } from '@murmur/protocol'
import { SYNC_MAX_ROUND_TRIPS, SYNC_MAX_WANTED } from './constants.js'
import { SyncLimitError } from './errors.js'
import { Requested } from './requested.js'
import { SketchPhase } from './sketch-phase.js'
import { read, write } from './wire.js'
import { isVerifyRefusal } from '../verify/errors.js'
import type { SyncHost } from './history-sync.js'
import type { PeerId } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { SyncMessage } from '@murmur/protocol'
import type { Verdict } from '../intake.js'

/** The outcome of one sync session, as the initiator saw it. */
export interface SyncReport {
  /** Envelopes received and stored. */
  stored: number
  /** Envelopes received that were valid but not new (duplicates) or no longer wanted (expired). */
  ignored: number
  /** Envelopes received that failed validation. */
  rejected: number
  /**
   * Envelopes received but not judged: the verification pool refused them (overloaded, stopping). Nobody's
   * fault: they stay missing here, so the next session with any peer asks for them again.
   */
  deferred: number
  /** Envelopes received that were not asked for (the session then ends, the peer demoted). */
  unrequested: number
  /** Request/reply exchanges. */
  roundTrips: number
  /** Bytes sent, length prefixes included. */
  bytesOut: number
  /** Bytes received, length prefixes included. */
  bytesIn: number
}

/** What {@link initiateSession} needs to know of its session. */
export interface InitiatorSession {
  /** The topic reconciled, and its channel. */
  topic: string
  channel: string
  /** The peer answering. */
  peer: PeerId
  host: Pick<SyncHost, 'items' | 'ingest' | 'itemOf' | 'wanted'>
  signal: AbortSignal
  /** A reply must arrive whole within this many ms (a SyncStalledError). */
  idleTimeout: number
  /** Ranges the replies may hold in all, besides one per item held (a SyncLimitError past them). */
  sessionRanges: number
  /** Called when the peer sends a post it was not asked for, or an invalid one; the session then ends. */
  demote(why: 'unrequested' | 'invalid'): void
}

/**
 * Runs a session to its end and resolves to its report; throws SyncLimitError past SYNC_MAX_ROUND_TRIPS or
 * the range budget, SyncStalledError on a reply that does not arrive in time, and whatever the codec or the
 * sketch throws on a reply no honest responder sends.
 *
 * @example
 * ```ts
 * const report = await initiateSession(lpStream(stream), { topic, channel, peer, host, signal, idleTimeout: SYNC_IDLE_TIMEOUT, sessionRanges: SYNC_SESSION_RANGES, demote })
 * ```
 */
export async function initiateSession (lp: LengthPrefixedStream, session: InitiatorSession): Promise<SyncReport> {
  const { topic, channel, peer, host, signal, idleTimeout, sessionRanges, demote } = session
  const report: SyncReport = { stored: 0, ignored: 0, rejected: 0, deferred: 0, unrequested: 0, roundTrips: 0, bytesOut: 0, bytesIn: 0 }
  const items = await host.items(channel)
  const reconciler = new Reconciler(items, 'initiator')
  // spread differences leave ranges for the sketch after the first reply
  const phase = new SketchPhase(items)
  let request: SyncMessage = { topic, ranges: reconciler.initial(), need: [], envelopes: [], pending: 0 }
  // ids still to ask for, each asked at most once per session, at most SYNC_MAX_WANTED in all
  const wanted = new Map<string, Uint8Array>()
  for (const id of host.wanted?.(topic, peer) ?? []) {
    if (wanted.size < SYNC_MAX_WANTED) wanted.set(toHex(id), id)
  }
  const requested = new Requested(topic, host.itemOf)
  requested.askBy((id) => phase.asked(id))
  // a responder's ranges each cost a step of reconciliation here: an honest one needs less than one per item
  const budget = sessionRanges + items.length
  let ranges = budget
  for (;;) {
    if (++report.roundTrips > SYNC_MAX_ROUND_TRIPS) throw new SyncLimitError(`no convergence within ${SYNC_MAX_ROUND_TRIPS} round trips`)
    requested.sent(request.ranges)
    report.bytesOut += await write(lp, request, signal)
    const { message: reply, bytes } = await read(lp, signal, idleTimeout)
    report.bytesIn += bytes
    ranges -= reply.ranges.length
    if (ranges < 0) throw new SyncLimitError(`replies of more than ${budget} ranges in one session`)
    for (const envelope of reply.envelopes) {
      signal.throwIfAborted()
      if (!requested.admit(envelope)) {
        // checked before validation: junk nobody asked for costs a hash, not a signature check
        report.unrequested++
        demote('unrequested')
        throw new Error('peer sent a post it was not asked for')
      }
      let verdict: Verdict
      try {
        verdict = await host.ingest(topic, envelope, peer)
      } catch (err) {
        if (!isVerifyRefusal(err)) throw err
        report.deferred++
        continue
      }
      if (verdict === 'reject') {
        report.rejected++
        demote('invalid')
        throw new Error('peer sent an invalid post')
      }
      if (verdict === 'accept') report.stored++
      else report.ignored++
    }
    const { step, sketch } = phase.next(reply, reconciler, report.roundTrips === 1)
    for (const id of step.need) {
      const hex = toHex(id)
      if (!requested.has(hex) && requested.size + wanted.size < SYNC_MAX_WANTED) wanted.set(hex, id)
    }
    const need: Uint8Array[] = []
    for (const [hex, id] of wanted) {
      if (need.length >= SYNC_LIMITS.need) break
      need.push(id)
      wanted.delete(hex)
      requested.ask(hex)
    }
    if (step.ranges.length === 0 && need.length === 0 && reply.pending === 0 && Object.keys(sketch).length === 0) break
    request = { topic: '', ranges: step.ranges, need: need as Array<Uint8Array<ArrayBuffer>>, envelopes: [], pending: 0, ...sketch }
  }
  return report
}
