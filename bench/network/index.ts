// Network benchmark (issues 8 and 14): real Murmur nodes against stock gossipsub, side by side.
//   node bench/network/index.ts [--full] [--seeds 5] [--budget-min M] [--no-write]
//     [--sizes 10,25] [--search-sizes 20,40] (other sizes, to check the script at a small size)
//     [--pool shared|node] (Murmur nodes of a run share one verification pool, or each start their own)
// Comparison: every system at every size runs once per seed, each run in its own process
// (bench/network/run-one.ts) on that seed's topology and workload; a ratio is Murmur ÷ baseline of the
// same seed, quoted as the median over the seeds with its min–max. The goal baseline is gossipsub with
// StrictNoSign (the payload alone, as Murmur runs gossipsub); StrictSign (stock default) is kept as
// `_vs_baseline` (full run only). Quick: N = 50 over TCP, one post per node, one-time-signed posts
// against StrictNoSign. `--full`: N = 10, 25, 50 over TCP, StrictSign, and the ring-signed and 16-bit
// proof-of-work rows too.
// Scale search: Murmur alone over the memory transport at growing N, at a fixed load per node (every node
// receives SEARCH_RATE posts a second), until delivery drops below 100 % or p99 exceeds 10 s, a run
// fails, or the time budget (--budget-min; quick 2 min, full 90 min) is spent.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { FLUFF_PROBABILITY } from '@murmur/node'
import { buildEnvelope, ready } from '@murmur/protocol'
import { medianFigure, median, writeResults } from '../lib/results.ts'
import { linearFit } from './graph.ts'
import { BENCH_POW_BITS, CHANNEL, RING_SIZE } from './systems.ts'
import type { Figure } from '../lib/results.ts'
import type { RunResult } from './run-one.ts'
import type { SystemName, TransportName } from './systems.ts'

const { values: args } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    seeds: { type: 'string', default: '5' },
    'budget-min': { type: 'string' },
    sizes: { type: 'string' },
    'search-sizes': { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    pool: { type: 'string', default: 'shared' }
  }
})
const full = args.full
const SEEDS = Array.from({ length: Number(args.seeds) }, (_, i) => i + 1)
const BUDGET_MS = Number(args['budget-min'] ?? (full ? 90 : 2)) * 60_000

/** Sizes and how they run: posts per node. */
interface Size { n: number, transport: TransportName, posts: number }
const listOf = (value: string | undefined): number[] | undefined => value?.split(',').map(Number)
const SIZES: Size[] = listOf(args.sizes)?.map((n) => ({ n, transport: 'tcp' as const, posts: 2 })) ?? (full
  ? [{ n: 10, transport: 'tcp', posts: 4 }, { n: 25, transport: 'tcp', posts: 3 }, { n: 50, transport: 'tcp', posts: 2 }]
  : [{ n: 50, transport: 'tcp', posts: 1 }])
/**
 * Ring posts cost every node a bLSAG verification (~8 ms per tag at n = 16): at the comparison's load all
 * nodes of the one process would queue behind a saturated CPU, so the ring row and its own StrictNoSign
 * baseline run at a tenth of the rate, one post per node.
 */
const RING_RATE_DIVISOR = 10
/** Murmur's rows (one-time-signed at bench PoW; ring-signed; one-time-signed at 16 bits), their figure suffix and load. */
interface Row { system: SystemName, suffix: string, what: string, rateDivisor: number, posts?: number }
const MURMUR_ROWS: Row[] = [
  { system: 'murmur', suffix: '', what: `one-time-signed, ${BENCH_POW_BITS}-bit PoW`, rateDivisor: 1 },
  ...(full
    ? [
        { system: 'murmur-ring' as const, suffix: '_ring', what: `ring-signed (${RING_SIZE} members), gossip only, built before the window, a tenth of the rate`, rateDivisor: RING_RATE_DIVISOR, posts: 1 },
        { system: 'murmur-pow16' as const, suffix: '_pow16', what: 'one-time-signed, 16-bit PoW', rateDivisor: 1 }
      ]
    : [])
]
/** The StrictNoSign baseline a row is measured against: same rate and posts. */
const baselineOf = (row: Row): string => row.rateDivisor === 1 && row.posts === undefined ? 'gossipsub-nosign' : `gossipsub-nosign${row.suffix}`
/** Body length of a Murmur post, in characters (the baselines publish random bytes of the envelope's size). */
const BODY_CHARS = 200
/**
 * Deliveries a second the comparison asks of the whole network (posts a second × (N - 1)), at most 10
 * posts a second: the same load at every size, about half of what one core absorbs.
 */
const DELIVERIES_PER_SECOND = 400
const MAX_RATE = 10
const rateOf = (n: number): number => Math.min(MAX_RATE, DELIVERIES_PER_SECOND / (n - 1))
/** Time a post may still take after the last one was published, and the bound on one whole run. */
const DRAIN_MS = 60_000
const RUN_BOUND_MS = 20 * 60_000

/** The scale search: sizes tried in turn, the load per node, and when a size counts as failed. */
const SEARCH_SIZES = listOf(args['search-sizes']) ?? [50, 100, 200, 350, 500, 700, 1000, 1400, 2000]
/** Posts a second across the network, so every node receives this many posts a second at every N. */
const SEARCH_RATE = 1
const SEARCH_POSTS = 30
const SEARCH_P99_LIMIT_MS = 10_000
const SEARCH_DRAIN_MS = 30_000

await ready()
const sample = await buildEnvelope({ channel: CHANNEL, body: 'x'.repeat(BODY_CHARS), powBits: BENCH_POW_BITS })
const payloadBytes = sample.bytes.byteLength
const dir = mkdtempSync(join(tmpdir(), 'murmur-bench-network-'))
/** Every run's own result, kept in the results file beside the figures. */
const allRuns: Array<RunResult & { seed: number }> = []

/** One system at one size and seed in its own process; undefined when the process failed or timed out. */
function runOne (system: SystemName, n: number, transport: TransportName, seed: number, workload: string[], timeoutMs = RUN_BOUND_MS): RunResult | undefined {
  const out = join(dir, `${system}-${n}-${seed}.json`)
  const argv = [
    '--expose-gc', '--max-old-space-size=16384', new URL('run-one.ts', import.meta.url).pathname,
    '--system', system, '--n', String(n), '--transport', transport, '--seed', String(seed),
    '--payload', String(payloadBytes), '--body', String(BODY_CHARS), '--pool', args.pool, '--out', out, ...workload
  ]
  const started = Date.now()
  const run = spawnSync(process.execPath, argv, { stdio: ['ignore', 'inherit', 'inherit'], timeout: timeoutMs })
  if (run.status !== 0) {
    console.error(`  ${system} n=${n} seed=${seed}: exit ${run.status ?? run.signal} after ${Math.round((Date.now() - started) / 1000)} s`)
    return undefined
  }
  const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult
  allRuns.push({ seed, ...result })
  console.log(`  ${system} n=${n} seed=${seed} (${transport}): ${JSON.stringify(result)}`)
  return result
}

/** A run that delivered every post to every node within the bounds. */
const complete = (r: RunResult | undefined): r is RunResult => r !== undefined && r.error === undefined && r.delivered === r.expected
const perDelivery = (r: RunResult, value: number): number => value / r.delivered
const rss = (r: RunResult): number => r.rssMbAfter - r.rssMbBefore

const figures: Figure[] = []
/** Median Murmur (one-time) results per transport and N, for the slopes. */
const slopePoints: Record<TransportName, Array<{ n: number, gossipP99: number, e2eP99: number, rssPerNode: number }>> = { tcp: [], memory: [] }
console.log(`network: ${full ? 'full' : 'quick'} run, envelope ${payloadBytes} bytes, powBits ${BENCH_POW_BITS}, seeds ${SEEDS.join(',')}`)

for (const size of SIZES) {
  const { n, transport } = size
  const workload = (row: Pick<Row, 'rateDivisor' | 'posts'>): string[] =>
    ['--posts', String(row.posts ?? size.posts), '--rate', String(rateOf(n) / row.rateDivisor), '--drain', String(DRAIN_MS)]
  /** Every run of a seed, by key: the baselines, Murmur's rows, and each row's own baseline where its load differs. */
  const runs: Array<{ key: string, system: SystemName, workload: string[] }> = [
    { key: 'gossipsub-nosign', system: 'gossipsub-nosign', workload: workload({ rateDivisor: 1 }) },
    // stock StrictSign, for the issue-8 figures: in the full run only, to keep the quick run short
    ...(full ? [{ key: 'gossipsub', system: 'gossipsub' as const, workload: workload({ rateDivisor: 1 }) }] : []),
    ...MURMUR_ROWS.map((row) => ({ key: row.system, system: row.system, workload: workload(row) })),
    ...MURMUR_ROWS.filter((row) => baselineOf(row) !== 'gossipsub-nosign').map((row) => ({ key: baselineOf(row), system: 'gossipsub-nosign' as const, workload: workload(row) }))
  ]
  const results = new Map<string, Array<RunResult | undefined>>()
  for (const seed of SEEDS) {
    for (const run of runs) {
      results.set(run.key, [...(results.get(run.key) ?? []), runOne(run.system, n, transport, seed, run.workload)])
    }
  }
  /** Per seed, Murmur's value ÷ the baseline's, over the seeds where both runs completed. */
  const ratios = (m: string, g: string, pick: (r: RunResult) => number): number[] =>
    SEEDS.flatMap((_, i) => {
      const a = results.get(m)?.[i]
      const b = results.get(g)?.[i]
      return a !== undefined && b !== undefined && a.error === undefined && b.error === undefined ? [pick(a) / pick(b)] : []
    })
  const baselineMedian = (g: string, pick: (r: RunResult) => number): number =>
    median(results.get(g)!.flatMap((r) => r === undefined || r.error !== undefined ? [] : [pick(r)]))
  const deliveries = (s: string): number[] => results.get(s)!.map((r) => r === undefined ? 0 : r.delivered / r.expected)
  const pushRatio = (figure: string, m: string, g: string, pick: (r: RunResult) => number, unit: string, target?: string, baselineScale = 1): void => {
    const values = ratios(m, g, pick)
    if (values.length === 0) return
    figures.push(medianFigure({ figure, unit, ...(target === undefined ? {} : { target }), baseline: baselineMedian(g, pick) * baselineScale }, values))
  }
  const gossipP50 = (r: RunResult): number => r.gossipP50
  const gossipP99 = (r: RunResult): number => r.gossipP99
  const e2eP50 = (r: RunResult): number => r.e2eP50
  const e2eP99 = (r: RunResult): number => r.e2eP99
  const bytes = (r: RunResult): number => perDelivery(r, r.wireBytes) * (r.n - 1)
  const cpu = (r: RunResult): number => perDelivery(r, r.cpuSeconds) * (r.n - 1)
  figures.push(medianFigure({ figure: `delivery_ratio_nosign_n${n}`, unit: 'fraction (StrictNoSign gossipsub)', target: '= 1' }, deliveries('gossipsub-nosign')))
  for (const murmurRow of MURMUR_ROWS) {
    const { system, suffix, what } = murmurRow
    const nosign = baselineOf(murmurRow)
    const row = (figure: string): string => `${figure}${suffix}_n${n}`
    figures.push(medianFigure({ figure: row('delivery_ratio'), unit: `fraction (${what})`, target: '= 1' }, deliveries(system)))
    if (system !== 'murmur-ring') {
      // posts whose first copy beyond the author came 10 s or more after post(): the stem's tail
      const slow = results.get(system)!.flatMap((r) => r === undefined || r.error !== undefined ? [] : [r.slowStarts / r.posts])
      if (slow.length > 0) figures.push(medianFigure({ figure: row('stem_slow_start_share'), unit: 'fraction of posts first seen beyond the author >= 10 s after post()' }, slow))
      // a run is about one draw of every node's stem role: a run with no diffuser walks every post everywhere
      const drawn = results.get(system)!.flatMap((r) => r?.diffusers === undefined ? [] : [r.diffusers.start])
      if (drawn.length > 0) {
        figures.push({
          figure: row('stem_no_diffuser_runs'),
          value: drawn.filter((count) => count === 0).length,
          unit: `runs of ${drawn.length} with no diffuser at the window's start (diffusers per run: ${drawn.join(', ')})`,
          note: `each node is a diffuser with probability ${FLUFF_PROBABILITY} per 10-min epoch: ${((1 - FLUFF_PROBABILITY) ** n * 100).toFixed(1)} % of ${n}-node runs have none`
        })
      }
    }
    pushRatio(row('gossip_p50_vs_nosign'), system, nosign, gossipP50, 'ratio (baseline: ms)')
    pushRatio(row('gossip_p99_vs_nosign'), system, nosign, gossipP99, 'ratio (baseline: ms)', '<= 1.1')
    pushRatio(row('e2e_p50_vs_nosign'), system, nosign, e2eP50, 'ratio (baseline: ms)')
    pushRatio(row('e2e_p99_vs_nosign'), system, nosign, e2eP99, 'ratio (baseline: ms)', system === 'murmur' ? '<= 2' : undefined)
    pushRatio(row('bytes_per_post_vs_nosign'), system, nosign, bytes, 'ratio (baseline: bytes on the wire per post)', '<= 1.1')
    pushRatio(row('cpu_per_post_vs_nosign'), system, nosign, cpu, 'ratio (baseline: CPU ms per post, all nodes)', '<= 1.1', 1000)
    if (system === 'murmur-ring') {
      // the author's cost, outside the window and outside cpu_per_post: signing and mining one ring post
      const built = results.get(system)!.flatMap((r) => r === undefined ? [] : [r.prepareMsPerPost])
      if (built.length > 0) figures.push(medianFigure({ figure: row('build_ms'), unit: 'ms per ring post (sign + mine, one node)' }, built))
    }
  }
  // against stock gossipsub with StrictSign, the issue-8 figures
  pushRatio(`gossip_p99_vs_baseline_n${n}`, 'murmur', 'gossipsub', gossipP99, 'ratio (baseline: StrictSign, ms)')
  pushRatio(`e2e_p99_vs_baseline_n${n}`, 'murmur', 'gossipsub', e2eP99, 'ratio (baseline: StrictSign, ms)')
  pushRatio(`bytes_per_post_vs_baseline_n${n}`, 'murmur', 'gossipsub', bytes, 'ratio (baseline: StrictSign, bytes per post)')
  pushRatio(`cpu_per_post_vs_baseline_n${n}`, 'murmur', 'gossipsub', cpu, 'ratio (baseline: StrictSign, CPU ms per post)', undefined, 1000)
  pushRatio(`bytes_per_post_nosign_vs_strictsign_n${n}`, 'gossipsub-nosign', 'gossipsub', bytes, 'ratio (what StrictSign adds; baseline: StrictSign bytes per post)')
  const murmurRuns = results.get('murmur')!.filter(complete)
  if (murmurRuns.length > 0) {
    figures.push(medianFigure({ figure: `rss_mb_per_node_n${n}`, unit: 'MB (Murmur; baseline: StrictNoSign)', baseline: baselineMedian('gossipsub-nosign', (r) => rss(r) / n) }, murmurRuns.map((r) => rss(r) / n)))
    slopePoints[transport].push({ n, gossipP99: median(murmurRuns.map(gossipP99)), e2eP99: median(murmurRuns.map(e2eP99)), rssPerNode: median(murmurRuns.map((r) => rss(r) / n)) })
  }
}

// the scale search, Murmur alone, memory transport
const searchStart = Date.now()
let largest = 0
let stop = `every size up to ${SEARCH_SIZES.at(-1)} passed`
for (const n of SEARCH_SIZES) {
  const left = BUDGET_MS - (Date.now() - searchStart)
  if (left <= 0) { stop = `time budget (${BUDGET_MS / 60_000} min) spent before N = ${n}`; break }
  // setup (start, dial, every mesh formed) may take up to 15 of a run's 20 minutes at large N
  const workload = ['--total', String(SEARCH_POSTS), '--rate', String(SEARCH_RATE), '--drain', String(SEARCH_DRAIN_MS), '--setup', String(15 * 60_000)]
  const r = runOne('murmur', n, 'memory', SEEDS[0]!, workload, Math.min(RUN_BOUND_MS, left))
  if (r === undefined) { stop = Date.now() - searchStart >= BUDGET_MS ? `time budget (${BUDGET_MS / 60_000} min) spent during N = ${n}` : `the run at N = ${n} failed or exceeded ${RUN_BOUND_MS / 60_000} min`; break }
  if (r.delivered > 0) {
    figures.push(
      { figure: `search_cpu_ms_per_delivery_n${n}`, value: perDelivery(r, r.cpuSeconds) * 1000, unit: 'ms (all nodes in one process)' },
      { figure: `search_gossip_p99_ms_n${n}`, value: r.gossipP99, unit: 'ms' },
      { figure: `search_rss_mb_per_node_n${n}`, value: rss(r) / n, unit: 'MB' }
    )
  }
  if (r.error !== undefined) { stop = `N = ${n}: ${r.error}`; break }
  if (r.delivered < r.expected) { stop = `N = ${n}: delivery ${(r.delivered / r.expected * 100).toFixed(2)} % within ${SEARCH_DRAIN_MS / 1000} s of the last post`; break }
  if (r.e2eP99 > SEARCH_P99_LIMIT_MS) { stop = `N = ${n}: e2e p99 ${Math.round(r.e2eP99)} ms > ${SEARCH_P99_LIMIT_MS} ms`; break }
  largest = n
  slopePoints.memory.push({ n, gossipP99: r.gossipP99, e2eP99: r.e2eP99, rssPerNode: rss(r) / n })
}
figures.push({
  figure: 'max_nodes_full_delivery',
  value: largest,
  unit: `nodes (memory transport, one process; ${SEARCH_POSTS} posts at ${SEARCH_RATE} post/s network-wide, so every node receives ${SEARCH_RATE} post/s)`,
  target: '>= 500',
  note: `stopped: ${stop}`
})

// slopes per transport, never across transports
for (const transport of ['tcp', 'memory'] as const) {
  const points = slopePoints[transport]
  if (points.length < 2) continue
  const slope = (pick: (p: typeof points[number]) => number): number => linearFit(points.map((p) => p.n), points.map(pick)).slope
  const sizes = `over N = ${points.map((p) => p.n).join(', ')}`
  figures.push(
    { figure: `gossip_p99_slope_ms_per_node_${transport}`, value: slope((p) => p.gossipP99), unit: `ms per node (${sizes})` },
    { figure: `e2e_p99_slope_ms_per_node_${transport}`, value: slope((p) => p.e2eP99), unit: `ms per node (${sizes})` },
    { figure: `rss_slope_mb_per_node_${transport}`, value: slope((p) => p.rssPerNode * p.n), unit: `MB of RSS per added node (${sizes})` }
  )
}
rmSync(dir, { recursive: true, force: true })
writeResults('network', figures, { runs: allRuns })
