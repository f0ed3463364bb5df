/**
 * `murmur relay`: runs a node meant to be public — a circuit relay and bootstrap node for browsers —
 * until SIGINT or SIGTERM, and serves the browser page (relay-page.ts).
 */
import { join } from 'node:path'
import { Command, InvalidArgumentError } from 'commander'
import { RELAY_TCP_PORT, RELAY_WS_PORT, relayListen } from '@murmur/node/relay-constants'
import { DEFAULT_CHANNEL } from '../constants.js'
import { UsageError } from '../errors.js'
import { atRestKeysOf, ensureDataDir } from '../files.js'
import { resolveDataDir } from '../paths.js'
import { channelStatus, watchStatus } from '../daemon/status.js'
import {
  collect, networkInit, nextStopSignal, outputOf, parseChannels, parsePositiveInt, withCommonOptions, withNetworkOptions
} from './options.js'
import { metricsUrl, withMetricsOptions } from '../daemon/metrics-options.js'
import { DEFAULT_PAGE_AT, startRelayPage, withPageOptions } from './relay-page.js'
import type { CommonOptions, NetworkOptions } from './options.js'
import type { MetricsOptions } from '../daemon/metrics-options.js'
import type { RelayPageOptions } from './relay-page.js'
import type { Murmur } from '@murmur/node'
import type { Output } from '../output.js'

interface RelayOptions extends CommonOptions, NetworkOptions, MetricsOptions, RelayPageOptions {
  channel: string[]
  announce: string[]
  tcpPort?: number
  wsPort?: number
  maxReservations?: number
  reservationShare?: number
}

/**
 * The `relay` command.
 *
 * @example
 * ```ts
 * program.addCommand(relayCommand())
 * ```
 */
export function relayCommand (): Command {
  const command = withPageOptions(withMetricsOptions(withNetworkOptions(withCommonOptions(new Command('relay')), false)))
  // the node's default (random ports) is not the relay's: its addresses go into pages and bootstrap lists
  const listen = command.options.find((option) => option.long === '--listen')
  if (listen !== undefined) {
    listen.description = `listen address, repeatable (default: TCP on port ${RELAY_TCP_PORT} and WebSockets on port ${RELAY_WS_PORT}, on every IPv4 and IPv6 interface; see --tcp-port and --ws-port)`
  }
  return command
    .description('run a relay and bootstrap node for browsers: persistent peer id, WebSockets, circuit relay, DHT server (data dir: <data dir>/relay), ' +
      'and serve the browser page (it prints the URL to open). On one machine or a LAN it works as it is; on a host reached through a NAT or a reverse proxy, give --announce.')
    .option('--tcp-port <port>', `TCP port for Node.js nodes on every interface, 0 for any free one (default: ${RELAY_TCP_PORT}; not with --listen)`, parsePort)
    .option('--ws-port <port>', `WebSockets port for browsers on every interface, 0 for any free one (default: ${RELAY_WS_PORT}; not with --listen)`, parsePort)
    .option('--announce <multiaddr>', 'public address to announce instead of the listen addresses (e.g. /dns4/relay.example.org/tcp/443/wss), repeatable', collect, [])
    .option('--channel <channel>', `channel to relay, repeatable (default: ${DEFAULT_CHANNEL})`, collect, [])
    .option('--max-reservations <n>', 'most browsers holding a relay slot at once (default: 256)', parsePositiveInt)
    .option('--reservation-share <fraction>', 'largest fraction of free relay slots and connections one client address may hold (default 0.5); 1 behind a TLS reverse proxy, where every browser comes from the proxy\'s address', parseReservationShare)
    .action(async (options: RelayOptions) => { await runRelay(options) })
}

/**
 * Commander parser of `--reservation-share`: a decimal fraction in (0, 1].
 *
 * @example
 * ```ts
 * parseReservationShare('0.25') // 0.25; '0', '1.5', 'half' throw InvalidArgumentError
 * ```
 */
export function parseReservationShare (value: string): number {
  const share = Number(value)
  // plain decimals only: Number() would also take '', ' 1', '0x1' and 'Infinity'
  if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(value) || !(share > 0 && share <= 1)) {
    throw new InvalidArgumentError('expected a fraction greater than 0 and at most 1, such as 0.5 (1 turns the per-address share off)')
  }
  return share
}

/**
 * Commander parser of a TCP port: 0 (any free port) to 65535.
 *
 * @example
 * ```ts
 * parsePort('4002') // 4002; '-1', '65536', '80a' throw InvalidArgumentError
 * ```
 */
export function parsePort (value: string): number {
  const port = Number(value)
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new InvalidArgumentError('expected a port number from 0 (any free port) to 65535')
  }
  return port
}

/** The listen addresses of a relay: `--listen`, else every interface at `--tcp-port` and `--ws-port`. */
function listenOf (options: RelayOptions): string[] {
  const ports = options.tcpPort !== undefined || options.wsPort !== undefined
  if (options.listen.length > 0) {
    if (ports) {
      throw new UsageError('--tcp-port and --ws-port set the ports of the default listen addresses: give them, or --listen, not both')
    }
    return options.listen
  }
  return relayListen(options.tcpPort ?? RELAY_TCP_PORT, options.wsPort ?? RELAY_WS_PORT)
}

async function runRelay (options: RelayOptions): Promise<void> {
  const out = outputOf(options)
  const channels = parseChannels(options.channel)
  const listen = listenOf(options)
  const pageAt = options.page === false ? undefined : options.page ?? DEFAULT_PAGE_AT
  // its own directory by default: a relay must not share the store of a daemon of the same user
  const dataDir = options.dataDir === undefined ? join(resolveDataDir(undefined), 'relay') : resolveDataDir(options.dataDir)
  await ensureDataDir(dataDir)
  // refused before anything starts, and listening before the node does: a port in use stops nothing
  const metrics = options.metrics === undefined ? undefined : await import('../daemon/metrics.js').then((m) => m.createMetricsEndpoint({ ...m.parseMetricsAddress(options.metrics ?? '', options.metricsPublic), dataDir }))
  const metricsAt = await metrics?.start()
  // the page lists the relay's addresses for browsers once the node runs; until then it lists none
  const served: { relays: () => string[] } = { relays: () => [] }
  const page = pageAt === undefined
    ? undefined
    : await startRelayPage(pageAt, () => served.relays(), out).catch(async (err: unknown) => {
      await metrics?.stop()
      throw err
    })
  out.note(`starting murmur relay (data dir ${dataDir})`)
  // loaded here, not at the top: the other commands never start a node and need not load libp2p
  const { createMurmur } = await import('@murmur/node')
  const { browserMultiaddrs, isPrivateRelay, relayLibp2pOptions, relayService } = await import('@murmur/node/relay')
  const network = networkInit(options, listen)
  const node = await createMurmur({
    ...network,
    // the CLI's keys: a data dir of an earlier version first opened here has the CLI's plain files sealed too
    atRestKeys: await atRestKeysOf(dataDir),
    // on one machine or a LAN every relayed address of its browsers is private: kept, or none could pair
    allowPrivateAddresses: isPrivateRelay({ listen, announce: options.announce, bootstrap: options.bootstrap }),
    // a relay checks and relays the member directory (at --stamp-bits) but is no member itself
    membership: { ...network.membership, mint: false },
    channels,
    dataDir,
    persistPeerId: true,
    dhtServer: true,
    libp2p: {
      ...relayLibp2pOptions({
        announce: options.announce,
        ...(options.maxReservations === undefined ? {} : { maxReservations: options.maxReservations }),
        ...(options.reservationShare === undefined ? {} : { reservationShare: options.reservationShare })
      }),
      ...(metrics === undefined ? {} : { metrics: metrics.metrics })
    }
  }).catch(async (err: unknown) => {
    await Promise.all([metrics?.stop(), page?.stop()])
    throw err
  })
  served.relays = () => browserMultiaddrs(node.getMultiaddrs().map(String))
  const stopped = nextStopSignal()
  const multiaddrs = node.getMultiaddrs().map(String)
  const forBrowsers = browserMultiaddrs(multiaddrs)
  const pageUrl = page?.url(forBrowsers, { powBits: options.powBits, stampBits: options.stampBits })
  const metricsLine = metricsAt === undefined ? {} : { metrics: metricsUrl(metricsAt) }
  const pageLine = pageUrl === undefined ? {} : { page: pageUrl }
  out.item({ event: 'ready', peerId: node.peerId.toString(), multiaddrs, browserMultiaddrs: forBrowsers, channels, dataDir, ...pageLine, ...metricsLine }, () => [
    ...multiaddrs.map((addr) => `listening on ${addr}`),
    forBrowsers.length > 0
      ? `browsers connect with: ${forBrowsers.join('  ')}`
      : 'no address a browser can dial: add a WebSockets listener (--listen /ip4/0.0.0.0/tcp/4002/ws)',
    ...(pageUrl === undefined ? [] : [`open the page: ${pageUrl}`]),
    `relaying ${channels.join(', ')}`,
    ...(metricsAt === undefined ? [] : [`metrics on ${metricsUrl(metricsAt)}`])
  ].join('\n'))

  let last = ''
  const report = (): void => { last = reportRelay(out, node, relayService(node.libp2p)?.reservations.size ?? 0, last) }
  // a reservation tags the client in the peer store, which is the only event the relay server gives
  const unwatch = watchStatus(node, report, ['peer:update'])
  report()
  const signal = await stopped
  out.note(`${signal}: stopping…`)
  unwatch()
  await Promise.all([metrics?.stop(), page?.stop()])
  await node.stop()
  out.item({ event: 'stopped' }, () => 'stopped')
}

/** Prints "3 peers, 2 relay slots, 2 in #lobby" when it differs from `last`; returns what it printed. */
function reportRelay (out: Output, node: Murmur, reservations: number, last: string): string {
  const peers = node.peerCount()
  const channels = channelStatus(node)
  const status = JSON.stringify({ event: 'status', peers, reservations, channels })
  if (status === last) {
    return last
  }
  out.item({ event: 'status', peers, reservations, channels }, () => [
    `${peers} ${peers === 1 ? 'peer' : 'peers'}`,
    `${reservations} relay ${reservations === 1 ? 'slot' : 'slots'}`,
    ...channels.map((c) => `${c.peers} in ${c.channel}`)
  ].join(', '))
  return status
}
