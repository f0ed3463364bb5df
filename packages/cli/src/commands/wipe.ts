/**
 * `murmur wipe`: the panic wipe. Tells the data dir's daemon to stop (one that proves it holds the control
 * API's token: SIGTERM), destroys the at-rest key at once, before waiting for anything (a crypto-erase:
 * what flash storage keeps of the other files is ciphertext nobody can open), waits for the daemon's
 * process to be gone, then removes the identity, member stamp, circles, settings and the store. A daemon
 * that does not stop (it ignores SIGTERM) keeps the rest in place, unreadable: the wipe says so and fails
 * (DaemonAlreadyRunningError), to be run again once it is killed. Asks to confirm unless `--yes`. A directory that holds anything
 * Murmur never writes is refused, nothing removed (`--data-dir ~` is safe). What peers hold already (posts
 * sent, a membership stamp announced) cannot be taken back: docs/API.md says what stays.
 */
import { createInterface } from 'node:readline/promises'
import { Command } from 'commander'
import { API_FILE, API_SOCKET, IDENTITY_FILE, JOINED_CHANNELS_FILE } from '../constants.js'
import { ControlClient } from '../client.js'
import { readApiFile } from '../daemon/api-file.js'
import { DaemonAlreadyRunningError, UsageError } from '../errors.js'
import { FILTERS_FILE } from '../filter-file.js'
import { resolveDataDir } from '../paths.js'
import { outputOf, parsePositiveInt, withCommonOptions } from './options.js'
import type { CommonOptions } from './options.js'

/** What the CLI keeps in a data dir, besides the node's own files. */
export const CLI_DATA_DIR_NAMES: readonly string[] = [IDENTITY_FILE, API_FILE, API_SOCKET, FILTERS_FILE, JOINED_CHANNELS_FILE]

/** How long a daemon gets to stop after SIGTERM before the wipe gives up on removing the rest, in s. */
const DAEMON_STOP_TIMEOUT = 30

/** How often a stopping daemon's process is looked for, in ms (no event says that another process ended). */
const DAEMON_STOP_POLL = 50

/** The word the user types to confirm. */
const CONFIRM_WORD = 'wipe'

/** Options of `murmur wipe`. */
interface WipeOptions extends CommonOptions {
  yes?: boolean
  /** Seconds to wait for the daemon to stop. */
  wait: number
}

/** What `murmur wipe` did, as `--json` prints it. */
export interface WipeReport {
  dataDir: string
  /** Whether a running daemon was stopped first. */
  stoppedDaemon: boolean
  /** Whether this wipe destroyed the at-rest key. */
  keyDestroyed: boolean
  /**
   * Whether the data dir was sealed but its key was gone already: another wipe at the same moment
   * destroyed it, or one was cut short. Both false: a data dir written before sealing, which had no key.
   */
  keyAlreadyDestroyed: boolean
  /** The entries of the data dir removed. */
  removed: string[]
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Sends SIGTERM to the daemon of `dataDir` if one runs and proves it holds the token; its pid, if so. */
async function signalDaemon (dataDir: string): Promise<number | undefined> {
  try {
    await ControlClient.connect(dataDir)
  } catch (err) {
    if ((err as Error).name === 'DaemonNotRunningError') return undefined
    throw err
  }
  const endpoint = await readApiFile(dataDir)
  if (endpoint === undefined) return undefined
  try {
    process.kill(endpoint.pid, 'SIGTERM')
  } catch (err) {
    // it exited since it answered (another wipe stopped it): waiting for it is over at once
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
  return endpoint.pid
}

/** Waits up to `seconds` for process `pid` to be gone; whether it is. */
async function stopped (pid: number, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000
  while (alive(pid)) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, DAEMON_STOP_POLL))
  }
  return true
}

/** Asks the user to type the confirmation word; throws UsageError when there is no terminal to ask on. */
async function confirm (dataDir: string): Promise<boolean> {
  if (process.stdin.isTTY !== true) {
    throw new UsageError(`murmur wipe asks to confirm on a terminal: pass --yes to wipe ${dataDir} from a script`)
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await prompt.question(`This destroys your author identity, member stamp, circles, mutes and filters, joined channels and every stored post in ${dataDir}. It cannot be undone. Type "${CONFIRM_WORD}" to go on: `)
    return answer.trim() === CONFIRM_WORD
  } finally {
    prompt.close()
  }
}

/**
 * The `wipe` command.
 *
 * @example
 * ```ts
 * program.addCommand(wipeCommand())
 * ```
 */
export function wipeCommand (): Command {
  return withCommonOptions(new Command('wipe'))
    .description('panic wipe: stop the daemon, destroy the at-rest key first (the rest becomes unreadable), then remove keys, store and settings of the data dir; asks to confirm')
    .option('-y, --yes', 'do not ask to confirm (for scripts)')
    .option('--wait <seconds>', 'how long the daemon gets to stop before the rest is left in place (the key is destroyed at once)', parsePositiveInt, DAEMON_STOP_TIMEOUT)
    .action(async (options: WipeOptions) => {
      const dataDir = resolveDataDir(options.dataDir)
      const out = outputOf(options)
      // loaded here, not at the top: every command imports this module
      const { AT_REST_KEY_FILE, AT_REST_MARKER_FILE, dataDirEntries, destroyAtRestKey, wipeDataDir } = await import('@murmur/node/at-rest')
      // a directory that is no data dir is refused before anything is asked or stopped
      const entries = await dataDirEntries(dataDir, { names: CLI_DATA_DIR_NAMES })
      if (entries === undefined) {
        out.result({ dataDir, stoppedDaemon: false, keyDestroyed: false, keyAlreadyDestroyed: false, removed: [] }, () => `nothing to wipe: there is no data dir at ${dataDir}`)
        return
      }
      if (options.yes !== true && !await confirm(dataDir)) {
        throw new UsageError(`not confirmed: nothing was removed from ${dataDir}`)
      }
      const daemon = await signalDaemon(dataDir)
      // first, whatever follows: a daemon that hangs, or a chat holding the store, leaves only ciphertext
      const destroyed = await destroyAtRestKey(dataDir)
      if (daemon !== undefined && !await stopped(daemon, options.wait)) {
        throw new DaemonAlreadyRunningError(`${destroyed ? 'the at-rest key is destroyed: what is left in ' + dataDir + ' cannot be read any more; but' : 'there was no at-rest key to destroy, and'} the daemon (pid ${daemon}) is still running ${options.wait} s after SIGTERM, so the rest was not removed: stop it (kill -9 ${daemon}) and run the wipe again`)
      }
      // a daemon another wipe stopped may still hold the store, its control API closed already
      const wiped = await wipeDataDir(dataDir, { names: CLI_DATA_DIR_NAMES, storeWait: options.wait * 1000 })
      const keyDestroyed = destroyed || wiped.keyDestroyed
      const report: WipeReport = {
        dataDir,
        stoppedDaemon: daemon !== undefined,
        keyDestroyed,
        // listed sealed at the start, and the key was not this wipe's to destroy
        keyAlreadyDestroyed: !keyDestroyed && entries.includes(AT_REST_MARKER_FILE),
        removed: destroyed ? [AT_REST_KEY_FILE, ...wiped.removed].sort() : wiped.removed
      }
      const { stoppedDaemon, keyAlreadyDestroyed, removed } = report
      out.result(report, () => [
        ...(stoppedDaemon ? ['stopped the daemon'] : []),
        keyDestroyed
          ? 'destroyed the at-rest key first: what flash storage may keep of the other files is unreadable'
          : keyAlreadyDestroyed
            ? 'the at-rest key was destroyed already (by another wipe at the same moment, or one cut short): nothing left could be read'
            : removed.length === 0
              ? 'nothing was left to wipe (another wipe at the same moment removed it)'
              : 'there was no at-rest key (a data dir of an earlier version: its files were plain)',
        `removed ${dataDir} (${removed.length} entr${removed.length === 1 ? 'y' : 'ies'}: ${removed.join(', ')})`,
        'what peers hold already stays with them: posts and votes sent, your member stamp (docs/API.md, "What a wipe removes")'
      ].join('\n'))
    })
}
