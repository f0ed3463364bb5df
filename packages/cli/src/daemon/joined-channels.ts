/**
 * The channels a daemon joined or left at run time (`murmur join`, `/join`), kept in
 * `<dataDir>/channels.json` (mode 0600, sealed under the data dir's at-rest key: a `geo:` channel names a
 * place) so that a restart joins them again.
 */
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { parseChannel } from '../commands/options.js'
import { JOINED_CHANNELS_FILE } from '../constants.js'
import { DataDirError } from '../errors.js'
import { readSealedPrivateFile, writeSealedPrivateFile } from '../files.js'

const log = logger('murmur:cli:channels')

/** The file of the joined channels in a data dir. */
export function joinedChannelsPath (dataDir: string): string {
  return join(dataDir, JOINED_CHANNELS_FILE)
}

/** Whether `name` is a channel as the CLI writes it (folded: NFKC, `#names` in lower case). */
function isFoldedChannel (name: unknown): name is string {
  if (typeof name !== 'string') return false
  try {
    return parseChannel(name) === name
  } catch {
    return false
  }
}

/**
 * The channels kept in `dataDir`, each once (none when the file is missing or is no `{ "channels": [...] }`).
 * A name the CLI's own folding would not have written (`#Bad`, a look-alike of `#bad`; `lobby`; no
 * channel at all) is skipped with a log line, never joined.
 *
 * @example
 * ```ts
 * const channels = [...new Set([...fromCommandLine, ...await readJoinedChannels(dataDir)])]
 * ```
 */
export async function readJoinedChannels (dataDir: string): Promise<string[]> {
  const path = joinedChannelsPath(dataDir)
  const text = await readSealedPrivateFile(dataDir, JOINED_CHANNELS_FILE, (problem, fix) => new DataDirError(`${path} ${problem}; ${fix}`))
  if (text === undefined) return []
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    log('%s is not JSON: no channels kept from it', path)
    return []
  }
  const channels = typeof parsed === 'object' && parsed !== null ? (parsed as { channels?: unknown }).channels : undefined
  if (!Array.isArray(channels)) {
    log('%s holds no list of channels: none kept from it', path)
    return []
  }
  const kept = new Set<string>()
  for (const name of channels as unknown[]) {
    if (isFoldedChannel(name)) kept.add(name)
    else log('%s: skipped %s, not a channel name as murmur writes it', path, JSON.stringify(name).slice(0, 80))
  }
  return [...kept]
}

/** The last write queued per file: writes of one file run in the order they were asked for. */
const writes = new Map<string, Promise<void>>()

/**
 * Keeps `channels` as the ones to join at the next start. Calls are written in their order (of two
 * joins at once, the later list is the one kept).
 *
 * @example
 * ```ts
 * await saveJoinedChannels(dataDir, node.channels())
 * ```
 */
export async function saveJoinedChannels (dataDir: string, channels: readonly string[]): Promise<void> {
  const path = joinedChannelsPath(dataDir)
  const text = `${JSON.stringify({ channels })}\n`
  const write = (writes.get(path) ?? Promise.resolve()).then(async () => { await writeSealedPrivateFile(dataDir, JOINED_CHANNELS_FILE, text) })
  const settled = write.then(() => {}, () => {})
  writes.set(path, settled)
  void settled.then(() => {
    if (writes.get(path) === settled) writes.delete(path)
  })
  await write
}
