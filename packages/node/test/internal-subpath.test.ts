// @murmur/node/internal (issue 16 item 15): what only the benchmarks drive is reachable through the
// package's export map, so bench/ never reaches into dist/src paths.
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import * as internal from '../src/internal.js'

describe('@murmur/node/internal', () => {
  it('is in the export map, pointing at the built src/internal.ts', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, Record<string, string>> }
    expect(pkg.exports['./internal']).toEqual({ types: './dist/src/internal.d.ts', import: './dist/src/internal.js' })
  })

  it('exports the pieces the benchmarks drive', () => {
    for (const name of ['HistorySync', 'PostIntake', 'createPostStore', 'openDatabase', 'InvalidMessageTracker', 'memberGatedValidator', 'openMemberDirectory', 'StemRouter'] as const) {
      expect(typeof internal[name], name).toBe('function')
    }
  })
})
