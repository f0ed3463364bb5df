/**
 * Browser pieces of the libp2p composition, chosen through the `#platform` import condition.
 * Browsers dial out over WebSockets only; they have no mDNS and no file system.
 */
import { webSockets } from '@libp2p/websockets'
import { BROWSER_LISTEN } from '../constants.js'
import { UnsupportedError } from '../errors.js'
import type { PrivateKey } from '@libp2p/interface'
import type { Libp2pInit } from 'libp2p'

/** Transports a browser node dials with. */
export function platformTransports (): NonNullable<Libp2pInit['transports']> {
  return [webSockets()]
}

/** Browsers have no mDNS; asking for it is a configuration error, not something to ignore silently. */
export function platformDiscovery (opts: { mdns: boolean }): NonNullable<Libp2pInit['peerDiscovery']> {
  if (opts.mdns) {
    throw new UnsupportedError('mDNS is not available in browsers')
  }
  return []
}

/** Listen addresses used when `MurmurInit.listen` is omitted. */
export const defaultListen: readonly string[] = BROWSER_LISTEN

/** Browsers cannot keep a key file; pass `peerKey` instead. */
export async function loadPeerKey (_dataDir: string): Promise<PrivateKey> {
  throw new UnsupportedError('persistPeerId needs a file system; in browsers pass MurmurInit.peerKey instead')
}
