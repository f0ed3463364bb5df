/**
 * Where the `murmur` command keeps its files.
 */
import { homedir, tmpdir } from 'node:os'
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
 * The per-user directory of running Murmur processes: `$XDG_RUNTIME_DIR/murmur`, else
 * `<tmpdir>/murmur-<uid>`.
 *
 * @example
 * ```ts
 * runtimeDir({ XDG_RUNTIME_DIR: '/run/user/1000' }) // '/run/user/1000/murmur'
 * ```
 */
export function runtimeDir (env: NodeJS.ProcessEnv = process.env): string {
  const runtime = nonEmpty(env.XDG_RUNTIME_DIR)
  if (runtime !== undefined) {
    return resolve(runtime, 'murmur')
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user'
  return resolve(tmpdir(), `murmur-${uid}`)
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
