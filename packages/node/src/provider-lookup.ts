/**
 * Provider lookup that hears every storer of a key: kad-dht's findProviders ends once 20 new providers are
 * found, so one sybil storer answering first with 20 records or more was the only answer a rendezvous read.
 * Here the DHT finds the closest peers of the key, and each is asked GET_PROVIDERS directly, all in
 * parallel, each answer bounded (bytes, records, addresses) and timed out on its own; this node's own
 * provider store (it may be one of the closest peers) counts as one more storer. Of each answer, at most
 * {@link PROVIDER_KEPT_RECORDS} records are drawn by address group from the raw decoded bytes before any
 * address is parsed: parsing a multiaddr and running the mapper cost ~25 µs each, so parsing every
 * address of an answer at the old bounds (40,336 of them) blocked the event loop ~1 s per storer.
 */
import { pbStream } from '@libp2p/utils'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import { KAD_PROTOCOL, RENDEZVOUS_POOL } from './constants.js'
import { sample } from './discovery.js'
import { MessageType, ProvidersMessage } from './kad-providers.js'
import type { ProviderInfo } from './kad-providers.js'
import type { AbortOptions, Logger, PeerId, PeerInfo, Stream } from '@libp2p/interface'
import { removePrivateAddressesMapper } from '@libp2p/kad-dht'
import type { KadDHT, PeerInfoMapper } from '@libp2p/kad-dht'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'

/**
 * Most bytes of one storer's GET_PROVIDERS answer; a longer one is dropped whole. {@link PROVIDER_ANSWER_RECORDS}
 * records of {@link PROVIDER_RECORD_ADDRESSES} relayed addresses (~50 bytes each) fit; more only costs
 * decoding time for records never used.
 */
export const PROVIDER_ANSWER_BYTES = 64 * 1024
/**
 * Most provider records in one storer's answer; an answer with more is dropped whole. Four times the
 * {@link PROVIDER_KEPT_RECORDS} drawn from it: enough for every member of a busy bucket, while a longer
 * list only gives a sybil storer more records to hide the honest ones among.
 */
export const PROVIDER_ANSWER_RECORDS = 256
/**
 * Most addresses of one provider record; an answer with a longer record is dropped whole. A node listening
 * on TCP and WebSockets over IPv4 and IPv6, plus a few relayed addresses, announces about six; every one
 * of a kept record is parsed, so this bounds the parsing of an answer to
 * {@link PROVIDER_KEPT_RECORDS} × this many addresses.
 */
export const PROVIDER_RECORD_ADDRESSES = 8
/**
 * Most records of one answer that are parsed and returned, drawn by address group (the first address:
 * its IPv4 address or IPv6 /48) before parsing: as many as a rendezvous round takes from one storer.
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
   * Most bytes of one answer.
   *
   * @default PROVIDER_ANSWER_BYTES
   */
  maxAnswerBytes?: number
  /**
   * Most provider records in one answer.
   *
   * @default PROVIDER_ANSWER_RECORDS
   */
  maxRecords?: number
  /**
   * Most addresses of one provider record.
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
   * The answer of each closest peer of the key that answered in time and within bounds (a storer that
   * fails, times out or sends a malformed or oversized answer is left out and logged). Resolves when
   * every storer answered or failed; rejects only when `signal` aborts.
   */
  find(cid: CID, options: AbortOptions): Promise<StorerAnswer[]>
}

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
  const maxDataLength = init.maxAnswerBytes ?? PROVIDER_ANSWER_BYTES
  const limits = { providers: init.maxRecords ?? PROVIDER_ANSWER_RECORDS, providers$: { multiaddrs: init.maxAddresses ?? PROVIDER_RECORD_ADDRESSES } }
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

  async function ask (storer: PeerId, key: Uint8Array<ArrayBuffer>, options: AbortOptions): Promise<StorerAnswer | undefined> {
    const signal = AbortSignal.any([...(options.signal === undefined ? [] : [options.signal]), AbortSignal.timeout(storerTimeout)])
    let stream: Stream | undefined
    try {
      stream = await dialProtocol(storer, protocol, { signal })
      const pb = pbStream(stream, { maxDataLength }).pb(ProvidersMessage)
      await pb.write({ type: MessageType.GET_PROVIDERS, key, providers: [] }, { signal })
      const answer = await pb.read({ signal, limits })
      // not awaited: a storer that never closes its side must not hold the lookup; reset after the timeout
      const done = stream
      done.close({ signal }).catch((err: unknown) => { done.abort(err instanceof Error ? err : new Error(String(err))) })
      if (answer.type !== MessageType.GET_PROVIDERS) {
        log('storer %p answered GET_PROVIDERS with %s', storer, answer.type)
        return undefined
      }
      // drawn before parsing: only the kept records' addresses cost parsing and the mapper
      const kept = drawByRawGroup(answer.providers, maxKept)
      return { from: storer, providers: kept.flatMap((record) => toPeerInfo(record.id, record.multiaddrs)).map(peerInfoMapper) }
    } catch (err) {
      stream?.abort(err instanceof Error ? err : new Error(String(err)))
      log('storer %p gave no usable providers answer - %e', storer, err)
      return undefined
    }
  }

  return {
    async find (cid, options) {
      const key = new Uint8Array(cid.multihash.bytes)
      const local = await own(cid, options)
      const storers: PeerId[] = []
      for await (const event of dht.getClosestPeers(key, options)) {
        if (event.name === 'FINAL_PEER') storers.push(event.peer.id)
      }
      const answers = await Promise.all(storers.map(async (storer) => ask(storer, key, options)))
      options.signal?.throwIfAborted()
      return [...local, ...answers.filter((answer) => answer !== undefined)]
    }
  }
}

/** The multiaddr codes of IPv4 and IPv6 (one-byte varints), and how many leading bytes name the group. */
const IP4 = 0x04
const IP6 = 0x29
const IP4_GROUP_BYTES = 1 + 4
const IP6_GROUP_BYTES = 1 + 6

/**
 * The address group of a raw record, read from its first address's bytes without parsing: the IPv4
 * address or IPv6 /48 (as `addressGroup` does; a relayed address starts with its relay's), else the whole
 * address, or one group for records naming none.
 */
function rawGroup (record: ProviderInfo): string {
  const first = record.multiaddrs[0]
  if (first === undefined) return ''
  const length = first[0] === IP4 ? IP4_GROUP_BYTES : first[0] === IP6 ? IP6_GROUP_BYTES : first.length
  return first.subarray(0, length).join(',')
}

/**
 * At most `max` records, drawn round-robin over the address groups in random order, at random within a
 * group: a thousand records on one host take one turn of each round, as one honest host does.
 */
function drawByRawGroup (records: ProviderInfo[], max: number): ProviderInfo[] {
  if (records.length <= max) return records
  const groups = new Map<string, ProviderInfo[]>()
  for (const record of records) {
    const key = rawGroup(record)
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [record])
    else group.push(record)
  }
  const queues = sample([...groups.values()], groups.size).map((group) => sample(group, group.length))
  const drawn: ProviderInfo[] = []
  for (let turn = 0; drawn.length < max; turn++) {
    for (const queue of queues) {
      if (drawn.length < max && turn < queue.length) drawn.push(queue[turn]!)
    }
  }
  return drawn
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
