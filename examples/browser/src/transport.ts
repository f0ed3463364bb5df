/**
 * How a connection reaches its peer, as the peer list shows it.
 */
import type { MurmurLibp2p } from '@murmur/node'

/** One libp2p connection of the page's node. */
export type Connection = ReturnType<MurmurLibp2p['getConnections']>[number]

/** The kinds of connection the page tells apart. */
export type TransportKind = 'webrtc' | 'websocket' | 'relayed' | 'other'

/**
 * `relayed`: through a circuit relay, with limits (used only to signal WebRTC); `webrtc`: a direct
 * WebRTC data-channel connection (to another browser, or WebRTC-direct to a server); `websocket`:
 * to a relay or a Node.js node.
 */
export function transportOf (connection: Pick<Connection, 'remoteAddr' | 'limits'>): TransportKind {
  const addr = connection.remoteAddr.toString()
  if (connection.limits !== undefined) return 'relayed'
  if (/\/webrtc(-direct)?(\/|$)/.test(addr)) return 'webrtc'
  if (addr.includes('/p2p-circuit')) return 'relayed'
  if (/\/(wss?|tls\/ws)(\/|$)/.test(addr)) return 'websocket'
  return 'other'
}
