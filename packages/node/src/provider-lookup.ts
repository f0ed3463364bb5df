/**
 * Provider lookup that hears every storer of a key: kad-dht's findProviders ends once 20 new providers are
 * found, so one sybil storer answering first with 20 records or more was the only answer a rendezvous read.
 * Here the DHT finds the closest peers of the key, and each is asked GET_PROVIDERS directly, all in
 * parallel, each answer bounded (bytes, records, addresses) and timed out on its own; this node's own
 * provider store (it may be one of the closest peers) counts as one more storer.
 */
import { pbStream } from '@libp2p/utils'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import { KAD_PROTOCOL } from './constants.js'
import { MessageType, ProvidersMessage } from './kad-providers.js'
import type { AbortOptions, Logger, PeerId, PeerInfo, Stream } from '@libp2p/interface'
import { removePrivateAddressesMapper } from '@libp2p/kad-dht'
import type { KadDHT, PeerInfoMapper } from '@libp2p/kad-dht'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { CID } from 'multiformats/cid'

/** Most bytes of one storer's GET_PROVIDERS answer; a longer one is dropped whole. */
export const PROVIDER_ANSWER_BYTES = 512 * 1024
/** Most provider records in one storer's answer; an answer with more is dropped whole. */
export const PROVIDER_ANSWER_RECORDS = 4096
/** Most addresses of one provider record; an answer with a longer record is dropped whole. */
export const PROVIDER_RECORD_ADDRESSES = 16
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
      return { from: storer, providers: answer.providers.flatMap((record) => toPeerInfo(record.id, record.multiaddrs)).map(peerInfoMapper) }
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

/** A provider record as a PeerInfo, or nothing when its id or an address does not parse. */
function toPeerInfo (id: Uint8Array, addresses: Uint8Array[]): PeerInfo[] {
  try {
    const multiaddrs: Multiaddr[] = addresses.map((bytes) => multiaddr(bytes))
    return [{ id: peerIdFromMultihash(Digest.decode(id)), multiaddrs }]
  } catch {
    return []
  }
}
