/**
 * `murmur daemon`: runs a node and its control API until SIGINT or SIGTERM.
 */
import { Command } from 'commander'
import { ControlClient } from '../client.js'
import { DEFAULT_CHANNEL } from '../constants.js'
import { DaemonAlreadyRunningError, DataDirError } from '../errors.js'
import { atRestKeysOf, ensureDataDir } from '../files.js'
import { loadOrCreateIdentity } from '../identity.js'
import { dirname } from 'node:path'
import { rendezvousDir, resolveDataDir, runtimeDir } from '../paths.js'
import { apiFilePath, apiSocketPath, describeAddress, readApiFile, removeApiFile, writeApiFile } from '../daemon/api-file.js'
import { channelStatus, clockWarning, watchStatus } from '../daemon/status.js'
import { collect, networkInit, nextStopSignal, outputOf, parseChannels, withCommonOptions, withLocalRendezvousOption, withNetworkOptions, withOnionOption } from './options.js'
import { metricsUrl, withMetricsOptions } from '../daemon/metrics-options.js'
import type { CommonOptions, LocalRendezvousOptions, NetworkOptions } from './options.js'
import type { MetricsOptions } from '../daemon/metrics-options.js'
import type { ChannelStatus } from '../api-types.js'
import type { Output } from '../output.js'
import type { ClockSkewDetail } from '@murmur/node'

interface DaemonOptions extends CommonOptions, NetworkOptions, LocalRendezvousOptions, MetricsOptions {
  channel: string[]
}

/**
 * The `daemon` command.
 *
 * @example
 * ```ts
 * program.addCommand(daemonCommand())
 * ```
 */
export function daemonCommand (): Command {
  return withMetricsOptions(withOnionOption(withLocalRendezvousOption(withNetworkOptions(withCommonOptions(new Command('daemon'))))))
    .description('run a node with a local control API until Ctrl-C (DEBUG=murmur:* logs details to stderr)')
    .option('--channel <channel>', `channel to join at start, repeatable (default: ${DEFAULT_CHANNEL})`, collect, [])
    .action(async (options: DaemonOptions) => { await runDaemon(options) })
}

async function runDaemon (options: DaemonOptions): Promise<void> {
  const out = outputOf(options)
  const channels = parseChannels(options.channel)
  const dataDir = resolveDataDir(options.dataDir)
  await ensureDataDir(dataDir)
  await refuseSecondDaemon(dataDir)
  // refused before anything starts; loaded only when asked for, like the node
  const metrics = options.metrics === undefined ? undefined : await import('../daemon/metrics.js').then((m) => m.createMetricsEndpoint({ ...m.parseMetricsAddress(options.metrics ?? '', options.metricsPublic), dataDir }))
  const identity = await loadOrCreateIdentity(dataDir)
  if (identity.created) {
    out.note(`created your author identity in ${identity.path}`)
  }
  out.note(`starting murmur daemon (data dir ${dataDir})`)
  // loaded here, not at the top: the other commands never start a node and need not load libp2p
  const { startRuntime } = await import('../daemon/runtime.js')
  const apiSocket = apiSocketPath(dataDir, runtimeDir())
  if (apiSocket !== undefined && dirname(apiSocket) !== dataDir) {
    // the data dir's path is too long for a socket: the runtime dir must be as private as the data dir
    await ensureDataDir(dirname(apiSocket)).catch((err: unknown) => {
      throw new DataDirError(`the control API's socket goes to ${dirname(apiSocket)} (the data dir's path is too long for one), which cannot be used: ${(err as Error).message}; set XDG_RUNTIME_DIR to a private directory of yours, or use a shorter --data-dir`, { cause: err })
    })
  }
  // listening before the node starts: a port in use is refused before anything else runs
  const metricsAt = await metrics?.start()
  const runtime = await startRuntime({
    apiSocket,
    node: {
      ...networkInit(options),
      channels,
      dataDir,
      // read once already for the identity: the node does not read at-rest.key again
      atRestKeys: await atRestKeysOf(dataDir),
      authorKey: identity.key,
      ...(metrics === undefined ? {} : { libp2p: { metrics: metrics.metrics } })
    },
    ...(options.localRendezvous ? { rendezvousDir: rendezvousDir() } : {})
  }).catch(async (err: unknown) => {
    await metrics?.stop()
    throw err
  })
  const { node, api } = runtime
  const stopped = nextStopSignal()
  await writeApiFile(dataDir, { pid: process.pid, ...api.address, token: api.token })
  const multiaddrs = node.getMultiaddrs().map(String)
  out.item({
    event: 'ready',
    peerId: node.peerId.toString(),
    multiaddrs,
    api: { ...api.address, file: apiFilePath(dataDir) },
    dataDir,
    localRendezvous: runtime.rendezvous,
    ...(metricsAt === undefined ? {} : { metrics: metricsUrl(metricsAt) })
  }, () => [
    ...multiaddrs.map((addr) => `listening on ${addr}`),
    `control API on ${describeAddress(api.address)} (token in ${apiFilePath(dataDir)})`,
    ...(metricsAt === undefined ? [] : [`metrics on ${metricsUrl(metricsAt)}`]),
    `mDNS ${options.mdns ? 'on' : 'off'}, local rendezvous ${runtime.rendezvous ? 'on' : 'off'}, onion ${node.onion.enabled ? 'on' : 'off'}`
  ].join('\n'))

  const report = (): void => { reportPeers(out, node.peerCount(), channelStatus(node)) }
  const unwatch = watchStatus(node, report)
  report()
  // the offset is estimated from the first posts of others: the warning comes as soon as it is known
  const onClockSkew = (evt: CustomEvent<ClockSkewDetail>): void => { reportClock(out, evt.detail) }
  node.addEventListener('clock-skew', onClockSkew)
  const signal = await stopped
  out.note(`${signal}: stopping…`)
  node.removeEventListener('clock-skew', onClockSkew)
  unwatch()
  await metrics?.stop()
  await runtime.stop()
  await removeApiFile(dataDir, api.token)
  out.item({ event: 'stopped' }, () => 'stopped')
}

/** "connecting… 0 peers", then "3 peers, 2 in #lobby" on every change. */
function reportPeers (out: Output, peers: number, channels: ChannelStatus[]): void {
  out.item({ event: 'status', peers, channels }, () => {
    if (peers === 0) {
      return 'connecting… 0 peers'
    }
    const parts = channels.map((c) => `${c.peers} in ${c.channel}`)
    return [`${peers} ${peers === 1 ? 'peer' : 'peers'}`, ...parts].join(', ')
  })
}

/** A warning when the clock is found off the network's, a note when it is back within the accepted skew. */
function reportClock (out: Output, { offset, skewed }: ClockSkewDetail): void {
  out.item({ event: 'clock-skew', offset, skewed }, () => skewed
    ? `warning: ${clockWarning(offset)}`
    : `the clock is back within the accepted skew of the network's (${offset > 0 ? '+' : ''}${offset} s)`)
}

async function refuseSecondDaemon (dataDir: string): Promise<void> {
  const endpoint = await readApiFile(dataDir)
  if (endpoint === undefined) {
    return
  }
  try {
    await new ControlClient(endpoint).status()
  } catch {
    return // a stale file of a daemon that did not stop cleanly: it gets replaced
  }
  throw new DaemonAlreadyRunningError(`a murmur daemon already runs for ${dataDir} (pid ${endpoint.pid}); stop it first or use another --data-dir`)
}
