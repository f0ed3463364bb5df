// Ring verification on every core (issue 14 §1): the verification pool's throughput against one thread,
// its per-core rate against today's main-thread ringVerify, and how responsive the main thread stays while
// 1,000 ring-signed envelopes arrive at once, and how long a stem check waits behind them.
// `node bench/verify-pool.ts [--quick] [--no-write]`.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { buildEnvelope, channelTopic, compareBytes, generateAuthorKey, postScope, ready, ringSign, ringVerify, validateEnvelope, weekScope } from '@murmur/protocol'
import type { RingVerifyInput, ValidateOptions } from '@murmur/protocol'
import { availableCores, createVerifyPool } from '@murmur/node'
import type { VerifyJobOptions, VerifyPool } from '@murmur/node'
import { median, opsPerSecond, writeResults } from './lib/results.ts'
import type { Figure } from './lib/results.ts'

const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 3 : 5
const RING = 16
/** Envelopes in the flood: the 1,000 (a quick check: 100). */
const FLOOD = quick ? 100 : 1000
/** Verifications per core and round of the throughput figures. */
const PER_CORE = quick ? 20 : 100
const cores = availableCores()
const TOPIC = channelTopic('#bench')
const POW = { POST: 0, REPLY: 0, VOTE: 0 }
const figures: Figure[] = []
await ready()

const keys = Array.from({ length: RING }, () => generateAuthorKey()).sort((a, b) => compareBytes(a.publicKey, b.publicKey))
const ring = keys.map((key) => key.publicKey)

// --- throughput: the pool on every core against one thread ------------------------------------------------
// a POST's shape: two link tags (the hour's and the week's)
const message = new Uint8Array(32).fill(9)
const scopes = [postScope(TOPIC, 490_000n, 0), weekScope(TOPIC, 2_900n, 1)]
const input: RingVerifyInput = { message, ring, scopes, ...ringSign({ message, ring, secretKey: keys[5]!.secretKey, scopes }) }

/** Verifications per second of `pool` given `count` jobs at once. */
async function poolRate (pool: VerifyPool, count: number): Promise<number> {
  const start = performance.now()
  const results = await Promise.all(Array.from({ length: count }, async () => await pool.ringVerify(input)))
  if (!results.every(Boolean)) throw new Error('a ring signature did not verify in the pool')
  return count / ((performance.now() - start) / 1000)
}

const mainThread = (count: number): number => opsPerSecond(count, () => {
  if (!ringVerify(input)) throw new Error('ring signature did not verify')
})

const all = createVerifyPool({ size: cores })
const one = createVerifyPool({ size: 1 })
// warm-up: workers started, libsodium loaded, code compiled
await poolRate(all, 2 * cores)
await poolRate(one, 2)
mainThread(5)
const singleRates: number[] = []
const poolRates: number[] = []
const oneWorkerRates: number[] = []
for (let round = 0; round < ROUNDS; round++) {
  // interleaved, so that a change of load on the machine touches every series alike
  singleRates.push(mainThread(PER_CORE))
  poolRates.push(await poolRate(all, PER_CORE * cores))
  oneWorkerRates.push(await poolRate(one, PER_CORE))
}
await one.stop()
const single = median(singleRates)
const pooled = median(poolRates)
const oneWorker = median(oneWorkerRates)
figures.push(
  { figure: 'ring_verify_n16_pool_vs_single', value: pooled / single, unit: `ratio (pool of ${cores} workers ÷ main-thread ringVerify)`, target: '>= 1.8 on 2 cores', baseline: single, note: `pool ${pooled.toFixed(1)}/s, one worker ${oneWorker.toFixed(1)}/s (pool ÷ one worker ${(pooled / oneWorker).toFixed(2)}), main thread ${single.toFixed(1)}/s; ${cores} cores` },
  { figure: 'ring_verify_n16_per_core_vs_v1', value: pooled / cores / single, unit: 'ratio (pool rate per core ÷ main-thread ringVerify)', target: 'report (>= 1.5 needs arithmetic libsodium does not expose)', baseline: single },
  { figure: 'ring_verify_n16_pool_per_s', value: pooled, unit: 'verifications/s (two tags)' },
  { figure: 'ring_verify_n16_main_thread_per_s', value: single, unit: 'verifications/s (two tags)' }
)

// --- what crossing to a worker costs ------------------------------------------------------------------------
// one job at a time (nothing overlaps): the pool's round trip minus the work itself
const oneTime = (await buildEnvelope({ channel: '#bench', body: 'a one-time post of ordinary length, for the round trip', powBits: 0 })).bytes
const options: ValidateOptions = { topic: TOPIC, powBits: POW }
const SEQUENTIAL = quick ? 200 : 2000
async function sequentialRate (): Promise<number> {
  const start = performance.now()
  for (let i = 0; i < SEQUENTIAL; i++) await all.validate(oneTime, options)
  return SEQUENTIAL / ((performance.now() - start) / 1000)
}
const mainOneTimeRates: number[] = []
const pooledOneTimeRates: number[] = []
// the first round warms both paths up and is not counted
for (let round = 0; round <= ROUNDS; round++) {
  const main = opsPerSecond(SEQUENTIAL, () => validateEnvelope(oneTime, options))
  const pooled = await sequentialRate()
  if (round === 0) continue
  mainOneTimeRates.push(main)
  pooledOneTimeRates.push(pooled)
}
const mainOneTime = median(mainOneTimeRates)
const pooledOneTime = median(pooledOneTimeRates)
figures.push({
  figure: 'pool_round_trip_us',
  value: (1 / pooledOneTime - 1 / mainOneTime) * 1e6,
  unit: 'µs per job (one-time envelope, one job in flight)',
  note: `validate one-time: main thread ${(1e6 / mainOneTime).toFixed(0)} µs, through the pool ${(1e6 / pooledOneTime).toFixed(0)} µs`
})

// --- a flood of ring envelopes: how late the main thread's timers fire ---------------------------------------
const now = Math.floor(Date.now() / 1000)
const flood = await Promise.all(Array.from({ length: FLOOD }, async (_, i) => (await buildEnvelope({
  channel: '#bench',
  body: `ring-signed post ${i} of the flood`,
  now,
  powBits: 0,
  auth: { kind: 'ring', ring, secretKey: keys[i % RING]!.secretKey, slot: i % 10, weekSlot: i % 256 }
})).bytes))
const floodOptions: ValidateOptions = { ...options, now }

/**
 * Event-loop delay (p99 and max, ms), wall time, and the main thread's own busy time per envelope (µs, from
 * its event-loop utilisation) while `validateAll` runs.
 */
async function lagDuring (validateAll: () => Promise<boolean[]>): Promise<{ p99: number, max: number, seconds: number, mainUs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 5 })
  histogram.enable()
  // a few quiet ticks first: the histogram's first tick only starts its clock
  await new Promise((resolve) => setTimeout(resolve, 20))
  const utilisation = performance.eventLoopUtilization()
  const started = performance.now()
  const valid = await validateAll()
  const seconds = (performance.now() - started) / 1000
  // one more timer turn, so that a delay still under way (a blocked loop) is recorded too
  await new Promise((resolve) => setTimeout(resolve, 20))
  histogram.disable()
  const mainUs = performance.eventLoopUtilization(utilisation).active * 1000 / valid.length
  if (!valid.every(Boolean)) throw new Error('an envelope of the flood did not validate')
  return { p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6, seconds, mainUs }
}

const pooledFlood = await lagDuring(async () => await Promise.all(flood.map(async (bytes) => (await all.validate(bytes, floodOptions)).ok)))
// today: the gossip validator calls validateEnvelope synchronously inside an async function; a burst that
// is already buffered runs through microtasks only, so no timer fires until it is done
const inlineFlood = await lagDuring(async () => await Promise.all(flood.map(async (bytes) => validateEnvelope(bytes, floodOptions).ok)))
// the best a main thread can do: yield to the event loop after every envelope
const yieldingFlood = await lagDuring(async () => {
  const valid: boolean[] = []
  for (const bytes of flood) {
    valid.push(validateEnvelope(bytes, floodOptions).ok)
    await new Promise((resolve) => setImmediate(resolve))
  }
  return valid
})

/**
 * A stem frame's check submitted right after the flood's (gossip's) checks: ms from its call to its answer,
 * and how many flood checks were answered before it. `priority`: what the stem check asks for.
 */
async function stemBehindFlood (priority: NonNullable<VerifyJobOptions['priority']>): Promise<{ ms: number, before: number }> {
  let answered = 0
  const floodDone = Promise.all(flood.map(async (bytes) => { await all.validate(bytes, floodOptions, { priority: 'normal' }); answered++ }))
  const stemBytes = flood[0]!
  const start = performance.now()
  const result = await all.validate(stemBytes, floodOptions, { priority })
  const ms = performance.now() - start
  const before = answered
  await floodDone
  if (!result.ok) throw new Error('the stem check did not validate')
  return { ms, before }
}
const stemFirst = await stemBehindFlood('high')
const stemInLine = await stemBehindFlood('normal')
figures.push({
  figure: 'stem_check_ms_behind_ring_flood',
  value: stemFirst.ms,
  unit: `ms from call to answer of a stem check sent after ${FLOOD} gossip ring checks (priority high)`,
  baseline: stemInLine.ms,
  note: `flood checks answered before it: ${stemFirst.before} of ${FLOOD} (baseline, the same check at gossip's priority: ${stemInLine.before}, ${stemInLine.ms.toFixed(0)} ms)`
})

await all.stop()
figures.push(
  {
    figure: 'event_loop_lag_p99_ms_ring_flood',
    value: pooledFlood.p99,
    unit: `ms (p99 event-loop delay, ${FLOOD} n=16 ring envelopes through the pool)`,
    target: '<= 20',
    baseline: inlineFlood.p99,
    note: `max ${pooledFlood.max.toFixed(1)} ms, flood validated in ${pooledFlood.seconds.toFixed(2)} s; baseline = main thread as the gossip validator runs today (p99 ${inlineFlood.p99.toFixed(0)} ms, ${inlineFlood.seconds.toFixed(2)} s); main thread yielding after every envelope: p99 ${yieldingFlood.p99.toFixed(1)} ms, ${yieldingFlood.seconds.toFixed(2)} s`
  },
  { figure: 'event_loop_lag_p99_ms_ring_flood_main_thread', value: inlineFlood.p99, unit: 'ms (p99, main thread, no yield: today)' },
  { figure: 'event_loop_lag_p99_ms_ring_flood_main_thread_yielding', value: yieldingFlood.p99, unit: 'ms (p99, main thread, yield after each envelope)' },
  { figure: 'ring_flood_s_pool', value: pooledFlood.seconds, unit: `s (${FLOOD} envelopes)`, baseline: inlineFlood.seconds },
  {
    figure: 'ring_flood_main_thread_us_per_envelope_pool',
    value: pooledFlood.mainUs,
    unit: 'µs of main-thread time per n=16 ring envelope validated through the pool',
    baseline: inlineFlood.mainUs,
    note: 'what is left on the main thread: copying the bytes out, cloning the result back, the promise'
  }
)

writeResults('verify-pool', figures, { cores, rounds: ROUNDS, singleRates, poolRates, oneWorkerRates, flood: FLOOD, pooledFlood, inlineFlood, yieldingFlood, stemFirst, stemInLine })
