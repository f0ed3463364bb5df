/**
 * Topic rendezvous through the DHT: a node in a channel provides today's key of the channel's rendezvous
 * bucket and dials a few providers of it, drawn by address group as discovery draws peers, so members of a channel meet even when the
 * only peer they shared (a bootstrap node) goes away. Which of the bucket's channels a provider is in,
 * it learns from gossipsub subscriptions once connected; the DHT never holds a node's channel list.
 * Keys rotate daily, so a PeerId ground to sit closest to a key serves one day, not for good.
 */
import { base64 } from 'multiformats/bases/base64'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import {
  DISCOVERY_WINDOW, RENDEZVOUS_BUCKETS, RENDEZVOUS_DAY, RENDEZVOUS_DAY_OVERLAP, RENDEZVOUS_MAX_INTERVAL, RENDEZVOUS_MIN_INTERVAL,
  RENDEZVOUS_QUERY_TIMEOUT, RENDEZVOUS_TARGET_PEERS
} from './constants.js'
import { DISCOVERY_PER_GROUP, DiscoveryDialer, GroupedPool } from './discovery.js'
import { PROVIDER_KEPT_RECORDS } from './provider-lookup.js'
import { Recent } from './recent.js'
import type { ProviderLookup, StorerAnswer } from './provider-lookup.js'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Logger, PeerId, PeerInfo } from '@libp2p/interface'

/**
 * Most provider records the storers of one address group add to a round (drawn by address group, then
 * PeerId): a storer returns every record it holds, so one sybil storer with a thousand sybil records
 * would otherwise outnumber every other storer's answer, and PeerIds cost nothing, so sybil storers on
 * one host share one budget. The lookup parses no more than these of an answer ({@link PROVIDER_KEPT_RECORDS}).
 */
export const RENDEZVOUS_PER_STORER = PROVIDER_KEPT_RECORDS

/**
 * A provider offered to a topic's dialer is passed over by the lookups of the next this many ms (5 min):
 * each round draws among the records not yet offered, so an honest host's real record is offered within
 * a few rounds however many fake records claim its address (each round kept about ten of a group's 21,
 * and the honest group ran out of records while its real one was never drawn).
 */
export const RENDEZVOUS_OFFERED_FOR = RENDEZVOUS_MAX_INTERVAL

/** Most providers a topic remembers offering (the most recent). */
export const RENDEZVOUS_OFFERED_KEPT = 4096

/**
 * A wake ({@link TopicRendezvous.wake}) starts a round at once and the backoff over at most once per this
 * many ms per topic; a wake within it leaves the backoff as it is. Every peer that hangs up wakes the
 * rendezvous, so a peer connecting and hanging up in a loop ran one DHT lookup, every storer asked, per
 * loop (107 rounds in 30 s against 4); now a topic runs at most two backoff sequences per interval.
 */
export const RENDEZVOUS_WAKE_EVERY = RENDEZVOUS_MAX_INTERVAL

const encoder = new TextEncoder()
const KEY_DOMAIN = encoder.encode('murmur/v2/rendezvous/')

/**
 * The rendezvous bucket of a gossipsub topic: the first two bytes of SHA-256(topic), modulo
 * {@link RENDEZVOUS_BUCKETS}.
 *
 * @example
 * ```ts
 * const bucket = await rendezvousBucket('murmur/2/#lobby') // 0..63
 * ```
 */
export async function rendezvousBucket (topic: string): Promise<number> {
  const digest = (await sha256.digest(encoder.encode(topic))).digest
  return ((digest[0]! << 8) | digest[1]!) % RENDEZVOUS_BUCKETS
}

/**
 * The rendezvous day of a time: whole UTC days since the Unix epoch.
 *
 * @example
 * ```ts
 * rendezvousDay(Date.now()) // 20_000 and some
 * ```
 */
export function rendezvousDay (nowMs: number): number {
  return Math.floor(nowMs / RENDEZVOUS_DAY)
}

/**
 * The days whose keys a lookup at `nowMs` asks for: today's, and for {@link RENDEZVOUS_DAY_OVERLAP}
 * after midnight yesterday's too (members re-provide under the new key within minutes, not at once).
 *
 * @example
 * ```ts
 * lookupDays(Date.UTC(2026, 0, 2, 0, 10)) // [20455, 20454]
 * ```
 */
export function lookupDays (nowMs: number): number[] {
  const today = rendezvousDay(nowMs)
  return nowMs - today * RENDEZVOUS_DAY < RENDEZVOUS_DAY_OVERLAP ? [today, today - 1] : [today]
}

/**
 * The rendezvous CID of a gossipsub topic on a day (by default today, {@link rendezvousDay}): CIDv1, raw codec, SHA-256 multihash of
 * `"murmur/v2/rendezvous/" || b || u32be(day)` (b one byte, the bucket). Every topic of a bucket shares
 * it, so a provider record names the bucket, not the channel; it changes every day, so nobody can grind
 * PeerIds once to sit closest to it for good.
 *
 * @example
 * ```ts
 * const cid = await topicCid('murmur/2/#lobby', rendezvousDay(Date.now()))
 * ```
 */
export async function topicCid (topic: string, day: number = rendezvousDay(Date.now())): Promise<CID> {
  const key = new Uint8Array(KEY_DOMAIN.length + 5)
  key.set(KEY_DOMAIN)
  key[KEY_DOMAIN.length] = await rendezvousBucket(topic)
  new DataView(key.buffer).setUint32(KEY_DOMAIN.length + 1, day)
  return CID.createV1(raw.code, await sha256.digest(key))
}

/** What {@link TopicRendezvous} needs from the node. */
export interface TopicRendezvousComponents {
  dht: KadDHT
  peerId: PeerId
  /**
   * Finds the providers of a key, storer by storer: {@link createProviderLookup} asks every closest peer
   * of the key. Without it, kad-dht's `findProviders` is read, which ends once 20 new providers are
   * found, so a storer answering first with 20 sybils decides the round alone.
   *
   * @default the answers of `dht.findProviders`
   */
  lookup?: ProviderLookup
  /**
   * How many peers this node dialed (an outbound connection is open) are subscribed to the topic. Peers
   * that connected to us do not count: anyone can, and a swarm of them must not stop the rendezvous.
   */
  dialedInTopic(topic: string): number
  /** Whether a connection to the peer is open. */
  isConnected(peer: PeerId): boolean
  /**
   * Whether this node chose the peer and holds an outbound connection to it (`ChosenPeers.dialed`): such
   * a provider is not dialed again; one only connected (a DHT query reached it, or it dialed in) is.
   *
   * @default isConnected
   */
  isDialed?(peer: PeerId): boolean
  /** Number of addresses others can reach us at (a provider record without one is dropped). */
  addressCount(): number
  /**
   * Dials a drawn provider (`dialDrawn`) and returns the peer reached, or nothing if it cannot tell (then
   * `isDialed` says); failures are the dialer's to log.
   */
  dial(peer: PeerInfo, signal: AbortSignal): Promise<PeerId | undefined | void>
  log: Logger
  /**
   * The clock, in ms since the epoch (picks the day's key).
   *
   * @default Date.now
   */
  now?(): number
}

/** Options of {@link TopicRendezvous}: those of the topics' provider dialers ({@link DiscoveryDialer}). */
export interface TopicRendezvousInit {
  /**
   * How long the providers a round found are gathered before some are drawn and dialed, in ms.
   *
   * @default DISCOVERY_WINDOW (2 s)
   */
  window?: number
  /**
   * A drawn provider whose dial failed is offered again after this delay, doubled on each failure.
   *
   * @default DISCOVERY_WINDOW (2 s)
   */
  retryDelay?: number
  /**
   * Whether providers' private and loopback addresses are dialed (`MurmurInit.allowPrivateAddresses`).
   *
   * @default true
   */
  allowPrivateAddresses?: boolean
  /**
   * Whether providers' relayed addresses are dialed.
   *
   * @default the platform's (true in browsers, false in Node.js)
   */
  relayedAddresses?: boolean
}

interface TopicState {
  controller: AbortController
  /** Dials the topic's providers by discovery's rules, its target the topic's dialed peers. */
  dialer: DiscoveryDialer
  /** When each provider (by its PeerId multihash, base64) was last offered to the dialer. */
  offered: Recent<number>
  timer?: ReturnType<typeof setTimeout>
  running: boolean
  interval: number
  provided: boolean
  /** When a wake last started the backoff over (the clock's ms). */
  wokeAt?: number
  /** The day {@link cid} is the key of: when the clock passes it, the new day's key is provided. */
  day?: number
  cid?: CID
}

/**
 * Runs one rendezvous loop per joined topic: provide today's bucket CID ({@link topicCid}) until at
 * least one DHT peer has stored the record (the DHT re-provides it from then on; on a new day the new key
 * is provided and the old one no longer re-provided), and while fewer than
 * {@link RENDEZVOUS_TARGET_PEERS} peers this node dialed share the topic, look up today's CID (and
 * yesterday's just after midnight, {@link lookupDays}) by asking every closest peer of the key for its
 * providers (`lookup`, from `createProviderLookup`), and offer up to {@link RENDEZVOUS_PER_STORER}
 * records per storer address group, drawn by address group among those not offered in the last
 * {@link RENDEZVOUS_OFFERED_FOR}, to the topic's {@link DiscoveryDialer}, which dials them by discovery's
 * rules with the topic's dialed peers as its target: counted in address groups (a group holding one of
 * them waits until no group holding none is left to try), a group whose records fail (fakes at an honest
 * host's closed ports) keeps its turn, failures are remembered per address. Neither the order of an
 * answer (ground PeerIds sorting first), the storer answering first, sybil storers near the key nor fake
 * records claiming honest addresses decide who is dialed (review R7: sybils held 0.82-0.93 of the dialed
 * topic peers against a group share of 1/6). Rounds start one second apart and back off to five
 * minutes; a wake ({@link TopicRendezvous.wake}) starts them over at most once per {@link RENDEZVOUS_WAKE_EVERY}.
 *
 * @example
 * ```ts
 * const lookup = createProviderLookup({ dht, peerId, dialProtocol, getConnections, log })
 * const rendezvous = new TopicRendezvous({ dht, peerId, lookup, dialedInTopic, isConnected, isDialed, addressCount, dial, log }, { allowPrivateAddresses: false })
 * rendezvous.join('murmur/2/#lobby')
 * ```
 */
export class TopicRendezvous {
  private readonly components: TopicRendezvousComponents
  private readonly init: TopicRendezvousInit
  private readonly topics = new Map<string, TopicState>()
  private readonly lookup: ProviderLookup

  constructor (components: TopicRendezvousComponents, init: TopicRendezvousInit = {}) {
    this.components = components
    this.init = init
    this.lookup = components.lookup ?? findProvidersLookup(components.dht)
  }

  /** Starts the rendezvous loop of a topic (no-op when already running). */
  join (topic: string): void {
    if (this.topics.has(topic)) {
      return
    }
    const state: TopicState = { controller: new AbortController(), dialer: this.dialerOf(topic), offered: new Recent(RENDEZVOUS_OFFERED_KEPT), running: false, interval: RENDEZVOUS_MIN_INTERVAL, provided: false }
    this.topics.set(topic, state)
    this.schedule(topic, state, 0)
  }

  /** Stops the loop of a topic and stops re-providing its CID. */
  async leave (topic: string): Promise<void> {
    const state = this.topics.get(topic)
    if (state === undefined) {
      return
    }
    this.topics.delete(topic)
    state.controller.abort()
    state.dialer.stop()
    clearTimeout(state.timer)
    if (state.cid !== undefined) {
      await this.components.dht.cancelReprovide(state.cid).catch((err: unknown) => {
        this.components.log.error('could not cancel re-providing %s - %e', topic, err)
      })
    }
  }

  /**
   * Called when a peer leaves or this node's addresses change: every topic short of peers (or not yet
   * provided) starts over with a round right away and short intervals, so a node that lost its last
   * channel peer looks for others at once. At most once per {@link RENDEZVOUS_WAKE_EVERY} per topic: a
   * wake within it, or during a round, leaves the topic's backoff as it is.
   */
  wake (): void {
    const now = this.components.now?.() ?? Date.now()
    for (const [topic, state] of this.topics) {
      if (state.running || (state.provided && this.components.dialedInTopic(topic) >= RENDEZVOUS_TARGET_PEERS)) continue
      if (state.wokeAt !== undefined && now - state.wokeAt < RENDEZVOUS_WAKE_EVERY) continue
      state.wokeAt = now
      clearTimeout(state.timer)
      state.interval = RENDEZVOUS_MIN_INTERVAL
      this.schedule(topic, state, 0)
    }
  }

  /** Stops every loop. */
  stop (): void {
    for (const state of this.topics.values()) {
      state.controller.abort()
      state.dialer.stop()
      clearTimeout(state.timer)
    }
    this.topics.clear()
  }

  /**
   * The provider dialer of a topic: discovery's rules ({@link DiscoveryDialer}) with the topic's dialed
   * peers as its target, so a group already holding one of them waits for the groups holding none, a
   * group whose records failed keeps its turn, and failures are remembered per address.
   */
  private dialerOf (topic: string): DiscoveryDialer {
    const { isConnected, dial, log } = this.components
    return new DiscoveryDialer({
      dialedCount: () => this.components.dialedInTopic(topic),
      isConnected,
      isDialed: (peer) => this.isDialed(peer),
      dial: async (peer, signal) => dial(peer, signal),
      log
    }, {
      below: RENDEZVOUS_TARGET_PEERS,
      window: this.init.window ?? DISCOVERY_WINDOW,
      retryDelay: this.init.retryDelay ?? DISCOVERY_WINDOW,
      allowPrivateAddresses: this.init.allowPrivateAddresses,
      relayedAddresses: this.init.relayedAddresses
    })
  }

  private isDialed (peer: PeerId): boolean {
    return this.components.isDialed?.(peer) ?? this.components.isConnected(peer)
  }

  private schedule (topic: string, state: TopicState, delay: number): void {
    state.timer = setTimeout(() => {
      state.running = true
      this.round(topic, state)
        .catch((err: unknown) => {
          if (!state.controller.signal.aborted) {
            this.components.log('rendezvous round for %s failed - %e', topic, err)
          }
        })
        .finally(() => {
          state.running = false
          if (!state.controller.signal.aborted) {
            const next = state.interval
            state.interval = Math.min(state.interval * 2, RENDEZVOUS_MAX_INTERVAL)
            this.schedule(topic, state, next)
          }
        })
    }, delay)
  }

  private async round (topic: string, state: TopicState): Promise<void> {
    const { dht, log } = this.components
    const now = this.components.now?.() ?? Date.now()
    const day = rendezvousDay(now)
    if (state.day !== day) {
      // a new day: its key is provided afresh; the old record stays with its storers until it expires
      if (state.cid !== undefined) {
        await dht.cancelReprovide(state.cid).catch((err: unknown) => {
          log.error('could not cancel re-providing yesterday\'s key of %s - %e', topic, err)
        })
      }
      state.day = day
      state.cid = await topicCid(topic, day)
      state.provided = false
    }
    const cid = state.cid!
    // a browser has no address until it holds a relay slot: providing before that would be wasted
    if (!state.provided && this.components.addressCount() > 0) {
      const signal = AbortSignal.any([state.controller.signal, AbortSignal.timeout(RENDEZVOUS_QUERY_TIMEOUT)])
      let stored = 0
      for await (const event of dht.provide(cid, { signal })) {
        if (event.name === 'PEER_RESPONSE' && event.messageName === 'ADD_PROVIDER') {
          stored++
        }
      }
      state.provided = stored > 0
      log('provided %s to %d peers', topic, stored)
    }
    if (this.components.dialedInTopic(topic) >= RENDEZVOUS_TARGET_PEERS) {
      return
    }
    const cids = await Promise.all(lookupDays(now).map(async (d) => d === day ? cid : topicCid(topic, d)))
    await this.dialProviders(topic, cids, state)
  }

  /**
   * Offers the providers the storers named to the topic's dialer, each storer's answer drawn by address
   * group, at most {@link RENDEZVOUS_PER_STORER} per storer address group and round: sybil storers on one
   * host share one budget, as their records share one source.
   */
  private async dialProviders (topic: string, cids: CID[], state: TopicState): Promise<void> {
    const { peerId, log } = this.components
    const signal = AbortSignal.any([state.controller.signal, AbortSignal.timeout(RENDEZVOUS_QUERY_TIMEOUT)])
    const now = Date.now()
    const skip = (id: Uint8Array): boolean => now - (state.offered.get(base64.baseEncode(id)) ?? -Infinity) < RENDEZVOUS_OFFERED_FOR
    const answers = (await Promise.all(cids.map(async (cid) => this.lookup.find(cid, { signal, skip })))).flat()
    /** Records each storer address group added this round. */
    const added = new Map<string, number>()
    let offered = 0
    for (const { from, group, providers } of answers) {
      const source = group ?? `peer:${from.toString()}`
      const fresh = providers.filter((provider) => !provider.id.equals(peerId) && !skip(provider.id.toMultihash().bytes) && !this.isDialed(provider.id))
      // by address group too: one storer's answer naming 1,000 sybils on one host and 25 honest
      // providers gives the 25 their share
      const answer = new GroupedPool({ perGroup: DISCOVERY_PER_GROUP })
      for (const provider of fresh) answer.offer(provider)
      const taken = answer.draw(RENDEZVOUS_PER_STORER - (added.get(source) ?? 0))
      added.set(source, (added.get(source) ?? 0) + taken.length)
      for (const provider of taken) {
        state.offered.set(base64.baseEncode(provider.id.toMultihash().bytes), now)
        // the storer's address group is the record's source: fakes that sybil storers send cannot push
        // an honest host's real record, sent by another storer, out of its group
        state.dialer.offer(provider, group)
      }
      offered += taken.length
    }
    log('offered %d providers from %d storer address groups for the bucket of %s', offered, added.size, topic)
  }
}

/**
 * A {@link ProviderLookup} over kad-dht's `findProviders` (for a rendezvous given no `lookup`): the
 * answers it yields before it stops at 20 new providers, each as its storer's.
 */
function findProvidersLookup (dht: KadDHT): ProviderLookup {
  return {
    async find (cid, options) {
      const answers: StorerAnswer[] = []
      for await (const event of dht.findProviders(cid, options)) {
        if (event.name === 'PROVIDER') answers.push({ from: event.from, providers: event.providers })
      }
      return answers
    }
  }
}
