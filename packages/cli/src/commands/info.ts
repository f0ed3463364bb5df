/**
 * `murmur join`, `murmur leave`, `murmur peers` and `murmur status`.
 */
import { Command } from 'commander'
import { clientOf, outputOf, parseChannel, withCommonOptions } from './options.js'
import type { CommonOptions } from './options.js'

/**
 * The `join` command.
 *
 * @example
 * ```ts
 * program.addCommand(joinCommand())
 * ```
 */
export function joinCommand (): Command {
  return withCommonOptions(new Command('join'))
    .description('join a channel: receive, relay and keep its posts')
    .argument('<channel>', 'channel: #name, name, or geo:<geohash>')
    .action(async (channelArg: string, options: CommonOptions) => {
      const channel = parseChannel(channelArg)
      const channels = await (await clientOf(options)).join(channel)
      outputOf(options).result({ channel, channels }, () => `joined ${channel} (channels: ${channels.join(', ')})`)
    })
}

/**
 * The `leave` command.
 *
 * @example
 * ```ts
 * program.addCommand(leaveCommand())
 * ```
 */
export function leaveCommand (): Command {
  return withCommonOptions(new Command('leave'))
    .description('leave a channel (its stored posts stay until they expire)')
    .argument('<channel>', 'channel: #name, name, or geo:<geohash>')
    .action(async (channelArg: string, options: CommonOptions) => {
      const channel = parseChannel(channelArg)
      const channels = await (await clientOf(options)).leave(channel)
      outputOf(options).result({ channel, channels }, () =>
        `left ${channel} (channels: ${channels.length === 0 ? 'none' : channels.join(', ')})`)
    })
}

/**
 * The `peers` command.
 *
 * @example
 * ```ts
 * program.addCommand(peersCommand())
 * ```
 */
export function peersCommand (): Command {
  return withCommonOptions(new Command('peers'))
    .description('list the connected peers')
    .action(async (options: CommonOptions) => {
      const peers = await (await clientOf(options)).peers()
      outputOf(options).result({ peers }, () => peers.length === 0
        ? 'no peers connected'
        : peers.map((p) => `${p.peerId}  ${p.direction.padEnd(8)}  ${p.addr}${p.channels.length > 0 ? `  ${p.channels.join(' ')}` : ''}`).join('\n'))
    })
}

/**
 * The `status` command.
 *
 * @example
 * ```ts
 * program.addCommand(statusCommand())
 * ```
 */
export function statusCommand (): Command {
  return withCommonOptions(new Command('status'))
    .description('show the daemon\'s peers, channels and addresses')
    .action(async (options: CommonOptions) => {
      const status = await (await clientOf(options)).status()
      outputOf(options).result(status, () => [
        `murmur ${status.version}, pid ${status.pid}, up ${status.uptime}s`,
        `peer id   ${status.peerId}`,
        `peers     ${status.peers}`,
        `channels  ${status.channels.length === 0 ? 'none' : status.channels.map((c) => `${c.channel} (${c.peers} ${c.peers === 1 ? 'peer' : 'peers'})`).join(', ')}`,
        ...status.multiaddrs.map((addr) => `listening ${addr}`)
      ].join('\n'))
    })
}
