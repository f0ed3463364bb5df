/**
 * How long a post lives, the one rule of every UI and of a node's own posts: a post or reply lives an
 * hour, a day or a week; a vote lives a day. Every node that holds a post reads its ttl, so a lifetime
 * of the author's own (say 5,400 s) would mark each of their posts as theirs, across threads and
 * pseudonyms; values that everyone uses mark nobody. The wire takes any ttl in MIN_TTL..MAX_TTL
 * (docs/PROTOCOL.md §8): this is a rule of what a node makes, not of what it accepts from others.
 */
import { DEFAULT_TTL } from './constants.js'
import type { PostKind } from './fields.js'

/** The lifetimes a post or reply may be given, in seconds, by the name every UI shows. */
export const LIFETIMES = { '1h': 3_600, '1d': 86_400, '1w': 604_800 } as const

/** A lifetime's name: `1h`, `1d` or `1w`. */
export type Lifetime = keyof typeof LIFETIMES

/** The names, shortest first. */
export const LIFETIME_NAMES = Object.keys(LIFETIMES) as Lifetime[]

/** A post's lifetime when none is picked: a day (DEFAULT_TTL). */
export const DEFAULT_LIFETIME: Lifetime = '1d'

/** The one lifetime of a vote, in seconds: a day, in every UI (one value, so a vote's ttl tells nothing). */
export const VOTE_TTL = DEFAULT_TTL

/** Why only these lifetimes are offered, for messages and help texts. */
export const LIFETIME_REASON = 'only these three are offered: every node holding a post reads its lifetime, so one of your own choosing would link your posts to each other'

/** The lifetime names in words, for help and notices. */
const WORDS: Record<Lifetime, string> = { '1h': 'an hour', '1d': 'a day', '1w': 'a week' }

/** Thrown when a post's lifetime is none of the three (`1h`, `1d`, `1w`; 3600, 86400, 604800 s), or a vote's is not a day. */
export class LifetimeError extends Error {
  static override readonly name = 'LifetimeError'
  override readonly name = 'LifetimeError'
  readonly code = 'ERR_BAD_LIFETIME'

  constructor (message = 'a post lives 1h, 1d or 1w', options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * The seconds of a lifetime typed by a user: `1h`, `1d` or `1w` (case and spaces ignored); anything
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
 * A ttl given for a post, reply or vote of one's own: left out (the builder's default, a day) or one
 * of the lifetimes of its kind in seconds (LIFETIMES for a post or reply, VOTE_TTL for a vote);
 * LifetimeError (`ERR_BAD_LIFETIME`) for anything else, of any type.
 *
 * @example
 * ```ts
 * checkLifetime(3600)              // 3600
 * checkLifetime(undefined)         // undefined
 * checkLifetime(5400)              // throws LifetimeError
 * checkLifetime(3600, 'VOTE')      // throws LifetimeError: a vote lives a day
 * ```
 */
export function checkLifetime (ttl: unknown, kind: PostKind = 'POST'): number | undefined {
  const got = JSON.stringify(ttl) ?? String(ttl)
  if (kind === 'VOTE') {
    if (ttl === undefined || ttl === VOTE_TTL) return ttl
    throw new LifetimeError(`a vote lives a day: ttl must be ${VOTE_TTL} or left out, got ${got} (one lifetime for every vote, so that its ttl tells nothing of who cast it)`)
  }
  if (ttl === undefined || (typeof ttl === 'number' && lifetimeOf(ttl) !== undefined)) return ttl
  throw new LifetimeError(`ttl must be ${Object.values(LIFETIMES).join(', ')} (seconds: an hour, a day, a week) or left out (a day), got ${got}: ${LIFETIME_REASON}`)
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
