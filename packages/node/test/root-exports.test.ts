// The root export of @murmur/node is what an app embeds (issue 16 item 15): what only the benchmarks and
// tests drive lives in @murmur/node/internal, with no stability promise.
import { describe, expect, it } from 'vitest'
import * as root from '../src/index.js'
import * as internal from '../src/internal.js'

/** Values that left the root for the internal subpath (types leave no key to test at run time). */
const INTERNAL_ONLY = [
  'HistorySync', 'PostIntake', 'createPostStore', 'openDatabase', 'hotScore', 'createNodeMetrics', 'topicCid',
  'SCORE_THRESHOLDS', 'nextStampBoundary', 'InvalidMessageTracker', 'memberGatedValidator', 'openMemberDirectory', 'StemRouter'
] as const

describe('@murmur/node root export', () => {
  it('leaves the internals to @murmur/node/internal', () => {
    expect(Object.keys(root).filter((key) => (INTERNAL_ONLY as readonly string[]).includes(key))).toEqual([])
    for (const name of INTERNAL_ONLY) expect(internal[name], name).toBeDefined()
  })

  it('keeps what an app embeds, and every error a public method throws', () => {
    for (const name of ['createMurmur', 'createVerifyPool', 'StoreDamagedError', 'SyncStalledError', 'StemStoppedError', 'AbortError', 'RateLimitError', 'METRIC_NAMES', 'STEM_PROTOCOL', 'SYNC_PROTOCOL']) {
      expect(Object.keys(root), name).toContain(name)
    }
  })
})
