/**
 * How a circle is named wherever a channel is accepted (the commands, the chat, the control API):
 * `circle:NAME`, NAME being the circle's local name on this node. A public channel name never starts
 * with `circle:` unless it is a circle's wire channel (`circle:` and 32 hex digits), which no one types:
 * so `circle:` always means "one of my circles", and a channel name can never be taken for one.
 */

/** What every circle target starts with (`murmur post circle:friends …`). */
export const CIRCLE_PREFIX = 'circle:'

/**
 * The local circle name a typed channel argument names (`circle:NAME`, the prefix in any case), or
 * undefined when it names a public channel. The name is as typed, trimmed; '' when only the prefix was
 * typed (the caller says what is missing).
 *
 * @example
 * ```ts
 * circleNameOf('circle:friends') // 'friends'
 * circleNameOf('lobby')          // undefined
 * ```
 */
export function circleNameOf (typed: string): string | undefined {
  const trimmed = typed.trim()
  return trimmed.slice(0, CIRCLE_PREFIX.length).toLowerCase() === CIRCLE_PREFIX
    ? trimmed.slice(CIRCLE_PREFIX.length).trim()
    : undefined
}

/**
 * The target spelling of a local circle name: what `circleNameOf` reads back.
 *
 * @example
 * ```ts
 * circleTarget('friends') // 'circle:friends'
 * ```
 */
export function circleTarget (name: string): string {
  return `${CIRCLE_PREFIX}${name}`
}
