/**
 * The control API's connection cap, fair to the token holder: at the cap, a new connection evicts the
 * oldest one that has no request in progress (connected and silent past a short grace, dribbling its
 * headers, or idle between requests), else the oldest one serving only requests without the token (a
 * 401 or a proof, nothing lost but that answer), so that a local process holding many slow connections,
 * or hammering the API without the token, cannot keep the user's own client out. Connections serving a
 * request that showed the token (event streams, mining) are never evicted, and neither is a connection
 * accepted within the grace that has not sent its request yet: it may be the user's, and evicting it
 * for the next newcomer let a crowd of connections reset every one of the user's requests (bug B1). The
 * newcomer is refused instead, which the client answers by trying again (ERR_API_BUSY).
 */
import type { Server } from 'node:http'
import type { Socket } from 'node:net'

/** Time a new connection has to send its request before it may be evicted for a newcomer (ms). */
export const FRESH_CONNECTION_GRACE = 100

/** Options of {@link guardConnections}. */
export interface ConnectionGuardInit {
  /** Most connections held open at once. */
  maxConnections: number
  /**
   * Time a new connection without a request yet is kept from eviction (ms).
   *
   * @default FRESH_CONNECTION_GRACE (100)
   */
  freshGrace?: number
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
 * request in progress (past its grace when it never sent one) when a new one comes, else the oldest
 * serving only requests without the token; a new connection is refused when every open one serves a
 * request that showed the token or is still within its grace.
 *
 * @example
 * ```ts
 * const guard = guardConnections(server, { maxConnections: 64 })
 * server.on('request', (req, res) => { guard.serving(req.socket, res, authorized(req)) })
 * ```
 */
export function guardConnections (server: Server, init: ConnectionGuardInit): ConnectionGuard {
  const grace = init.freshGrace ?? FRESH_CONNECTION_GRACE
  // insertion order is age order: the first one found is the oldest
  const open = new Set<Socket>()
  // when each connection that has not sent a request yet was accepted (performance.now())
  const fresh = new Map<Socket, number>()
  // requests in progress on each connection, and those of them that showed the token
  const busy = new Map<Socket, number>()
  const trusted = new Map<Socket, number>()
  const evictable = (socket: Socket, now: number): boolean => {
    if (busy.has(socket)) return false
    const accepted = fresh.get(socket)
    return accepted === undefined || now - accepted >= grace
  }
  server.on('connection', (socket: Socket) => {
    const now = performance.now()
    if (open.size >= init.maxConnections) {
      const victim = find(open, (s) => evictable(s, now)) ?? find(open, (s) => busy.has(s) && !trusted.has(s))
      if (victim === undefined) {
        init.onDrop?.('refused')
        socket.destroy()
        return
      }
      init.onDrop?.('evicted')
      forget(victim)
      victim.destroy()
    }
    open.add(socket)
    fresh.set(socket, now)
    socket.once('close', () => { forget(socket) })
  })
  const forget = (socket: Socket): void => {
    open.delete(socket)
    fresh.delete(socket)
    busy.delete(socket)
    trusted.delete(socket)
  }
  return {
    serving (socket, done, authed = true) {
      // a connection that was evicted or closed while its request was parsed is not counted again
      if (!open.has(socket)) return
      fresh.delete(socket)
      count(busy, socket, 1)
      if (authed) count(trusted, socket, 1)
      done.once('close', () => {
        if (!open.has(socket)) return
        count(busy, socket, -1)
        if (authed) count(trusted, socket, -1)
      })
    }
  }
}

/** The first socket of `sockets` (oldest first) that `test` accepts. */
function find (sockets: Set<Socket>, test: (socket: Socket) => boolean): Socket | undefined {
  for (const socket of sockets) {
    if (test(socket)) return socket
  }
  return undefined
}

/** Adds `by` to a socket's count, forgetting it at zero. */
function count (counts: Map<Socket, number>, socket: Socket, by: number): void {
  const left = (counts.get(socket) ?? 0) + by
  if (left > 0) counts.set(socket, left)
  else counts.delete(socket)
}
