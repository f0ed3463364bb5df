/**
 * Waking the rendezvous is bounded (review 5, second read, Medium): every peer that hangs up wakes it, and
 * a wake started a round at once with the backoff reset, so a stock peer connecting and hanging up in a
 * loop made the node run one DHT lookup (and ask every storer of the key) per loop: 107 rounds in 30 s
 * against 4 without it (/tmp/b5prof/churn-attack.mjs). Now rounds follow the backoff, which a wake starts
 * over at most once per RENDEZVOUS_WAKE_EVERY.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { logger } from '@libp2p/logger'
import { tcp } from '@libp2p/tcp'
import { channelTopic } from '@murmur/protocol'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RENDEZVOUS_MAX_INTERVAL, RENDEZVOUS_MIN_INTERVAL } from '../src/constants.js'
import { RENDEZVOUS_WAKE_EVERY, TopicRendezvous, lookupDays, topicCid } from '../src/rendezvous.js'
import { LOOPBACK, addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import { ids } from './rendezvous-fixtures.js'
import type { KadDHT } from '@libp2p/kad-dht'

const CHANNEL = '#wake'
const TOPIC = channelTopic(CHANNEL)

/** Rounds a backoff that starts at RENDEZVOUS_MIN_INTERVAL and doubles to RENDEZVOUS_MAX_INTERVAL starts within `ms`. */
const backoffRounds = (ms: number): number => {
  let rounds = 0
  for (let at = 0, interval = RENDEZVOUS_MIN_INTERVAL; at < ms; at += interval, interval = Math.min(interval * 2, RENDEZVOUS_MAX_INTERVAL)) rounds++
  return rounds
}

describe('rendezvous wakes are bounded', () => {
  const { running } = cleanedAfterEach()
  afterEach(() => { vi.useRealTimers() })

  it('a wake every 200 ms for 20 minutes runs no more rounds than two backoffs per RENDEZVOUS_WAKE_EVERY; the first wake runs a round at once', async () => {
    vi.useFakeTimers()
    const [self] = await ids(1)
    // noon: one key per round (no lookup of yesterday's key)
    const start = Date.UTC(2026, 10, 29, 12)
    const begun = Date.now()
    const now = (): number => start + Date.now() - begun
    expect(lookupDays(start)).toHaveLength(1)
    const run = async (wakeEvery: number | undefined, ms: number): Promise<{ rounds: number, firstAfterWake?: number }> => {
      let rounds = 0
      let lastRoundAt = 0
      const rendezvous = new TopicRendezvous({
        dht: {
          async * provide () { yield { name: 'PEER_RESPONSE', messageName: 'ADD_PROVIDER' } },
          async cancelReprovide () {}
        } as unknown as KadDHT,
        lookup: { find: async () => { rounds++; lastRoundAt = now(); return [] } },
        peerId: self!,
        dialedInTopic: () => 0,
        isConnected: () => false,
        addressCount: () => 1,
        dial: async () => {},
        log: logger('murmur:test'),
        now
      })
      rendezvous.join(TOPIC)
      // past the first rounds: the backoff is at 16 s when the wakes begin
      await vi.advanceTimersByTimeAsync(20_000)
      const before = rounds
      let firstAfterWake: number | undefined
      for (let t = 0; t < ms; t += wakeEvery ?? ms) {
        if (wakeEvery !== undefined) {
          const woke = now()
          rendezvous.wake()
          if (t === 0) {
            await vi.advanceTimersByTimeAsync(0)
            firstAfterWake = lastRoundAt >= woke ? lastRoundAt - woke : undefined
          }
        }
        await vi.advanceTimersByTimeAsync(wakeEvery ?? ms)
      }
      rendezvous.stop()
      return { rounds: rounds - before, firstAfterWake }
    }
    const minutes = 20
    const quiet = await run(undefined, minutes * 60_000)
    const woken = await run(200, minutes * 60_000)
    // a wake still starts a round at once (a node that lost its last peer looks for others)
    expect(woken.firstAfterWake).toBe(0)
    // each window of RENDEZVOUS_WAKE_EVERY holds at most one started-over backoff and the one it cut
    const windows = Math.ceil(minutes * 60_000 / RENDEZVOUS_WAKE_EVERY)
    expect(woken.rounds).toBeLessThanOrEqual(windows * 2 * backoffRounds(RENDEZVOUS_WAKE_EVERY))
    expect(quiet.rounds).toBeGreaterThan(0)
    // was: a round per wake (6,000)
    expect(woken.rounds).toBeLessThan(100)
  })

  it('a stock peer connecting and hanging up in a loop does not make the node run a rendezvous round per hang-up', async () => {
    // two members: the node is short of peers (one of six), so each of its rounds looks up the key
    const host = await startNode({ listen: LOOPBACK, channels: [CHANNEL], sync: false })
    running.push(host)
    const node = await startNode({ listen: LOOPBACK, channels: [CHANNEL], sync: false, bootstrap: [addressOf(host)] })
    running.push(node)
    const attacker = await createLibp2p({ addresses: { listen: LOOPBACK }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    running.push(attacker)
    // a round looks up the topic's key: its closest peers are asked for
    const keys = new Set(await Promise.all([0, -1].map(async (d) => (await topicCid(TOPIC, Math.floor(Date.now() / 86_400_000) + d)).multihash.bytes.toString())))
    const dht = node.libp2p.services.dht
    const closest = dht.getClosestPeers.bind(dht)
    let lookups = 0
    dht.getClosestPeers = (key, options) => {
      if (keys.has(key.toString())) lookups++
      return closest(key, options)
    }
    // past the first rounds (1 s and 3 s after the start): the next is 7 s after the start, then 15 s
    await waitFor(() => lookups >= 2, 'the node\'s second rendezvous round')
    const settled = lookups
    const began = Date.now()
    const cycles = 40
    for (let i = 0; i < cycles; i++) {
      const connection = await attacker.dial(node.getMultiaddrs()[0]!)
      // held a moment, as a peer that identifies itself would be: the node's round in progress ends
      await new Promise((resolve) => setTimeout(resolve, 100))
      await connection.close()
      // the node saw the hang-up (its peer:disconnect) before the next dial
      await waitFor(() => node.libp2p.getConnections(attacker.peerId).length === 0, 'the hang-up seen', 10_000, 10)
    }
    // 40 hang-ups: the backoff and at most one started over (each round looks up one or two keys), not a
    // round per hang-up (was 40 of 40)
    const rounds = lookups - settled
    expect(rounds).toBeLessThanOrEqual(2 * 2 * backoffRounds(Date.now() - began))
    expect(rounds).toBeLessThan(cycles / 2)
  }, 120_000)
})
