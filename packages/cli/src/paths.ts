/**
 * Where the `murmur` command keeps its files.
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/**
 * The data dir: `--data-dir`, else `MURMUR_DATA_DIR`, else `$XDG_DATA_HOME/murmur`, else
 * `~/.local/share/murmur`.
 *
 * @example
 * ```ts
 * resolveDataDir(undefined, { XDG_DATA_HOME: '/home/ada/.data' }) // '/home/ada/.data/murmur'
 * ```
 */
export function resolveDataDir (option?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = nonEmpty(option) ?? nonEmpty(env.MURMUR_DATA_DIR)
  if (chosen !== undefined) {
    return resolve(chosen)
  }
  const dataHome = nonEmpty(env.XDG_DATA_HOME) ?? join(homedir(), '.local', 'share')
  return resolve(dataHome, 'murmur')
}

/**
 * The per-user directory of running Murmur processes: `$XDG_RUNTIME_DIR/murmur`, else `run` in
 * `$XDG_CACHE_HOME/murmur` (`~/.cache/murmur/run`). Never a name in the shared temporary directory:
 * another user could create `/tmp/murmur-<uid>` first and so keep the daemon from starting or turn its
 * local rendezvous off.
 *
 * @example
 * ```ts
 * runtimeDir({ XDG_RUNTIME_DIR: '/run/user/1000' }) // '/run/user/1000/murmur'
 * runtimeDir({ XDG_CACHE_HOME: '/home/ada/.cache' }) // '/home/ada/.cache/murmur/run'
 * ```
 */
export function runtimeDir (env: NodeJS.ProcessEnv = process.env): string {
  const runtime = nonEmpty(env.XDG_RUNTIME_DIR)
  if (runtime !== undefined) {
    return resolve(runtime, 'murmur')
  }
  return resolve(nonEmpty(env.XDG_CACHE_HOME) ?? join(homedir(), '.cache'), 'murmur', 'run')
}

/**
 * The per-user directory where running Murmur processes leave their loopback addresses for each
 * other: `peers` in {@link runtimeDir}.
 *
 * @example
 * ```ts
 * rendezvousDir({ XDG_RUNTIME_DIR: '/run/user/1000' }) // '/run/user/1000/murmur/peers'
 * ```
 */
export function rendezvousDir (env: NodeJS.ProcessEnv = process.env): string {
  return join(runtimeDir(env), 'peers')
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}
