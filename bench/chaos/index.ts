/**
 * `npm run chaos` (quick) or `npm run chaos -- --full`: the reliability scenarios of issue 17, each in a
 * process of its own (scenario.ts), their figures written to bench/results/chaos.json (`--no-write`: only
 * printed; `--only crash,fuzz`: those scenarios only, the others' figures not written).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeResults } from '../lib/results.ts'
import type { ScenarioResult } from './scenario.ts'
import type { Figure } from '../lib/results.ts'

/** The scenarios in the order they run, and the node flags each needs. */
const ORDER: Array<{ name: string, node: string[] }> = [
  { name: 'fuzz', node: ['--expose-gc'] },
  { name: 'api-abuse', node: [] },
  { name: 'crash', node: [] },
  { name: 'churn', node: [] },
  { name: 'partition', node: [] },
  { name: 'flood', node: [] },
  { name: 'sybil', node: [] }
]

const full = process.argv.includes('--full')
const onlyAt = process.argv.indexOf('--only')
const only = onlyAt < 0 ? undefined : (process.argv[onlyAt + 1] ?? '').split(',')
const dir = mkdtempSync(join(tmpdir(), 'murmur-chaos-'))
const figures: Figure[] = []
const raw: Record<string, unknown> = {}
const failed: string[] = []
console.log(`chaos on node ${process.version} (${full ? 'full' : 'quick'})`)
try {
  for (const { name, node } of ORDER.filter((s) => only === undefined || only.includes(s.name))) {
    const out = join(dir, `${name}.json`)
    const started = Date.now()
    console.log(`\n== ${name}`)
    // the scenarios reuse the CLI test harness, whose TypeScript needs Node's full transform
    const run = spawnSync(process.execPath, ['--experimental-transform-types', '--no-warnings', ...node, new URL('scenario.ts', import.meta.url).pathname, name, ...(full ? ['--full'] : []), '--out', out], { stdio: 'inherit' })
    console.log(`== ${name}: ${Math.round((Date.now() - started) / 1000)} s`)
    if (run.status !== 0) {
      console.error(`${name} failed with exit code ${run.status ?? run.signal}`)
      failed.push(name)
      continue
    }
    const result = JSON.parse(readFileSync(out, 'utf8')) as ScenarioResult
    figures.push(...result.figures)
    raw[name] = result.raw
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
if (figures.length > 0) writeResults('chaos', figures, { size: full ? 'full' : 'quick', ...raw })
if (failed.length > 0) {
  console.error(`failed: ${failed.join(', ')}`)
  process.exit(1)
}
