/**
 * Checks of what callers pass in: channel names, post ids, and protocol errors turned into ours.
 */
import { ProtocolError, channelName, channelTopic, fromHex, isBlankText } from '@murmur/protocol'
import { InvalidChannelError, InvalidIdError, PostValidationError } from './errors.js'

/**
 * The channel a typed name means, by the protocol's one rule (channelName): `lobby`, `Lobby` and `#LOBBY`
 * are `#lobby`; throws InvalidChannelError for a bad name, quoting what was typed.
 *
 * @example
 * ```ts
 * typedChannel('Lobby') // '#lobby'
 * ```
 */
export function typedChannel (typed: string): string {
  return asChannelError(() => channelName(typed))
}

/** Throws PostValidationError ERR_BAD_FIELD for a body nothing of which would show (isBlankText), as the CLI refuses it. */
export function checkBody (body: string): void {
  if (typeof body !== 'string') throw new PostValidationError('the post body must be a string', 'ERR_BAD_FIELD')
  if (isBlankText(body)) throw new PostValidationError('the post is empty: nothing in it would show', 'ERR_BAD_FIELD')
}

/** The topic of a channel; throws InvalidChannelError for a bad name. */
export function topicOf (channel: string): string {
  return asChannelError(() => channelTopic(channel))
}

/** Runs a protocol channel check, turning what it throws into an InvalidChannelError with the same message. */
function asChannelError<T> (fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw new InvalidChannelError((err as Error).message, { cause: err })
  }
}

/** Parses a 64-hex-char post id. */
export function parseId (id: string): Uint8Array {
  if (typeof id !== 'string' || !/^[0-9a-f]{64}$/i.test(id)) {
    throw new InvalidIdError(`expected a post id of 64 hex characters, got ${JSON.stringify(id)}`)
  }
  return fromHex(id.toLowerCase())
}

/**
 * A post id prefix as an app passes it: 1 to 64 hex characters (any case), lower-cased; InvalidIdError otherwise.
 *
 * @example
 * ```ts
 * parseIdPrefix('9A9E') // '9a9e'
 * ```
 */
export function parseIdPrefix (prefix: string): string {
  if (typeof prefix !== 'string' || !/^[0-9a-f]{1,64}$/i.test(prefix)) {
    throw new InvalidIdError(`expected a post id prefix of 1 to 64 hex characters, got ${JSON.stringify(String(prefix).slice(0, 80))}`)
  }
  return prefix.toLowerCase()
}

/** Runs protocol code, turning a ProtocolError it throws into a PostValidationError with the same code. */
export async function guardProtocolAsync<T> (fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw toPostError(err)
  }
}

function toPostError (err: unknown): unknown {
  if (err instanceof Error && err.name === ProtocolError.name) {
    return new PostValidationError(err.message, (err as ProtocolError).code, { cause: err })
  }
  return err
}
