/**
 * Topic rendezvous through the DHT: a node in a channel provides the CID of the channel's topic and
 * dials the other providers it finds, so members of a channel meet even when the only peer they shared
 * (a bootstrap node) goes away.
 */
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import {
  RENDEZVOUS_MAX_DIALS, RENDEZVOUS_MAX_INTERVAL, RENDEZVOUS_MIN_INTERVAL, RENDEZVOUS_QUERY_TIMEOUT,
  RENDEZVOUS_TARGET_PEERS
} from './constants.js'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Logger, PeerId, PeerInfo } from '@libp2p/interface'

/**
 * The rendezvous CID of a gossipsub topic: CIDv1, raw codec, SHA-256 multihash of the UTF-8 topic.
 *
 * @example
 * ```ts
 * const cid = await topicCid('murmur/1/#lobby')
 * ```
 */
export async function topicCid (topic: string): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(topic)))
}

/** What {@link TopicRendezvous} needs from the node. */
export interface TopicRendezvousComponents {
  dht: KadDHT
  peerId: PeerId
  /** How many peers we know to be subscribed to the topic. */
  peersInTopic(topic: string): number
  /** Whether a connection to the peer is open. */
  isConnected(peer: PeerId): boolean
  /** Number of addresses others can reach us at (a provider record without one is dropped). */
  addressCount(): number
  /** Dials a provider; failures are the dialer's to log. */
  dial(peer: PeerInfo, signal: AbortSignal): Promise<void>
  log: Logger
}

interface TopicState {
  controller: AbortController
  timer?: ReturnType<typeof setTimeout>
  running: boolean
  interval: number
  provided: boolean
  cid?: CID
}

/**
 * Runs one rendezvous loop per joined topic: provide the topic CID until at least one DHT peer has
 * stored the record (the DHT re-provides it from then on), and while fewer than
 * {@link RENDEZVOUS_TARGET_PEERS} peers share the topic, look the CID up and dial new providers.
 * Rounds start one second apart and back off to five minutes.
 */
export class TopicRendezvous {
  private readonly components: TopicRendezvousComponents
  private readonly topics = new Map<string, TopicState>()

  constructor (components: TopicRendezvousComponents) {
    this.components = components
  }

  /** Starts the rendezvous loop of a topic (no-op when already running). */
  join (topic: string): void {
    if (this.topics.has(topic)) {
      return
    }
    const state: TopicState = { controller: new AbortController(), running: false, interval: RENDEZVOUS_MIN_INTERVAL, provided: false }
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
    clearTimeout(state.timer)
    if (state.cid !== undefined) {
      await this.components.dht.cancelReprovide(state.cid).catch((err: unknown) => {
        this.components.log.error('could not cancel re-providing %s - %e', topic, err)
      })
    }
  }

  /**
   * Called when a peer leaves: every topic now short of peers starts over with a round right away and
   * short intervals, so a node that lost its last channel peer looks for others at once.
   */
  wake (): void {
    for (const [topic, state] of this.topics) {
      if (!state.running && (!state.provided || this.components.peersInTopic(topic) < RENDEZVOUS_TARGET_PEERS)) {
        clearTimeout(state.timer)
        state.interval = RENDEZVOUS_MIN_INTERVAL
        this.schedule(topic, state, 0)
      }
    }
  }

  /** Stops every loop. */
  stop (): void {
    for (const state of this.topics.values()) {
      state.controller.abort()
      clearTimeout(state.timer)
    }
    this.topics.clear()
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
    state.cid ??= await topicCid(topic)
    const cid = state.cid
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
    if (this.components.peersInTopic(topic) >= RENDEZVOUS_TARGET_PEERS) {
      return
    }
    await this.dialProviders(topic, cid, state.controller.signal)
  }

  private async dialProviders (topic: string, cid: CID, topicSignal: AbortSignal): Promise<void> {
    const { dht, peerId, isConnected, dial, log } = this.components
    const signal = AbortSignal.any([topicSignal, AbortSignal.timeout(RENDEZVOUS_QUERY_TIMEOUT)])
    const seen = new Set<string>()
    const dials: Array<Promise<void>> = []
    for await (const event of dht.findProviders(cid, { signal })) {
      if (event.name !== 'PROVIDER') {
        continue
      }
      for (const provider of event.providers) {
        const id = provider.id.toString()
        if (provider.id.equals(peerId) || seen.has(id) || isConnected(provider.id)) {
          continue
        }
        seen.add(id)
        log('dialing %p, a provider of %s', provider.id, topic)
        dials.push(dial(provider, topicSignal))
        if (dials.length >= RENDEZVOUS_MAX_DIALS) {
          break
        }
      }
      if (dials.length >= RENDEZVOUS_MAX_DIALS) {
        break
      }
    }
    await Promise.all(dials)
  }
}
