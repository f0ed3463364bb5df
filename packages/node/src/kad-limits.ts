/**
 * A cap on the size of one DHT (kad) message, read or answered.
 *
 * kad-dht 16.x reads every kad message with `pbStream(stream)`: up to 4 MiB a message, decoded in one
 * synchronous call with no limit on how many peers it lists. A stock peer sending PING followed by ~2
 * million empty `closerPeers` (`42 00`) held a DHT server's event loop for 19 s with one message
 * (seventh read of issue 12, H2), and a lying DHT server could do the same to any node in its answer to
 * a query. kad-dht takes no option for the size (only stream counts).
 *
 * Here every kad stream, the node's answers to others (`rpc.onIncomingStream`) and its own queries
 * (`network._writeReadMessage`), is watched from its first byte: the length prefix of each message is
 * read as it arrives, and a message announced longer than `maxMessageBytes` aborts the stream before
 * its body is buffered, so it is never decoded. The peer that sent such a message to this node's
 * handler is reported (`onOversize`). A genuine kad message is a few KiB (20 closer peers, or 20
 * providers and 20 closer peers with their addresses); Murmur stores no DHT values.
 *
 * The two methods wrapped are kad-dht's internals (16.x); without them creating the node fails by name.
 */
import type { KadDHT } from '@libp2p/kad-dht'
import type { Connection, PeerId, Stream } from '@libp2p/interface'

/** Largest kad message read, in bytes: a genuine one is a few KiB; decoding this many bytes of junk costs well under a second. */
export const KAD_MAX_MESSAGE_BYTES = 64 * 1024

/** Thrown when the installed kad-dht lacks a method the cap wraps (a changed internal). */
export class KadDhtContractError extends Error {
  static override readonly name = 'KadDhtContractError'
  override readonly name = 'KadDhtContractError'
  readonly code = 'ERR_KAD_DHT_CONTRACT'
}

/** The error a kad stream is aborted with when a message announced is over the cap. */
export class KadMessageTooLongError extends Error {
  static override readonly name = 'KadMessageTooLongError'
  override readonly name = 'KadMessageTooLongError'
  readonly code = 'ERR_KAD_MESSAGE_TOO_LONG'
}

/** Options of {@link limitKadMessages}. */
export interface KadLimitsInit {
  /**
   * Largest kad message read, in bytes.
   *
   * @default KAD_MAX_MESSAGE_BYTES
   */
  maxMessageBytes?: number
  /** Called with the peer whose kad request was over the cap (its stream is aborted). */
  onOversize?(peer: PeerId): void
}

/** One chunk a stream's `message` event carries: bytes or a list of them. */
type Chunk = Uint8Array | Iterable<Uint8Array>

/**
 * Watches `stream`'s length-prefixed messages; aborts it (and calls `oversize`) when one announces more
 * than `max` bytes. Must be called before anything reads the stream, so it hears each chunk first.
 */
function guardStream (stream: Stream, max: number, oversize?: () => void): void {
  let length = 0
  let shift = 0
  let remaining = 0
  let done = false
  const onMessage = (evt: Event): void => {
    if (done) return
    const data = (evt as Event & { data: Chunk }).data
    for (const buf of data instanceof Uint8Array ? [data] : data) {
      let i = 0
      while (i < buf.byteLength) {
        if (remaining > 0) {
          const skip = Math.min(remaining, buf.byteLength - i)
          remaining -= skip
          i += skip
          continue
        }
        const byte = buf[i++]!
        length += (byte & 0x7f) * 2 ** shift
        shift += 7
        if (length > max || shift > 63) {
          done = true
          stream.removeEventListener('message', onMessage)
          oversize?.()
          // let the current dispatch finish first, as the stream's own readers do
          queueMicrotask(() => { stream.abort(new KadMessageTooLongError(`kad message longer than ${max} bytes`)) })
          return
        }
        if ((byte & 0x80) === 0) {
          remaining = length
          length = 0
          shift = 0
        }
      }
    }
  }
  stream.addEventListener('message', onMessage)
}

/**
 * Caps the size of every kad message `dht` reads (see the module notes) and returns `dht`.
 *
 * @example
 * ```ts
 * limitKadMessages(dhtInstance, { onOversize: (peer) => tracker.penalise(peer.toString()) })
 * ```
 */
export function limitKadMessages (dht: KadDHT, init: KadLimitsInit = {}): KadDHT {
  const max = init.maxMessageBytes ?? KAD_MAX_MESSAGE_BYTES
  const internals = dht as unknown as {
    rpc?: { onIncomingStream?: (stream: Stream, connection: Connection) => Promise<void> }
    network?: { _writeReadMessage?: (stream: Stream, ...rest: unknown[]) => Promise<unknown> }
  }
  const rpc = internals.rpc
  const network = internals.network
  const answer = rpc?.onIncomingStream
  const query = network?._writeReadMessage
  if (rpc == null || typeof answer !== 'function') throw new KadDhtContractError('kad-dht has no rpc.onIncomingStream to cap messages on')
  if (network == null || typeof query !== 'function') throw new KadDhtContractError('kad-dht has no network._writeReadMessage to cap answers on')
  rpc.onIncomingStream = async (stream, connection) => {
    guardStream(stream, max, init.onOversize === undefined ? undefined : () => init.onOversize!(connection.remotePeer))
    await answer.call(rpc, stream, connection)
  }
  network._writeReadMessage = async (stream, ...rest) => {
    guardStream(stream, max)
    return await query.call(network, stream, ...rest)
  }
  return dht
}

/**
 * The kad-dht service factory `factory` (`kadDHT(...)`), its instances capped ({@link limitKadMessages}).
 *
 * @example
 * ```ts
 * createLibp2p({ services: { dht: kadMessageLimit(kadDHT({ protocol }), {}) } })
 * ```
 */
export function kadMessageLimit<Components> (factory: (components: Components) => KadDHT, init: KadLimitsInit = {}): (components: Components) => KadDHT {
  return (components) => limitKadMessages(factory(components), init)
}
