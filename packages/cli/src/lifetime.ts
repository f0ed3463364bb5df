/**
 * How long a post lives: the three lifetimes a user may pick (an hour, a day, a week) and the time a
 * post has left. Only these three are offered, in every UI and by the control API: every node that
 * holds a post reads its ttl, so a lifetime of the author's own (say 5,400 s) would mark each of their
 * posts as theirs, across threads and pseudonyms; three values that everyone uses mark nobody.
 */
import { LifetimeError } from './errors.js'

/** The lifetimes a post may be given, in seconds, by the name every UI shows. */
export const LIFETIMES = { '1h': 3_600, '1d': 86_400, '1w': 604_800 } as const

/** A lifetime's name: `1h`, `1d` or `1w`. */
export type Lifetime = keyof typeof LIFETIMES

/** The names, shortest first. */
export const LIFETIME_NAMES = Object.keys(LIFETIMES) as Lifetime[]

/** A post's lifetime when none is picked: a day, the node's own default (the protocol's DEFAULT_TTL). */
export const DEFAULT_LIFETIME: Lifetime = '1d'

/** Why only three lifetimes are offered, for help texts. */
export const LIFETIME_REASON = 'only these three are offered: every node holding a post reads its lifetime, so one of your own choosing would link your posts to each other'

/** The lifetime names in words, for help and notices. */
const WORDS: Record<Lifetime, string> = { '1h': 'an hour', '1d': 'a day', '1w': 'a week' }

/**
 * The seconds of a lifetime typed by the user: `1h`, `1d` or `1w` (case and spaces ignored); anything
 * else is refused with LifetimeError (`ERR_BAD_LIFETIME`) saying why.
 *
 * @example
 * ```ts
 * parseLifetime('1h') // 3600
 * parseLifetime('2h') // throws LifetimeError
 * ```
 */
export function parseLifetime (value: string): number {
  const name = value.trim().toLowerCase()
  if (isLifetime(name)) return LIFETIMES[name]
  throw new LifetimeError(`bad lifetime ${JSON.stringify(value)}: expected ${LIFETIME_NAMES.join(', ')} (${LIFETIME_REASON})`)
}

/**
 * The ttl field of a control API request: left out (the default, a day) or one of the three lifetimes
 * in seconds; LifetimeError (`ERR_BAD_LIFETIME`) for anything else.
 *
 * @example
 * ```ts
 * checkTtl(3600)      // 3600
 * checkTtl(undefined) // undefined
 * checkTtl(5400)      // throws LifetimeError
 * ```
 */
export function checkTtl (ttl: unknown): number | undefined {
  if (ttl === undefined || (typeof ttl === 'number' && lifetimeOf(ttl) !== undefined)) return ttl
  throw new LifetimeError(`field "ttl" must be ${Object.values(LIFETIMES).join(', ')} (seconds: an hour, a day, a week) or left out (a day), got ${JSON.stringify(ttl) ?? String(ttl)}: ${LIFETIME_REASON}`)
}

/**
 * The name of a lifetime in seconds, undefined when it is none of the three.
 *
 * @example
 * ```ts
 * lifetimeOf(86_400) // '1d'
 * ```
 */
export function lifetimeOf (seconds: number): Lifetime | undefined {
  return LIFETIME_NAMES.find((name) => LIFETIMES[name] === seconds)
}

/**
 * A lifetime in words: `an hour`, `a day`, `a week`.
 *
 * @example
 * ```ts
 * lifetimeWords('1w') // 'a week'
 * ```
 */
export function lifetimeWords (name: Lifetime): string {
  return WORDS[name]
}

/**
 * The help of a `--for` option or `/for` command: the three lifetimes, the default and why there are no others.
 *
 * @example
 * ```ts
 * command.option('--for <lifetime>', lifetimeHelp(), parseLifetime)
 * ```
 */
export function lifetimeHelp (): string {
  return `how long the post lives: ${LIFETIME_NAMES.map((name) => `${name} (${WORDS[name]})`).join(', ')}; default ${DEFAULT_LIFETIME}. Every node deletes it then. ${LIFETIME_REASON[0]?.toUpperCase() ?? ''}${LIFETIME_REASON.slice(1)}`
}

/**
 * What a view shows of the time a post has left until every node deletes it: `2d left`, `5h left`,
 * `12m left`, `<1m left`, or `expired`; whole units, rounded down.
 *
 * @example
 * ```ts
 * timeLeft(1_700_018_000, 1_700_000_000) // '5h left'
 * ```
 */
export function timeLeft (expires: number, now = Math.floor(Date.now() / 1000)): string {
  const seconds = expires - now
  if (seconds <= 0) return 'expired'
  if (seconds >= 86_400) return `${Math.floor(seconds / 86_400)}d left`
  if (seconds >= 3_600) return `${Math.floor(seconds / 3_600)}h left`
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m left`
  return '<1m left'
}

function isLifetime (name: string): name is Lifetime {
  return Object.hasOwn(LIFETIMES, name)
}

