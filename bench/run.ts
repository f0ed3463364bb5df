// Runs every benchmark in its own process, in order. `npm run bench` (quick) or `npm run bench -- --full`.
import { spawnSync } from 'node:child_process'

const full = process.argv.includes('--full')
/**
 * Each bench and the flags of a quick and a full run (benches that take no flags get none: some refuse
 * unknown ones). browser.ts reuses the test harness, whose TypeScript needs Node's full transform, not
 * type stripping.
 */
const benches: Array<{ file: string, node?: string[], quick?: string[], full?: string[] }> = [
  { file: 'protocol.ts' },
  { file: 'sync.ts' },
  { file: 'stem-latency.ts' },
  { file: 'stem-bounce.ts', quick: ['--trials', '5000'] },
  { file: 'ring-dos.ts', quick: ['--quick'] },
  { file: 'stamp.ts', quick: ['--quick'] },
  { file: 'votes-sim.ts', quick: ['--quick'] },
  { file: 'membership.ts', quick: ['--quick'] },
  { file: 'verify-pool.ts', quick: ['--quick'] },
  { file: 'network/stem-sim.ts' },
  { file: 'anonymity/stem-end.ts', quick: ['--trials', '40'] },
  { file: 'gossip-decode.ts', quick: ['--small'] },
  { file: 'gossip-batch.ts', quick: ['--small'] },
  { file: 'network/index.ts', full: ['--full'] },
  { file: 'crowd.ts', quick: ['--quick'] },
  { file: 'browser.ts', node: ['--experimental-transform-types', '--no-warnings'] }
]
console.log(`benchmarks on node ${process.version} (${full ? 'full' : 'quick'})`)
const failed: string[] = []
for (const bench of benches) {
  const flags = (full ? bench.full : bench.quick) ?? []
  console.log(`\n== ${bench.file} ${flags.join(' ')}`)
  const started = Date.now()
  const run = spawnSync(process.execPath, [...bench.node ?? [], new URL(bench.file, import.meta.url).pathname, ...flags], { stdio: 'inherit' })
  console.log(`== ${bench.file}: ${Math.round((Date.now() - started) / 1000)} s`)
  // one failed bench does not keep the others' figures from being measured
  if (run.status !== 0) {
    console.error(`${bench.file} failed with exit code ${run.status ?? run.signal}`)
    failed.push(bench.file)
  }
}
spawnSync(process.execPath, [new URL('report.ts', import.meta.url).pathname], { stdio: 'inherit' })
if (failed.length > 0) {
  console.error(`failed: ${failed.join(', ')}`)
  process.exit(1)
}
