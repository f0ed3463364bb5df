/**
 * Circles in words on the page: what a member should know before posting (the node's roster warnings,
 * docs/ANONYMITY.md "Circles"), a circle in one line, and how a circle post was signed. Everything here is
 * text for textContent; a name that came from the network (a member's, a circle's suggested by an invite)
 * goes through @murmur/protocol's displayLine.
 */
import { displayLine } from '@murmur/protocol'
import { aboutSeconds } from './membership.js'
import type { CircleSummary, CircleWarning } from '@murmur/node'

/** Prefix of a circle in the channel selector and in `?channel=`: `circle:NAME`, as the CLI names it. */
export const CIRCLE_PREFIX = 'circle:'

/** Hex digits of a member's ring key shown beside it (as the CLI shows them). */
const KEY_DIGITS = 12

/** The warnings that stop a member from posting (the others are advice). */
const BLOCKING: ReadonlySet<CircleWarning['code']> = new Set(['SELF_NEWCOMER', 'RING_BELOW_MINIMUM'])

/**
 * A circle's name as the selector shows it (`circle:friends`).
 *
 * @example
 * ```ts
 * circleLabel('friends') // 'circle:friends'
 * ```
 */
export function circleLabel (name: string): string {
  return `${CIRCLE_PREFIX}${displayLine(name)}`
}

/**
 * One warning of a circle, said to the member about to post; `now` in unix seconds.
 *
 * @example
 * ```ts
 * warningText({ code: 'RING_BELOW_MINIMUM', ring: 1, minRing: 5 }, now)
 * // 'you cannot post yet: a post would hide among 1 member, below this circle's minimum of 5 (…)'
 * ```
 */
export function warningText (warning: CircleWarning, now: number): string {
  switch (warning.code) {
    case 'RING_BELOW_MINIMUM':
      return `you cannot post yet: a post would hide among ${count(warning.ring, 'member')}, below this circle's minimum of ${warning.minRing} ` +
        '(members count a day after they join; invite more people you trust)'
    case 'SELF_NEWCOMER':
      return `you joined less than a day ago: read now, post from ${new Date(warning.until * 1000).toLocaleString()} ` +
        `(in ${aboutSeconds(Math.max(0, warning.until - now))}); until then a post would name you`
    case 'NEWCOMERS_WAITING':
      return `${count(warning.count, 'newcomer')} in nobody's ring yet, until ${new Date(warning.until * 1000).toLocaleString()}: ` +
        'if you do not know them, ask the owner to remove them before then'
    case 'ONE_INVITER':
      return `${warning.invited} of the ${warning.of} other members your posts hide among were invited by one member (${inviter(warning.inviter)}): ` +
        'if those are not real people, your posts hide among fewer than it seems'
    case 'FAST_GROWTH':
      return `one member (${inviter(warning.inviter)}) brought in ${count(warning.joins, 'member')} within ${Math.round(warning.window / 86_400)} days: ` +
        'fakes would shrink what your posts hide among'
  }
}

/**
 * What the composer says of a circle before anything is typed: why it cannot be posted in (the blocking
 * warning first), then the advice; empty when there is nothing to say.
 *
 * @example
 * ```ts
 * circleNotice(summary, now) // ['you joined less than a day ago: read now, post from …']
 * ```
 */
export function circleNotice (summary: CircleSummary, now: number): string[] {
  if (summary.removed === true) {
    return ['the owner removed you from this circle: you keep what you read, and read nothing posted from now on']
  }
  const blocking = summary.warnings.filter((w) => BLOCKING.has(w.code))
  const advice = summary.warnings.filter((w) => !BLOCKING.has(w.code))
  // a newcomer's own wait says when it may post; the ring's size says only that it may not
  const first = blocking.find((w) => w.code === 'SELF_NEWCOMER') ?? blocking[0]
  return [
    ...(summary.canPost ? [] : [first === undefined ? 'you cannot post in this circle now' : warningText(first, now)]),
    ...advice.map((w) => warningText(w, now))
  ]
}

/**
 * A circle in one line: members, minimum ring, owner, key generation, whether a post can be made now.
 *
 * @example
 * ```ts
 * circleSummaryText(summary) // 'circle:friends · 3 members · min ring 2 · owner · can post'
 * ```
 */
export function circleSummaryText (summary: CircleSummary): string {
  return [
    circleLabel(summary.name),
    count(summary.members, 'member'),
    `min ring ${summary.minRing}`,
    ...(summary.owner ? ['owner'] : []),
    ...(summary.generation > 0 ? [`key ${summary.generation + 1}`] : []),
    summary.removed === true ? 'removed' : summary.canPost ? 'can post' : 'cannot post yet'
  ].join(' · ')
}

/**
 * How a circle post was signed, for the line under the composer.
 *
 * @example
 * ```ts
 * circleSignedText(4, 'friends') // 'ring-signed among 4 members of circle:friends: none of them can tell which member you are'
 * ```
 */
export function circleSignedText (ring: number | undefined, circle: string): string {
  return `ring-signed among ${count(ring ?? 0, 'member')} of ${circleLabel(circle)}: none of them can tell which member you are`
}

function inviter (key: string): string {
  return key === 'unattributed' ? 'joins that name no invite' : displayLine(key).slice(0, KEY_DIGITS)
}

function count (n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
