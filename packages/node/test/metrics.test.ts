/**
 * createNodeMetrics: nothing without libp2p.metrics; validated and rejected-by-code counters; the
 * waiting gauge reads own and relayed posts as one figure, only when scraped.
 */
import { describe, expect, it } from 'vitest'
import { createNodeMetrics, METRIC_NAMES } from '../src/metrics.js'
import type { Counter, CounterGroup, Metric, Metrics } from '@libp2p/interface'
import type { ValidationResult } from '@murmur/protocol'

/** A Metrics that records what is registered and counted (only the calls createNodeMetrics makes). */
function recordingMetrics (): { metrics: Metrics, counts: Map<string, number>, calculated: Map<string, () => unknown> } {
  const counts = new Map<string, number>()
  const calculated = new Map<string, () => unknown>()
  const add = (key: string, by = 1): void => { counts.set(key, (counts.get(key) ?? 0) + by) }
  const metrics = {
    registerCounter: (name: string) => ({ increment: (by?: number) => { add(name, by) }, reset: () => {} }) satisfies Counter,
    registerCounterGroup: (name: string) => ({
      increment: (values: Record<string, number | true>) => { for (const [k, v] of Object.entries(values)) add(`${name}{${k}}`, v === true ? 1 : v) },
      reset: () => {}
    }) satisfies CounterGroup,
    registerMetric: (name: string, options: { calculate?: () => unknown }) => {
      if (options.calculate !== undefined) calculated.set(name, options.calculate)
      return undefined as unknown as Metric
    }
  } as unknown as Metrics
  return { metrics, counts, calculated }
}

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
})
