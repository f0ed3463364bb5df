/**
 * `murmur chat`: the interactive terminal chat (what `npm start` runs).
 */
import { Command } from 'commander'
import { openChatSession } from '../chat/session.js'
import { DEFAULT_CHANNEL } from '../constants.js'
import { UsageError } from '../errors.js'
import { murmurCommand } from '../hint.js'
import { resolveDataDir } from '../paths.js'
import { parseChannel, withCommonOptions, withLocalRendezvousOption, withNetworkOptions, withOnionOption } from './options.js'
import type { CommonOptions, LocalRendezvousOptions, NetworkOptions } from './options.js'

/**
 * The `chat` command.
 *
 * @example
 * ```ts
 * program.addCommand(chatCommand())
 * ```
 */
export function chatCommand (): Command {
  return withOnionOption(withLocalRendezvousOption(withNetworkOptions(withCommonOptions(new Command('chat'), false))))
    .description('chat in a channel: uses the running daemon, or starts a node in this process when none runs (the network options, --no-local-rendezvous and --onion apply to that node)')
    .argument('[channel]', 'channel: #name, name, or geo:<geohash>', DEFAULT_CHANNEL)
    .action(async (channelArg: string, options: CommonOptions & NetworkOptions & LocalRendezvousOptions) => {
      const channel = parseChannel(channelArg)
      const dataDir = resolveDataDir(options.dataDir)
      if (process.stdin.isTTY !== true || process.stdout.isTTY !== true) {
        throw new UsageError(`murmur chat needs a terminal; in scripts read with \`${murmurCommand(['watch', channel.replace(/^#/, '')], dataDir)}\` and write with murmur post (the same --data-dir)`)
      }
      const session = await openChatSession({
        ...options,
        dataDir,
        channel,
        onStartingNode: () => { process.stderr.write('no murmur daemon running: starting a node in this process…\n') }
      })
      // loaded here, not at the top: every command imports this module
      const { ChatApp } = await import('../chat/app.js')
      const app = new ChatApp({ client: session.client, channel, mode: session.mode, dataDir })
      const onSignal = (): void => { app.stop() }
      for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.on(signal, onSignal)
      try {
        await app.run()
      } finally {
        for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.off(signal, onSignal)
        await session.close()
      }
    })
}
