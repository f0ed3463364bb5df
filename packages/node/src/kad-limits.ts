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
 * its body is buffered, so it is never decoded. A message under the cap is walked once whole, before
 * kad-dht decodes it: one that does not decode, or lists more peers or addresses than a genuine one
 * (64 KiB of empty closer peers cost ~120 ms of decoding), aborts the stream too (eighth read of issue 12).
 * The peer that sent such a message to this node's handler is reported (`onOversize`). A genuine kad
 * message is a few KiB (20 closer peers, or 20 providers and 20 closer peers with their addresses);
 * Murmur stores no DHT values.
 *
 * The two methods wrapped are kad-dht's internals (16.x); without them creating the node fails by name.
 */
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { reader } from 'protons-runtime'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Connection, PeerId, Stream } from '@libp2p/interface'

/** Largest kad message read, in bytes: a genuine one is a few KiB; decoding this many bytes of junk costs well under a second. */
export const KAD_MAX_MESSAGE_BYTES = 64 * 1024

/**
 * Most peers one kad message lists (closer peers, providers) and addresses one peer carries. A genuine
 * message lists 20 (kad's k) of each kind; 64 KiB of empty entries decoded (~32,000 peer objects) held the
 * event loop ~120 ms (eighth read of issue 12).
 */
export const KAD_MAX_PEERS = 64

/** Largest count of addresses one peer of a kad message carries (see {@link KAD_MAX_PEERS}). */
export const KAD_MAX_ADDRESSES = 64

/**
 * Shortest peer id a provider of a kad message names, in bytes: the shortest multihash of a PeerId (an RSA
 * key's sha2-256, 34 bytes; Ed25519 and secp256k1 ids are identity hashes of 38 and 39 bytes).
 */
export const KAD_MIN_PROVIDER_ID_BYTES = 34

/** Thrown when the installed kad-dht lacks a method the cap wraps (a changed internal). */
export class KadDhtContractError extends Error {
  static override readonly name = 'KadDhtContractError'
  override readonly name = 'KadDhtContractError'
  readonly code = 'ERR_KAD_DHT_CONTRACT'
}

/** The error a kad stream is aborted with when a message does not decode or lists more than a genuine one. */
export class KadMessageMalformedError extends Error {
  static override readonly name = 'KadMessageMalformedError'
  override readonly name = 'KadMessageMalformedError'
  readonly code = 'ERR_KAD_MESSAGE_MALFORMED'
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
  /**
   * Called with the peer whose kad request was over the cap, did not decode, or listed more peers or
   * addresses than {@link KAD_MAX_PEERS} / {@link KAD_MAX_ADDRESSES} (its stream is aborted).
   */
  onOversize?(peer: PeerId): void
}

/** Wire shape of a kad `Message.Peer`: id (1), addresses (2, repeated), connection (3). */
const PEER_FIELDS: Record<number, number> = { 1: 2, 2: 2, 3: 0 }
/** Wire shape of a kad `Message`: type (1), key (2), record (3), closer peers (8), providers (9), cluster level (10). */
const MESSAGE_FIELDS: Record<number, number> = { 1: 0, 2: 2, 3: 2, 8: 2, 9: 2, 10: 0 }

/**
 * Whether `body` is not a kad message protons would decode cheaply: a field unknown or of another wire type,
 * bytes that do not parse, more than {@link KAD_MAX_PEERS} closer peers or `maxProviders` providers, a
 * provider whose id is shorter than any PeerId ({@link KAD_MIN_PROVIDER_ID_BYTES}), or a peer with more than
 * {@link KAD_MAX_ADDRESSES} addresses. A walk over the bytes that builds nothing (field order is free). An
 * honest storer's GET_PROVIDERS answer lists every provider it holds, so answers to this node's
 * GET_PROVIDERS queries are read with no bound on providers but the size cap (each costs 36 bytes or more
 * of it); an answer to any other query, which lists none, with at most {@link KAD_MAX_PEERS} (ninth read
 * of issue 12, L1: a lying server's FIND_NODE answer listed 1,365–1,724 providers, 50–230 ms of the main
 * thread).
 */
export function kadMessageJunk (body: Uint8Array, maxProviders = KAD_MAX_PEERS): boolean {
  try {
    const read = reader(body)
    const peers = { 8: 0, 9: 0 }
    const most = { 8: KAD_MAX_PEERS, 9: maxProviders }
    while (read.pos < read.len) {
      const tag = read.uint32()
      const field = tag >>> 3
      if (MESSAGE_FIELDS[field] !== (tag & 7)) return true
      if ((tag & 7) === 0) {
        read.skipType(0)
        continue
      }
      const inner = read.bytes()
      if (field !== 8 && field !== 9) continue
      if (++peers[field] > most[field] || peerJunk(inner, field === 9 ? KAD_MIN_PROVIDER_ID_BYTES : 0)) return true
    }
    return false
  } catch {
    return true
  }
}

/** {@link kadMessageJunk} of one `Message.Peer`, whose id (the last one given, as protons reads it) must be `minId` bytes or more. */
function peerJunk (bytes: Uint8Array, minId: number): boolean {
  const read = reader(bytes)
  let addresses = 0
  let id = 0
  while (read.pos < read.len) {
    const tag = read.uint32()
    const field = tag >>> 3
    if (PEER_FIELDS[field] !== (tag & 7)) return true
    if (field === 1) {
      id = read.bytes().byteLength
      continue
    }
    read.skipType(tag & 7)
    if (field === 2 && ++addresses > KAD_MAX_ADDRESSES) return true
  }
  return id < minId
}

/** One chunk a stream's `message` event carries: bytes or a list of them. */
type Chunk = Uint8Array | Iterable<Uint8Array>

/**
 * Watches `stream`'s length-prefixed messages; aborts it (and calls `bad`) when one announces more than
 * `max` bytes, or once whole, is junk ({@link kadMessageJunk}). Must be called before anything reads the
 * stream, so it hears each chunk first.
 */
function guardStream (stream: Stream, max: number, maxProviders: number, bad?: () => void): void {
  let length = 0
  let shift = 0
  let remaining = 0
  let body: Uint8Array[] = []
  let done = false
  const refuse = (err: Error): void => {
    done = true
    stream.removeEventListener('message', onMessage)
    bad?.()
    // let the current dispatch finish first, as the stream's own readers do
    queueMicrotask(() => { stream.abort(err) })
  }
  const onMessage = (evt: Event): void => {
    if (done) return
    const data = (evt as Event & { data: Chunk }).data
    const refuseChunk = (err: Error): void => {
      // the stream's reader never sees the chunk: it would decode a whole junk message before the abort
      evt.stopImmediatePropagation()
      refuse(err)
    }
    for (const buf of data instanceof Uint8Array ? [data] : data) {
      let i = 0
      while (i < buf.byteLength) {
        if (remaining > 0) {
          const take = Math.min(remaining, buf.byteLength - i)
          body.push(buf.subarray(i, i + take))
          remaining -= take
          i += take
          if (remaining === 0) {
            const whole = body.length === 1 ? body[0]! : uint8ArrayConcat(body)
            body = []
            if (kadMessageJunk(whole, maxProviders)) {
              refuseChunk(new KadMessageMalformedError('kad message does not decode, or lists more peers or addresses than a genuine one'))
              return
            }
          }
          continue
        }
        const byte = buf[i++]!
        length += (byte & 0x7f) * 2 ** shift
        shift += 7
        if (length > max || shift > 63) {
          refuseChunk(new KadMessageTooLongError(`kad message longer than ${max} bytes`))
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
    guardStream(stream, max, KAD_MAX_PEERS, init.onOversize === undefined ? undefined : () => init.onOversize!(connection.remotePeer))
    await answer.call(rpc, stream, connection)
  }
  network._writeReadMessage = async (stream, ...rest) => {
    // only an answer to GET_PROVIDERS lists providers (the query is the message written first)
    const asked = (rest[0] as { type?: unknown } | undefined)?.type
    guardStream(stream, max, asked === 'GET_PROVIDERS' ? Infinity : KAD_MAX_PEERS)
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
