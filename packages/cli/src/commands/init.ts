/**
 * `murmur init`: creates the data dir and the author identity.
 */
import { Command } from 'commander'
import { toHex } from '@murmur/protocol'
import { ensureDataDir } from '../files.js'
import { murmurCommand } from '../hint.js'
import { loadOrCreateIdentity } from '../identity.js'
import { resolveDataDir } from '../paths.js'
import { outputOf, withCommonOptions } from './options.js'
import type { CommonOptions } from './options.js'

/**
 * The `init` command.
 *
 * @example
 * ```ts
 * program.addCommand(initCommand())
 * ```
 */
export function initCommand (): Command {
  return withCommonOptions(new Command('init'))
    .description('create the data dir and the author identity (mode 0600), and print its public key')
    .action(async (options: CommonOptions) => {
      const out = outputOf(options)
      const dataDir = resolveDataDir(options.dataDir)
      await ensureDataDir(dataDir)
      const identity = await loadOrCreateIdentity(dataDir)
      const publicKey = toHex(identity.key.publicKey)
      const next = murmurCommand(['daemon'], dataDir)
      out.result({ dataDir, identity: identity.path, publicKey, created: identity.created }, () => [
        identity.created ? `created your author identity in ${identity.path}` : `your author identity is already in ${identity.path}`,
        `public key: ${publicKey}`,
        `start your node with: ${next}`
      ].join('\n'))
    })
}
