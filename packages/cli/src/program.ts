/**
 * The `murmur` command line: commander wiring, and the mapping of failures to messages and exit codes.
 */
import { Command, CommanderError } from 'commander'
import { displayLine } from '@murmur/protocol'
import { CIRCLE_EXIT, CIRCLE_EXIT_BY_CODE, CIRCLE_EXIT_HELP } from './circle-errors.js'
import { EXIT } from './constants.js'
import { VERSION } from './version.js'
import { chatCommand } from './commands/chat.js'
import { circleCommand } from './commands/circle.js'
import { daemonCommand } from './commands/daemon.js'
import { filterCommand } from './commands/filter.js'
import { initCommand } from './commands/init.js'
import { peekCommand } from './commands/peek.js'
import { joinCommand, leaveCommand, peersCommand, statusCommand } from './commands/info.js'
import { postCommand, replyCommand, voteCommand } from './commands/post.js'
import { feedCommand, threadCommand, watchCommand } from './commands/read.js'
import { relayCommand } from './commands/relay.js'
import { repairCommand } from './commands/repair.js'
import { wipeCommand } from './commands/wipe.js'

/** Exit code of each error, by error name; everything else is EXIT.FAILURE. */
const EXIT_BY_NAME: Record<string, number> = {
  UsageError: EXIT.USAGE,
  // a lifetime other than 1h, 1d or 1w (--for, or the retired --ttl)
  LifetimeError: EXIT.USAGE,
  InvalidChannelError: EXIT.USAGE,
  InvalidIdError: EXIT.USAGE,
  PostValidationError: EXIT.USAGE,
  // a node option the user gave (--stamp-bits, --pow-bits below the network's on a public address)
  InvalidConfigError: EXIT.USAGE,
  // a --metrics address off loopback without --metrics-public, or one that cannot be bound
  MetricsAddressError: EXIT.USAGE,
  // a --page address the relay's page server cannot bind
  RelayPageServerError: EXIT.USAGE,
  DaemonNotRunningError: EXIT.NO_DAEMON,
  UnverifiedDaemonError: EXIT.NO_DAEMON,
  CancelledError: EXIT.INTERRUPTED,
  StampNotReadyError: EXIT.NOT_MEMBER,
  AlreadyVotedError: EXIT.ALREADY_VOTED,
  AmbiguousIdError: EXIT.AMBIGUOUS_ID,
  // a damaged or cut invite, read before anything is sent (the protocol's ERR_INVITE_* codes)
  InvalidInviteError: CIRCLE_EXIT.BAD_INVITE,
  UnknownCircleError: CIRCLE_EXIT.UNKNOWN_CIRCLE,
  CircleNotReadyError: CIRCLE_EXIT.CANNOT_POST,
  CircleNotOwnerError: CIRCLE_EXIT.NOT_OWNER,
  DamagedCircleError: CIRCLE_EXIT.DAMAGED
}

/**
 * The `murmur` program with every command.
 *
 * @example
 * ```ts
 * await createProgram().parseAsync(['node', 'murmur', 'status'])
 * ```
 */
export function createProgram (): Command {
  const program = new Command('murmur')
    .description('Murmur: anonymous peer-to-peer gossip. Start with `murmur chat`, or `murmur daemon` plus the other commands.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `
Exit codes: 0 done, 1 failed, 2 bad arguments or input, 3 no daemon running, 4 this device's clock is
too far off the network's (set it right), 5 a vote before this node holds a member stamp (it says when
to vote again), 6 a second or opposite vote on a post (a vote can be neither repeated nor changed),
7 a post id prefix that more than one post starts with (they are named), ${CIRCLE_EXIT_HELP},
130 interrupted.
Post ids: the whole id, or its first 4 or more hex characters when no other post starts the same.
Channels: "lobby" means "#lobby" (a bare # starts a shell comment); geo:<geohash> is taken as is;
circle:NAME is one of your circles (murmur circle --help).`)
  for (const command of [
    initCommand(), daemonCommand(), chatCommand(), postCommand(), replyCommand(), voteCommand(),
    feedCommand(), threadCommand(), watchCommand(), joinCommand(), peekCommand(), leaveCommand(), peersCommand(), statusCommand(),
    circleCommand(), filterCommand(), relayCommand(), repairCommand(), wipeCommand()
  ]) {
    program.addCommand(command.exitOverride())
  }
  return program
}

/**
 * Runs the `murmur` command line and resolves to its exit code. Failures print one line to stderr
 * (with the stack trace only when `DEBUG` is set).
 *
 * @example
 * ```ts
 * process.exitCode = await run(process.argv)
 * ```
 */
export async function run (argv: string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv)
    return EXIT.OK
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander printed the message (or the help) itself
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE
    }
    const error = err instanceof Error ? err : new Error(String(err))
    const detail = process.env.DEBUG !== undefined && process.env.DEBUG !== '' ? `\n${error.stack ?? ''}` : ''
    // a message can quote what the daemon or the network sent: one line, nothing hidden
    process.stderr.write(`murmur: ${displayLine(error.message)}${detail}\n`)
    return exitCodeOf(error)
  }
}

function exitCodeOf (err: Error): number {
  const byName = EXIT_BY_NAME[err.name]
  if (byName !== undefined) {
    return byName
  }
  if (err.name !== 'ApiError') {
    return EXIT.FAILURE
  }
  const { status, code } = err as { status?: unknown, code?: unknown }
  const circle = typeof code === 'string' ? CIRCLE_EXIT_BY_CODE[code] : undefined
  if (circle !== undefined) return circle
  return code === 'ERR_CLOCK_SKEW' ? EXIT.CLOCK_SKEW : status === 400 ? EXIT.USAGE : EXIT.FAILURE
}
