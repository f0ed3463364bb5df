/**
 * A running Murmur node with its control API and its local rendezvous: what `murmur daemon` runs,
 * and what `murmur chat` runs in its own process when no daemon is there.
 */
import { logger } from '@libp2p/logger'
import { createMurmur } from '@murmur/node'
import { createControlServer } from './server.js'
import { StoreDamagedError } from '../errors.js'
import { murmurCommand } from '../hint.js'
import { readJoinedChannels, saveJoinedChannels } from './joined-channels.js'
import { LocalRendezvous } from './rendezvous.js'
import type { ControlServer } from './server.js'
import type { Murmur, MurmurInit } from '@murmur/node'

const log = logger('murmur:cli:runtime')

/** Options of {@link startRuntime}. */
export interface RuntimeInit {
  /** Options of the node (listen, bootstrap, mdns, dataDir, powBits, channels, authorKey). */
  node: MurmurInit
  /**
   * Unix-domain socket of the control API, in a directory private to the user (see
   * ControlServerInit.socket).
   *
   * @default undefined: TCP on 127.0.0.1
   */
  apiSocket?: string
  /**
   * Directory of the local rendezvous; undefined turns it off.
   *
   * @default undefined
   */
  rendezvousDir?: string
}

/** A node, its control API and its rendezvous entry. */
export interface Runtime {
  node: Murmur
  api: ControlServer
  /** Whether the node announced itself in the local rendezvous directory. */
  rendezvous: boolean
  /** Stops the API, removes the rendezvous entry and stops the node (closing its store). Idempotent. */
  stop(): Promise<void>
}

/**
 * Starts a node, its control API (on `apiSocket`, else 127.0.0.1) and (optionally) its local rendezvous.
 *
 * @example
 * ```ts
 * const runtime = await startRuntime({ node: { listen: ['/ip4/127.0.0.1/tcp/0'] }, apiSocket: join(dataDir, 'api.sock') })
 * await runtime.stop()
 * ```
 */
export async function startRuntime (init: RuntimeInit): Promise<Runtime> {
  const startedAt = Date.now()
  const dataDir = init.node.dataDir
  // the channels joined at run time before the last stop, besides those of the command line
  const kept = dataDir === undefined ? [] : await readJoinedChannels(dataDir)
  const channels = kept.length === 0 ? init.node.channels : [...new Set([...(init.node.channels ?? []), ...kept])]
  const node = await createMurmur({ ...init.node, channels }).catch((err: unknown) => {
    throw (err as Error).name === 'StoreDamagedError' && init.node.dataDir !== undefined ? storeDamaged(err as Error, init.node.dataDir) : err
  })
  let api: ControlServer
  try {
    api = await createControlServer({
      node,
      startedAt,
      socket: init.apiSocket,
      onChannels: dataDir === undefined ? undefined : async (joined) => { await saveJoinedChannels(dataDir, joined) }
    })
  } catch (err) {
    await node.stop()
    throw err
  }
  const rendezvous = init.rendezvousDir === undefined ? undefined : new LocalRendezvous(node, { dir: init.rendezvousDir })
  let announced = false
  try {
    announced = await rendezvous?.start() ?? false
  } catch (err) {
    log.error('local rendezvous failed - %e', err)
  }
  let stopping: Promise<void> | undefined
  return {
    node,
    api,
    rendezvous: announced,
    stop: async () => {
      stopping ??= (async () => {
        await rendezvous?.stop().catch((err: unknown) => { log.error('could not remove rendezvous entry - %e', err) })
        await api.close()
        await node.stop()
      })()
      await stopping
    }
  }
}

/** The node's StoreDamagedError, saying the command that recovers from it (with the data dir in use). */
function storeDamaged (err: Error, dataDir: string): StoreDamagedError {
  return new StoreDamagedError(`${err.message}; move it aside and re-sync from peers with \`${murmurCommand(['repair'], dataDir)}\` (your identity, member stamp and own posts not yet sent are kept), then start again`, { cause: err })
}
