/**
 * The Prometheus `/metrics` endpoint of `murmur daemon --metrics` and `murmur relay --metrics`:
 * libp2p's metrics (@libp2p/prometheus-metrics) in a registry of its own, served over plain HTTP.
 *
 * Off by default, and on loopback unless `--metrics-public` says otherwise: a scraper learns when
 * this node is busy. What it serves is an allow-list of families, not the whole registry: libp2p
 * counts bytes per protocol, and an own stem post is an outbound stem stream without an inbound
 * one, so per-protocol traffic would tell a scraper when this node's user posts; so would the
 * process's figures, which an own post moves: its proof of work is seconds of CPU time, mined on the
 * main thread in slices (the event loop's delay rises, its garbage runs the collector and grows the
 * heap and resident memory), and `murmur post` holds a control API connection while it mines (one
 * more open descriptor and active handle).
 */
import { createServer } from 'node:http'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { isIP } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import { isLoopback } from '@libp2p/utils'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { logger } from '@libp2p/logger'
import { Registry } from 'prom-client'
import { closeServer, listen } from '../http-listen.js'
import type { ComponentLogger, Metrics } from '@libp2p/interface'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'

const log = logger('murmur:cli:metrics')

/** The path the endpoint answers on; every other path is a 404. */
export const METRICS_PATH = '/metrics'

/**
 * Families served: Murmur's own (counted own and relayed together), libp2p's connection counts, and of
 * the process only what no work moves: its start time and the Node.js version. Traffic (per protocol
 * and in all), stream counts, dial timings, the free disk space (which a write moves), CPU time, event
 * loop delay, garbage collection, heap and resident memory, open descriptors and active handles are
 * left out: each moves while an own post is mined (see above). Measured with a post's 16-bit proof of
 * work on an idle daemon: the event loop's p99 delay 0.02–0.05 s → 0.21 s, minor collections 25 → 50,
 * resident memory +4.5 MB, open descriptors and active handles +1 for the post's duration.
 */
export const SERVED_FAMILIES: readonly RegExp[] = [
  /^murmur_/,
  /^libp2p_connection_manager_connections$/,
  /^process_start_time_seconds$/,
  /^nodejs_version_info$/
]

/**
 * Resolution of `murmur_data_dir_bytes`: an own post writes more than a relayed one (the own-post
 * and in-transit records), so the exact size would tell them apart.
 */
export const DATA_DIR_BYTES_STEP = 1024 * 1024

/** Thrown when `--metrics` is not `host:port`, or names a non-loopback host without `--metrics-public`. */
export class MetricsAddressError extends Error {
  static override readonly name = 'MetricsAddressError'
  override readonly name = 'MetricsAddressError'
  readonly code = 'ERR_METRICS_ADDRESS'
}

/** Where the endpoint listens. */
export interface MetricsAddress {
  host: string
  port: number
}

/**
 * Parses `--metrics <host:port>` (`[::1]:9090` for IPv6); a host off loopback is refused unless
 * `allowPublic`, since anyone who can scrape learns when the node is busy.
 *
 * @example
 * ```ts
 * parseMetricsAddress('127.0.0.1:9464') // { host: '127.0.0.1', port: 9464 }
 * ```
 */
export function parseMetricsAddress (value: string, allowPublic = false): MetricsAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim())
  const host = match?.[1] ?? match?.[2]
  const port = Number(match?.[3])
  if (match === null || host === undefined || port > 65535) {
    throw new MetricsAddressError(`--metrics takes host:port (e.g. 127.0.0.1:9464 or [::1]:9464), not ${JSON.stringify(value.slice(0, 80))}`)
  }
  const family = isIP(host)
  if (family === 0 && host !== 'localhost') {
    throw new MetricsAddressError(`--metrics takes an IP address or localhost, not the name ${JSON.stringify(host.slice(0, 80))}`)
  }
  const loopback = host === 'localhost' || isLoopback(multiaddr(`/ip${family}/${host}/tcp/${port}`))
  if (!loopback && !allowPublic) {
    throw new MetricsAddressError(`refusing to serve metrics on ${host}, which is not loopback: anyone who can reach it learns when this node is busy; add --metrics-public if that is meant`)
  }
  return { host, port }
}

/** Init of {@link createMetricsEndpoint}. */
export interface MetricsEndpointInit extends MetricsAddress {
  /** The data directory, whose size is served as `murmur_data_dir_bytes`; left out when undefined. */
  dataDir?: string
}

/** A registry for libp2p's metrics and the HTTP server that serves it. */
export interface MetricsEndpoint {
  /** Pass as the node's `libp2p.metrics` (MurmurInit `libp2p: { metrics }`). */
  readonly metrics: (components: { logger: ComponentLogger }) => Metrics
  /** Starts listening; resolves with the address bound (port 0 picks one). */
  start(): Promise<MetricsAddress>
  /** Stops listening; safe to call more than once. */
  stop(): Promise<void>
  /** The scrape text, as served (for tests and `murmur` commands that print it). */
  scrape(): Promise<string>
}

/**
 * Creates the endpoint; nothing listens until {@link MetricsEndpoint.start}.
 *
 * @example
 * ```ts
 * const endpoint = createMetricsEndpoint({ host: '127.0.0.1', port: 9464, dataDir })
 * const node = await createMurmur({ dataDir, libp2p: { metrics: endpoint.metrics } })
 * await endpoint.start()
 * ```
 */
export function createMetricsEndpoint (init: MetricsEndpointInit): MetricsEndpoint {
  // a registry of its own: prom-client's global one would mix nodes started in one process
  const registry = new Registry()
  const libp2pMetrics = prometheusMetrics({ registry })
  const dataDir = init.dataDir
  let server: Server | undefined

  const scrape = async (): Promise<string> => {
    const served = registry.getMetricsAsArray().filter((m) => SERVED_FAMILIES.some((family) => family.test(m.name)))
    const texts = await Promise.all(served.map(async (m) => await registry.getSingleMetricAsString(m.name)))
    return texts.map((text) => `${text}\n`).join('')
  }

  return {
    metrics: (components) => {
      const metrics = libp2pMetrics(components)
      if (dataDir !== undefined) {
        metrics.registerMetric('murmur_data_dir_bytes', {
          help: 'bytes the data directory takes on disk, in whole MiB',
          calculate: async () => Math.floor(await directoryBytes(dataDir) / DATA_DIR_BYTES_STEP) * DATA_DIR_BYTES_STEP
        })
      }
      return metrics
    },
    scrape,
    async start () {
      const http = createServer((req, res) => {
        if (req.method !== 'GET' || req.url?.split('?')[0] !== METRICS_PATH) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: the metrics are at ${METRICS_PATH}\n`)
          return
        }
        scrape().then((text) => {
          res.writeHead(200, { 'content-type': registry.contentType }).end(text)
        }, (err: unknown) => {
          log.error('could not collect the metrics - %e', err)
          res.writeHead(500, { 'content-type': 'text/plain' }).end('could not collect the metrics\n')
        })
      })
      await listen(http, { port: init.port, host: init.host }).catch((err: unknown) => {
        throw new MetricsAddressError(`could not serve metrics on ${init.host}:${init.port}: ${(err as Error).message}`, { cause: err })
      })
      server = http
      const address = http.address() as AddressInfo
      return { host: address.address, port: address.port }
    },
    async stop () {
      const http = server
      server = undefined
      if (http === undefined) return
      await closeServer(http)
    }
  }
}

/** Bytes of the regular files under `dir`; files that vanish while counted (compaction) count for nothing. */
async function directoryBytes (dir: string): Promise<number> {
  let total = 0
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  await Promise.all(entries.filter((e) => e.isFile()).map(async (e) => {
    total += await stat(join(e.parentPath, e.name)).then((s) => s.size, () => 0)
  }))
  return total
}
