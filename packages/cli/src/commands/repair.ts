/**
 * `murmur repair`: moves a damaged post store aside to a dated name and starts a fresh one, keeping what
 * peers cannot give back (own posts not yet back from the network, own votes, the member's post counters
 * and thread rings; the identity and member stamp live outside the store). The next start re-syncs the
 * posts from peers.
 */
import { Command } from 'commander'
import { DaemonAlreadyRunningError, UsageError } from '../errors.js'
import { atRestKeysOf } from '../files.js'
import { murmurCommand } from '../hint.js'
import { resolveDataDir } from '../paths.js'
import { outputOf, withCommonOptions } from './options.js'
import type { CommonOptions } from './options.js'

/** What `murmur repair` did, as `--json` prints it. */
export interface RepairResult {
  dataDir: string
  /** Where the old store is now. */
  movedTo: string
  /** Records kept, per kind. */
  kept: Record<string, number>
  /** Kinds of records whose reading stopped at the damage. */
  cut: string[]
  /** The command that starts the node again. */
  next: string
}

/**
 * The `repair` command.
 *
 * @example
 * ```ts
 * program.addCommand(repairCommand())
 * ```
 */
export function repairCommand (): Command {
  return withCommonOptions(new Command('repair'))
    .description('move a damaged post store aside (to store.damaged-<date>) and start a fresh one, keeping your own posts not yet sent, votes and member records; the next start re-syncs posts from peers')
    .action(async (options: CommonOptions) => {
      const dataDir = resolveDataDir(options.dataDir)
      let report: Omit<RepairResult, 'dataDir' | 'next'> | undefined
      // loaded here, not at the top: @murmur/node/internal, the store's way in, loads libp2p (every command imports this module)
      const { openDatabase } = await import('@murmur/node/internal')
      const db = await openDatabase(dataDir, {
        // the CLI's keys: a data dir of an earlier version first opened here has the CLI's plain files sealed too
        atRestKeys: await atRestKeysOf(dataDir),
        moveAside: ({ aside, kept, cut }) => { report = { movedTo: aside, kept, cut } }
      }).catch((err: unknown) => {
        const cause = (err as { cause?: { code?: unknown } }).cause
        // LevelDB's lock: a daemon or chat has the store open
        if (cause?.code === 'LEVEL_LOCKED') {
          throw new DaemonAlreadyRunningError(`the store in ${dataDir} is in use (a daemon or chat runs for it): stop it first, then run \`${murmurCommand(['repair'], dataDir)}\` again`)
        }
        // opened without creating it: LevelDB says so in words only
        if (/does not exist/.test(String(cause))) throw new UsageError(`there is no store in ${dataDir} to repair`)
        throw err
      })
      await db.close()
      if (report === undefined) throw new Error('the store was not moved aside')
      const result: RepairResult = { dataDir, ...report, next: murmurCommand(['daemon'], dataDir) }
      const kept = Object.values(result.kept).reduce((sum, n) => sum + n, 0)
      outputOf(options).result(result, () => [
        `moved the store aside to ${result.movedTo}`,
        `kept ${kept} record${kept === 1 ? '' : 's'} of your own (posts not yet sent, votes, member counters and rings)${result.cut.length > 0 ? `; damage cut short: ${result.cut.join(', ')}` : ''}`,
        // a counter lost would hand out a slot again: the repair's hour and week count as used up instead
        ...(result.cut.includes('member-post-counters') ? ['your member posts and votes of this hour (and posts of this week) count as used up: the counters were damaged'] : []),
        `start your node with: ${result.next} (it re-syncs posts from peers)`
      ].join('\n'))
    })
}
