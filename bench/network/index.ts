// Network benchmark (issue 8): real Murmur nodes against plain gossipsub, side by side, at growing size.
// `node bench/network/index.ts` runs N = 10, 25, 50 over TCP on loopback; `--full` adds N = 100, 250,
// 500 over the memory transport. Every system and size runs in its own process (bench/network/run-one.ts)
// on the same seeded topology and workload; the figures are Murmur ÷ gossipsub measured in this run.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildEnvelope, ready } from '@murmur/protocol'
import { writeResults } from '../lib/results.ts'
import { linearFit } from './graph.ts'
import { BENCH_POW_BITS, CHANNEL } from './systems.ts'
import type { Figure } from '../lib/results.ts'
import type { RunResult } from './run-one.ts'
import type { SystemName, TransportName } from './systems.ts'

const full = process.argv.includes('--full')

/** Sizes and how they run: posts per node, and the network-wide post rate. */
interface Size { n: number, transport: TransportName, posts: number }
const QUICK: Size[] = [
  { n: 10, transport: 'tcp', posts: 5 },
  { n: 25, transport: 'tcp', posts: 5 },
  { n: 50, transport: 'tcp', posts: 5 }
]
const FULL: Size[] = [
  { n: 100, transport: 'memory', posts: 1 },
  { n: 250, transport: 'memory', posts: 1 },
  { n: 500, transport: 'memory', posts: 1 }
]
const SEED = 1
/** Body length of a Murmur post, in characters (the baseline publishes random bytes of the envelope's size). */
const BODY_CHARS = 200
/**
 * Deliveries a second the workload asks of the whole network (posts a second × (N - 1)), at most 10
 * posts a second: the same load at every size, about half of what one core absorbs.
 */
const DELIVERIES_PER_SECOND = 400
const MAX_RATE = 10
/** Time a post may still take after the last one was published, and the bound on one whole run. */
const DRAIN_MS = 60_000
const RUN_BOUND_MS = 20 * 60_000

const rateOf = (n: number): number => Math.min(MAX_RATE, DELIVERIES_PER_SECOND / (n - 1))

await ready()
const sample = await buildEnvelope({ channel: CHANNEL, body: 'x'.repeat(BODY_CHARS), powBits: BENCH_POW_BITS })
const payloadBytes = sample.bytes.byteLength

const dir = mkdtempSync(join(tmpdir(), 'murmur-bench-network-'))
function runOne (system: SystemName, size: Size): RunResult | undefined {
  const out = join(dir, `${system}-${size.n}.json`)
  const args = [
    '--expose-gc', '--max-old-space-size=16384', new URL('run-one.ts', import.meta.url).pathname,
    '--system', system, '--n', String(size.n), '--transport', size.transport, '--posts', String(size.posts),
    '--rate', String(rateOf(size.n)), '--seed', String(SEED), '--payload', String(payloadBytes),
    '--body', String(BODY_CHARS), '--drain', String(DRAIN_MS), '--out', out
  ]
  const started = Date.now()
  const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], timeout: RUN_BOUND_MS })
  if (run.status !== 0) {
    console.error(`  ${system} n=${size.n}: exit ${run.status ?? run.signal} after ${Math.round((Date.now() - started) / 1000)} s`)
    return undefined
  }
  const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult
  console.log(`  ${system} n=${size.n} (${size.transport}): ${JSON.stringify(result)}`)
  return result
}

/** A run that delivered every post to every node within the bounds. */
const complete = (r: RunResult | undefined): r is RunResult => r !== undefined && r.error === undefined && r.delivered === r.expected

const ratio = (a: number, b: number): number => a / b
const figures: Figure[] = []
const fits: Array<{ n: number, m: RunResult, g: RunResult }> = []
let maxMurmur = 0
let maxBaseline = 0
console.log(`network: ${full ? 'full' : 'quick'} run, envelope ${payloadBytes} bytes, powBits ${BENCH_POW_BITS}, seed ${SEED}`)
for (const size of full ? [...QUICK, ...FULL] : QUICK) {
  const g = runOne('gossipsub', size)
  const m = runOne('murmur', size)
  if (complete(g)) maxBaseline = size.n
  if (complete(m)) maxMurmur = size.n
  if (m === undefined || g === undefined) continue
  const n = size.n
  const perPost = (r: RunResult, value: number): number => value / r.delivered
  figures.push(
    { figure: `delivery_ratio_n${n}`, value: m.delivered / m.expected, unit: 'fraction', target: '= 1', baseline: g.delivered / g.expected },
    { figure: `gossip_p50_vs_baseline_n${n}`, value: ratio(m.gossipP50, g.gossipP50), unit: 'ratio (baseline: ms)', baseline: g.gossipP50 },
    { figure: `gossip_p99_vs_baseline_n${n}`, value: ratio(m.gossipP99, g.gossipP99), unit: 'ratio (baseline: ms)', target: '<= 1.1', baseline: g.gossipP99 },
    { figure: `e2e_p50_vs_baseline_n${n}`, value: ratio(m.e2eP50, g.e2eP50), unit: 'ratio (baseline: ms)', baseline: g.e2eP50 },
    { figure: `e2e_p99_vs_baseline_n${n}`, value: ratio(m.e2eP99, g.e2eP99), unit: 'ratio (baseline: ms)', baseline: g.e2eP99 },
    { figure: `bytes_per_post_vs_baseline_n${n}`, value: ratio(perPost(m, m.wireBytes), perPost(g, g.wireBytes)), unit: 'ratio (baseline: bytes)', target: '<= 1.1', baseline: perPost(g, g.wireBytes) },
    { figure: `cpu_per_post_vs_baseline_n${n}`, value: ratio(perPost(m, m.cpuSeconds), perPost(g, g.cpuSeconds)), unit: 'ratio (baseline: ms)', baseline: perPost(g, g.cpuSeconds) * 1000 },
    { figure: `rss_mb_per_node_n${n}`, value: (m.rssMbAfter - m.rssMbBefore) / n, unit: 'MB', baseline: (g.rssMbAfter - g.rssMbBefore) / n }
  )
  if (complete(m) && complete(g)) fits.push({ n, m, g })
}
figures.push({ figure: 'max_nodes', value: maxMurmur, unit: 'nodes (100 % delivered within bounds)', target: '>= 500', baseline: maxBaseline })
if (fits.length >= 2) {
  const ns = fits.map((f) => f.n)
  const slope = (pick: (r: RunResult) => number, system: 'm' | 'g'): number => linearFit(ns, fits.map((f) => pick(f[system]))).slope
  const latency: Array<[string, (r: RunResult) => number]> = [['gossip_p50', (r) => r.gossipP50], ['gossip_p99', (r) => r.gossipP99], ['e2e_p99', (r) => r.e2eP99]]
  for (const [name, pick] of latency) {
    figures.push({ figure: `${name}_slope_ms_per_node`, value: slope(pick, 'm'), unit: 'ms per node', baseline: slope(pick, 'g') })
  }
  const rss = (r: RunResult): number => r.rssMbAfter - r.rssMbBefore
  figures.push({ figure: 'rss_slope_mb_per_node', value: slope(rss, 'm'), unit: 'MB per node', baseline: slope(rss, 'g') })
}
rmSync(dir, { recursive: true, force: true })
writeResults('network', figures)
