/**
 * Browser pieces of the libp2p composition, chosen through the `#platform` import condition.
 * A browser dials relays and Node.js nodes over WebSockets, reserves a slot on a circuit relay, and
 * talks to other browsers over WebRTC data channels that are signalled through that relay. It has no
 * mDNS and no file system.
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { WebSockets } from '@multiformats/multiaddr-matcher'
import { BROWSER_LISTEN } from '../constants.js'
import { createCircleStateStore } from '../circle/state.js'
import { createLevelMemberStorage } from '../membership/storage.js'
import type { CircleStateStore } from '../circle/state.js'
import type { MemberDatabase, MemberStorage } from '../membership/storage.js'
import type { StoreDatabase } from '../store/index.js'
import { UnsupportedError } from '../errors.js'
import { initiatesWebRTC } from '../relay-connections.js'
import { BROWSER_RELAY_LISTEN, BROWSER_RESERVATION_CONCURRENCY, DEFAULT_ICE_SERVERS } from './constants.js'
import type { PlatformNetworkInit } from './types.js'
import type { ConnectionGater, PrivateKey, Transport } from '@libp2p/interface'
import type { WebRTCTransportComponents } from '@libp2p/webrtc'
import type { Libp2pInit } from 'libp2p'

export type { PlatformNetworkInit } from './types.js'

/**
 * The RTCPeerConnection configuration of a browser node: only the ICE servers it was given, never
 * @libp2p/webrtc's default list of public STUN servers (Google, Twilio, Cloudflare, Mozilla). Host
 * candidates still connect browsers on one machine or LAN.
 *
 * @example
 * ```ts
 * browserRtcConfiguration({ allowPrivateAddresses: false }) // { iceServers: [] }
 * ```
 */
export function browserRtcConfiguration (init: PlatformNetworkInit): RTCConfiguration {
  return { iceServers: [...(init.iceServers ?? DEFAULT_ICE_SERVERS)] }
}

/**
 * Transports a browser node dials and listens with: WebSockets to relays and Node.js nodes, WebRTC to
 * other browsers, and circuit relay for the relay slot that WebRTC is signalled through.
 */
export function platformTransports (init: PlatformNetworkInit): NonNullable<Libp2pInit['transports']> {
  return [
    webSockets(),
    onlyFirstPeerDialsWebRTC(webRTC({ rtcConfiguration: browserRtcConfiguration(init) })),
    circuitRelayTransport({ reservationConcurrency: BROWSER_RESERVATION_CONCURRENCY })
  ]
}

/**
 * The WebRTC transport, dialing only peers that this node sorts before ({@link initiatesWebRTC}).
 * Two browsers that find each other at once would otherwise both start signalling: two sessions
 * racing over two relayed connections, often two WebRTC connections between the same pair. A peer
 * that sorts first is dialed over its plain `/p2p-circuit` address instead, and it starts WebRTC
 * over that relayed connection itself (relay-connections.ts).
 */
function onlyFirstPeerDialsWebRTC (factory: (components: WebRTCTransportComponents) => Transport): (components: WebRTCTransportComponents) => Transport {
  return (components) => {
    const transport = factory(components)
    const self = components.peerId.toString()
    const dialFilter = transport.dialFilter.bind(transport)
    transport.dialFilter = (multiaddrs) => dialFilter(multiaddrs).filter((multiaddr) => {
      const target = multiaddr.getComponents().findLast((component) => component.name === 'p2p')?.value
      return target === undefined || initiatesWebRTC(self, target)
    })
    return transport
  }
}

/** Whether relayed (`/p2p-circuit`) addresses can be dialed: a browser has the circuit-relay transport. */
export const dialsRelayedAddresses = true

/**
 * libp2p refuses, in browsers, to dial private addresses and insecure (`ws://`) WebSockets. On a
 * private or loopback network (`allowPrivateAddresses`) those are exactly the relays and peers there
 * are, so the gate opens; on the internet insecure WebSockets stay refused (a page served over HTTPS
 * may not open them), and private addresses are refused by the node's own gate on every platform
 * (`addressScopeGate`, which lets the user's bootstrap addresses through).
 */
export function platformConnectionGater (init: PlatformNetworkInit): ConnectionGater | undefined {
  // libp2p's browser default, spelled out: a gate of our own (learnedNameGate) would otherwise replace it
  return init.allowPrivateAddresses ? { denyDialMultiaddr: () => false } : { denyDialMultiaddr: (addr) => WebSockets.matches(addr) }
}

/** A browser is reachable only through a relay slot and WebRTC, so that is what an empty list means. */
export function platformListen (listen: string[]): string[] {
  return listen.length > 0 ? listen : [...BROWSER_RELAY_LISTEN]
}

/** Browsers have no mDNS; asking for it is a configuration error, not something to ignore silently. */
export function platformDiscovery (opts: { mdns: boolean }): NonNullable<Libp2pInit['peerDiscovery']> {
  if (opts.mdns) {
    throw new UnsupportedError('mDNS is not available in browsers')
  }
  return []
}

/** Listen addresses used when `MurmurInit.listen` is omitted (see {@link platformListen}). */
export const defaultListen: readonly string[] = BROWSER_LISTEN

/** A tab comes and goes: it never answers DHT queries unless told to. */
export const canServeDht = false

/** A browser's at-rest key is its store's, in IndexedDB (see backend-browser.ts): there are none of the data dir to share. */
export async function loadAtRestKeys (_dataDir: string): Promise<undefined> {
  return undefined
}

/** Browsers cannot keep a key file; pass `peerKey` instead. */
export async function loadPeerKey (_dataDir: string): Promise<PrivateKey> {
  throw new UnsupportedError('persistPeerId needs a file system; in browsers pass MurmurInit.peerKey instead')
}

/** Where the member key and stamps are kept: a sublevel of the node's database (IndexedDB), no files in a browser. */
export async function openMemberStorage (_dataDir: string | undefined, db: MemberDatabase): Promise<MemberStorage> {
  return createLevelMemberStorage(db)
}

/** Where the circles' secrets and member keys are kept: a sublevel of the node's database (IndexedDB), no files in a browser. */
export async function openCircleStorage (_dataDir: string | undefined, db: StoreDatabase, onDamaged?: (name: string, err: unknown) => void): Promise<CircleStateStore> {
  return createCircleStateStore(db, onDamaged)
}
