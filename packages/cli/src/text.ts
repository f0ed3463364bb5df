/**
 * Text for a terminal: names of pseudonyms, ages, short ids and wrapping. Text from the network is
 * made safe by `displayText`/`displayLine` of @murmur/protocol, the rule every Murmur UI and log uses.
 */
import { fromHex, pseudonymName } from '@murmur/protocol'

/**
 * The name shown for a post's pseudonym (hex public key, as in a PostView): 48 bits of the key as
 * three proquints; `anonymous` for a post without one (ring-signed).
 *
 * @example
 * ```ts
 * nameOf(post.pseudonym) // 'lusab-babad-gutih'
 * ```
 */
export function nameOf (pseudonym: string | undefined): string {
  return pseudonym === undefined || !/^[0-9a-f]{64}$/.test(pseudonym) ? 'anonymous' : pseudonymName(fromHex(pseudonym))
}

/**
 * "just now", "5s ago", "3m ago", "2h ago", "4d ago" for a unix time in seconds.
 *
 * @example
 * ```ts
 * age(1_700_000_000, 1_700_000_300) // '5m ago'
 * ```
 */
export function age (created: number, now = Math.floor(Date.now() / 1000)): string {
  const seconds = Math.max(0, now - created)
  if (seconds < 5) return 'just now'
  if (seconds < 60) return `${seconds}s ago`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`
  return `${Math.floor(seconds / 86_400)}d ago`
}

/**
 * The first 8 hex characters of an id, for display next to a full id elsewhere.
 *
 * @example
 * ```ts
 * shortId('3f9ac1d2e4b5...') // '3f9ac1d2'
 * ```
 */
export function shortId (id: string): string {
  return id.slice(0, 8)
}

/**
 * Splits text into lines of at most `width` characters, breaking at spaces where possible.
 *
 * @example
 * ```ts
 * wrap('a b c', 3) // ['a b', 'c']
 * ```
 */
export function wrap (text: string, width: number): string[] {
  const lines: string[] = []
  for (const paragraph of text.split('\n')) {
    let rest = [...paragraph]
    if (rest.length === 0) {
      lines.push('')
    }
    while (rest.length > 0) {
      if (rest.length <= width) {
        lines.push(rest.join(''))
        break
      }
      let cut = rest.lastIndexOf(' ', width)
      if (cut <= 0) {
        cut = width
      }
      lines.push(rest.slice(0, cut).join('').trimEnd())
      rest = rest.slice(cut)
      while (rest[0] === ' ') rest.shift()
    }
  }
  return lines
}
