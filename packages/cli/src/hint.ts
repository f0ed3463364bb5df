/**
 * The `murmur` commands the CLI suggests to the user, written so that they can be pasted into a shell
 * as they are: with the `--data-dir` in use, quoted for the shell.
 */
import { resolveDataDir } from './paths.js'

/**
 * A `murmur` command line for a hint: `murmur <args>`, with `--data-dir <dataDir>` unless `dataDir` is
 * the default one (what `murmur` finds without the option and without `MURMUR_DATA_DIR`). Run through
 * the repository's `npm run murmur` or `npm start` (no `murmur` on the PATH then), it says
 * `npm run murmur -- <args>`.
 *
 * @example
 * ```ts
 * murmurCommand(['daemon'], '/tmp/my node') // "murmur daemon --data-dir '/tmp/my node'"
 * murmurCommand(['daemon'], resolveDataDir(undefined, {})) // 'murmur daemon'
 * ```
 */
export function murmurCommand (args: string[], dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const byDefault = resolveDataDir(undefined, { ...env, MURMUR_DATA_DIR: undefined })
  const fromRepository = env.npm_package_name === 'murmur' && ['murmur', 'start'].includes(env.npm_lifecycle_event ?? '')
  const words = [...(fromRepository ? ['npm', 'run', 'murmur', '--'] : ['murmur']), ...args, ...(dataDir === byDefault ? [] : ['--data-dir', dataDir])]
  return words.map(shellWord).join(' ')
}

/**
 * A word as a POSIX shell reads it back: as it is when it holds nothing special, else in single quotes.
 *
 * @example
 * ```ts
 * `run \`chmod 700 ${shellWord(dataDir)}\`` // "run `chmod 700 '/tmp/my node'`"
 * ```
 */
export function shellWord (word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`
}
