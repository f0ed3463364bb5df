/**
 * Checks of what callers pass in: channel names, post ids, and protocol errors turned into ours.
 */
import { ProtocolError, channelTopic, fromHex } from '@murmur/protocol'
import { InvalidChannelError, InvalidIdError, PostValidationError } from './errors.js'

/** The topic of a channel; throws InvalidChannelError for a bad name. */
export function topicOf (channel: string): string {
  try {
    return channelTopic(channel)
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
