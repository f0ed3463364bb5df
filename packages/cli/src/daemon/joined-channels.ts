/**
 * The channels a daemon joined or left at run time (`murmur join`, `/join`), kept in
 * `<dataDir>/channels.json` (mode 0600) so that a restart joins them again.
 */
import { join } from 'node:path'
import { validateChannel } from '@murmur/protocol'
import { DataDirError } from '../errors.js'
import { readPrivateFile, writePrivateFile } from '../files.js'

/** The file of the joined channels in a data dir. */
export function joinedChannelsPath (dataDir: string): string {
  return join(dataDir, 'channels.json')
}

/**
 * The channels kept in `dataDir` (none when the file is missing; names that are not channels are skipped).
 *
 * @example
 * ```ts
 * const channels = [...new Set([...fromCommandLine, ...await readJoinedChannels(dataDir)])]
 * ```
 */
export async function readJoinedChannels (dataDir: string): Promise<string[]> {
  const path = joinedChannelsPath(dataDir)
  const text = await readPrivateFile(path, (problem, fix) => new DataDirError(`${path} ${problem}; ${fix}`))
  if (text === undefined) return []
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return []
  }
  const channels = (parsed as { channels?: unknown }).channels
  return Array.isArray(channels) ? channels.filter((c): c is string => typeof c === 'string' && isChannel(c)) : []
}

/**
 * Keeps `channels` as the ones to join at the next start.
 *
 * @example
 * ```ts
 * await saveJoinedChannels(dataDir, node.channels())
 * ```
 */
export async function saveJoinedChannels (dataDir: string, channels: readonly string[]): Promise<void> {
  await writePrivateFile(joinedChannelsPath(dataDir), `${JSON.stringify({ channels })}\n`)
}

function isChannel (name: string): boolean {
  try {
    validateChannel(name)
    return true
  } catch {
    return false
  }
}
