/**
 * Circles as the CLI and the chat show them to people: a circle's summary, its members, what a member
 * should know before posting (docs/ANONYMITY.md, Circles), and an invite's bootstrap hints. Text from
 * the network (member names, hints) goes through displayLine.
 */
import { displayLine } from '@murmur/protocol'
import { shellWord } from './hint.js'
import { aboutSeconds } from './membership.js'
import { utcTime } from './text.js'
import type { CircleMember, CirclePostView, CircleSummary, CircleWarning, PostView } from './api-types.js'

/**
 * The note on a member's own circle post lost in a fork (`state: 'forked'`, docs/PROTOCOL.md §6.7), with
 * the command that posts it again (`again`: the chat's, by default the CLI's); undefined for any other post.
 *
 * @example
 * ```ts
 * forkedNote(post) // 'not delivered: the circle changed its key while this was sent; post it again: murmur circle repost friends 3f9ac1d2…'
 * ```
 */
export function forkedNote (post: PostView | CirclePostView, again?: string): string | undefined {
  if (!('state' in post) || post.state !== 'forked') return undefined
  return `not delivered: the circle changed its key while this was sent; post it again: ${again ?? `murmur circle repost ${shownName(post.circle)} ${post.id}`}`
}

/** Hex digits of a ring key shown for a member (enough to tell members apart, and to `circle remove` by prefix). */
export const MEMBER_KEY_DIGITS = 12

/** Whose invite a warning names: the member's name and key prefix when it is known, else the key prefix. */
type Names = ReadonlyMap<string, CircleMember>

/**
 * One line for a warning of a circle (the protocol's rosterWarnings), saying what it means for the
 * member about to post. `members`: the roster, to name an inviter by the name it joined with.
 *
 * @example
 * ```ts
 * warningLine({ code: 'RING_BELOW_MINIMUM', ring: 1, minRing: 5 }, now)
 * // 'you cannot post yet: a post would hide among 1 member, below this circle's minimum of 5 …'
 * ```
 */
export function warningLine (warning: CircleWarning, now = Math.floor(Date.now() / 1000), members: Names = new Map()): string {
  switch (warning.code) {
    case 'RING_BELOW_MINIMUM':
      return `you cannot post yet: a post would hide among ${count(warning.ring, 'member')}, below this circle's minimum of ${warning.minRing} ` +
        '(members count a day after they join; invite more people you trust)'
    case 'SELF_NEWCOMER':
      return `you joined less than a day ago: read now, post from ${utcTime(warning.until)} (${within(warning.until, now)}); until then a post would name you`
    case 'NEWCOMERS_WAITING':
      return `${count(warning.count, 'newcomer')} not in anyone's ring yet, until ${utcTime(warning.until)}: if you do not know them, ask the owner to remove them before then`
    case 'ONE_INVITER':
      return `${warning.invited} of the ${warning.of} other members your posts hide among were invited by ${inviterName(warning.inviter, members)}: ` +
        'if those are not real people, your posts hide among fewer than it seems'
    case 'FAST_GROWTH':
      return `${inviterName(warning.inviter, members)} brought in ${count(warning.joins, 'member')} within ${Math.round(warning.window / 86_400)} days: ` +
        'fakes would shrink what your posts hide among'
  }
}

/** The warnings that stop a member from posting (the others are advice). */
const BLOCKING: ReadonlySet<CircleWarning['code']> = new Set(['SELF_NEWCOMER', 'RING_BELOW_MINIMUM'])

/**
 * The warnings of a circle, one line each, `circle:NAME: ` before each; `advice`: only those that do not
 * stop posts (shown beside {@link cannotPostLine}).
 *
 * @example
 * ```ts
 * for (const line of warningLines(summary)) out.note(line)
 * ```
 */
export function warningLines (summary: CircleSummary, now = Math.floor(Date.now() / 1000), members: Names = new Map(), advice = false): string[] {
  return summary.warnings
    .filter((warning) => !advice || !BLOCKING.has(warning.code))
    .map((warning) => `circle:${shownName(summary.name)}: ${warningLine(warning, now, members)}`)
}

/**
 * Why a circle cannot be posted in now (the warning that blocks posts), or undefined when it can.
 *
 * @example
 * ```ts
 * cannotPostLine(summary) // 'circle:friends: you cannot post yet: a post would hide among 1 member, …'
 * ```
 */
export function cannotPostLine (summary: CircleSummary, now = Math.floor(Date.now() / 1000)): string | undefined {
  if (summary.canPost) return undefined
  if (summary.damaged === true) return damagedLine(summary)
  // a newcomer's own wait says when it may post; the ring's size says only that it may not
  const blocking = summary.warnings.find((w) => w.code === 'SELF_NEWCOMER') ?? summary.warnings.find((w) => BLOCKING.has(w.code))
  return `circle:${shownName(summary.name)}: ${blocking === undefined ? 'you cannot post in it now (you may have been removed from it)' : warningLine(blocking, now)}`
}

/**
 * What a member can do about a circle whose record this node cannot read (`damaged`; the daemon logs
 * ERR_CIRCLE_DAMAGED): it reads and posts nothing there, and only leaving and joining again mends that.
 * `leave`: the command that leaves it, as the user would type it.
 *
 * @example
 * ```ts
 * damagedLine({ name: 'friends', owner: false })
 * // 'circle:friends: this node cannot read its record of this circle (its keys), so it reads and posts nothing there: leave it (murmur circle leave friends) and ask a member for a new invite'
 * ```
 */
export function damagedLine (summary: Pick<CircleSummary, 'name' | 'owner'>, leave = `murmur circle leave ${shellWord(summary.name)}`): string {
  return `circle:${shownName(summary.name)}: this node cannot read its record of this circle (its keys), so it reads and posts nothing there: ` +
    (summary.owner
      ? `leave it (${displayLine(leave)}), create a new circle and invite its members again (nobody can remove members of this one now)`
      : `leave it (${displayLine(leave)}) and ask a member for a new invite`)
}

/**
 * A circle as `murmur circle list` and the chat's `/list` show it: its summary line, then, indented, each
 * of its warnings, or what to do about it when this node cannot read it ({@link damagedLine}, `leave` its
 * command).
 *
 * @example
 * ```ts
 * out.result({ circles }, () => circles.flatMap((c) => circleListLines(c)).join('\n'))
 * ```
 */
export function circleListLines (summary: CircleSummary, leave?: string): string[] {
  const notes = summary.damaged === true ? [damagedLine(summary, leave)] : warningLines(summary)
  return [summaryLine(summary), ...notes.map((line) => `  ${line}`)]
}

/**
 * How a circle post was signed, for people.
 *
 * @example
 * ```ts
 * circleSignedLine(4, 'friends') // 'ring-signed among 4 members of circle:friends: none of them can tell which member you are'
 * ```
 */
export function circleSignedLine (ring: number | undefined, circle: string): string {
  return `ring-signed among ${count(ring ?? 0, 'member')} of circle:${shownName(circle)}: none of them can tell which member you are`
}

/**
 * A circle in one line: name, members, minimum ring, owner, whether a post can be made now.
 *
 * @example
 * ```ts
 * summaryLine(summary) // 'circle:friends  3 members  min ring 2  owner  can post'
 * // a circle whose record this node cannot read: 'circle:friends  owner  DAMAGED: unreadable here'
 * ```
 */
export function summaryLine (summary: CircleSummary): string {
  // nothing of a circle this node cannot read is known but its name and whose it is
  if (summary.damaged === true) return [`circle:${shownName(summary.name)}`, ...(summary.owner ? ['owner'] : []), 'DAMAGED: unreadable here'].join('  ')
  return [
    `circle:${shownName(summary.name)}`,
    count(summary.members, 'member'),
    `min ring ${summary.minRing}`,
    ...(summary.owner ? ['owner'] : []),
    ...(summary.generation > 0 ? [`key ${summary.generation + 1}`] : []),
    summary.canPost ? 'can post' : 'cannot post yet'
  ].join('  ')
}

/**
 * A member in one line: key prefix, name, when it joined, who invited it, whether rings include it yet.
 *
 * @example
 * ```ts
 * memberLine(member, members) // '3f9ac1d2e4b5  ana  joined 2026-11-30 07:40 UTC  invited by you  in rings'
 * ```
 */
export function memberLine (member: CircleMember, members: Names = new Map()): string {
  return [
    member.key.slice(0, MEMBER_KEY_DIGITS),
    member.self ? 'you' : member.name === undefined || member.name === '' ? '(no name)' : displayLine(member.name),
    `joined ${utcTime(member.joinedAt)}`,
    member.inviter === undefined ? 'inviter unknown' : `invited by ${inviterName(member.inviter, members)}`,
    member.eligible ? 'in rings' : 'newcomer: in no ring yet'
  ].join('  ')
}

/**
 * The roster by ring key, for naming inviters.
 *
 * @example
 * ```ts
 * memberLine(m, byKey(members))
 * ```
 */
export function byKey (members: CircleMember[]): Map<string, CircleMember> {
  return new Map(members.map((m) => [m.key, m]))
}

/**
 * What a member should know of an invite's bootstrap hints: they came with the invite, so whoever made
 * it chose them. `dialed`: the hints dialed when the user asked for it (undefined: not asked).
 *
 * @example
 * ```ts
 * hintLines(['/dns4/relay.example/tcp/443/wss/p2p/12D3…'], undefined)
 * ```
 */
export function hintLines (hints: string[], dialed: string[] | undefined): string[] {
  if (hints.length === 0) return []
  return [
    `the invite suggests ${hints.length === 1 ? 'a peer' : `${hints.length} peers`} to connect through (chosen by whoever made the invite):`,
    ...hints.map((hint) => `  ${displayLine(hint)}`),
    dialed === undefined
      ? 'not dialed: this node keeps to its own peers; join with --dial-hint to connect through them too, if you trust the inviter'
      : `connected to ${dialed.length} of them, alongside this node's own peers (never as its only ones)`
  ]
}

/** The circle's name as a terminal may show it (a name from an invite is checked, but a daemon is not the CLI). */
function shownName (name: string): string {
  return displayLine(name)
}

function inviterName (inviter: string, members: Names): string {
  if (inviter === 'unattributed') return 'no known inviter (joins that name no invite)'
  const member = members.get(inviter)
  if (member?.self === true) return 'you'
  const name = member?.name === undefined || member.name === '' ? '' : `${displayLine(member.name)} `
  return `${name}(${inviter.slice(0, MEMBER_KEY_DIGITS)})`
}

function within (until: number, now: number): string {
  return `in ${aboutSeconds(Math.max(0, until - now))}`
}

function count (n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
