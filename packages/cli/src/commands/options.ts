/**
 * Options and argument checks shared by the commands.
 */
import { InvalidArgumentError, Option } from 'commander'
import { MAX_BODY_BYTES, STAMP_BITS, channelName, isBlankText } from '@murmur/protocol'
import { circleNameOf, circleTarget } from '../circle-name.js'
import { ControlClient } from '../client.js'
import { DEFAULT_CHANNEL } from '../constants.js'
import { UsageError } from '../errors.js'
import { Output } from '../output.js'
import { resolveDataDir } from '../paths.js'
import type { Command } from 'commander'
import type { MembershipInit, MurmurInit } from '@murmur/node'

/** Options every command has. */
export interface CommonOptions {
  dataDir?: string
  json?: boolean
}

/** Network options of the commands that run a node (`daemon`, and `chat` without a daemon). */
export interface NetworkOptions {
  listen: string[]
  bootstrap: string[]
  mdns: boolean
  powBits?: number
  /** `--stamp-bits`: the member stamps' difficulty (a network parameter). */
  stampBits?: number
  /** False with `--no-mint`: this node mints no member stamp of its own. */
  mint?: boolean
  /** `--onion`: own posts leave through 3 mixes (the commands that run a node for the user). */
  onion?: boolean
}

/** What `--onion` says in --help: what it hides, what it costs, and that it is off by default. */
const ONION_HELP = 'experimental, off by default: wrap own posts for 3 mixes (other murmur nodes running --onion) before they enter the network, so that no direct peer can tell them from relayed ones (docs/ANONYMITY.md); costs ~1.8 s more per post and ~19 KB/min of loop cover traffic; with fewer than 3 mixes known posts leave through the stem as without it'

/**
 * Adds `--onion` (onion-wrapped first hops, off by default) to a command that runs a node for the user.
 *
 * @example
 * ```ts
 * withOnionOption(new Command('daemon'))
 * ```
 */
export function withOnionOption (command: Command): Command {
  return command.option('--onion', ONION_HELP)
}

/**
 * Adds `--data-dir` and `--json` to a command.
 *
 * @example
 * ```ts
 * withCommonOptions(new Command('feed'))
 * ```
 */
export function withCommonOptions (command: Command, json = true): Command {
  command.addOption(new Option('--data-dir <dir>', 'data dir (default: $MURMUR_DATA_DIR, else $XDG_DATA_HOME/murmur or ~/.local/share/murmur)'))
  if (json) {
    command.option('--json', 'print JSON instead of text')
  }
  return command
}

/**
 * Adds the options of a command that runs a node; `mint`: also `--no-mint` (a relay never mints).
 *
 * @example
 * ```ts
 * withNetworkOptions(new Command('daemon'))
 * ```
 */
export function withNetworkOptions (command: Command, mint = true): Command {
  command
    .option('--listen <multiaddr>', 'listen address, repeatable (default: TCP and WebSockets on every interface, random ports)', collect, [])
    .option('--bootstrap <multiaddr>', 'address (with /p2p/<peer id>) of a node to connect to, repeatable', collect, [])
    .option('--no-mdns', 'do not discover nodes on the LAN with mDNS')
    .option('--pow-bits <bits>', 'proof-of-work difficulty in leading zero bits for every kind of post (a network parameter; default 16 for posts and replies, 12 for votes; less is refused unless every address is loopback or private)', parsePowBits)
    .option('--stamp-bits <bits>', `member stamp difficulty in leading zero bits, minted and required (a network parameter; default ${STAMP_BITS}, about a minute of one core per week; less is refused unless every address is loopback or private)`, parsePowBits)
  if (mint) {
    command.option('--no-mint', 'do not mint a member stamp (then this node\'s votes count toward nothing and its posts show as unverified)')
  }
  return command
}

/** `--no-local-rendezvous` of the commands that run a node for the user (`daemon`, `chat`). */
export interface LocalRendezvousOptions {
  /** False with `--no-local-rendezvous`. */
  localRendezvous: boolean
}

/**
 * Adds `--no-local-rendezvous`: the node stays out of the user's per-machine rendezvous directory.
 *
 * @example
 * ```ts
 * withLocalRendezvousOption(new Command('daemon'))
 * ```
 */
export function withLocalRendezvousOption (command: Command): Command {
  return command.option('--no-local-rendezvous', 'do not announce this node to, nor dial, the other murmur nodes of this user on this machine (the per-user rendezvous directory); with --no-mdns and no --bootstrap the node meets nobody by itself')
}

/**
 * The node options given by the network options; `defaultListen` when no `--listen` is given
 * (undefined leaves the choice to the node).
 *
 * @example
 * ```ts
 * const node = await createMurmur({ ...networkInit(opts), channels, dataDir })
 * ```
 */
export function networkInit (options: NetworkOptions, defaultListen?: string[]): Pick<MurmurInit, 'listen' | 'bootstrap' | 'mdns' | 'powBits' | 'onion'> & { membership: MembershipInit } {
  return {
    listen: options.listen.length > 0 ? options.listen : defaultListen,
    bootstrap: options.bootstrap,
    mdns: options.mdns,
    powBits: options.powBits,
    onion: options.onion === true,
    // mint left to the node unless turned off: it mints when it keeps a data dir
    membership: { stampBits: options.stampBits, ...(options.mint === false ? { mint: false } : {}) }
  }
}

/**
 * The channels of a repeatable `--channel` option, each parsed with {@link parseChannel};
 * `DEFAULT_CHANNEL` when none is given.
 *
 * @example
 * ```ts
 * parseChannels([]) // ['#lobby']
 * parseChannels(['news', 'geo:u4pruyd']) // ['#news', 'geo:u4pruyd']
 * ```
 */
export function parseChannels (values: string[]): string[] {
  return (values.length > 0 ? values : [DEFAULT_CHANNEL]).map(parseChannel)
}

/**
 * Resolves with the name of the first SIGINT, SIGTERM or SIGHUP the process receives: how a
 * long-running command learns that it should stop.
 *
 * @example
 * ```ts
 * const signal = await nextStopSignal()
 * out.note(`${signal}: stopping…`)
 * ```
 */
export function nextStopSignal (): Promise<string> {
  return new Promise<string>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => { resolve(signal) })
    }
  })
}

/**
 * The output of a command from its options.
 *
 * @example
 * ```ts
 * const out = outputOf(opts)
 * ```
 */
export function outputOf (options: CommonOptions): Output {
  return new Output(options.json === true)
}

/**
 * A client of the daemon of the command's data dir (throws DaemonNotRunningError).
 *
 * @example
 * ```ts
 * const client = await clientOf(opts)
 * ```
 */
export async function clientOf (options: CommonOptions): Promise<ControlClient> {
  return ControlClient.connect(resolveDataDir(options.dataDir))
}

/** Help of a command's channel argument. */
export const CHANNEL_ARGUMENT = 'channel: #name, name, geo:<geohash>, or circle:NAME (one of your circles)'

/**
 * A channel name from the command line, or one of this node's circles. `lobby` means `#lobby` (a bare
 * `#` would start a shell comment); names with a `:` (`geo:u4pruyd`) are taken as they are; `circle:NAME`
 * names a circle by its local name and comes back as `circle:NAME` (see circle-name.ts: no channel
 * name is ever read as one).
 *
 * @example
 * ```ts
 * parseChannel('lobby')          // '#lobby'
 * parseChannel('circle:friends') // 'circle:friends'
 * ```
 */
export function parseChannel (value: string): string {
  const circle = circleNameOf(value)
  if (circle !== undefined) {
    if (circle === '') throw new UsageError('"circle:" needs the circle\'s name: circle:NAME (`murmur circle list` shows yours)')
    return circleTarget(circle)
  }
  try {
    return channelName(value)
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err })
  }
}

/**
 * A post or reply body: not empty, at most 2048 UTF-8 bytes.
 *
 * @example
 * ```ts
 * parseBody('hello') // 'hello'
 * ```
 */
export function parseBody (value: string): string {
  const bytes = new TextEncoder().encode(value).byteLength
  if (isBlankText(value)) {
    throw new UsageError('the text is empty: nothing in it would show')
  }
  if (bytes > MAX_BODY_BYTES) {
    throw new UsageError(`the text is too long: ${bytes} bytes, at most ${MAX_BODY_BYTES} are allowed`)
  }
  return value
}

/**
 * `up`/`+1`/`+` or `down`/`-1`/`-`.
 *
 * @example
 * ```ts
 * parseVote('up') // 1
 * ```
 */
export function parseVote (value: string): 1 | -1 {
  if (['up', '+1', '+', '1'].includes(value)) return 1
  if (['down', '-1', '-'].includes(value)) return -1
  throw new UsageError(`bad vote ${JSON.stringify(value)}: expected up or down`)
}

/**
 * Commander parser of a positive integer option.
 *
 * @example
 * ```ts
 * command.option('--limit <n>', 'how many', parsePositiveInt)
 * ```
 */
export function parsePositiveInt (value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a positive integer')
  }
  return n
}

function parsePowBits (value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n > 64) {
    throw new InvalidArgumentError('expected an integer between 0 and 64')
  }
  return n
}

/**
 * Commander reducer of a repeatable option: every value, in order.
 *
 * @example
 * ```ts
 * command.option('--channel <channel>', 'channel, repeatable', collect, [])
 * ```
 */
export function collect (value: string, previous: string[]): string[] {
  return [...previous, value]
}
