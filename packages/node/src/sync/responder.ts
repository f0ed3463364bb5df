/**
 * The responder's side of one history-sync session, once admitted (HistorySync.respond holds the slot):
 * reconcile the peer's ranges, answer its sketch and its needs, and hand out only posts of the channel's
 * reconciled set, each at most once a session, within the reply budget.
 */
import { Reconciler, toHex } from '@murmur/protocol'
import { SYNC_MAX_ROUND_TRIPS, SYNC_REPLY_BYTES, SYNC_REPLY_ENVELOPES } from './constants.js'
import { SketchAnswer } from './sketch-phase.js'
import { SendQueue, readUnlessClosed, write } from './wire.js'
import type { SyncHost } from './history-sync.js'
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { SyncMessage } from '@murmur/protocol'

/**
 * Answers a session whose `first` message has arrived, until the peer closes its side, goes idle past
 * `idleTimeout` (a SyncStalledError) or uses up {@link SYNC_MAX_ROUND_TRIPS}. A channel this node has
 * not joined gets one empty reply: nothing is said about it.
 *
 * @example
 * ```ts
 * await answerSession(lp, first, host, signal, SYNC_IDLE_TIMEOUT)
 * ```
 */
export async function answerSession (lp: LengthPrefixedStream, first: SyncMessage, host: Pick<SyncHost, 'channelOf' | 'items' | 'envelope'>, signal: AbortSignal, idleTimeout: number): Promise<void> {
  const channel = host.channelOf(first.topic)
  if (channel === undefined) {
    await write(lp, { topic: '', ranges: [], need: [], envelopes: [], pending: 0 }, signal)
    return
  }
  const items = await host.items(channel)
  // only posts of this channel's reconciled set are ever handed out, each at most once a session
  const held = new Map(items.map((item) => [toHex(item.id), item.id]))
  const reconciler = new Reconciler(items, 'responder')
  const sketch = new SketchAnswer(items)
  const queue = new SendQueue()
  let message: SyncMessage | undefined = first
  for (let round = 0; message !== undefined && round < SYNC_MAX_ROUND_TRIPS; round++) {
    const step = reconciler.process(message.ranges)
    for (const item of step.give) queue.add(toHex(item.id), item.id)
    const { cells, ids } = sketch.answer(message)
    for (const id of ids) queue.add(toHex(id), id)
    for (const id of message.need) {
      const hex = id.byteLength === 32 ? toHex(id) : undefined
      const mine = hex === undefined ? undefined : held.get(hex)
      if (hex !== undefined && mine !== undefined) queue.add(hex, mine)
    }
    const envelopes = await takeEnvelopes(queue, host)
    await write(lp, { topic: '', ranges: step.ranges, need: [], envelopes: envelopes as Array<Uint8Array<ArrayBuffer>>, pending: queue.size, ...(cells === undefined ? {} : { sketchCells: cells }) }, signal)
    message = await readUnlessClosed(lp, signal, idleTimeout)
  }
}

/** Takes envelopes off the queue up to the reply budget; expired or unknown ids are dropped. */
async function takeEnvelopes (queue: SendQueue, host: Pick<SyncHost, 'envelope'>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  let bytes = 0
  for (let id = queue.peek(); id !== undefined && out.length < SYNC_REPLY_ENVELOPES; id = queue.peek()) {
    const envelope = await host.envelope(id)
    if (envelope !== undefined && out.length > 0 && bytes + envelope.byteLength > SYNC_REPLY_BYTES) break
    queue.take()
    if (envelope !== undefined) {
      out.push(envelope)
      bytes += envelope.byteLength
    }
  }
  return out
}
