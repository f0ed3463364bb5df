/**
 * Provider lookup that hears every storer of a key: kad-dht's findProviders ends once 20 new providers are
 * found, so one sybil storer answering first with 20 records or more was the only answer a rendezvous read.
 * Here the DHT finds the closest peers of the key, and each is asked GET_PROVIDERS directly, all in
 * parallel, each answer bounded and timed out on its own; this node's own provider store (it may be one
 * of the closest peers) counts as one more storer.
 *
 * An answer is read leniently: at most {@link PROVIDER_ANSWER_BYTES} of it (the records cut off past that
 * are left out; its closer peers and any record over `MAX_RECORD_BYTES` are passed over unread and do not
 * count), the first {@link PROVIDER_RECORD_ADDRESSES} addresses of each record. A storer answers
 * with what others told it: one stock kad-dht peer providing the key with nine addresses, or a bucket
 * with a few hundred live providers, made every honest storer's answer exceed a strict decoder's bounds,
 * and dropping those answers whole left the rendezvous nothing to read. Only an answer whose framing is
 * broken is dropped whole (a malformed record alone is skipped).
 *
 * Of each answer, at most {@link PROVIDER_KEPT_RECORDS} records are drawn by address group from the raw
 * bytes before any address is parsed: parsing a multiaddr and running the mapper cost ~25 µs each, so
 * parsing every address of a full answer blocked the event loop ~1 s per storer. Answers that arrive
 * together are decoded one per turn of the event loop (provider-answer.ts bounds one answer's work).
 *
 * The storers are the DHT's choice, not this node's: a connection opened only to ask one (by the
 * closest-peers walk or the question itself) is closed once answered unless something else uses it,
 * so that it never counts as a peer this node dialed.
 */
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { KAD_PROTOCOL, RENDEZVOUS_POOL } from './constants.js'
import { MessageType, ProvidersMessage } from './kad-providers.js'
import { peerGroup } from './discovery-pool.js'
import { addressScopeMapper } from './libp2p.js'
import { nextTurn } from './next-turn.js'
import { MESSAGE_GET_PROVIDERS, decodeAnswer, keptProviders, readAnswer } from './provider-answer.js'
import { inUse } from './outbound-connections.js'
import { ProviderAnswerError } from './provider-errors.js'
import type { AnswerBounds } from './provider-answer.js'
import type { AbortOptions, Connection, Logger, PeerId, PeerInfo, Stream } from '@libp2p/interface'
import type { KadDHT, PeerInfoMapper } from '@libp2p/kad-dht'
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
  /**
   * The address group (`peerGroup`) of the connection the answer came on, {@link OWN_STORE_GROUP} for
   * this node's own store; absent when the lookup cannot tell (no `getConnections`). PeerIds cost
   * nothing: sybil storers on one host are one source.
   */
  group?: string
  providers: PeerInfo[]
}

/** The {@link StorerAnswer.group} of this node's own provider store. */
export const OWN_STORE_GROUP = 'self'

/** What {@link createProviderLookup} needs from the node. */
export interface ProviderLookupComponents {
  /** Finds the closest peers of the key (the storers of its provider records) and reads the own store. */
  dht: Pick<KadDHT, 'getClosestPeers' | 'findProviders'>
  /** This node: its own provider store is read as its answer. */
  peerId: PeerId
  /** Opens a stream to a peer on a protocol (libp2p's `dialProtocol`). */
  dialProtocol(peer: PeerId, protocol: string, options: AbortOptions): Promise<Stream>
  /**
   * The open connections (libp2p's `getConnections`): an answer's source is the address group of the
   * connection it came on, and a storer's outbound connection that was not open when the lookup began
   * is closed once the storer answered, unless another stream uses it or the node chose the storer.
   * Without it, answers name no group and connections are left to the connection manager.
   */
  getConnections?(peer?: PeerId): Connection[]
  /**
   * Whether `peer` holds a connection this node chose to open (`ChosenPeers.dialed`): its connections are
   * never closed here. A peer that once answered at a drawn address and was dialed again by the lookup
   * (a storer the answers named) is not, unless its chosen connection is still open.
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
   * @default addressScopeMapper(false): public addresses and DNS names kept
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

/** Options of {@link ProviderLookup.find}. */
export interface ProviderFindOptions extends AbortOptions {
  /**
   * Records passed over before an answer's draw, given the PeerId multihash bytes a record names (the
   * rendezvous passes over those it offered lately, so that each round draws among records not yet
   * tried, and an honest host's real record is reached however many fakes share its group).
   *
   * @default none
   */
  skip?(id: Uint8Array): boolean
}

/** Asks every storer of a key for its providers. */
export interface ProviderLookup {
  /**
   * The answer of each closest peer of the key that answered in time with a well-framed answer (a
   * storer that fails, times out or sends a malformed one is left out and logged; an answer's excess
   * records and addresses are left out of it). Resolves when every storer answered or failed; rejects
   * only when `signal` aborts.
   */
  find(cid: CID, options: ProviderFindOptions): Promise<StorerAnswer[]>
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
  const peerInfoMapper = init.peerInfoMapper ?? addressScopeMapper(false)
  const storerTimeout = init.storerTimeout ?? PROVIDER_STORER_TIMEOUT
  const bounds: AnswerBounds = {
    maxBytes: init.maxAnswerBytes ?? PROVIDER_ANSWER_BYTES,
    maxAddresses: init.maxAddresses ?? PROVIDER_RECORD_ADDRESSES,
    perGroup: init.maxRecords ?? PROVIDER_ANSWER_RECORDS
  }
  const maxKept = init.maxKept ?? PROVIDER_KEPT_RECORDS
  const { dht, peerId, dialProtocol, log } = components
  /** The last answer decode queued: each waits for the one before it and for a turn of the event loop. */
  let turn: Promise<unknown> = Promise.resolve()

  /** Runs `work` after every decode queued before it, in a turn of the event loop of its own. */
  async function inTurn<T> (work: () => T): Promise<T> {
    const result = turn.then(async () => {
      // a timer callback: a decode never shares a turn of the event loop with others queued before it
      await nextTurn()
      return work()
    })
    turn = result.catch(() => {})
    return result
  }

  /** This node's own records of the key: findProviders yields them first, before it asks anyone. */
  async function own (cid: CID, options: AbortOptions): Promise<StorerAnswer[]> {
    for await (const event of dht.findProviders(cid, options)) {
      if (event.name === 'PROVIDER' && event.from.equals(peerId)) return [{ from: peerId, group: OWN_STORE_GROUP, providers: event.providers }]
      // a network event: the own store had nothing (leaving the loop ends kad-dht's query)
      if (event.name !== 'PEER_RESPONSE' || !event.from.equals(peerId)) return []
    }
    return []
  }

  /** The storer's answer; then its connection is released unless it was open in `before` (see {@link release}). */
  async function ask (storer: PeerId, key: Uint8Array<ArrayBuffer>, before: Set<string>, options: ProviderFindOptions): Promise<StorerAnswer | undefined> {
    const signal = AbortSignal.any([...(options.signal === undefined ? [] : [options.signal]), AbortSignal.timeout(storerTimeout)])
    let stream: Stream | undefined
    try {
      stream = await dialProtocol(storer, protocol, { signal })
      const group = groupOf(storer, stream)
      // listening before the question is sent: nothing of the answer can come before the listener
      const reading = readAnswer(stream, bounds.maxBytes, signal)
      reading.catch(() => {}) // awaited below, after the send, which may fail first
      const request = ProvidersMessage.encode({ type: MessageType.GET_PROVIDERS, key, providers: [] })
      if (!stream.send(new Uint8ArrayList(varint.encode(request.byteLength), request))) await stream.onDrain({ signal })
      const { bytes, truncated } = await reading
      // the rest of a long answer is not wanted, and a storer that never closes its side must not hold
      // the lookup: a cut answer resets the stream, a whole one closes it (reset after the timeout)
      const done = stream
      if (truncated) done.abort(new ProviderAnswerError('ERR_ANSWER_TOO_LONG', `answer longer than the ${bounds.maxBytes} bytes read`))
      else done.close({ signal }).catch((err: unknown) => { done.abort(err instanceof Error ? err : new Error(String(err))) })
      const answer = await inTurn(() => {
        signal.throwIfAborted()
        return decodeAnswer(bytes, truncated, bounds)
      })
      if (answer.type !== MESSAGE_GET_PROVIDERS) {
        log('storer %p answered GET_PROVIDERS with message type %d', storer, answer.type)
        return undefined
      }
      if (truncated) log('storer %p answered with more than %d bytes: %d records read', storer, bounds.maxBytes, answer.records)
      // drawn before parsing: only the kept records' addresses cost parsing and the mapper
      return { from: storer, ...(group === undefined ? {} : { group }), providers: keptProviders(answer, maxKept, options.skip).map(peerInfoMapper) }
    } catch (err) {
      stream?.abort(err instanceof Error ? err : new Error(String(err)))
      log('storer %p gave no usable providers answer - %e', storer, err)
      return undefined
    } finally {
      release(storer, before, stream)
    }
  }

  /** The address group of the connection `stream` to `storer` runs on (any open one to it if none holds the stream). */
  function groupOf (storer: PeerId, stream: Stream): string | undefined {
    const connections = components.getConnections?.(storer).filter((c) => c.status === 'open') ?? []
    const connection = connections.find((c) => c.streams.includes(stream)) ?? connections[0]
    return connection === undefined ? undefined : peerGroup({ id: storer, multiaddrs: [connection.remoteAddr] })
  }

  /**
   * Closes `storer`'s outbound connections opened since the lookup began, unless the node chose the
   * storer or a stream other than `asked` (this lookup's, closing) and those every connection gets uses
   * it ({@link inUse}).
   */
  function release (storer: PeerId, before: Set<string>, asked: Stream | undefined): void {
    if (components.getConnections === undefined || before.has(storer.toString()) || components.chosen?.(storer) === true) return
    for (const connection of components.getConnections(storer)) {
      if (connection.direction !== 'outbound' || connection.status !== 'open') continue
      if (inUse(connection, asked)) continue
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
