import { relative } from 'node:path'
import type { Reporter, TestModule } from 'vitest/node'

/** How many of the slowest test files the closing lines name. */
const SLOWEST = 25

/**
 * Prints plain closing lines after vitest's own summary, so that CI logs (of which only the tail may be kept)
 * carry what any tool can read: the `SLOWEST` slowest test files with their durations and the sum over all
 * files (where the suite's time goes, against the CI budget), then one line `N passed, N failed[, N skipped]`.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd (testModules: ReadonlyArray<TestModule>): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failed++
        else skipped++
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++
    }
    const files = testModules.map((module) => ({ file: relative(process.cwd(), module.moduleId), ms: module.diagnostic().duration }))
    const total = files.reduce((sum, { ms }) => sum + ms, 0)
    const slowest = files.sort((a, b) => b.ms - a.ms).slice(0, SLOWEST)
    const lines = slowest.map(({ file, ms }) => `${(ms / 1000).toFixed(1).padStart(7)} s  ${file}`)
    process.stdout.write(`\nslowest test files (all ${files.length}: ${(total / 1000).toFixed(0)} s):\n${lines.join('\n')}\n`)
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`)
  }
}
