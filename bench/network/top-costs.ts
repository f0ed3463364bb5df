// Summarises a V8 CPU profile (from `run-one.ts --profile`, or `node --cpu-prof`): self time by
// function and by package, largest first.
//   node bench/network/top-costs.ts window.cpuprofile [rows] [--write profile-murmur-n25]
// With --write, the shares by package (and idle) go to bench/results/<name>.json, so the percentages the
// docs quote come from a results file.
import { readFileSync } from 'node:fs'
import { writeResults } from '../lib/results.ts'
import type { Figure } from '../lib/results.ts'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, hitCount?: number }
interface Profile { nodes: ProfileNode[], startTime: number, endTime: number, samples: number[], timeDeltas: number[] }

const writeAt = process.argv.indexOf('--write')
const writeName = writeAt === -1 ? undefined : process.argv[writeAt + 1]
const [file, rowsArg] = process.argv.slice(2).filter((_, i) => writeAt === -1 || (i !== writeAt - 2 && i !== writeAt - 1))
if (file === undefined || (writeAt !== -1 && writeName === undefined)) {
  console.error('usage: top-costs.ts <file.cpuprofile> [rows] [--write name]')
  process.exit(2)
}
const rows = Number(rowsArg ?? 15)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const selfMs = new Map<number, number>()
profile.samples.forEach((id, i) => { selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000) })
const total = [...selfMs.values()].reduce((a, b) => a + b, 0)

/** `@scope/name` or `name` of a node_modules URL, the workspace package, `node:` internals, or the category. */
function packageOf (url: string, name: string): string {
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (modules !== null) return modules[1]!
  const workspace = /\/packages\/([^/]+)\//.exec(url)
  if (workspace !== null) return `@murmur/${workspace[1]!}`
  if (url.startsWith('node:')) return url
  return url === '' ? `(${name || 'native'})` : url.replace(/^.*\/work\/main\//, '')
}

const byFunction = new Map<string, number>()
const byPackage = new Map<string, number>()
for (const [id, ms] of selfMs) {
  const node = byId.get(id)!
  const { functionName, url, lineNumber } = node.callFrame
  const pkg = packageOf(url, functionName)
  const fn = `${functionName || '(anonymous)'} ${pkg}${url === '' ? '' : `:${lineNumber + 1}`}`
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms)
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms)
}
const top = (map: Map<string, number>): Array<{ name: string, ms: number, share: string }> =>
  [...map].sort((a, b) => b[1] - a[1]).slice(0, rows).map(([name, ms]) => ({ name, ms: Math.round(ms), share: `${(100 * ms / total).toFixed(1)} %` }))
console.log(`${file}: ${Math.round(total)} ms sampled`)
console.table(top(byPackage))
console.table(top(byFunction))
/** A package or category as a figure id: `@libp2p/gossipsub` -> `libp2p_gossipsub`, `((idle))` -> `idle`. */
const figureName = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '')

if (writeName !== undefined) {
  const share = (ms: number): number => 100 * ms / total
  // packages of at least 1 %, the rest summed
  const sorted = [...byPackage].sort((a, b) => b[1] - a[1])
  const large = sorted.filter(([, ms]) => share(ms) >= 1)
  const rest = sorted.slice(large.length).reduce((sum, [, ms]) => sum + ms, 0)
  const unit = '% of sampled time (self, by package)'
  const figures: Figure[] = [
    { figure: 'profile_sampled_ms', value: total, unit: 'ms' },
    ...large.map(([name, ms]) => ({ figure: `profile_share_${figureName(name)}`, value: share(ms), unit: `${unit}: ${name}` })),
    { figure: 'profile_share_other', value: share(rest), unit }
  ]
  writeResults(writeName, figures)
}
