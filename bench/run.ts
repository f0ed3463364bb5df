// Runs every benchmark in its own process, in order. `npm run bench` (quick) or `npm run bench -- --full`.
import { spawnSync } from 'node:child_process'

const benches = ['protocol.ts', 'sync.ts', 'stem-latency.ts']
const args = process.argv.slice(2)
console.log(`benchmarks on node ${process.version}`)
for (const bench of benches) {
  console.log(`\n== ${bench}`)
  const run = spawnSync(process.execPath, [new URL(bench, import.meta.url).pathname, ...args], { stdio: 'inherit' })
  if (run.status !== 0) {
    console.error(`${bench} failed with exit code ${run.status}`)
    process.exit(1)
  }
}
spawnSync(process.execPath, [new URL('report.ts', import.meta.url).pathname], { stdio: 'inherit' })
