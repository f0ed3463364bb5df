/**
 * The reader's mutes and filters (`@murmur/node`'s LocalFilters), kept in `<dataDir>/filters.json`
 * (mode 0600, sealed under the data dir's at-rest key, written whole and atomically): read by `murmur feed`, `thread`, `watch` and the chat at
 * each use, so a change shows at once and survives every restart. Local only: nothing of it is sent.
 */
import { join } from 'node:path'
import { BadFiltersError, emptyFilters, parseFilters } from '@murmur/node/filters'
import { DataDirError } from './errors.js'
import { readSealedPrivateFile, writeSealedPrivateFile } from './files.js'
import type { LocalFilters } from '@murmur/node'

/**
 * The filter file of a data dir.
 *
 * @example
 * ```ts
 * filtersPath('/home/me/.murmur') // '/home/me/.murmur/filters.json'
 * ```
 */
export function filtersPath (dataDir: string): string {
  return join(dataDir, FILTERS_FILE)
}

/** The filter file's name in a data dir. */
export const FILTERS_FILE = 'filters.json'

/**
 * The filters kept in `dataDir` (none when the file is missing). Throws DataDirError when the file is
 * readable by others, BadFiltersError (ERR_BAD_FILTERS) when it is not filters: a damaged file is
 * said, never taken for "no filters" (that would show what the reader chose to hide).
 *
 * @example
 * ```ts
 * const shown = applyFilters(posts, await readFilters(dataDir))
 * ```
 */
export async function readFilters (dataDir: string): Promise<LocalFilters> {
  const path = filtersPath(dataDir)
  const text = await readSealedPrivateFile(dataDir, FILTERS_FILE, (problem, fix) => new DataDirError(`${path} ${problem}; ${fix}`))
  if (text === undefined) return emptyFilters()
  try {
    return parseFilters(JSON.parse(text))
  } catch (err) {
    throw new BadFiltersError(`${path} holds no filters murmur can read (${(err as Error).message}): fix it, or start over with \`murmur filter clear\``, { cause: err })
  }
}

/**
 * Changes the filters of `dataDir`: `change` gets the current ones and returns the new ones, written
 * whole (an atomic replace, 0600). Changes of one process are made in turn.
 *
 * @example
 * ```ts
 * await updateFilters(dataDir, (f) => ({ ...f, words: [...f.words, 'spoiler'] }))
 * ```
 */
export async function updateFilters (dataDir: string, change: (filters: LocalFilters) => LocalFilters): Promise<LocalFilters> {
  const path = filtersPath(dataDir)
  const turn = (turns.get(path) ?? Promise.resolve()).then(async () => {
    // checked as a file read is: what is written can be read back
    const next = parseFilters(change(await readFilters(dataDir)))
    await writeSealedPrivateFile(dataDir, FILTERS_FILE, `${JSON.stringify(next, null, 2)}\n`)
    return next
  })
  const settled = turn.then(() => {}, () => {})
  turns.set(path, settled)
  void settled.then(() => {
    if (turns.get(path) === settled) turns.delete(path)
  })
  return await turn
}

/** The last change queued per file. */
const turns = new Map<string, Promise<void>>()
