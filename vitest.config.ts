import { globSync, readFileSync } from 'node:fs'
import { defineConfig } from 'vitest/config'
import SummaryReporter from './test/summary-reporter.js'

const TEST_FILES = ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts']
const EXCLUDE = ['**/node_modules/**', '**/dist/**']

/**
 * What makes a test file need the machine to itself: it starts nodes, processes, browsers or workers (the chaos
 * scenarios of bench/chaos among them), opens sockets, or reads clocks and timers, so that a second file beside it
 * on 2 cores could slow it past a deadline. Every other file is pure computation and runs two at a time.
 */
const NEEDS_MACHINE = /bench\/chaos\/|node:net|node:http|node:dgram|createLibp2p|createMurmur|harness|spawn\(|fork\(|execFile|startNode|createNode|tcp\(|webSockets|memory\(|Worker\(|setTimeout|setInterval|clock|Date\.now|performance|chromium/

/**
 * Files NEEDS_MACHINE names for their clocks alone that a loaded machine cannot fail, read one by one: their time
 * is a fake clock or an injected one (stem-table, membership-directory), vitest's fake timers (store-quota-relay),
 * or real time bounded from below only, with a minute's deadline for events (membership-minting; stamp counts that
 * mining yields to the event loop). They run two at a time with the pure files.
 */
const PURE_DESPITE_CLOCKS = new Set([
  'packages/node/test/stem-table.test.ts',
  'packages/node/test/membership-directory.test.ts',
  'packages/node/test/store-quota-relay.test.ts',
  'packages/node/test/membership-minting.test.ts',
  'packages/protocol/test/stamp.test.ts'
])

/**
 * What makes a test file need a process of its own: it replaces a module (`vi.mock`, which cannot take hold of a
 * module an earlier file in the same process already loaded, and would leak into later ones), or it measures the
 * process itself (CPU time, elapsed time, a timing advantage), which work left behind by an earlier file would
 * blur. Every other file shares its worker process with the files before it (`isolate: false`): the module graph
 * (libp2p and its few hundred modules, ~1.2 s a file on the 2-core VM) is loaded once per worker instead of once
 * per file. Vitest still restores mocks and spies after every file. A file that passes leaves no socket or timer
 * behind (counted before each of 93 alone files); one that fails or times out can, for the files after it.
 */
const NEEDS_PROCESS = /vi\.mock\(|cpuUsage|performance\.now|hrtime|timing-advantage/

const files = TEST_FILES.flatMap((pattern) => globSync(pattern, { exclude: EXCLUDE }))
  .map((file) => ({ file, text: readFileSync(file, 'utf8') }))

/** The test files of one lane: run alone (one after another) or two at a time, in a process of their own or not. */
function lane (alone: boolean, own: boolean): string[] {
  return files.filter(({ file, text }) => (NEEDS_MACHINE.test(text) && !PURE_DESPITE_CLOCKS.has(file)) === alone && NEEDS_PROCESS.test(text) === own)
    .map(({ file }) => file)
}

export default defineConfig({
  test: {
    exclude: EXCLUDE,
    setupFiles: ['./test/setup-crypto.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', new SummaryReporter()],
    projects: [
      { extends: true, test: { name: 'pure', include: lane(false, false), isolate: false, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'pure-own', include: lane(false, true), maxWorkers: 2, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'alone', include: lane(true, false), isolate: false, maxWorkers: 1, sequence: { groupOrder: 2 } } },
      { extends: true, test: { name: 'alone-own', include: lane(true, true), maxWorkers: 1, sequence: { groupOrder: 3 } } }
    ]
  }
})
