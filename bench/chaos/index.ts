/**
 * `npm run chaos` (quick) or `npm run chaos -- --full`: the reliability scenarios of issue 17, each in a
 * process of its own (scenario.ts), their figures written to bench/results/chaos.json (`--no-write`: only
 * printed). `--only crash,fuzz`: those scenarios only, their figures replacing theirs in chaos.json while
 * the other scenarios' figures stay when the file was written at the same size (quick or full); a figure
 * kept from an earlier run says so in its note, and `raw.runs` names the run each scenario's figures
 * came from.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { machine, resultsPath, writeResults } from '../lib/results.ts'
import type { ScenarioResult } from './scenario.ts'
import type { Figure } from '../lib/results.ts'

/** The scenarios in the order they run, the node flags each needs, and the prefixes of its figures' names. */
const ORDER: Array<{ name: string, node: string[], figures: string[] }> = [
  { name: 'fuzz', node: ['--expose-gc'], figures: ['fuzz_'] },
  { name: 'api-abuse', node: [], figures: ['api_abuse_'] },
  { name: 'crash', node: [], figures: ['crash_'] },
  { name: 'churn', node: [], figures: ['churn_'] },
  { name: 'partition', node: [], figures: ['partition_'] },
  { name: 'flood', node: [], figures: ['flood_', 'memory_flood_'] },
  { name: 'sybil', node: [], figures: ['sybil_'] }
]

/** Where a run's figures came from: its date, Node and machine (chaos.json's `raw.runs`, by scenario). */
interface Run { date: string, node: string, machine: string }

/** What chaos.json holds (bench/lib/results.ts writeResults, with the runner's raw outcome). */
interface ChaosFile extends Run {
  figures: Figure[]
  raw?: { size?: string, runs?: Record<string, Run>, [scenario: string]: unknown }
}

/** The note suffix of a figure kept from an earlier run. */
const KEPT = / \[run of [^\]]*\]$/

/** The scenario a figure of chaos.json belongs to, by its name's prefix. */
function scenarioOf (figure: string): string | undefined {
  return ORDER.find((s) => s.figures.some((prefix) => figure.startsWith(prefix)))?.name
}

/**
 * The figures and raw outcomes of an existing chaos.json written at `size` that belong to scenarios
 * that gave no figures now (`ran`), each note saying which run it came from; nothing when there is no
 * such file or it was written at another size.
 */
function kept (size: string, ran: Set<string>): { figures: Figure[], raw: Record<string, unknown>, runs: Record<string, Run> } {
  const path = resultsPath('chaos')
  const none = { figures: [], raw: {}, runs: {} }
  if (!existsSync(path)) return none
  const old = JSON.parse(readFileSync(path, 'utf8')) as ChaosFile
  if (old.raw?.size !== size) {
    console.log(`bench/results/chaos.json was written at another size (${old.raw?.size ?? 'unknown'}): only this run's figures are written`)
    return none
  }
  const runs: Record<string, Run> = {}
  const raw: Record<string, unknown> = {}
  const figures: Figure[] = []
  for (const figure of old.figures) {
    const scenario = scenarioOf(figure.figure)
    if (scenario === undefined || ran.has(scenario)) continue
    const run = old.raw.runs?.[scenario] ?? { date: old.date, node: old.node, machine: old.machine }
    runs[scenario] = run
    if (scenario in old.raw) raw[scenario] = old.raw[scenario]
    const note = (figure.note ?? '').replace(KEPT, '')
    figures.push({ ...figure, note: `${note} [run of ${run.date.slice(0, 16).replace('T', ' ')} UTC]`.trimStart() })
  }
  return { figures, raw, runs }
}

const full = process.argv.includes('--full')
const size = full ? 'full' : 'quick'
const onlyAt = process.argv.indexOf('--only')
const only = onlyAt < 0 ? undefined : (process.argv[onlyAt + 1] ?? '').split(',')
const dir = mkdtempSync(join(tmpdir(), 'murmur-chaos-'))
const figures: Figure[] = []
const raw: Record<string, unknown> = {}
const failed: string[] = []
console.log(`chaos on node ${process.version} (${size})`)
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
if (figures.length > 0) {
  const now: Run = { date: new Date().toISOString(), node: process.version, machine: machine() }
  const ran = new Set(Object.keys(raw))
  const earlier = only === undefined ? { figures: [], raw: {}, runs: {} } : kept(size, ran)
  const runs: Record<string, Run> = { ...earlier.runs, ...Object.fromEntries([...ran].map((name) => [name, now])) }
  // in the scenarios' order, whichever run each came from
  const all = [...earlier.figures, ...figures]
  const order = (f: Figure): number => ORDER.findIndex((s) => s.name === scenarioOf(f.figure))
  all.sort((a, b) => order(a) - order(b))
  writeResults('chaos', all, { size, runs, ...earlier.raw, ...raw })
}
if (failed.length > 0) {
  console.error(`failed: ${failed.join(', ')}`)
  process.exit(1)
}
