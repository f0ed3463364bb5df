/**
 * The help of the CLI's lifetime choice (`--for`, the chat's `/for`). The rule itself (the three
 * lifetimes, parsing, the time left) is @murmur/protocol's, one for every UI and the node.
 */
import { DEFAULT_LIFETIME, LIFETIME_NAMES, LIFETIME_REASON, lifetimeWords } from '@murmur/protocol'

/**
 * The help of a `--for` option or `/for` command: the three lifetimes, the default and why there are no others.
 *
 * @example
 * ```ts
 * command.option('--for <lifetime>', lifetimeHelp(), parseLifetime)
 * ```
 */
export function lifetimeHelp (): string {
  return `how long the post lives: ${LIFETIME_NAMES.map((name) => `${name} (${lifetimeWords(name)})`).join(', ')}; default ${DEFAULT_LIFETIME}. Every node deletes it then. ${LIFETIME_REASON[0]?.toUpperCase() ?? ''}${LIFETIME_REASON.slice(1)}`
}
