/**
 * `murmur join`, `murmur leave`, `murmur peers` and `murmur status`.
 */
import { Command } from 'commander'
import { MAX_CLOCK_SKEW } from '@murmur/protocol'
import { clockWarning } from '../daemon/status.js'
import { mintingLine, ringLine } from '../membership.js'
import { utcTime } from '../text.js'
import { UsageError } from '../errors.js'
import { parseLevel, parsePoint, parseRadius } from '../place-input.js'
import { PlacesClient } from '../places-client.js'
import { clientOf, outputOf, parseChannel, withCommonOptions } from './options.js'
import type { CommonOptions } from './options.js'
import type { StatusResponse } from '../api-types.js'
import type { ClockStatus, MembershipStatusResponse } from '../api-types.js'
import type { PlacesStateResponse } from '../daemon/location-routes.js'

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
    .description('join a channel: receive, relay and keep its posts; or, with --near, the location channels around a place')
    .argument('[channel]', 'channel: #name, name, or geo:<geohash>')
    .option('--near <lat,lon>', 'join the location channels (geohash cells) covering this place, in decimal degrees')
    .option('--radius <distance>', 'with --near: how far around, in m or km (100m..100km)', '5km')
    .option('--level <n>', 'with --near: cell level, 2 region, 4 city, 5 town, 6 neighbourhood (default: the finest up to 5 that takes at most 9 cells)')
    .addHelpText('after', `
--near joins one channel per cell the circle touches, and leaves those of the place joined before;
you post to the cell you are in (shown as "home"). The coordinates never leave this computer: only
the cells' names do, and your mesh peers see which cells this node reads (docs/ANONYMITY.md).`)
    .action(async (channelArg: string | undefined, options: JoinOptions) => {
      if (options.near !== undefined) {
        if (channelArg !== undefined) throw new UsageError('give a channel or --near LAT,LON, not both')
        const cover = await new PlacesClient(await clientOf(options)).near({
          ...parsePoint(options.near),
          radius: parseRadius(options.radius ?? '5km'),
          ...(options.level === undefined ? {} : { level: parseLevel(options.level) })
        })
        outputOf(options).result(cover, () => `joined ${cover.channels.length} location ${cover.channels.length === 1 ? 'channel' : 'channels'} of level ${cover.level}: ${cover.channels.join(', ')}\npost here with: murmur post ${cover.home} <text>`)
        return
      }
      if (channelArg === undefined) throw new UsageError('give a channel to join, or --near LAT,LON')
      const channel = parseChannel(channelArg)
      const channels = await (await clientOf(options)).join(channel)
      outputOf(options).result({ channel, channels }, () => `joined ${channel} (channels: ${channels.join(', ')})`)
    })
}

/** Options of `murmur join`. */
interface JoinOptions extends CommonOptions {
  near?: string
  radius?: string
  level?: string
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
    .description('show the daemon\'s peers, channels, addresses, clock offset, membership (stamp, minting progress and ETA, directory) and onion (mixes known, posts pending)')
    .action(async (options: CommonOptions) => {
      const client = await clientOf(options)
      const status = await client.status()
      const places = await new PlacesClient(client).state()
      outputOf(options).result({ ...status, places }, () => [
        `murmur ${status.version}, pid ${status.pid}, up ${status.uptime}s`,
        `peer id   ${status.peerId}`,
        `peers     ${status.peers}`,
        `channels  ${status.channels.length === 0 ? 'none' : status.channels.map((c) => `${c.channel} (${c.peers} ${c.peers === 1 ? 'peer' : 'peers'})${places.peeked.includes(c.channel) ? ' read only' : ''}`).join(', ')}`,
        ...placeLines(places),
        `clock     ${clockLine(status.clock)}`,
        ...membershipLines(status.membership),
        `onion     ${onionLine(status.onion)}`,
        ...status.multiaddrs.map((addr) => `listening ${addr}`)
      ].join('\n'))
    })
}

/** The location lines of `murmur status`: the cells joined near a place (never its coordinates), the places peeked at. */
function placeLines (places: PlacesStateResponse): string[] {
  return [
    ...(places.near === undefined ? [] : [`near      ${places.near.channels.length} cells of level ${places.near.level}, posting to ${places.near.home}`]),
    ...(places.peeked.length === 0 ? [] : [`peeking   ${places.peeked.join(', ')} (read only)`])
  ]
}

/** The membership lines of `murmur status`: the stamp, the mint running or the next one, the directory. */
function membershipLines (membership: MembershipStatusResponse | null): string[] {
  if (membership === null) {
    return ['member    membership off (no member directory)']
  }
  const { stamp, minting, nextMintAt, minter } = membership
  const lines = [`member    ${stamp === null ? 'not yet' : `yes, until ${utcTime(stamp.expires)}`}${minter ? '' : ' (not minting: --no-mint)'}`]
  if (minting !== null) {
    lines.push(`minting   ${stamp === null ? 'a stamp' : 'the next stamp'}: ${mintingLine(minting)}`)
  } else if (nextMintAt !== null) {
    lines.push(`next mint ${utcTime(nextMintAt)}`)
  }
  lines.push(`directory ${membership.members} ${membership.members === 1 ? 'member' : 'members'}`)
  if (membership.ring !== null) {
    lines.push(`ring      ${ringLine(membership.ring)}`)
  }
  if (membership.signing === false && stamp !== null) {
    lines.push('votes     not yet: they count once the stamp has spread and another member is known')
  }
  return lines
}

/** The onion line of `murmur status`: off, or the mixes known, own posts in flight, loops back of those sent. */
function onionLine (onion: StatusResponse['onion']): string {
  if (!onion.enabled) return 'off'
  const plural = (n: number, word: string, words = `${word}s`): string => `${n} ${n === 1 ? word : words}`
  return `on, ${plural(onion.mixes, 'mix', 'mixes')} known${onion.mixes < 3 ? ' (own posts take the stem until 3 are known)' : ''}, ${plural(onion.pending, 'post')} pending, ${onion.loopsReturned} of ${plural(onion.loopsSent, 'loop')} back, ${onion.delivered} delivered as an exit`
}

/** The clock line of `murmur status`: the offset, and a warning beyond the accepted skew. */
function clockLine (clock: ClockStatus): string {
  if (clock.offset === null) {
    return 'offset not known yet (estimated from the first posts of others)'
  }
  if (clock.skewed) {
    return `WARNING: ${clockWarning(clock.offset)}`
  }
  return `${clock.offset > 0 ? '+' : ''}${clock.offset} s from the network's (fine: ±${MAX_CLOCK_SKEW} s are accepted)`
}
