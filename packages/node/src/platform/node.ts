/**
 * Node.js pieces of the libp2p composition, chosen through the `#platform` import condition
 * so that browser bundles never see `node:fs`, TCP or mDNS.
 */
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { mdns } from '@libp2p/mdns'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { MDNS_SERVICE_TAG, NODE_LISTEN, PEER_KEY_FILE } from '../constants.js'
import { createCircleStateStore, openPrivateCircleStateStore } from '../circle/state.js'
import { createLevelMemberStorage } from '../membership/storage.js'
import { createFileMemberStorage, createPrivateRecordStorage } from '../membership/storage-file.js'
import { dataDirKeys, readSealedFile, writeSealedFile } from '../at-rest/sealed-file.js'
import type { AtRestKeys } from '../at-rest/seal.js'
import type { CircleStateStore } from '../circle/state.js'
import type { MemberDatabase, MemberStorage } from '../membership/storage.js'
import type { StoreDatabase } from '../store/index.js'
import type { PlatformNetworkInit } from './types.js'
import type { ConnectionGater, PrivateKey } from '@libp2p/interface'
import type { Libp2pInit } from 'libp2p'

export type { PlatformNetworkInit } from './types.js'

/** Transports a Node.js node dials and listens with. */
export function platformTransports (_init: PlatformNetworkInit): NonNullable<Libp2pInit['transports']> {
  return [tcp(), webSockets()]
}

/**
 * Whether relayed (`/p2p-circuit`) addresses can be dialed: a Node.js node has no circuit-relay
 * transport (an embedder may add one in `MurmurInit.libp2p.transports`), so a learned record it could
 * only reach through a relay is not dialed at all.
 */
export const dialsRelayedAddresses = false

/** Node.js keeps libp2p's own connection gating (it dials private addresses and `ws://`). */
export function platformConnectionGater (_init: PlatformNetworkInit): ConnectionGater | undefined {
  return undefined
}

/** Node.js listens on exactly what it is given. */
export function platformListen (listen: string[]): string[] {
  return listen
}

/** Peer discovery that only exists in Node.js: mDNS on the LAN (when enabled). */
export function platformDiscovery (opts: { mdns: boolean }): NonNullable<Libp2pInit['peerDiscovery']> {
  return opts.mdns ? [mdns({ serviceTag: MDNS_SERVICE_TAG })] : []
}

/** Listen addresses used when `MurmurInit.listen` is omitted. */
export const defaultListen: readonly string[] = NODE_LISTEN

/** A Node.js process may serve the DHT (on a private network from the start, else once it has a public address). */
export const canServeDht = true

/**
 * The at-rest keys of `dataDir` (see dataDirKeys: the key file created on first use), read once per node
 * start and handed to the store and the loaders below.
 *
 * @example
 * ```ts
 * const atRestKeys = await loadAtRestKeys(dataDir)
 * const peerKey = await loadPeerKey(dataDir, atRestKeys)
 * ```
 */
export async function loadAtRestKeys (dataDir: string): Promise<AtRestKeys | undefined> {
  return await dataDirKeys(dataDir)
}

/**
 * Loads the libp2p key kept in `dataDir` (sealed under its at-rest key, mode 0600), creating it on first use.
 * Only relays and bootstrap nodes want this: a persisted PeerId links the node's runs together.
 * `atRestKeys`: the data dir's, when already read (@default read from the data dir).
 */
export async function loadPeerKey (dataDir: string, atRestKeys?: AtRestKeys): Promise<PrivateKey> {
  const keys = atRestKeys ?? await dataDirKeys(dataDir)
  const kept = await readSealedFile(dataDir, PEER_KEY_FILE, keys)
  if (kept !== undefined) return privateKeyFromProtobuf(kept)
  const key = await generateKeyPair('Ed25519')
  try {
    await writeSealedFile(dataDir, PEER_KEY_FILE, privateKeyToProtobuf(key), { exclusive: true, keys })
  } catch (err) {
    // another process created it first: use theirs
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return await loadPeerKey(dataDir, keys)
    throw err
  }
  return key
}

/** Folder of `dataDir` holding the membership records (mode 0700, files 0600). */
export const MEMBERSHIP_DIRECTORY = 'membership'

/**
 * Where the member key and stamps are kept: private files under `<dataDir>/membership` (0700/0600, each
 * replaced atomically, sealed under the data dir's at-rest key), or the node's database (memory) when it
 * has no data directory. `atRestKeys`: the data dir's, when already read (@default read from the data dir).
 */
export async function openMemberStorage (dataDir: string | undefined, db: MemberDatabase, atRestKeys?: AtRestKeys): Promise<MemberStorage> {
  if (dataDir === undefined) return createLevelMemberStorage(db)
  const seal = { keys: atRestKeys ?? await dataDirKeys(dataDir), place: MEMBERSHIP_DIRECTORY }
  return await createFileMemberStorage({ dir: join(dataDir, MEMBERSHIP_DIRECTORY), seal })
}

/** Folder of `dataDir` holding the circles' secrets and member keys (mode 0700, files 0600). */
export const CIRCLES_DIRECTORY = 'circles'

/**
 * Where the circles' secrets and member keys are kept: private files under `<dataDir>/circles` (0700/0600,
 * each replaced atomically and sealed under the data dir's at-rest key; circles an earlier version kept in
 * the database are moved there and erased from it), or the node's database (memory) when it has no data
 * directory. `atRestKeys`: the data dir's, when already read (@default read from the data dir).
 */
export async function openCircleStorage (dataDir: string | undefined, db: StoreDatabase, onDamaged?: (name: string, err: unknown) => void, atRestKeys?: AtRestKeys): Promise<CircleStateStore> {
  if (dataDir === undefined) return createCircleStateStore(db, onDamaged)
  // a circle's name says who it is: the files are named by a keyed hash of it
  const seal = { keys: atRestKeys ?? await dataDirKeys(dataDir), place: CIRCLES_DIRECTORY, hideNames: true }
  const records = await createPrivateRecordStorage({ dir: join(dataDir, CIRCLES_DIRECTORY), seal })
  return await openPrivateCircleStateStore({ records, db, onDamaged })
}
