/**
 * Ephemeral posts: the lifetimes a post may be given (1 hour, 1 day, 1 week, the CLI's `--for 1h|1d|1w`)
 * and the time a post has left. Only these three are offered: a lifetime picked freely would be a mark
 * that links an author's posts (the ttl travels in every post).
 */
import { MAX_TTL } from '@murmur/protocol'

/** One lifetime a post may be given. */
export interface Lifetime {
  /** What the composer says. */
  label: string
  /** The post's ttl, in seconds. */
  ttl: number
}

/** The lifetimes offered, shortest first. */
export const LIFETIMES: readonly Lifetime[] = [
  { label: '1 hour', ttl: 3600 },
  { label: '1 day', ttl: 86_400 },
  { label: '1 week', ttl: MAX_TTL }
]

/** The lifetime chosen when the user chooses none: a day, the node's default ttl. */
export const DEFAULT_LIFETIME = 86_400

/**
 * The lifetime of a choice's value (its ttl as text), or the default for anything else.
 *
 * @example
 * ```ts
 * lifetimeOf('3600') // 3600
 * lifetimeOf('42')   // 86400
 * ```
 */
export function lifetimeOf (value: string): number {
  return LIFETIMES.find((l) => String(l.ttl) === value)?.ttl ?? DEFAULT_LIFETIME
}

/**
 * What a post has left before every node deletes it, as the CLI shows it (`@murmur/cli`'s timeLeft):
 * `2d left`, `5h left`, `12m left`, `<1m left`, or `expired`; whole units, rounded down.
 *
 * @example
 * ```ts
 * timeLeft(now + 5 * 3600 + 59, now) // '5h left'
 * ```
 */
export function timeLeft (expires: number, now: number): string {
  const seconds = expires - now
  if (seconds <= 0) return 'expired'
  if (seconds >= 86_400) return `${Math.floor(seconds / 86_400)}d left`
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}h left`
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m left`
  return '<1m left'
}
