/**
 * Chaos slice `fuzz_inputs_per_entry` / `fuzz_crashes` (issue 17; the full scenario is `npm run chaos`,
 * bench/chaos/fuzz.ts): generated and mutated inputs into the gossip validator (membership off and on),
 * member directory announcements, stem frames, sync
 * messages, circle invites, option strings and a daemon's control API cause no crash and no unhandled
 * rejection: every refusal is a result or a typed error with a stable code, and the heap stays bounded;
 * stock libp2p peers sending hand-built frames on a daemon's streams leave it up and open to others.
 */
import { describe, expect, it } from 'vitest'
import { runFuzz } from '../bench/chaos/fuzz.ts'
import { runWireFuzz } from '../bench/chaos/wire-fuzz.ts'
import { apiRequest, readEndpoint } from '../bench/chaos/api-client.ts'
import { Sandbox } from './cli-harness.ts'

/** Heap (or, for the API, daemon RSS) growth an entry may cause (MiB): a leak per input would pass it at these counts only if it were large. */
const GROWTH_BOUND_MB = 64

describe('chaos: fuzzed inputs into every entry point', () => {
  it('crashes nothing, leaves no rejection unhandled and refuses with typed errors', async () => {
    const outcome = await runFuzz({ perEntry: 400, apiInputs: 150, seed: 17 })
    expect(outcome.entries.map((e) => e.name)).toEqual(['gossip-validator', 'gossip-members', 'directory-announce', 'stem-frame', 'sync-message', 'circle-invite', 'config-strings', 'http-api'])
    for (const entry of outcome.entries) {
      expect({ entry: entry.name, crashes: entry.crashes, examples: entry.examples }).toEqual({ entry: entry.name, crashes: 0, examples: [] })
      expect(entry.inputs).toBe(entry.name === 'http-api' ? 150 : 400)
      expect(entry.heapGrowthMb).toBeLessThan(GROWTH_BOUND_MB)
    }
    expect(outcome.unhandledRejections).toBe(0)
    // the seeds are valid: what the mutants start from is accepted (an entry broken at setup refuses all)
    const seeds = Object.fromEntries(outcome.entries.map((e) => [e.name, e.seedsAccepted]))
    // (gossip-members: the ring post of members it holds no stamps of is held for them, not accepted)
    expect(seeds).toMatchObject({ 'gossip-validator': '4 of 4', 'gossip-members': '7 of 8', 'directory-announce': '3 of 3', 'stem-frame': '4 of 4', 'circle-invite': '3 of 3' })
  }, 180_000)

  it('stays up, answers its API and takes an honest peer after hand-built frames on its stem, sync and gossip streams', async () => {
    const outcome = await runWireFuzz({ framesPerProtocol: 200 })
    expect(Object.values(outcome.protocols).map((p) => p.frames)).toEqual([200, 200, 200])
    expect(outcome).toMatchObject({ alive: true, apiAnswered: true, honestConnected: true })
    expect(outcome.rss.after - outcome.rss.before).toBeLessThan(GROWTH_BOUND_MB)
  }, 120_000)

  // S7H bug B2, found by the http-api entry: a target starting with '//' threw in new URL (500) or named a host
  it('answers a request target of slashes with a 404, not a 500', async () => {
    const sandbox = await Sandbox.create()
    try {
      const daemon = await sandbox.daemon('slashes', ['--no-mint', '--no-local-rendezvous'])
      const api = await readEndpoint(daemon.dataDir)
      for (const path of ['//', '///', '///////', '//x/v1/status']) {
        const answer = await apiRequest(api, path)
        expect({ path, status: answer.status }).toEqual({ path, status: 404 })
      }
    } finally {
      await sandbox.cleanup()
    }
  }, 120_000)
})
