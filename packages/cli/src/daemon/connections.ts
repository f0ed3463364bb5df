/**
 * The control API's connection cap, fair to the token holder. A connection is judged only once it has
 * had its chance to send its request: until then (no request yet, accepted within a short grace) it is
 * fresh, and fresh connections are held apart from the cap, up to a bound of their own sized for a whole
 * accept batch. The cap counts the judged ones; at the cap a newcomer evicts the oldest judged one that
 * has no request in progress (silent past its grace, dribbling its headers, idle between requests), else
 * the oldest serving only requests without the token (a 401 or a proof, nothing lost but that answer).
 * Connections serving a request that showed the token (event streams, mining) are never evicted; a
 * newcomer is refused only when they fill the cap. When the fresh ones fill their own bound, the oldest
 * of them makes room: it had the longest chance to send its request.
 *
 * Why fresh connections are apart (bug B1): the daemon accepts everything the kernel queued before it
 * reads any of it, so a crowd reconnecting fast enough puts a whole batch of connections in front of
 * the user's before a single request is read. Counted against a cap of 64, they either evicted the
 * user's connection unread (the first fix's bug) or, kept, got the user's refused (about 1 in 3 tries
 * under 200 connections: 2 % of the user's requests failed after 8 tries). Held apart, the batch is
 * read whole and judged by what it sends: the user's request shows the token, the crowd's are answered
 * and closed.
 */
import type { Server } from 'node:http'
import type { Socket } from 'node:net'

/** Time a new connection has to send its request before it counts against the cap and may be evicted (ms). */
export const FRESH_CONNECTION_GRACE = 100

/**
 * Most fresh connections (accepted within the grace, no request yet) held at once, the oldest evicted
 * past it: more than the kernel's listen queue Node asks for holds (511), so that a full queue accepted
 * in one go is read whole.
 */
export const MAX_FRESH_CONNECTIONS = 512

/** Options of {@link guardConnections}. */
export interface ConnectionGuardInit {
  /** Most judged connections held open at once (fresh ones apart, see `maxFresh`). */
  maxConnections: number
  /**
   * Most fresh connections held at once, on top of `maxConnections`.
   *
   * @default MAX_FRESH_CONNECTIONS (512)
   */
  maxFresh?: number
  /**
   * Time a new connection without a request yet is held apart from the cap and kept from eviction (ms).
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
 * Caps a server's judged connections at `maxConnections`, evicting for a newcomer the oldest without a
 * request in progress, else the oldest serving only requests without the token; fresh connections (no
 * request yet, within their grace) are held apart, up to `maxFresh`, past which the oldest fresh one is
 * evicted. A newcomer is refused only when the judged connections all serve requests that showed the token.
 *
 * @example
 * ```ts
 * const guard = guardConnections(server, { maxConnections: 64 })
 * server.on('request', (req, res) => { guard.serving(req.socket, res, authorized(req)) })
 * ```
 */
export function guardConnections (server: Server, init: ConnectionGuardInit): ConnectionGuard {
  const grace = init.freshGrace ?? FRESH_CONNECTION_GRACE
  const maxFresh = init.maxFresh ?? MAX_FRESH_CONNECTIONS
  // insertion order is age order: the first one found is the oldest
  const open = new Set<Socket>()
  // the fresh connections: when each was accepted (performance.now()), oldest first
  const fresh = new Map<Socket, number>()
  // requests in progress on each connection, and those of them that showed the token
  const busy = new Map<Socket, number>()
  const trusted = new Map<Socket, number>()
  const drop = (socket: Socket, reason: 'evicted' | 'refused'): void => {
    init.onDrop?.(reason)
    forget(socket)
    socket.destroy()
  }
  server.on('connection', (socket: Socket) => {
    const now = performance.now()
    // the oldest fresh ones whose grace is over are judged from now on (silent: evictable)
    for (const [s, accepted] of fresh) {
      if (now - accepted < grace) break
      fresh.delete(s)
    }
    while (open.size - fresh.size >= init.maxConnections) {
      const victim = find(open, (s) => !fresh.has(s) && !busy.has(s)) ?? find(open, (s) => busy.has(s) && !trusted.has(s))
      if (victim === undefined) break
      drop(victim, 'evicted')
    }
    if (open.size - fresh.size >= init.maxConnections) {
      // destroyed before a byte is read: a request the client sent is discarded unread (it sees a reset)
      init.onDrop?.('refused')
      socket.destroy()
      return
    }
    // the oldest fresh one had the longest chance to send its request: a client that sends at once (the
    // user's) is read long before maxFresh newer connections come, a silent crowd is not
    const oldest = fresh.size >= maxFresh ? fresh.keys().next().value : undefined
    if (oldest !== undefined) drop(oldest, 'evicted')
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
