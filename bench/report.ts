// Rewrites the result tables of docs/BENCHMARKS.md from bench/results/<name>.json. Each table sits between
// `<!-- results:<name> -->` and `<!-- /results:<name> -->`; the text around them is left alone. A marker
// `<!-- results:<name> omit=<prefix>,<prefix> -->` leaves out the figures whose ids start with a prefix (a
// parameter sweep kept in the json) and says how many it left out.
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { resultsPath } from './lib/results.ts'
import type { Figure } from './lib/results.ts'

interface Results { name: string, date: string, node: string, machine: string, figures: Figure[] }

const DOC = new URL('../docs/BENCHMARKS.md', import.meta.url)

function format (value: number): string {
  return Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : Number(value.toPrecision(3)).toString()
}

function table (results: Results, omit: readonly string[]): string {
  const value = (f: Figure): string => f.spread === undefined ? format(f.value) : `${format(f.value)} (${format(f.spread.min)}–${format(f.spread.max)}, median of ${f.spread.runs})`
  const unit = (f: Figure): string => f.note === undefined ? f.unit : `${f.unit}; ${f.note}`
  const shown = results.figures.filter((f) => !omit.some((prefix) => f.figure.startsWith(prefix)))
  const left = results.figures.length - shown.length
  const rows = shown.map((f) => `| \`${f.figure}\` | ${value(f)} | ${unit(f)} | ${f.target ?? ''} | ${f.baseline === undefined ? '' : format(f.baseline)} |`)
  return [
    `Measured ${results.date.slice(0, 10)} on ${results.machine}, Node ${results.node}.`,
    '',
    '| figure | value | unit | target | baseline |',
    '|---|---|---|---|---|',
    ...rows,
    ...(left === 0 ? [] : ['', `${left} more figures (${omit.map((p) => `\`${p}*\``).join(', ')}) are in bench/results/${results.name}.json.`])
  ].join('\n')
}

let doc = readFileSync(DOC, 'utf8')
for (const match of doc.matchAll(/<!-- results:([a-z0-9-]+)(?: omit=([a-z0-9_,]+))? -->/g)) {
  const name = match[1]!
  const omit = match[2]?.split(',') ?? []
  const path = resultsPath(name)
  if (!existsSync(path)) continue
  const results = JSON.parse(readFileSync(path, 'utf8')) as Results
  const block = new RegExp(`(<!-- results:${name}(?: omit=[a-z0-9_,]+)? -->)[\\s\\S]*?(<!-- /results:${name} -->)`)
  doc = doc.replace(block, `$1\n${table(results, omit)}\n$2`)
}
writeFileSync(DOC, doc)
console.log('updated docs/BENCHMARKS.md')
