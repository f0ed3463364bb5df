/**
 * The mixes a node knows: every connected peer that answers the mix key protocol, with its current key,
 * whether this node dialed it by choice, and the address group it is drawn by. Keys are exchanged on
 * connect and asked for again at least every 10 minutes (they are fresh per start, like PeerIds, and
 * rotate hourly, or earlier under load: keyring.ts): a node wraps only for mixes it is connected to,
 * so a key cannot be planted by a third party, and a mix that leaves leaves the draw.
 */
import { CODE_P2P } from '@multiformats/multiaddr'
import { isMixPublicKey, MIX_KEY_BYTES, ONION_MAX_ADDRESS_BYTES } from '@murmur/protocol'
import { ownAddressGroups, stemGroup } from '../own-crowd.js'
import { addressGroup } from '../sync/admission.js'
import { registerTopology } from '../topology.js'
import { MIX_KEY_LIFETIME, MIX_KEY_PROTOCOL, MIX_KEY_REFRESH, MIX_STREAM_TIMEOUT } from './constants.js'
import { closeWithin, readExactly, writeAll } from './stream.js'
import type { Connection, Libp2p, Logger, PeerId } from '@libp2p/interface'


/** A mix this node can wrap packets for. */
export interface KnownMix {
  peerId: PeerId
  publicKey: Uint8Array
  /** Whether this node dialed it by choice (preferred in the draw, as stem successors are). */
  dialed: boolean
  /** The address group it is drawn by. */
  group: string
  /** Where the hop before it on a path dials it (a multiaddr's bytes, no /p2p): the address of a connection this node dialed to it; none while it has only connections the mix dialed. */
  address?: Uint8Array
}

/** What {@link MixDirectory} needs from the node. */
export interface MixDirectoryComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'register' | 'unregister' | 'peerStore'> & Partial<Pick<Libp2p, 'getMultiaddrs' | 'getConnections'>>
  /** This node's current mix public key and how long it stays so (ms), answered to every peer that asks. */
  ownKey(): { publicKey: Uint8Array, expiresIn: number }
  /** Whether this node chose to dial `peer` (`ChosenPeers.dialed`). @default every outbound connection */
  chosen?(peer: PeerId): boolean
  /** The address group of a peer that dialed us. @default its connection's `addressGroup` */
  groupOf?(peer: PeerId): string | undefined
  log: Logger
}

/** Options of {@link MixDirectory}. */
export interface MixDirectoryInit {
  /** Longest a mix's key is kept without asking again, in ms. @default MIX_KEY_REFRESH (10 minutes) */
  refreshEvery?: number
}

/**
 * Connected mixes and their keys.
 *
 * @example
 * ```ts
 * const directory = new MixDirectory({ libp2p, ownKey: () => ({ publicKey: keyring.publicKey, expiresIn: keyring.expiresIn }), log })
 * await directory.start()
 * directory.known() // the mixes a path may be drawn from
 * ```
 */
export class MixDirectory {
  private readonly components: MixDirectoryComponents
  private readonly refreshEvery: number
  private readonly mixes = new Map<string, KnownMix>()
  private readonly refresh = new Map<string, ReturnType<typeof setTimeout>>()
  private topologyId: string | undefined
  private running = false

  constructor (components: MixDirectoryComponents, init: MixDirectoryInit = {}) {
    this.components = components
    this.refreshEvery = init.refreshEvery ?? MIX_KEY_REFRESH
  }

  /** How many mixes are known now. */
  get size (): number {
    return this.mixes.size
  }

  /** The mixes known now, each with the address this node reaches it at now (see {@link addressOf}). */
  known (): KnownMix[] {
    return [...this.mixes.values()].map((mix) => ({ ...mix, address: this.addressOf(mix.peerId) }))
  }

  async start (): Promise<void> {
    if (this.running) return
    const { libp2p } = this.components
    await libp2p.handle(MIX_KEY_PROTOCOL, (stream) => {
      const { publicKey, expiresIn } = this.components.ownKey()
      const answer = new Uint8Array(MIX_KEY_BYTES + 4)
      answer.set(publicKey)
      new DataView(answer.buffer).setUint32(MIX_KEY_BYTES, Math.ceil(expiresIn / 1000))
      writeAll(stream, answer).catch((err: unknown) => { stream.abort(err as Error) })
    })
    this.running = true
    this.topologyId = await registerTopology(libp2p, MIX_KEY_PROTOCOL, {
      onConnect: (peerId, connection) => { void this.fetch(peerId, connection) },
      onDisconnect: (peerId) => { this.forget(peerId.toString()) }
    })
  }

  stop (): void {
    if (!this.running) return
    this.running = false
    const { libp2p } = this.components
    if (this.topologyId !== undefined) libp2p.unregister(this.topologyId)
    libp2p.unhandle(MIX_KEY_PROTOCOL).catch((err: unknown) => { this.components.log.error('could not unhandle %s - %e', MIX_KEY_PROTOCOL, err) })
    for (const peer of [...this.mixes.keys()]) this.forget(peer)
  }

  private forget (peer: string): void {
    this.mixes.delete(peer)
    clearTimeout(this.refresh.get(peer))
    this.refresh.delete(peer)
  }

  /**
   * The address the hop before a mix on a path dials it at: one this node reached it at (an open
   * connection it dialed, whichever connection the key came over), or none. An address a peer announced
   * but this node never reached is never named (F6): a peer announcing a victim's address made every mix
   * before it on a path dial the victim. A mix without one is drawn only as a first hop (`drawPath`).
   */
  private addressOf (peerId: PeerId): Uint8Array | undefined {
    const dialed = this.components.libp2p.getConnections?.(peerId).find((connection) => connection.direction === 'outbound' && connection.status === 'open')
    const address = dialed?.remoteAddr.decapsulateCode(CODE_P2P).bytes
    return address !== undefined && address.byteLength <= ONION_MAX_ADDRESS_BYTES ? address : undefined
  }

  /** Asks `peerId` for its key over `connection`; a peer that answers anything but a key is no mix. */
  private async fetch (peerId: PeerId, connection: Connection): Promise<void> {
    const peer = peerId.toString()
    try {
      const stream = await connection.newStream(MIX_KEY_PROTOCOL, { signal: AbortSignal.timeout(MIX_STREAM_TIMEOUT) })
      const reading = readExactly(stream, MIX_KEY_BYTES + 4, MIX_STREAM_TIMEOUT)
      await closeWithin(stream, MIX_STREAM_TIMEOUT)
      const answer = await reading
      const publicKey = answer.slice(0, MIX_KEY_BYTES)
      if (!this.running || connection.status !== 'open' || !isMixPublicKey(publicKey)) return
      const dialed = connection.direction === 'outbound' && (this.components.chosen?.(peerId) ?? true)
      const group = dialed ? addressGroup(connection.remoteAddr) : this.components.groupOf?.(peerId) ?? addressGroup(connection.remoteAddr)
      this.mixes.set(peer, { peerId, publicKey, dialed, group: stemGroup(group, peer, ownAddressGroups(this.components.libp2p.getMultiaddrs?.() ?? [])) })
      // asked again when its key is replaced: never sooner than a minute (a peer cannot make us poll it),
      // never later than a key's lifetime (clamped before it is multiplied: setTimeout fires at once above 2^31-1 ms),
      // nor than `refreshEvery` (a key replaced early by count opens only a quarter of its tags more)
      const seconds = new DataView(answer.buffer, answer.byteOffset).getUint32(MIX_KEY_BYTES)
      const expiresIn = Math.min(Math.max(60, seconds), MIX_KEY_LIFETIME / 1000) * 1000
      this.askAgain(peerId, connection, Math.min(expiresIn + 1000, this.refreshEvery))
    } catch (err) {
      this.components.log('no mix key from %p - %e', peerId, err)
      // a known mix that did not answer this time is asked again: its key was kept, and would grow stale
      if (this.running && this.mixes.has(peer)) this.askAgain(peerId, connection, this.refreshEvery)
    }
  }

  /** Asks `peerId` for its key again after `delay` ms, over `connection` or, once that closed, another one open then. */
  private askAgain (peerId: PeerId, connection: Connection, delay: number): void {
    const peer = peerId.toString()
    clearTimeout(this.refresh.get(peer))
    this.refresh.set(peer, setTimeout(() => {
      const open = connection.status === 'open' ? connection : this.components.libp2p.getConnections?.(peerId).find((other) => other.status === 'open')
      void this.fetch(peerId, open ?? connection)
    }, delay))
  }
}
