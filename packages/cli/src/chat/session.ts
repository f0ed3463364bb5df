/**
 * Where the chat's node comes from: the daemon of the data dir when one runs, else a node started
 * inside the chat's own process (in-memory store, so any number of chats can run side by side).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { circleNameOf } from '../circle-name.js'
import { API_SOCKET, DEFAULT_CHANNEL } from '../constants.js'
import { ControlClient } from '../client.js'
import { loadIdentity } from '../identity.js'
import { rendezvousDir } from '../paths.js'
import { networkInit } from '../commands/options.js'
import type { NetworkOptions } from '../commands/options.js'
import type { Runtime } from '../daemon/runtime.js'

/** A client for the chat and what to release when it ends. */
export interface ChatSession {
  client: ControlClient
  /** `daemon` or `own node`. */
  mode: 'daemon' | 'own node'
  /** Stops the chat's own node, if it started one. */
  close(): Promise<void>
}

/** Options of {@link openChatSession}. */
export interface ChatSessionInit extends NetworkOptions {
  dataDir: string
  /**
   * Channel the own node joins at start.
   *
   * @default DEFAULT_CHANNEL
   */
  channel?: string
  /**
   * Whether the own node announces itself in, and dials from, the user's local rendezvous directory.
   *
   * @default true
   */
  localRendezvous?: boolean
  /** Called before a node is started in this process (it takes a moment). */
  onStartingNode?(): void
}

/**
 * Connects to the daemon of `dataDir`, or starts a node in this process when none runs. The own
 * node uses the data dir's author identity when `murmur init` created one (else a fresh key for this
 * run), keeps posts in memory, and finds the user's other Murmur processes through the local
 * rendezvous unless `localRendezvous` is false (and the LAN's through mDNS unless turned off).
 *
 * @example
 * ```ts
 * const session = await openChatSession({ dataDir, listen: [], bootstrap: [], mdns: true })
 * await session.close()
 * ```
 */
export async function openChatSession (init: ChatSessionInit): Promise<ChatSession> {
  try {
    const client = await ControlClient.connect(init.dataDir)
    return { client, mode: 'daemon', close: async () => {} }
  } catch (err) {
    if ((err as Error).name !== 'DaemonNotRunningError') {
      throw err
    }
  }
  init.onStartingNode?.()
  const identity = await loadIdentity(init.dataDir)
  // loaded only here: a chat through the daemon never loads libp2p
  const { startRuntime } = await import('../daemon/runtime.js')
  // the own node's API is for this process only: a socket in a fresh private (0700) directory
  const apiDir = await mkdtemp(join(tmpdir(), 'murmur-chat-'))
  const apiSocket = process.platform === 'win32' ? undefined : join(apiDir, API_SOCKET)
  let runtime: Runtime
  try {
    runtime = await startRuntime({
      node: {
        ...networkInit(init),
        // a circle is no channel to join: the own node holds none (circles live in a daemon's store)
        channels: [init.channel === undefined || circleNameOf(init.channel) !== undefined ? DEFAULT_CHANNEL : init.channel],
        authorKey: identity?.key
      },
      ...(init.localRendezvous === false ? {} : { rendezvousDir: rendezvousDir() }),
      apiSocket
    })
  } catch (err) {
    await rm(apiDir, { recursive: true, force: true })
    throw err
  }
  const client = new ControlClient({ ...runtime.api.address, token: runtime.api.token })
  return {
    client,
    mode: 'own node',
    close: async () => {
      await runtime.stop()
      await rm(apiDir, { recursive: true, force: true })
    }
  }
}
