/**
 * The control API's connection cap, fair to the token holder: at the cap, a new connection evicts the
 * oldest one that has no request in progress (connected and silent, dribbling its headers, or idle
 * between requests), so that a local process holding many slow connections cannot keep the user's
 * own client out. Connections serving a request (event streams, mining) are never evicted.
 */
import type { Server } from 'node:http'
import type { Socket } from 'node:net'

/** Options of {@link guardConnections}. */
export interface ConnectionGuardInit {
  /** Most connections held open at once. */
  maxConnections: number
  /** Called with each connection evicted or refused (for the debug log). */
  onDrop?(reason: 'evicted' | 'refused'): void
}

/** Marks the connections of a server that are serving a request. */
export interface ConnectionGuard {
  /** The socket serves a request until its response ends or closes: it may not be evicted meanwhile. */
  serving(socket: Socket, done: { once(event: 'close', listener: () => void): unknown }): void
}

/**
 * Caps a server's open connections at `maxConnections`, evicting the oldest connection without a
 * request in progress when a new one comes; a new connection is refused only when every open one is
 * serving a request.
 *
 * @example
 * ```ts
 * const guard = guardConnections(server, { maxConnections: 64 })
 * server.on('request', (req, res) => { guard.serving(req.socket, res) })
 * ```
 */
export function guardConnections (server: Server, init: ConnectionGuardInit): ConnectionGuard {
  // insertion order is age order: the first idle one found is the oldest
  const open = new Set<Socket>()
  const busy = new Map<Socket, number>()
  server.on('connection', (socket: Socket) => {
    if (open.size >= init.maxConnections) {
      const idle = [...open].find((s) => !busy.has(s))
      if (idle === undefined) {
        init.onDrop?.('refused')
        socket.destroy()
        return
      }
      init.onDrop?.('evicted')
      open.delete(idle)
      idle.destroy()
    }
    open.add(socket)
    socket.once('close', () => {
      open.delete(socket)
      busy.delete(socket)
    })
  })
  return {
    serving (socket, done) {
      busy.set(socket, (busy.get(socket) ?? 0) + 1)
      done.once('close', () => {
        const left = (busy.get(socket) ?? 1) - 1
        if (left > 0) busy.set(socket, left)
        else busy.delete(socket)
      })
    }
  }
}
