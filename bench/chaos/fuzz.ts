/**
 * `fuzz_inputs_per_entry` / `fuzz_crashes`: generated (fast-check) and mutated (valid seeds, see
 * mutate.ts) inputs into each entry point of fuzz-entries.ts, in process. A crash is anything thrown
 * that is not a typed error with a stable code (see isTypedError), an entry that hangs, or an unhandled
 * rejection while the fuzz runs; the heap (after a full GC, when run with --expose-gc) is measured
 * before and after each entry.
 */
import fc from 'fast-check'
import { ready } from '@murmur/protocol'
import { seededRandom } from '../lib/random.ts'
import { createFuzzEntries, isTypedError } from './fuzz-entries.ts'
import { Sandbox } from '../../test/cli-harness.ts'
import { readEndpoint, rssMb } from './api-client.ts'
import { apiFuzzEntry } from './fuzz-api.ts'
import type { FuzzEntry } from './fuzz-entries.ts'

/** Options of {@link runFuzz}. */
export interface FuzzInit {
  /** Inputs per entry: half generated, half mutated seeds. */
  perEntry: number
  /** Seed of the generators and mutations. @default 1 */
  seed?: number
  /** Only the entries of these names. @default every entry */
  only?: string[]
  /** Most crashes kept per entry, with their inputs. @default 5 */
  keep?: number
  /** Inputs into a real daemon's control API (entry `http-api`, slower: one request each). @default perEntry */
  apiInputs?: number
}

/** What one entry did. */
export interface EntryOutcome {
  name: string
  inputs: number
  /** Of the entry's valid seeds, how many it accepted when fed first (all, unless the entry refuses repeats). */
  seedsAccepted: string
  accepted: number
  /** Refused with a result or a typed error. */
  refused: number
  /** Untyped throws (or hangs): count and the first few, with their inputs. */
  crashes: number
  examples: Array<{ input: string, error: string }>
  /** Results other than accepted, and typed errors (name and code), with counts: what the entry refuses with. */
  codes: Record<string, number>
  /** Heap after the entry minus before it (MiB; after a full GC when gc is exposed); for `http-api`, the daemon's RSS growth. */
  heapGrowthMb: number
  seconds: number
}

/** What {@link runFuzz} found. */
export interface FuzzOutcome {
  entries: EntryOutcome[]
  unhandledRejections: number
  /** Whether the heap figures are after a full GC (node --expose-gc). */
  gcExposed: boolean
}

/** Longest one input may take before it counts as a hang (ms). */
const HANG_MS = 10_000

/**
 * Fuzzes every entry point of fuzz-entries.ts.
 *
 * @example
 * ```ts
 * const outcome = await runFuzz({ perEntry: 1_000 })
 * // outcome.entries.every((e) => e.crashes === 0)
 * ```
 */
export async function runFuzz (init: FuzzInit): Promise<FuzzOutcome> {
  await ready()
  let unhandledRejections = 0
  const onRejection = (): void => { unhandledRejections++ }
  process.on('unhandledRejection', onRejection)
  try {
    const all = await createFuzzEntries()
    const entries = init.only === undefined ? all : all.filter((e) => init.only?.includes(e.name))
    const outcomes: EntryOutcome[] = []
    for (const [index, entry] of entries.entries()) {
      outcomes.push(await fuzzEntry(entry, init.perEntry, (init.seed ?? 1) * 1_000 + index, init.keep ?? 5))
    }
    if (init.only === undefined || init.only.includes('http-api')) {
      outcomes.push(await fuzzApi(init.apiInputs ?? init.perEntry, (init.seed ?? 1) * 1_000 + entries.length, init.keep ?? 5))
    }
    // a rejection left unhandled surfaces a turn later
    await new Promise((resolve) => setTimeout(resolve, 50))
    return { entries: outcomes, unhandledRejections, gcExposed: typeof globalThis.gc === 'function' }
  } finally {
    process.off('unhandledRejection', onRejection)
  }
}

/**
 * Feeds `count` inputs into one entry, each through {@link judge}; exported for entries that live
 * elsewhere (the HTTP API fuzz runs against a daemon).
 */
export async function fuzzEntry<T> (entry: FuzzEntry<T>, count: number, seed: number, keep: number): Promise<EntryOutcome> {
  const random = seededRandom(seed)
  let seedsAccepted = 0
  for (const input of entry.seeds) {
    if ((await judge(entry, input)).kind === 'accepted') seedsAccepted++
  }
  const outcome: EntryOutcome = { name: entry.name, inputs: 0, seedsAccepted: `${seedsAccepted} of ${entry.seeds.length}`, accepted: 0, refused: 0, crashes: 0, examples: [], codes: {}, heapGrowthMb: 0, seconds: 0 }
  const started = performance.now()
  const heapBefore = heap()
  const batch = 500
  for (let done = 0; done < count; done += batch) {
    const n = Math.min(batch, count - done)
    // half generated from the entry's arbitrary, half mutants of its seeds
    const generated = fc.sample(entry.arbitrary, { numRuns: Math.ceil(n / 2), seed: seed + done })
    const inputs: T[] = [...generated]
    while (inputs.length < n) {
      const pick = (): T => entry.seeds[Math.floor(random() * entry.seeds.length)]!
      inputs.push(entry.mutate(pick(), random, pick()))
    }
    for (const input of inputs) {
      outcome.inputs++
      const verdict = await judge(entry, input)
      if (verdict.kind === 'accepted') outcome.accepted++
      else if (verdict.kind === 'refused') {
        outcome.refused++
        outcome.codes[verdict.code] = (outcome.codes[verdict.code] ?? 0) + 1
      } else {
        outcome.crashes++
        if (outcome.examples.length < keep) outcome.examples.push({ input: entry.show(input), error: verdict.error })
      }
    }
  }
  outcome.heapGrowthMb = (heap() - heapBefore) / 2 ** 20
  outcome.seconds = (performance.now() - started) / 1000
  return outcome
}

/** One input's fate: accepted, refused (with the result's label, or the typed error's name and code), or a crash. */
type Judged = { kind: 'accepted' } | { kind: 'refused', code: string } | { kind: 'crash', error: string }

async function judge<T> (entry: FuzzEntry<T>, input: T): Promise<Judged> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<Judged>((resolve) => { timer = setTimeout(() => { resolve({ kind: 'crash', error: `no answer within ${HANG_MS} ms` }) }, HANG_MS) })
  const run = (async (): Promise<Judged> => {
    try {
      const verdict = await entry.run(input)
      return verdict === 'accepted' ? { kind: 'accepted' } : { kind: 'refused', code: verdict }
    } catch (err) {
      if (isTypedError(err)) return { kind: 'refused', code: `${(err as Error).name} ${(err as { code: string }).code}` }
      return { kind: 'crash', error: err instanceof Error ? `${err.name}: ${err.message}\n${err.stack?.split('\n').slice(1, 4).join('\n') ?? ''}` : String(err) }
    }
  })()
  try {
    return await Promise.race([run, hang])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The control API entry against a fresh daemon: its heap figure is the daemon's RSS growth (the heap of
 * this process says nothing of it), and the daemon must be alive at the end.
 */
async function fuzzApi (count: number, seed: number, keep: number): Promise<EntryOutcome> {
  const sandbox = await Sandbox.create()
  try {
    const daemon = await sandbox.daemon('fuzz', ['--no-mint', '--no-local-rendezvous'])
    const api = await readEndpoint(daemon.dataDir)
    const before = await rssMb(api.pid) ?? 0
    const outcome = await fuzzEntry(apiFuzzEntry(api), count, seed, keep)
    const after = await rssMb(api.pid)
    if (after === undefined || daemon.proc.child.exitCode !== null || daemon.proc.child.signalCode !== null) {
      outcome.crashes++
      outcome.examples.push({ input: '(the whole run)', error: `the daemon died: ${daemon.proc.stderr.slice(-5).join('\n')}` })
    }
    outcome.heapGrowthMb = (after ?? before) - before
    return outcome
  } finally {
    await sandbox.cleanup()
  }
}

/** Heap in use (bytes), after a full collection when gc is exposed. */
function heap (): number {
  globalThis.gc?.()
  return process.memoryUsage().heapUsed
}
