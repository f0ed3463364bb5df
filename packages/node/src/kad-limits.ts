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
 * its body is buffered, so it is never decoded. A message under the cap is held until whole and walked
 * once before kad-dht decodes it: one that does not decode, or lists more peers or addresses than a
 * genuine one (64 KiB of empty closer peers cost ~120 ms of decoding), aborts the stream too (eighth read
 * of issue 12); in an answer to this node's query, a peer's surplus addresses are cut instead, the rest of
 * the answer kept (fifteenth read, High 1: they are that peer's claim, not the answerer's).
 * The peer that sent such a message to this node's handler is reported (`onOversize`). A genuine kad
 * message is a few KiB (20 closer peers, or 20 providers and 20 closer peers with their addresses);
 * Murmur stores no DHT values.
 *
 * The two methods wrapped are kad-dht's internals (16.x); without them creating the node fails by name.
 */
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { StreamMessageEvent } from '@libp2p/interface'
import { reader } from 'protons-runtime'
import * as varint from 'uint8-varint'
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

/**
 * Largest count of addresses one peer of a kad message carries (see {@link KAD_MAX_PEERS}): more in a
 * request makes it junk; in an answer, the peer is cut to its first ones ({@link kadMessageRead}).
 */
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

/** Options of {@link kadMessageRead}. */
export interface KadMessageReadInit {
  /**
   * Most providers the message may list.
   *
   * @default KAD_MAX_PEERS
   */
  maxProviders?: number
  /**
   * Whether a peer listing more than {@link KAD_MAX_ADDRESSES} addresses is cut to its first ones (the rest
   * of the message kept) rather than making the whole message junk.
   *
   * @default false
   */
  cutAddresses?: boolean
}

/**
 * The kad message to hand kad-dht for `body`, or nothing when `body` is not one protons would decode
 * cheaply: a field unknown or of another wire type, bytes that do not parse, more than
 * {@link KAD_MAX_PEERS} closer peers or `maxProviders` providers, a provider whose id is shorter than any
 * PeerId ({@link KAD_MIN_PROVIDER_ID_BYTES}), or (unless `cutAddresses`) a peer with more than
 * {@link KAD_MAX_ADDRESSES} addresses. A walk over the bytes that builds nothing unless a peer is cut (field
 * order is free). An honest storer's GET_PROVIDERS answer lists every provider it holds, so answers to this
 * node's GET_PROVIDERS queries are read with no bound on providers but the size cap (each costs 36 bytes or
 * more of it); an answer to any other query, which lists none, with at most {@link KAD_MAX_PEERS} (ninth
 * read of issue 12, L1: a lying server's FIND_NODE answer listed 1,365–1,724 providers, 50–230 ms of the
 * main thread).
 *
 * Answers are read with `cutAddresses`: the addresses of a peer an answer names are that peer's claim,
 * which an honest answerer repeats. Voiding the whole answer for them let one stock peer announcing 80
 * addresses void every honest answer naming it and become the only peer a query ended on (fifteenth read
 * of issue 12, High 1: rendezvous delivery 8/64).
 *
 * @example
 * ```ts
 * const passed = kadMessageRead(body, { maxProviders: Infinity, cutAddresses: true }) // undefined: junk
 * ```
 */
export function kadMessageRead (body: Uint8Array, init: KadMessageReadInit = {}): Uint8Array | undefined {
  const most = { 8: KAD_MAX_PEERS, 9: init.maxProviders ?? KAD_MAX_PEERS }
  const peers = { 8: 0, 9: 0 }
  /** The message's pieces, when a peer was cut: raw spans of `body` and cut peers with their field tag. */
  let parts: Uint8Array[] | undefined
  let copied = 0
  try {
    const read = reader(body)
    while (read.pos < read.len) {
      const start = read.pos
      const tag = read.uint32()
      const field = tag >>> 3
      if (MESSAGE_FIELDS[field] !== (tag & 7)) return undefined
      if ((tag & 7) === 0) {
        read.skipType(0)
        continue
      }
      const inner = read.bytes()
      if (field !== 8 && field !== 9) continue
      if (++peers[field] > most[field]) return undefined
      const addresses = peerAddresses(inner, field === 9 ? KAD_MIN_PROVIDER_ID_BYTES : 0)
      if (addresses === undefined) return undefined
      if (addresses <= KAD_MAX_ADDRESSES) continue
      if (init.cutAddresses !== true) return undefined
      const cut = cutPeer(inner, KAD_MAX_ADDRESSES)
      parts ??= []
      parts.push(body.subarray(copied, start), varint.encode(tag), varint.encode(cut.byteLength), cut)
      copied = read.pos
    }
  } catch {
    return undefined
  }
  if (parts === undefined) return body
  parts.push(body.subarray(copied))
  return uint8ArrayConcat(parts)
}

/**
 * How many addresses one `Message.Peer` lists, or nothing when it is junk: a field unknown or of another
 * wire type, or an id (the last one given, as protons reads it) shorter than `minId` bytes.
 */
function peerAddresses (bytes: Uint8Array, minId: number): number | undefined {
  const read = reader(bytes)
  let addresses = 0
  let id = 0
  while (read.pos < read.len) {
    const tag = read.uint32()
    const field = tag >>> 3
    if (PEER_FIELDS[field] !== (tag & 7)) return undefined
    if (field === 1) {
      id = read.bytes().byteLength
      continue
    }
    read.skipType(tag & 7)
    if (field === 2) addresses++
  }
  return id < minId ? undefined : addresses
}

/** A well-formed `Message.Peer` (see {@link peerAddresses}) with only its first `max` addresses. */
function cutPeer (bytes: Uint8Array, max: number): Uint8Array {
  const read = reader(bytes)
  const kept: Uint8Array[] = []
  let addresses = 0
  while (read.pos < read.len) {
    const start = read.pos
    const field = read.uint32() >>> 3
    read.skipType(PEER_FIELDS[field]!)
    if (field !== 2 || ++addresses <= max) kept.push(bytes.subarray(start, read.pos))
  }
  return uint8ArrayConcat(kept)
}

/** One chunk a stream's `message` event carries: bytes or a list of them. */
type Chunk = Uint8Array | Iterable<Uint8Array>

/** A message event {@link guardStream} passes on: a whole kad message with its length prefix. */
class GuardedMessageEvent extends StreamMessageEvent {}

/**
 * Holds `stream`'s length-prefixed messages until each is whole, then hands its readers the message as
 * {@link kadMessageRead} passes it (a message event of its own); aborts the stream (and calls `bad`) when
 * one announces more than `max` bytes, or is junk. Must be called before anything reads the stream, so it
 * hears each chunk first.
 */
function guardStream (stream: Stream, max: number, read: KadMessageReadInit, bad?: () => void): void {
  let length = 0
  let shift = 0
  let remaining = 0
  const body: Uint8Array[] = []
  let done = false
  const refuse = (err: Error): void => {
    done = true
    bad?.()
    // let the current dispatch finish first, as the stream's own readers do
    queueMicrotask(() => { stream.abort(err) })
  }
  /** Hands the readers the message made of `parts`, as {@link kadMessageRead} passes it; false when refused. */
  const pass = (parts: Uint8Array[]): boolean => {
    const passed = kadMessageRead(parts.length === 1 ? parts[0]! : uint8ArrayConcat(parts), read)
    if (passed === undefined) {
      refuse(new KadMessageMalformedError('kad message does not decode, or lists more peers or addresses than a genuine one'))
      return false
    }
    stream.dispatchEvent(new GuardedMessageEvent(uint8ArrayConcat([varint.encode(passed.byteLength), passed])))
    return true
  }
  const onMessage = (evt: Event): void => {
    if (evt instanceof GuardedMessageEvent) return
    // the stream's readers see only whole messages, as passed: never a chunk of one
    evt.stopImmediatePropagation()
    if (done) return
    const data = (evt as Event & { data: Chunk }).data
    for (const buf of data instanceof Uint8Array ? [data] : data) {
      let i = 0
      while (i < buf.byteLength) {
        if (remaining > 0) {
          const take = Math.min(remaining, buf.byteLength - i)
          body.push(buf.subarray(i, i + take))
          remaining -= take
          i += take
          if (remaining === 0 && !pass(body.splice(0))) return
          continue
        }
        const byte = buf[i++]!
        length += (byte & 0x7f) * 2 ** shift
        shift += 7
        if (length > max || shift > 63) {
          refuse(new KadMessageTooLongError(`kad message longer than ${max} bytes`))
          return
        }
        if ((byte & 0x80) === 0) {
          remaining = length
          length = 0
          shift = 0
          if (remaining === 0 && !pass([])) return
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
    guardStream(stream, max, {}, init.onOversize === undefined ? undefined : () => init.onOversize!(connection.remotePeer))
    await answer.call(rpc, stream, connection)
  }
  network._writeReadMessage = async (stream, ...rest) => {
    // only an answer to GET_PROVIDERS lists providers (the query is the message written first)
    const asked = (rest[0] as { type?: unknown } | undefined)?.type
    // a peer's addresses are its own claim: cut, never voiding the answer (see kadMessageRead)
    guardStream(stream, max, { maxProviders: asked === 'GET_PROVIDERS' ? Infinity : KAD_MAX_PEERS, cutAddresses: true })
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
