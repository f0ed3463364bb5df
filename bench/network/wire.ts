/**
 * Bytes on the wire, counted the same way for every system: a libp2p `Metrics` implementation whose only
 * job is to count what each raw connection (TCP socket or memory pipe) sends, below noise and yamux, so
 * handshakes, encryption, muxer frames and every protocol are included. Every byte one node sends is a
 * byte another node receives, so the sum over all nodes of bytes sent is the traffic on the wire.
 * Every other metric is a no-op (gossipsub keeps its own metrics off: they need `metricsRegister`).
 */
import type { Metrics, MultiaddrConnection } from '@libp2p/interface'

/** One counter shared by all nodes of a run. */
export interface WireCounter {
  bytes: number
}

const noopMetric = {
  update (): void {},
  increment (): void {},
  decrement (): void {},
  reset (): void {},
  observe (): void {},
  timer (): () => void { return () => {} }
}

/** A `metrics` factory for libp2p options that adds every byte sent on a raw connection to `counter`. */
export function wireMetrics (counter: WireCounter): () => Metrics {
  return () => ({
    trackMultiaddrConnection (maConn: MultiaddrConnection): void {
      const send = maConn.send.bind(maConn)
      maConn.send = (data) => {
        counter.bytes += data.byteLength
        return send(data)
      }
    },
    trackProtocolStream (): void {},
    registerMetric: () => noopMetric,
    registerMetricGroup: () => noopMetric,
    registerCounter: () => noopMetric,
    registerCounterGroup: () => noopMetric,
    registerHistogram: () => noopMetric,
    registerHistogramGroup: () => noopMetric,
    registerSummary: () => noopMetric,
    registerSummaryGroup: () => noopMetric,
    traceFunction: <F>(_name: string, fn: F): F => fn,
    createTrace: () => undefined
  }) as unknown as Metrics
}
