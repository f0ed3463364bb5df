/**
 * Provider lookup that hears every storer of a key: kad-dht's findProviders ends once 20 new providers are
 * found, so one sybil storer answering first with 20 records or more was the only answer a rendezvous read.
 * Here the DHT finds the closest peers of the key, and each is asked GET_PROVIDERS directly, all in
 * parallel, each answer bounded and timed out on its own; this node's own provider store (it may be one
 * of the closest peers) counts as one more storer.
 *
 * An answer is read leniently: at most {@link PROVIDER_ANSWER_BYTES} of it (the records cut off past that
 * are left out), the first {@link PROVIDER_RECORD_ADDRESSES} addresses of each record. A storer answers
 * with what others told it: one stock kad-dht peer providing the key with nine addresses, or a bucket
 * with a few hundred live providers, made every honest storer's answer exceed a strict decoder's bounds,
 * and dropping those answers whole left the rendezvous nothing to read. Only an answer whose framing is
 * broken is dropped whole (a malformed record alone is skipped).
 *
 * Of each answer, at most {@link PROVIDER_KEPT_RECORDS} records are drawn by address group from the raw
 * bytes before any address is parsed: parsing a multiaddr and running the mapper cost ~25 µs each, so
 * parsing every address of a full answer blocked the event loop ~1 s per storer.
 *
 * The storers are the DHT's choice, not this node's: a connection opened only to ask one (by the
 * closest-peers walk or the question itself) is closed once answered unless something else uses it,
 * so that it never counts as a peer this node dialed.
 */
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import { reader } from 'protons-runtime'
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { KAD_PROTOCOL, RENDEZVOUS_POOL } from './constants.js'
import { drawFromGroups, randomIndex } from './discovery.js'
import { MessageType, ProvidersMessage } from './kad-providers.js'
import { DNS_GROUP } from './relay-share.js'
import type { ProviderInfo } from './kad-providers.js'
import type { AbortOptions, Connection, Logger, PeerId, PeerInfo, Stream } from '@libp2p/interface'
import { removePrivateAddressesMapper } from '@libp2p/kad-dht'
import type { KadDHT, PeerInfoMapper } from '@libp2p/kad-dht'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'

/**
 * Most bytes of one storer's GET_PROVIDERS answer that are read; the records past them are left out
 * (the stream is reset). {@link PROVIDER_ANSWER_RECORDS} records of {@link PROVIDER_RECORD_ADDRESSES}
 * relayed addresses (~50 bytes each) fit.
 */
export const PROVIDER_ANSWER_BYTES = 128 * 1024
/**
 * Most records of one address group of an answer that are gathered for the draw (a uniform sample of
 * the group's records): a storer listing a thousand records on one host gives the draw as many of them
 * as one busy honest host could.
 */
export const PROVIDER_ANSWER_RECORDS = 256
/**
 * Addresses of one provider record that are read; the rest are ignored. A node listening on TCP and
 * WebSockets over IPv4 and IPv6, plus a few relayed addresses, announces about six; every one of a kept
 * record is parsed, so this bounds the parsing of an answer to {@link PROVIDER_KEPT_RECORDS} × this many.
 */
export const PROVIDER_RECORD_ADDRESSES = 8
/**
 * Most records of one answer that are parsed and returned, drawn by address group (the first address:
 * its IPv4 address or IPv6 /48, one group for every DNS name) before parsing: as many as a rendezvous
 * round takes from one storer.
 */
export const PROVIDER_KEPT_RECORDS = RENDEZVOUS_POOL
/** How long one storer has to answer. */
export const PROVIDER_STORER_TIMEOUT = 10_000

/** One storer's answer: the providers it named for the key. */
export interface StorerAnswer {
  from: PeerId
  providers: PeerInfo[]
}

/** What {@link createProviderLookup} needs from the node. */
export interface ProviderLookupComponents {
  /** Finds the closest peers of the key (the storers of its provider records) and reads the own store. */
  dht: Pick<KadDHT, 'getClosestPeers' | 'findProviders'>
  /** This node: its own provider store is read as its answer. */
  peerId: PeerId
  /** Opens a stream to a peer on a protocol (libp2p's `dialProtocol`). */
  dialProtocol(peer: PeerId, protocol: string, options: AbortOptions): Promise<Stream>
  /**
   * The open connections (libp2p's `getConnections`): a storer's outbound connection that was not open
   * when the lookup began is closed once the storer answered, unless another stream uses it or the node
   * chose the storer. Without it, connections are left to the connection manager.
   */
  getConnections?(peer?: PeerId): Connection[]
  /**
   * Whether this node chose to dial `peer` (`ChosenPeers.has`): its connection is never closed here.
   *
   * @default () => false
   */
  chosen?(peer: PeerId): boolean
  log: Logger
}

/** Options of {@link createProviderLookup}. */
export interface ProviderLookupInit {
  /**
   * The kad-dht protocol the storers speak.
   *
   * @default KAD_PROTOCOL
   */
  protocol?: string
  /**
   * Applied to every provider record a storer sends, as kad-dht does (give the DHT's own mapper).
   *
   * @default removePrivateAddressesMapper
   */
  peerInfoMapper?: PeerInfoMapper
  /**
   * How long one storer has to answer, in ms.
   *
   * @default PROVIDER_STORER_TIMEOUT
   */
  storerTimeout?: number
  /**
   * Most bytes of one answer read (the records past them are left out).
   *
   * @default PROVIDER_ANSWER_BYTES
   */
  maxAnswerBytes?: number
  /**
   * Most records of one address group of an answer gathered for the draw.
   *
   * @default PROVIDER_ANSWER_RECORDS
   */
  maxRecords?: number
  /**
   * Addresses of one provider record read (the rest are ignored).
   *
   * @default PROVIDER_RECORD_ADDRESSES
   */
  maxAddresses?: number
  /**
   * Most records of one answer parsed and returned, drawn by address group before any address is parsed.
   *
   * @default PROVIDER_KEPT_RECORDS
   */
  maxKept?: number
}

/** Asks every storer of a key for its providers. */
export interface ProviderLookup {
  /**
   * The answer of each closest peer of the key that answered in time with a well-framed answer (a
   * storer that fails, times out or sends a malformed one is left out and logged; an answer's excess
   * records and addresses are left out of it). Resolves when every storer answered or failed; rejects
   * only when `signal` aborts.
   */
  find(cid: CID, options: AbortOptions): Promise<StorerAnswer[]>
}

/** Protocols whose streams do not keep a storer's connection open: those every connection gets by itself. */
const INCIDENTAL = ['/ipfs/id/', '/ipfs/ping/', '/meshsub/', '/floodsub/']

/**
 * Creates a {@link ProviderLookup}.
 *
 * @example
 * ```ts
 * const lookup = createProviderLookup({ dht: libp2p.services.dht, peerId: libp2p.peerId, dialProtocol: libp2p.dialProtocol.bind(libp2p), log })
 * for (const { from, providers } of await lookup.find(cid, { signal })) console.log(from, providers.length)
 * ```
 */
export function createProviderLookup (components: ProviderLookupComponents, init: ProviderLookupInit = {}): ProviderLookup {
  const protocol = init.protocol ?? KAD_PROTOCOL
  const peerInfoMapper = init.peerInfoMapper ?? removePrivateAddressesMapper
  const storerTimeout = init.storerTimeout ?? PROVIDER_STORER_TIMEOUT
  const bounds: AnswerBounds = {
    maxBytes: init.maxAnswerBytes ?? PROVIDER_ANSWER_BYTES,
    maxAddresses: init.maxAddresses ?? PROVIDER_RECORD_ADDRESSES,
    perGroup: init.maxRecords ?? PROVIDER_ANSWER_RECORDS
  }
  const maxKept = init.maxKept ?? PROVIDER_KEPT_RECORDS
  const { dht, peerId, dialProtocol, log } = components

  /** This node's own records of the key: findProviders yields them first, before it asks anyone. */
  async function own (cid: CID, options: AbortOptions): Promise<StorerAnswer[]> {
    for await (const event of dht.findProviders(cid, options)) {
      if (event.name === 'PROVIDER' && event.from.equals(peerId)) return [{ from: peerId, providers: event.providers }]
      // a network event: the own store had nothing (leaving the loop ends kad-dht's query)
      if (event.name !== 'PEER_RESPONSE' || !event.from.equals(peerId)) return []
    }
    return []
  }

  /** The storer's answer; then its connection is released unless it was open in `before` (see {@link release}). */
  async function ask (storer: PeerId, key: Uint8Array<ArrayBuffer>, before: Set<string>, options: AbortOptions): Promise<StorerAnswer | undefined> {
    const signal = AbortSignal.any([...(options.signal === undefined ? [] : [options.signal]), AbortSignal.timeout(storerTimeout)])
    let stream: Stream | undefined
    try {
      stream = await dialProtocol(storer, protocol, { signal })
      // listening before the question is sent: nothing of the answer can come before the listener
      const reading = readAnswer(stream, bounds.maxBytes, signal)
      reading.catch(() => {}) // awaited below, after the send, which may fail first
      const request = ProvidersMessage.encode({ type: MessageType.GET_PROVIDERS, key, providers: [] })
      if (!stream.send(new Uint8ArrayList(varint.encode(request.byteLength), request))) await stream.onDrain({ signal })
      const { bytes, truncated } = await reading
      // the rest of a long answer is not wanted, and a storer that never closes its side must not hold
      // the lookup: a cut answer resets the stream, a whole one closes it (reset after the timeout)
      const done = stream
      if (truncated) done.abort(new Error('answer longer than the bytes read'))
      else done.close({ signal }).catch((err: unknown) => { done.abort(err instanceof Error ? err : new Error(String(err))) })
      const answer = decodeAnswer(bytes, truncated, bounds)
      if (answer.type !== MESSAGE_GET_PROVIDERS) {
        log('storer %p answered GET_PROVIDERS with message type %d', storer, answer.type)
        return undefined
      }
      if (truncated) log('storer %p answered with more than %d bytes: %d records read', storer, bounds.maxBytes, answer.records)
      // drawn before parsing: only the kept records' addresses cost parsing and the mapper
      const kept = drawFromGroups(answer.groups, maxKept)
      return { from: storer, providers: kept.flatMap((record) => toPeerInfo(record.id, record.multiaddrs)).map(peerInfoMapper) }
    } catch (err) {
      stream?.abort(err instanceof Error ? err : new Error(String(err)))
      log('storer %p gave no usable providers answer - %e', storer, err)
      return undefined
    } finally {
      release(storer, before, stream)
    }
  }

  /**
   * Closes `storer`'s outbound connections opened since the lookup began, unless the node chose the
   * storer or a stream other than `asked` (this lookup's, closing) and those every connection gets uses it.
   */
  function release (storer: PeerId, before: Set<string>, asked: Stream | undefined): void {
    if (components.getConnections === undefined || before.has(storer.toString()) || components.chosen?.(storer) === true) return
    for (const connection of components.getConnections(storer)) {
      if (connection.direction !== 'outbound' || connection.status !== 'open') continue
      if (connection.streams.some((s) => s !== asked && s.status === 'open' && !INCIDENTAL.some((prefix) => s.protocol?.startsWith(prefix) === true))) continue
      connection.close().catch((err: unknown) => { log('could not close the connection to storer %p - %e', storer, err) })
    }
  }

  return {
    async find (cid, options) {
      const key = new Uint8Array(cid.multihash.bytes)
      const before = new Set((components.getConnections?.() ?? []).map((c) => c.remotePeer.toString()))
      const local = await own(cid, options)
      const storers: PeerId[] = []
      for await (const event of dht.getClosestPeers(key, options)) {
        if (event.name === 'FINAL_PEER') storers.push(event.peer.id)
      }
      const answers = await Promise.all(storers.map(async (storer) => ask(storer, key, before, options)))
      options.signal?.throwIfAborted()
      return [...local, ...answers.filter((answer) => answer !== undefined)]
    }
  }
}

/** The bounds an answer is read within. */
interface AnswerBounds {
  maxBytes: number
  maxAddresses: number
  perGroup: number
}

/** A decoded answer: its message type, and its records gathered by raw address group. */
interface RawAnswer {
  type: number
  groups: ProviderInfo[][]
  records: number
}

/** MessageType.GET_PROVIDERS as the wire numbers it. */
const MESSAGE_GET_PROVIDERS = 3

/** Protobuf wire types and the fields read. */
const LENGTH_DELIMITED = 2
const FIELD_TYPE = 1
const FIELD_PROVIDERS = 9
const FIELD_ID = 1
const FIELD_ADDRESS = 2

/**
 * Reads one length-prefixed message from `stream`, at most `maxBytes` of its body: `truncated` when the
 * prefix announced more. Holds at most `maxBytes` and one chunk, however much the peer sends.
 */
async function readAnswer (stream: Stream, maxBytes: number, signal: AbortSignal): Promise<{ bytes: Uint8Array, truncated: boolean }> {
  const buffer = new Uint8ArrayList()
  let length: number | undefined
  let prefix = 0
  const onAbort = (): void => { stream.abort(signal.reason instanceof Error ? signal.reason : new Error('aborted')) }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    for await (const chunk of stream) {
      buffer.append(chunk)
      if (length === undefined) {
        try {
          length = varint.decode(buffer)
          prefix = varint.encodingLength(length)
        } catch (err) {
          if (buffer.byteLength >= 5) throw new Error('malformed length prefix', { cause: err })
          continue
        }
      }
      if (buffer.byteLength - prefix >= Math.min(length, maxBytes)) break
      if (buffer.byteLength > maxBytes + prefix) break
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
  signal.throwIfAborted()
  if (length === undefined || buffer.byteLength - prefix < Math.min(length, maxBytes)) throw new Error('answer ended early')
  const take = Math.min(length, maxBytes)
  return { bytes: buffer.subarray(prefix, prefix + take), truncated: length > take }
}

/**
 * Decodes the fields of a GET_PROVIDERS answer that are read (the others skipped), gathering its
 * records by {@link rawGroup}, at most `perGroup` of each (a uniform sample). A record is cut to its
 * first `maxAddresses` addresses; a malformed record is skipped; a malformed answer throws, except
 * where a `truncated` answer was cut off (the records before the cut are kept).
 */
function decodeAnswer (bytes: Uint8Array, truncated: boolean, bounds: AnswerBounds): RawAnswer {
  const read = reader(bytes)
  const groups = new Map<string, { records: ProviderInfo[], seen: number }>()
  let type = 0
  let records = 0
  while (read.pos < read.len) {
    try {
      const tag = read.uint32()
      if (tag >>> 3 === FIELD_TYPE && (tag & 7) === 0) type = read.int32()
      else if (tag >>> 3 === FIELD_PROVIDERS && (tag & 7) === LENGTH_DELIMITED) {
        const record = decodeRecord(read.bytes(), bounds.maxAddresses)
        if (record === undefined) continue
        records++
        const key = rawGroup(record)
        const group = groups.get(key) ?? { records: [], seen: 0 }
        groups.set(key, group)
        // a uniform sample of the group's records, whatever their order (reservoir sampling)
        group.seen++
        if (group.records.length < bounds.perGroup) group.records.push(record)
        else {
          const j = randomIndex(group.seen)
          if (j < bounds.perGroup) group.records[j] = record
        }
      } else read.skipType(tag & 7)
    } catch (err) {
      // a field cut off by the byte limit ends the answer (reading past the end is a RangeError);
      // anything else is a malformed answer
      if (truncated && err instanceof RangeError) break
      throw new Error('malformed GET_PROVIDERS answer', { cause: err })
    }
  }
  return { type, groups: [...groups.values()].map((group) => group.records), records }
}

/** A record's id and its first `maxAddresses` addresses, or nothing when it is malformed or names no id. */
function decodeRecord (bytes: Uint8Array, maxAddresses: number): ProviderInfo | undefined {
  const read = reader(bytes)
  let id: Uint8Array<ArrayBuffer> | undefined
  const multiaddrs: Array<Uint8Array<ArrayBuffer>> = []
  try {
    while (read.pos < read.len) {
      const tag = read.uint32()
      if (tag >>> 3 === FIELD_ID && (tag & 7) === LENGTH_DELIMITED) id = read.bytes()
      else if (tag >>> 3 === FIELD_ADDRESS && (tag & 7) === LENGTH_DELIMITED) {
        const address = read.bytes()
        if (multiaddrs.length < maxAddresses) multiaddrs.push(address)
      } else read.skipType(tag & 7)
    }
  } catch {
    return undefined
  }
  return id === undefined || id.byteLength === 0 ? undefined : { id, multiaddrs }
}

/** The multiaddr codes of IPv4, IPv6 and the DNS names (one-byte varints), and how many leading bytes name an IP group. */
const IP4 = 0x04
const IP6 = 0x29
const DNS_CODES = new Set([0x35, 0x36, 0x37, 0x38])
const IP4_GROUP_BYTES = 1 + 4
const IP6_GROUP_BYTES = 1 + 6

/**
 * The address group of a raw record, read from the bytes of its first address not named by DNS (as
 * `peerGroup` picks it) without parsing: the IPv4 address or IPv6 /48 (as `addressGroup` does; a relayed
 * address starts with its relay's), else the whole address; one group for a record naming only DNS
 * names (a name costs nothing: one host may hold thousands), and one for records naming none.
 */
function rawGroup (record: ProviderInfo): string {
  const first = record.multiaddrs.find((address) => !DNS_CODES.has(address[0]!)) ?? record.multiaddrs[0]
  if (first === undefined) return ''
  if (DNS_CODES.has(first[0]!)) return DNS_GROUP
  const length = first[0] === IP4 ? IP4_GROUP_BYTES : first[0] === IP6 ? IP6_GROUP_BYTES : first.length
  return first.subarray(0, length).join(',')
}

/** A provider record as a PeerInfo, or nothing when its id or an address does not parse. */
function toPeerInfo (id: Uint8Array, addresses: Uint8Array[]): PeerInfo[] {
  try {
    const multiaddrs: Multiaddr[] = addresses.map((bytes) => multiaddr(bytes))
    return [{ id: peerIdFromMultihash(Digest.decode(id)), multiaddrs }]
  } catch {
    return []
  }
}
