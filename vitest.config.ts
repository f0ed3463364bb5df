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

/** The test files that run alone, one after another, once the pure ones are done. */
const alone = TEST_FILES.flatMap((pattern) => globSync(pattern, { exclude: EXCLUDE }))
  .filter((file) => NEEDS_MACHINE.test(readFileSync(file, 'utf8')))

export default defineConfig({
  test: {
    exclude: EXCLUDE,
    setupFiles: ['./test/setup-crypto.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', new SummaryReporter()],
    projects: [
      { extends: true, test: { name: 'pure', include: TEST_FILES, exclude: [...EXCLUDE, ...alone], maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'alone', include: alone, maxWorkers: 1, sequence: { groupOrder: 1 } } }
    ]
  }
})
