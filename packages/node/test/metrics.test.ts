/**
 * createNodeMetrics: nothing without libp2p.metrics; validated and rejected-by-code counters; the
 * waiting gauge reads own and relayed posts as one figure, only when scraped; the store gauges read the
 * public channels' usage when scraped, circle channels left out.
 */
import { describe, expect, it } from 'vitest'
import { createNodeMetrics, METRIC_NAMES, STORE_BYTES_STEP, publicStoreUsage } from '../src/metrics.js'
import { recordingMetrics } from './metrics-fixtures.js'
import type { ValidationResult } from '@murmur/protocol'

const valid = { ok: true } as unknown as ValidationResult
const invalid = (code: string): ValidationResult => ({ ok: false, code, reason: 'test' }) as unknown as ValidationResult

describe('createNodeMetrics', () => {
  it('registers nothing and counts nothing without libp2p.metrics', () => {
    const metrics = createNodeMetrics({ waiting: () => { throw new Error('read without a registry') } })
    expect(() => { metrics.checked(valid); metrics.checked(invalid('ERR_POW')) }).not.toThrow()
  })

  it('counts validated posts and rejected ones by code', () => {
    const { metrics, counts } = recordingMetrics()
    const node = createNodeMetrics({ metrics })
    node.checked(valid)
    node.checked(valid)
    node.checked(invalid('ERR_POW'))
    node.checked(invalid('ERR_SIGNATURE'))
    node.checked(invalid('ERR_POW'))
    expect(Object.fromEntries(counts)).toEqual({
      [METRIC_NAMES.validated]: 2,
      [`${METRIC_NAMES.rejected}{ERR_POW}`]: 2,
      [`${METRIC_NAMES.rejected}{ERR_SIGNATURE}`]: 1
    })
  })

  it('registers the gauges it has sources for, read at scrape time', () => {
    const { metrics, calculated } = recordingMetrics()
    let waiting = 0
    createNodeMetrics({ metrics, waiting: () => waiting })
    expect([...calculated.keys()]).toEqual([METRIC_NAMES.waiting])
    waiting = 3
    expect(calculated.get(METRIC_NAMES.waiting)?.()).toBe(3)
  })

  it('registers the store gauges, read at scrape time from the public channels only, bytes in whole MiB', async () => {
    const { metrics, calculated, read } = recordingMetrics()
    const byChannel = new Map([['#lobby', { posts: 3, bytes: 2 * STORE_BYTES_STEP - 1 }], ['circle:00ff', { posts: 2, bytes: STORE_BYTES_STEP }]])
    let reads = 0
    createNodeMetrics({ metrics, storeUsage: async () => { reads++; return publicStoreUsage(byChannel) } })
    expect([...calculated.keys()]).toEqual([METRIC_NAMES.storePosts, METRIC_NAMES.storeBytes])
    expect(reads).toBe(0)
    expect([await read(METRIC_NAMES.storePosts), await read(METRIC_NAMES.storeBytes)]).toEqual([3, STORE_BYTES_STEP])
    byChannel.set('geo:u4pruyd', { posts: 1, bytes: 1 })
    expect([await read(METRIC_NAMES.storePosts), await read(METRIC_NAMES.storeBytes)]).toEqual([4, 2 * STORE_BYTES_STEP])
    expect(reads).toBe(4)
  })

  it('publicStoreUsage sums the public channels and leaves every circle channel out', () => {
    expect(publicStoreUsage(new Map())).toEqual({ posts: 0, bytes: 0 })
    expect(publicStoreUsage(new Map([['circle:ab', { posts: 5, bytes: 5 }]]))).toEqual({ posts: 0, bytes: 0 })
    expect(publicStoreUsage(new Map([['#a', { posts: 1, bytes: 10 }], ['#b', { posts: 2, bytes: 20 }], ['circle:cd', { posts: 4, bytes: 40 }]]))).toEqual({ posts: 3, bytes: 30 })
  })
})
