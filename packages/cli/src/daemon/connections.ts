/**
 * The control API's connection cap, fair to the token holder: at the cap, a new connection evicts the
 * oldest one that has no request in progress (connected and silent, dribbling its headers, or idle
 * between requests), else the oldest one serving only requests without the token (a 401 or a proof,
 * nothing lost but that answer), so that a local process holding many slow connections, or hammering
 * the API without the token, cannot keep the user's own client out. Connections serving a request
 * that showed the token (event streams, mining) are never evicted.
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
  /**
   * The socket serves a request until its response ends or closes: it may not be evicted meanwhile for
   * an idle one; `authed` false (a request without the token) lets it go before a refusal.
   */
  serving(socket: Socket, done: { once(event: 'close', listener: () => void): unknown }, authed?: boolean): void
}

/**
 * Caps a server's open connections at `maxConnections`, evicting the oldest connection without a
 * request in progress when a new one comes, else the oldest serving only requests without the token;
 * a new connection is refused only when every open one serves a request that showed the token.
 *
 * @example
 * ```ts
 * const guard = guardConnections(server, { maxConnections: 64 })
 * server.on('request', (req, res) => { guard.serving(req.socket, res, authorized(req)) })
 * ```
 */
export function guardConnections (server: Server, init: ConnectionGuardInit): ConnectionGuard {
  // insertion order is age order: the first idle one found is the oldest
  const open = new Set<Socket>()
  // requests in progress on each connection, and those of them that showed the token
  const busy = new Map<Socket, number>()
  const trusted = new Map<Socket, number>()
  server.on('connection', (socket: Socket) => {
    if (open.size >= init.maxConnections) {
      const victim = [...open].find((s) => !busy.has(s)) ?? [...open].find((s) => !trusted.has(s))
      if (victim === undefined) {
        init.onDrop?.('refused')
        socket.destroy()
        return
      }
      init.onDrop?.('evicted')
      open.delete(victim)
      victim.destroy()
    }
    open.add(socket)
    socket.once('close', () => {
      open.delete(socket)
      busy.delete(socket)
      trusted.delete(socket)
    })
  })
  return {
    serving (socket, done, authed = true) {
      count(busy, socket, 1)
      if (authed) count(trusted, socket, 1)
      done.once('close', () => {
        count(busy, socket, -1)
        if (authed) count(trusted, socket, -1)
      })
    }
  }
}

/** Adds `by` to a socket's count, forgetting it at zero. */
function count (counts: Map<Socket, number>, socket: Socket, by: number): void {
  const left = (counts.get(socket) ?? 0) + by
  if (left > 0) counts.set(socket, left)
  else counts.delete(socket)
}
