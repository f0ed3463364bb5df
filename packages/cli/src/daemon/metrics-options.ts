/**
 * The `--metrics` flags of `murmur daemon` and `murmur relay`, kept apart from the endpoint
 * (metrics.ts) so that commands load prom-client and libp2p only when metrics are asked for.
 */
import type { Command } from 'commander'
import type { MetricsAddress } from './metrics.js'

/** The options the flags add. */
export interface MetricsOptions {
  /** `--metrics <host:port>`: serve Prometheus metrics there. */
  metrics?: string
  /** `--metrics-public`: allow `--metrics` off loopback. */
  metricsPublic?: boolean
}

/**
 * Adds `--metrics <host:port>` and `--metrics-public` to a command.
 *
 * @example
 * ```ts
 * withMetricsOptions(new Command('relay'))
 * ```
 */
export function withMetricsOptions (command: Command): Command {
  return command
    .option('--metrics <host:port>', 'serve Prometheus metrics at http://<host:port>/metrics (off by default; loopback only unless --metrics-public)')
    .option('--metrics-public', 'allow --metrics on an address off loopback: whoever can reach it learns when this node is busy')
}

/**
 * The URL a scraper fetches.
 *
 * @example
 * ```ts
 * metricsUrl({ host: '::1', port: 9464 }) // 'http://[::1]:9464/metrics'
 * ```
 */
export function metricsUrl ({ host, port }: MetricsAddress): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`
}
