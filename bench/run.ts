// Runs every benchmark in its own process, in order. `npm run bench` (quick) or `npm run bench -- --full`.
import { spawnSync } from 'node:child_process'

// browser.ts reuses the test harness, whose TypeScript needs Node's full transform, not type stripping
const benches: Array<{ file: string, flags?: string[] }> = [
  { file: 'protocol.ts' },
  { file: 'sync.ts' },
  { file: 'stem-latency.ts' },
  { file: 'network/index.ts' },
  { file: 'browser.ts', flags: ['--experimental-transform-types', '--no-warnings'] }
]
const args = process.argv.slice(2)
console.log(`benchmarks on node ${process.version}`)
for (const { file, flags = [] } of benches) {
  console.log(`\n== ${file}`)
  const run = spawnSync(process.execPath, [...flags, new URL(file, import.meta.url).pathname, ...args], { stdio: 'inherit' })
  if (run.status !== 0) {
    console.error(`${file} failed with exit code ${run.status}`)
    process.exit(1)
  }
}
spawnSync(process.execPath, [new URL('report.ts', import.meta.url).pathname], { stdio: 'inherit' })
