import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, platform, release, totalmem } from 'node:os'

/** One measured figure, in the format docs/BENCHMARKS.md documents. */
export interface Figure {
  figure: string
  value: number
  unit: string
  target?: string
  baseline?: number
  /** Smallest and largest of the runs `value` is the median of. */
  spread?: { min: number, max: number, runs: number }
  /** Why the value is what it is, when a number alone does not say (where a search stopped, say). */
  note?: string
}

/** A figure that is the median of several runs, with their spread. */
export function medianFigure (figure: Omit<Figure, 'value' | 'spread'>, runs: number[]): Figure {
  return { ...figure, value: median(runs), spread: { min: Math.min(...runs), max: Math.max(...runs), runs: runs.length } }
}

/** Where a benchmark's results go: bench/results/<name>.json. */
export function resultsPath (name: string): URL {
  return new URL(`../results/${name}.json`, import.meta.url)
}

/** The machine a benchmark ran on, in one line. */
export function machine (): string {
  const cpu = cpus()
  return `${cpu[0]?.model ?? 'unknown CPU'} x${cpu.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}`
}

/**
 * Writes `{ name, date, node, machine, figures, raw? }` to bench/results/<name>.json and prints a table; with
 * `--no-write` on the command line (a check run) it only prints.
 */
export function writeResults (name: string, figures: Figure[], raw?: unknown): void {
  if (process.argv.includes('--no-write')) {
    printFigures(figures)
    console.log(`--no-write: bench/results/${name}.json left as it was`)
    return
  }
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true })
  // `raw`: the measurements the figures come from (every run of a bench), for numbers prose quotes
  const result = { name, date: new Date().toISOString(), node: process.version, machine: machine(), figures, ...(raw === undefined ? {} : { raw }) }
  writeFileSync(resultsPath(name), JSON.stringify(result, null, 2) + '\n')
  printFigures(figures)
  console.log(`wrote bench/results/${name}.json (node ${process.version})`)
}

/** Prints figures as a table, values to 4 significant digits. */
export function printFigures (figures: Figure[]): void {
  const round = (value: number): number => Number(value.toPrecision(4))
  console.table(figures.map(({ spread, ...f }) => ({ ...f, value: round(f.value), ...(spread === undefined ? {} : { spread: `${round(spread.min)}–${round(spread.max)} (${spread.runs} runs)` }) })))
}

/** Median of a list of numbers. */
export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Runs `fn` `count` times and returns operations per second. */
export function opsPerSecond (count: number, fn: (i: number) => unknown): number {
  const start = performance.now()
  for (let i = 0; i < count; i++) fn(i)
  return count / ((performance.now() - start) / 1000)
}
