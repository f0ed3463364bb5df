/**
 * A libp2p `Metrics` that records what is registered and counted, for unit tests of createNodeMetrics and
 * for real nodes (`libp2p: { metrics: () => recorded.metrics }`): libp2p's own metrics are accepted and
 * dropped, Murmur's counters are summed by name and its gauges read on demand, as a scrape reads them.
 */
import type { Metrics } from '@libp2p/interface'

/** What {@link recordingMetrics} records. */
export interface RecordedMetrics {
  metrics: Metrics
  /** Counter totals by name (a counter group's as `name{label}`). */
  counts: Map<string, number>
  /** The `calculate` of each calculated metric, by name. */
  calculated: Map<string, () => unknown>
  /** Reads a calculated metric now, as a scrape would (its value is taken when called). */
  read(name: string): Promise<number>
  /** Called on every counter increment, after it is counted: a hook to read the gauges at that moment. */
  onIncrement?: (name: string) => void
}

/** A metric object that does nothing, whatever kind libp2p asked for. */
function inert (): Record<string, unknown> {
  return { update: () => {}, increment: () => {}, decrement: () => {}, reset: () => {}, observe: () => {}, timer: () => () => {} }
}

/** A recording {@link Metrics}; see the module comment. */
export function recordingMetrics (): RecordedMetrics {
  const counts = new Map<string, number>()
  const calculated = new Map<string, () => unknown>()
  const recorded: RecordedMetrics = {
    metrics: undefined as unknown as Metrics,
    counts,
    calculated,
    read: async (name) => {
      const calculate = calculated.get(name)
      if (calculate === undefined) throw new Error(`no metric ${name} registered`)
      return Number(await calculate())
    }
  }
  const add = (key: string, by = 1): void => {
    counts.set(key, (counts.get(key) ?? 0) + by)
    recorded.onIncrement?.(key)
  }
  const register = (counter?: (name: string) => Record<string, unknown>) => (name: string, options?: { calculate?: () => unknown }) => {
    if (options?.calculate !== undefined) {
      calculated.set(name, options.calculate)
      return undefined
    }
    return counter?.(name) ?? inert()
  }
  recorded.metrics = {
    trackMultiaddrConnection: () => {},
    trackProtocolStream: () => {},
    registerMetric: register(),
    registerMetricGroup: register(),
    registerCounter: register((name) => ({ increment: (by?: number) => { add(name, by) }, reset: () => {} })),
    registerCounterGroup: register((name) => ({
      increment: (values: Record<string, number | true>) => { for (const [k, v] of Object.entries(values)) add(`${name}{${k}}`, v === true ? 1 : v) },
      reset: () => {}
    })),
    registerHistogram: register(),
    registerHistogramGroup: register(),
    registerSummary: register(),
    registerSummaryGroup: register(),
    traceFunction: (_name: string, fn: unknown) => fn,
    createTrace: () => undefined
  } as unknown as Metrics
  return recorded
}
