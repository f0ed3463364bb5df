/**
 * Post ids as people type them: a whole id (64 hex characters) or a unique prefix of one, at least
 * MIN_ID_PREFIX characters, the way the chat and every command that takes a post id read them. One
 * rule for the chat (which looks among the posts it showed) and the daemon (among those it holds).
 */
import { EXIT, MIN_ID_PREFIX } from './constants.js'
import { AmbiguousIdError, UnknownPostError, UsageError } from './errors.js'

/** Length of a post id in hex characters. */
const ID_HEX = 64
/** Fewest characters a listed candidate is shown with (what the chat and feed show of an id). */
const SHORT = 8
/** Candidates an ambiguity names; the rest are counted. */
const LISTED = 5

/**
 * A post id or id prefix as typed, lower-cased: 4 to 64 hex characters, else a UsageError saying why.
 *
 * @example
 * ```ts
 * parsePostRef('9A9E') // '9a9e'
 * parsePostRef('9a9') // throws UsageError: at least 4 hex characters
 * ```
 */
export function parsePostRef (value: string): string {
  const shown = JSON.stringify([...value].length > 70 ? `${[...value].slice(0, 69).join('')}…` : value)
  if (!/^[0-9a-f]+$/i.test(value) || value.length > ID_HEX) {
    throw new UsageError(`bad post id ${shown}: expected a post id (${ID_HEX} hex characters, as printed by \`murmur feed\`) or its first ${MIN_ID_PREFIX} or more`)
  }
  if (value.length < MIN_ID_PREFIX) {
    throw new UsageError(`post id prefix ${shown} is too short: give at least ${MIN_ID_PREFIX} hex characters of the id`)
  }
  return value.toLowerCase()
}

/**
 * The help of a command's post id argument, naming `what` it is the id of.
 *
 * @example
 * ```ts
 * command.argument('<post-id>', postIdHelp('the thread\'s post'))
 * ```
 */
export function postIdHelp (what: string): string {
  return `id of ${what} (${ID_HEX} hex characters), or its first ${MIN_ID_PREFIX} or more when no other post starts the same (else exit code ${EXIT.AMBIGUOUS_ID}, naming those that do)`
}

/**
 * Whether `ref` (from {@link parsePostRef}) is a whole id rather than a prefix.
 *
 * @example
 * ```ts
 * isWholeId('9a9e') // false
 * ```
 */
export function isWholeId (ref: string): boolean {
  return ref.length === ID_HEX
}

/**
 * The ids among `ids` that start with `prefix`, each once, in order.
 *
 * @example
 * ```ts
 * idsWithPrefix('9a9e', ['9a9e01…', '77f0…']) // ['9a9e01…']
 * ```
 */
export function idsWithPrefix (prefix: string, ids: Iterable<string>): string[] {
  const found = new Set<string>()
  for (const id of ids) if (id.startsWith(prefix)) found.add(id)
  return [...found]
}

/**
 * The one post `ref` names among `matches` (the known ids it is a prefix of): UnknownPostError when
 * none, AmbiguousIdError listing the candidates when more than one.
 *
 * @example
 * ```ts
 * pickPostId('9a9e', ['9a9e01…']) // '9a9e01…'
 * ```
 */
export function pickPostId (ref: string, matches: string[], where = 'in this node\'s store'): string {
  const [only, ...others] = matches
  if (only !== undefined && others.length === 0) return only
  if (only === undefined) {
    throw new UnknownPostError(`no post ${isWholeId(ref) ? ref : `id starting with ${ref}`} ${where} (never received, expired, or hidden by votes)`)
  }
  const listed = distinctPrefixes(matches).slice(0, LISTED).join(', ')
  const more = matches.length > LISTED ? ` and ${matches.length - LISTED} more` : ''
  throw new AmbiguousIdError(`post id prefix ${ref} is ambiguous: ${listed}${more} start with it; give more of the id`, matches)
}

/**
 * Each id cut to the shortest prefix (at least 8 characters) that no other id of `ids` starts with.
 *
 * @example
 * ```ts
 * distinctPrefixes(['9a9e01aa…', '9a9e01ab…']) // ['9a9e01aa', '9a9e01ab']
 * ```
 */
export function distinctPrefixes (ids: string[]): string[] {
  return ids.map((id) => {
    let length = SHORT
    for (const other of ids) {
      if (other === id) continue
      let common = 0
      while (common < id.length && id[common] === other[common]) common++
      length = Math.max(length, common + 1)
    }
    return id.slice(0, length)
  })
}
