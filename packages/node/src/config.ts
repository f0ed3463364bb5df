/**
 * Turns a `MurmurInit` into complete, checked settings.
 */
import { DEFAULT_POW_BITS, STAMP_BITS, generateAuthorKey, validateChannel } from '@murmur/protocol'
import { canServeDht, defaultListen, loadAtRestKeys, loadPeerKey } from '#platform'
import { InvalidConfigError } from './errors.js'
import { isPrivateMultiaddr } from './libp2p.js'
import type { MurmurInit } from './index.js'
import type { ExtraLibp2pOptions } from './libp2p.js'
import type { StemInit } from './stem/index.js'
import type { OnionInit } from './onion/index.js'
import type { SyncInit } from './sync/index.js'
import type { MembershipConfig } from './node-membership.js'
import type { VerifyPool } from './verify/index.js'
import type { AtRestKeys } from './at-rest/seal.js'
import type { PrivateKey } from '@libp2p/interface'
import type { AuthorKey, PostKind } from '@murmur/protocol'

/** Settings of a node, every default applied. */
export interface MurmurConfig {
  listen: string[]
  bootstrap: string[]
  mdns: boolean
  dataDir: string | undefined
  /** The data dir's at-rest keys, read once here for the store, the peer key, the member records and the circles; undefined without a dataDir (and in browsers: the store keeps its own). */
  atRestKeys: AtRestKeys | undefined
  powBits: Record<PostKind, number>
  channels: string[]
  authorKey: AuthorKey
  peerKey: PrivateKey | undefined
  allowPrivateAddresses: boolean
  iceServers: RTCIceServer[]
  dhtServer: boolean | undefined
  libp2p: ExtraLibp2pOptions
  stem: StemInit | false
  /** Onion-wrapped first hops for own posts; false: none (the node is no mix either). */
  onion: OnionInit | false
  sync: SyncInit | false
  /** This node's clock, unix milliseconds (tests inject a skewed one). */
  clock: () => number
  /** Whether `clock` was injected (own posts then take `created` from it). */
  clockInjected: boolean
  /** A shared verification pool, false for the main thread, or undefined for a pool of the node's own. */
  verify: VerifyPool | false | undefined
  /** The membership layer's settings; false: none (no directory, no minting). */
  membership: MembershipConfig | false
}

/** Applies defaults and checks `init`; throws InvalidConfigError naming the bad field. */
export async function resolveConfig (init: MurmurInit): Promise<MurmurConfig> {
  const listen = [...(init.listen ?? defaultListen)]
  const bootstrap = [...(init.bootstrap ?? [])]
  const channels = [...(init.channels ?? [])]
  for (const channel of channels) {
    try {
      validateChannel(channel)
    } catch (err) {
      throw new InvalidConfigError(`channels: ${(err as Error).message}`)
    }
  }
  const addresses = [...bootstrap, ...listen]
  const allowPrivateAddresses = init.allowPrivateAddresses ?? (addresses.length > 0 && addresses.every(isPrivateMultiaddr))
  const atRestKeys = init.dataDir === undefined ? undefined : init.atRestKeys ?? await loadAtRestKeys(init.dataDir)
  return {
    listen,
    bootstrap,
    mdns: init.mdns ?? false,
    dataDir: init.dataDir,
    atRestKeys,
    powBits: resolvePowBits(init.powBits, allowPrivateAddresses),
    channels,
    authorKey: resolveAuthorKey(init.authorKey),
    peerKey: await resolvePeerKey(init, atRestKeys),
    allowPrivateAddresses,
    iceServers: [...(init.iceServers ?? [])],
    dhtServer: init.dhtServer ?? (canServeDht ? (allowPrivateAddresses ? true : undefined) : false),
    libp2p: init.libp2p ?? {},
    stem: init.stem ?? {},
    onion: init.onion === true ? {} : init.onion ?? false,
    sync: init.sync ?? {},
    clock: init.clock ?? (() => Date.now()),
    clockInjected: init.clock !== undefined,
    verify: init.verify,
    membership: resolveMembership(init, allowPrivateAddresses)
  }
}

/**
 * The proof of work per kind. Less than the protocol's default is a private network's setting only
 * (`allowPrivateAddresses`, on by itself when every address is private or loopback): such a node
 * accepts and forwards posts that default nodes reject (ERR_POW_TOO_LOW), and they cut it off after a
 * few. More is any node's choice: it ignores the cheaper posts without penalising anyone.
 */
function resolvePowBits (powBits: MurmurInit['powBits'], privateNetwork: boolean): Record<PostKind, number> {
  const bits = typeof powBits === 'number'
    ? { POST: powBits, REPLY: powBits, VOTE: powBits }
    : { ...DEFAULT_POW_BITS, ...powBits }
  for (const [kind, value] of Object.entries(bits) as Array<[PostKind, number]>) {
    if (!Number.isInteger(value) || value < 0 || value > 64) {
      throw new InvalidConfigError(`powBits.${kind} must be an integer 0..64, got ${value}`)
    }
    if (value < DEFAULT_POW_BITS[kind] && !privateNetwork) {
      throw new InvalidConfigError(`powBits.${kind} ${value} is below the network's ${DEFAULT_POW_BITS[kind]}: peers on the public network reject such posts (ERR_POW_TOO_LOW) and cut off a node that forwards them; lower it only on a private or test network (allowPrivateAddresses)`)
    }
  }
  return bits
}

/**
 * Membership on by default; a node mints a stamp of its own only when it keeps a data directory (a member
 * key that dies with the process is not worth a week's stamp). An easier stamp than the network's is, like
 * a lower proof of work, a private or test network's setting only: other nodes refuse such stamps.
 */
function resolveMembership (init: MurmurInit, privateNetwork: boolean): MembershipConfig | false {
  if (init.membership === false) return false
  const stampBits = init.membership?.stampBits ?? STAMP_BITS
  if (!Number.isInteger(stampBits) || stampBits < 0 || stampBits > 64) {
    throw new InvalidConfigError(`membership.stampBits must be an integer 0..64, got ${stampBits}`)
  }
  if (stampBits < STAMP_BITS && !privateNetwork) {
    throw new InvalidConfigError(`membership.stampBits ${stampBits} is below the network's ${STAMP_BITS}: peers on the public network reject such stamps and cut off a node that sends them; lower it only on a private or test network (allowPrivateAddresses)`)
  }
  return { mint: init.membership?.mint ?? init.dataDir !== undefined, stampBits }
}

function resolveAuthorKey (key: AuthorKey | undefined): AuthorKey {
  if (key === undefined) {
    return generateAuthorKey()
  }
  if (!(key.secretKey instanceof Uint8Array) || key.secretKey.byteLength !== 32) {
    throw new InvalidConfigError('authorKey.secretKey must be 32 bytes')
  }
  return key
}

async function resolvePeerKey (init: MurmurInit, atRestKeys: AtRestKeys | undefined): Promise<PrivateKey | undefined> {
  if (init.peerKey !== undefined) {
    if (init.persistPeerId === true) {
      throw new InvalidConfigError('pass either peerKey or persistPeerId, not both')
    }
    return init.peerKey
  }
  if (init.persistPeerId !== true) {
    return undefined
  }
  if (init.dataDir === undefined) {
    throw new InvalidConfigError('persistPeerId needs a dataDir to keep the key in')
  }
  return loadPeerKey(init.dataDir, atRestKeys)
}
