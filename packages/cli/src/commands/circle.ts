/**
 * `murmur circle create|invite|join|leave|remove|repost|members|list`: private circles (docs/PROTOCOL.md §6) through
 * the daemon. Posting and reading in a circle use the other commands with `circle:NAME` as the channel.
 */
import { Command, InvalidArgumentError } from 'commander'
import { CIRCLE_ROTATIONS_PER_DAY, CIRCLE_ROTATIONS_PER_HOUR } from '@murmur/node/circle-rate'
import { DEFAULT_CIRCLE_MIN_RING, InvalidInviteError, MAX_INVITE_HINTS, MAX_RING_SIZE, MIN_CIRCLE_RING, decodeInvite, displayLine } from '@murmur/protocol'
import { FROM_STDIN, commandArguments } from '../argument-input.js'
import { CircleClient } from '../circle-client.js'
import { CIRCLE_EXIT, CIRCLE_EXIT_HELP, CircleNotOwnerError } from '../circle-errors.js'
import { circleTarget } from '../circle-name.js'
import { MEMBER_KEY_DIGITS, byKey, circleListLines, hintLines, memberLine, summaryLine, warningLines } from '../circle-text.js'
import { ApiError, UsageError } from '../errors.js'
import { murmurCommand } from '../hint.js'
import { resolveDataDir } from '../paths.js'
import { inviteOfInput } from '../invite-input.js'
import { utcTime } from '../text.js'
import { clientOf, collect, outputOf, withCommonOptions } from './options.js'
import type { CommonOptions } from './options.js'
import type { CircleMember, CircleSummary } from '../api-types.js'
import type { CircleInvite } from '@murmur/protocol'
import type { Output } from '../output.js'

/** Seconds in a day, for `--expires <days>`. */
const DAY = 86_400
/** Longest an invite may stay usable, in days (a longer-lived secret in more hands is the risk). */
const MAX_INVITE_DAYS = 30

/**
 * The `circle` command and its subcommands.
 *
 * @example
 * ```ts
 * program.addCommand(circleCommand())
 * ```
 */
export function circleCommand (): Command {
  const circle = new Command('circle')
    .description('private circles: posts only members read, each marked "a member wrote this" without saying which member')
    .addHelpText('after', `
Post and read in a circle with the usual commands and circle:NAME as the channel:
  murmur post circle:friends "hello"    murmur feed circle:friends    murmur watch circle:friends
Exit codes besides murmur's own: ${CIRCLE_EXIT_HELP}.`)
  for (const command of [createCommand(), inviteCommand(), joinCommand(), leaveCommand(), removeCommand(), repostCommand(), membersCommand(), listCommand()]) {
    circle.addCommand(command.exitOverride())
  }
  return circle
}

interface CreateOptions extends CommonOptions { minRing: number }

function createCommand (): Command {
  return withCommonOptions(new Command('create'))
    .description('create a circle that you own (only you may remove members); then invite people with `murmur circle invite NAME`')
    .argument('<name>', 'its name on this node (never sent anywhere)')
    .option('--min-ring <n>', `fewest members a post hides among, ${MIN_CIRCLE_RING}..${MAX_RING_SIZE}: below it nobody can post (default ${DEFAULT_CIRCLE_MIN_RING})`, parseMinRing, DEFAULT_CIRCLE_MIN_RING)
    .action(async (name: string, options: CreateOptions) => {
      const circles = await circlesOf(options)
      await refuseTaken(circles, name)
      const summary = await circles.create({ name, minRing: options.minRing })
      const out = outputOf(options)
      noteWarnings(out, summary)
      out.result({ circle: summary }, () => `created ${summaryLine(summary)}\nnext: invite people you trust with \`${command(options, 'circle', 'invite', summary.name)}\``)
    })
}

interface InviteOptions extends CommonOptions { expires: number, hint: string[], qr: boolean }

function inviteCommand (): Command {
  return withCommonOptions(new Command('invite'))
    .description('make an invite to a circle: a string (and a QR code) that lets one person join. Whoever holds it reads the circle: send it only over a channel you trust')
    .argument('<name>', 'the circle')
    .option('--expires <days>', `days the invite can be used, 1..${MAX_INVITE_DAYS}`, parseDays, 7)
    .option('--hint <multiaddr>', `address (with /p2p/<peer id>) of a node the newcomer may connect through, repeatable, at most ${MAX_INVITE_HINTS}; shown to the newcomer, dialed only if it asks`, collect, [])
    .option('--no-qr', 'print the invite string only, without the QR code')
    .action(async (name: string, options: InviteOptions) => {
      if (options.hint.length > MAX_INVITE_HINTS) throw new UsageError(`at most ${MAX_INVITE_HINTS} --hint addresses fit in an invite`)
      const circles = await circlesOf(options)
      const circle = (await readable(circles, name, options)).name
      const result = await circles.invite({ circle, expiresIn: options.expires * DAY, hints: options.hint })
      const out = outputOf(options)
      out.note(`whoever holds this invite reads ${circleTarget(circle)} until you remove them (that rotates its key): send it only over a channel you trust. One person per invite: joins name whose invite they used. Usable until ${utcTime(result.expires)}.`)
      const qr = options.qr && !out.json ? await terminalQr(result.invite) : ''
      out.result(result, () => `${qr}${result.invite}`)
    })
}

interface JoinOptions extends CommonOptions { name?: string, memberName?: string, dialHint?: boolean, file?: string }

function joinCommand (): Command {
  return withCommonOptions(new Command('join'))
    .description('join a circle from an invite (the whole MURMUR:CIRCLE:… string, or the page\'s join link https://…/#join=MURMUR:CIRCLE:…, whose address is never contacted; spaces and line breaks in it are fine)')
    .argument('[invite]', `the invite string or join link; ${FROM_STDIN} or left out (when stdin is not a terminal) reads it from stdin, --file from a file: the invite is the circle's key, and other users of this machine can see a command's arguments (ps), shells keep them in history`)
    .option('--file <path>', 'read the invite from this file')
    .option('--name <name>', 'its name on this node (default: the name the invite suggests)')
    .option('--member-name <name>', 'a name the other members see beside your key (default: none)')
    .option('--dial-hint', 'also connect through the peers the invite suggests (never instead of this node\'s own peers: refused while it has none)')
    .addHelpText('after', '\nA damaged or cut invite is refused with one line and exit code 8, and nothing changes.')
    .action(async (inviteArg: string | undefined, options: JoinOptions) => {
      const [given = ''] = await commandArguments(['invite'], [inviteArg], options)
      const { text, invite } = readInvite(given)
      const name = options.name ?? invite.name
      if (name === '') throw new UsageError('the invite suggests no name for the circle: give it one with --name')
      const circles = await circlesOf(options)
      await refuseTaken(circles, name)
      const joined = await circles.join({ invite: text, name, ...(options.memberName === undefined ? {} : { memberName: options.memberName }), dialHints: options.dialHint === true })
      const out = outputOf(options)
      if (inviteArg !== undefined && inviteArg !== FROM_STDIN) {
        out.note(`the invite was an argument: other users of this machine could read it (ps) while this ran, and your shell may keep it; next time: \`${command(options, 'circle', 'join', FROM_STDIN)}\` and paste it`)
      }
      for (const line of hintLines(joined.hints, options.dialHint === true ? joined.dialed : undefined)) out.note(line)
      noteWarnings(out, joined.circle)
      out.result(joined, () => `joined ${summaryLine(joined.circle)}\nread it with \`${command(options, 'feed', circleTarget(joined.circle.name))}\``)
    })
}

function leaveCommand (): Command {
  return withCommonOptions(new Command('leave'))
    .description('leave a circle: this node says so to the members and forgets the circle\'s keys and posts (joining again takes a new invite)')
    .argument('<name>', 'the circle')
    .action(async (name: string, options: CommonOptions) => {
      const circles = await circlesOf(options)
      const circle = (await circles.held(name)).name
      const left = await circles.leave(circle)
      outputOf(options).result({ circle, circles: left }, () => `left ${circleTarget(circle)}: its keys are forgotten here (members who want you out of what they post next ask the owner to remove you)`)
    })
}

function removeCommand (): Command {
  return withCommonOptions(new Command('remove'))
    .description('remove members (owner only): the circle moves to a new key that only the other members get; a removed member keeps what it read and reads nothing posted after')
    .argument('<name>', 'the circle')
    .argument('<member...>', 'each member\'s key, or its first hex digits as `murmur circle members` shows them')
    .addHelpText('after', `\n${REMOVAL_RATE}`)
    .action(async (name: string, memberArgs: string[], options: CommonOptions) => {
      const circles = await circlesOf(options)
      const held = await readable(circles, name, options)
      const circle = held.name
      if (!held.owner) {
        throw new CircleNotOwnerError(`not removed: only the owner of ${circleTarget(circle)} can remove members (its members follow the owner's key changes only); you can leave it: \`${command(options, 'circle', 'leave', circle)}\``)
      }
      const roster = (await circles.members(circle)).members
      // a member named twice (two prefixes of one key) is removed once
      const removed = [...new Set(memberArgs.map((typed) => pickMember(roster, typed, circleTarget(circle)).key))]
      const summary = await removeAtRate(circles, circle, removed)
      const out = outputOf(options)
      noteWarnings(out, summary)
      const who = removed.map((key) => key.slice(0, MEMBER_KEY_DIGITS)).join(', ')
      const kept = removed.length === 1 ? 'the removed member keeps what it read and reads' : 'the removed members keep what they read and read'
      out.result({ circle: summary, removed }, () => `removed ${who} from ${circleTarget(circle)}: it now has a new key, sent to the ${summary.members} ${summary.members === 1 ? 'member' : 'members'} left; ` +
        `${kept} nothing posted from now on\n${summaryLine(summary)}`)
    })
}

/** What `circle remove --help` says of the rate members follow the owner's rotations at (docs/PROTOCOL.md §6.7). */
const REMOVAL_RATE = `Each removal gives the circle a new key, and members follow at most ${CIRCLE_ROTATIONS_PER_HOUR} key changes an hour
and ${CIRCLE_ROTATIONS_PER_DAY} a day: removals past that are refused (exit code ${CIRCLE_EXIT.RATE}, saying from when).
Members named together are removed in one key change, counted once:
  murmur circle remove friends 3f9ac1d2e4b5 77b0e1c2a9d4`

/** Removes `members` from `circle` in one rotation; past the rate, the daemon's refusal as a line that says nothing was removed. */
async function removeAtRate (circles: CircleClient, circle: string, members: string[]): Promise<CircleSummary> {
  try {
    return await circles.remove(circle, members)
  } catch (err) {
    const { name, code, status, message } = err as Partial<ApiError>
    if (name !== ApiError.name || code !== 'ERR_CIRCLE_RATE' || status === undefined) throw err
    throw new ApiError(`not removed: ${message ?? ''}`, code, status, { cause: err })
  }
}

function repostCommand (): Command {
  return withCommonOptions(new Command('repost'))
    .description('post again one of your posts or replies marked NOT DELIVERED: it was made while the circle changed its key twice at once, and the members never read it')
    .argument('<name>', 'the circle')
    .argument('<id>', 'the post\'s id, as the feed shows it under the post')
    .action(async (name: string, id: string, options: CommonOptions) => {
      const circles = await circlesOf(options)
      const circle = (await readable(circles, name, options)).name
      const result = await circles.repost(circle, id)
      outputOf(options).result(result, () => `posted again in ${circleTarget(circle)} as ${result.id}: its members read this one (the copy that was not delivered is gone from your feed)`)
    })
}

function membersCommand (): Command {
  return withCommonOptions(new Command('members'))
    .description('list a circle\'s members as this node knows them: key, name, when they joined, whose invite, whether posts hide among them yet')
    .argument('<name>', 'the circle')
    .action(async (name: string, options: CommonOptions) => {
      const circles = await circlesOf(options)
      const summary = await readable(circles, name, options)
      const { circle, members } = await circles.members(summary.name)
      const out = outputOf(options)
      noteWarnings(out, summary, members)
      const names = byKey(members)
      out.result({ circle, members }, () => [summaryLine(summary), ...members.map((m) => `  ${memberLine(m, names)}`)].join('\n'))
    })
}

function listCommand (): Command {
  return withCommonOptions(new Command('list'))
    .description('list your circles, with what to know before posting in each')
    .action(async (options: CommonOptions) => {
      const list = await (await circlesOf(options)).list()
      const out = outputOf(options)
      out.result({ circles: list }, () => list.length === 0
        ? 'no circles yet: `murmur circle create NAME`, or `murmur circle join INVITE`'
        : list.flatMap((summary) => circleListLines(summary, command(options, 'circle', 'leave', summary.name))).join('\n'))
    })
}

/**
 * The invite of an invite string or join link (its string, and what it holds), read here before anything
 * is sent: a damaged one never reaches the daemon.
 */
function readInvite (given: string): { text: string, invite: CircleInvite } {
  try {
    const text = inviteOfInput(given)
    return { text, invite: decodeInvite(text) }
  } catch (err) {
    // inviteOfInput and decodeInvite throw nothing but InvalidInviteError
    const { code, message } = err as InvalidInviteError
    throw new InvalidInviteError(code, `not joined: ${message} (${code})`, { cause: err })
  }
}

/**
 * A QR code of `text` for a terminal, each row ending in a line break: qrcode's terminal renderer (half
 * blocks, two modules a row, on white), less the row of colour codes alone it ends with.
 */
async function terminalQr (text: string): Promise<string> {
  // loaded here, not at the top: every command imports this module, one prints a QR code
  const { default: QRCode } = await import('qrcode')
  const rows = (await QRCode.toString(text, { type: 'terminal', small: true })).split('\n')
  // eslint-disable-next-line no-control-regex
  return rows.filter((row) => row.replace(/\u001b\[\d+m/g, '') !== '').map((row) => `${row}\n`).join('')
}

/** The member a key or key prefix names (UsageError, before anything changes, for none, several, or this node itself). */
function pickMember (members: CircleMember[], typed: string, target: string): CircleMember {
  const prefix = typed.trim().toLowerCase()
  if (!/^[0-9a-f]{4,64}$/.test(prefix)) throw new UsageError(`a member is named by its key, or its first 4 or more hex digits (as \`murmur circle members\` shows them), not ${JSON.stringify(displayLine(typed))}`)
  const found = members.filter((m) => m.key.startsWith(prefix))
  if (found.length === 0) throw new UsageError(`no member of ${target} has a key starting with ${prefix}`)
  if (found.length > 1) throw new UsageError(`${found.length} members of ${target} have keys starting with ${prefix}: give more of the key (${found.map((m) => m.key.slice(0, MEMBER_KEY_DIGITS)).join(', ')})`)
  const [member] = found as [CircleMember]
  if (member.self) throw new UsageError(`${prefix} is your own key: to go, leave the circle (murmur circle leave)`)
  return member
}

/** A murmur command line to suggest, with the --data-dir in use (hint.ts). */
function command (options: CommonOptions, ...args: string[]): string {
  return murmurCommand(args, resolveDataDir(options.dataDir))
}

/** A circle to read or change (DamagedCircleError naming the command that leaves it when this node cannot read it). */
async function readable (circles: CircleClient, name: string, options: CommonOptions): Promise<CircleSummary> {
  return await circles.get(name, command(options, 'circle', 'leave', name))
}

/** The circles of the command's daemon. */
async function circlesOf (options: CommonOptions): Promise<CircleClient> {
  return new CircleClient(await clientOf(options))
}

/** Refuses a local name this node uses already, before anything changes. */
async function refuseTaken (circles: CircleClient, name: string): Promise<void> {
  if ((await circles.list()).some((c) => c.name === name)) {
    throw new UsageError(`you have a circle named ${JSON.stringify(displayLine(name))} already: choose another name${name === '' ? '' : ' (--name for a join)'}`)
  }
}

/** The circle's warnings as notes (stderr), before its result. */
function noteWarnings (out: Output, summary: CircleSummary, members: CircleMember[] = []): void {
  for (const line of warningLines(summary, undefined, byKey(members))) out.note(line)
}

function parseMinRing (value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < MIN_CIRCLE_RING || n > MAX_RING_SIZE) {
    throw new InvalidArgumentError(`expected an integer between ${MIN_CIRCLE_RING} and ${MAX_RING_SIZE}`)
  }
  return n
}

function parseDays (value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_INVITE_DAYS) {
    throw new InvalidArgumentError(`expected whole days between 1 and ${MAX_INVITE_DAYS}`)
  }
  return n
}
