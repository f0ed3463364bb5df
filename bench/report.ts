// Rewrites the result tables of docs/BENCHMARKS.md from bench/results/<name>.json. Each table sits between
// `<!-- results:<name> -->` and `<!-- /results:<name> -->`; the text around them is left alone.
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { resultsPath } from './lib/results.ts'
import type { Figure } from './lib/results.ts'

interface Results { name: string, date: string, node: string, machine: string, figures: Figure[] }

const DOC = new URL('../docs/BENCHMARKS.md', import.meta.url)

function format (value: number): string {
  return Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : Number(value.toPrecision(3)).toString()
}

function table (results: Results): string {
  const value = (f: Figure): string => f.spread === undefined ? format(f.value) : `${format(f.value)} (${format(f.spread.min)}–${format(f.spread.max)}, median of ${f.spread.runs})`
  const unit = (f: Figure): string => f.note === undefined ? f.unit : `${f.unit}; ${f.note}`
  const rows = results.figures.map((f) => `| \`${f.figure}\` | ${value(f)} | ${unit(f)} | ${f.target ?? ''} | ${f.baseline === undefined ? '' : format(f.baseline)} |`)
  return [
    `Measured ${results.date.slice(0, 10)} on ${results.machine}, Node ${results.node}.`,
    '',
    '| figure | value | unit | target | baseline |',
    '|---|---|---|---|---|',
    ...rows
  ].join('\n')
}

let doc = readFileSync(DOC, 'utf8')
for (const match of doc.matchAll(/<!-- results:([a-z0-9-]+) -->/g)) {
  const name = match[1]!
  const path = resultsPath(name)
  if (!existsSync(path)) continue
  const results = JSON.parse(readFileSync(path, 'utf8')) as Results
  const block = new RegExp(`(<!-- results:${name} -->)[\\s\\S]*?(<!-- /results:${name} -->)`)
  doc = doc.replace(block, `$1\n${table(results)}\n$2`)
}
writeFileSync(DOC, doc)
console.log('updated docs/BENCHMARKS.md')
