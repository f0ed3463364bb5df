/**
 * Starting and stopping the CLI's HTTP servers (the control API, the metrics endpoint, the relay's
 * page) as promises.
 */
import type { ListenOptions } from 'node:net'
import type { Server } from 'node:http'

/**
 * `server.listen(options)` as a promise: resolves once it listens, rejects with the error that stopped it.
 *
 * @example
 * ```ts
 * await listen(server, { port: 0, host: '127.0.0.1' })
 * ```
 */
export async function listen (server: Server, options: ListenOptions): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/**
 * Stops listening and ends every open connection (kept-alive ones too); resolves once closed.
 *
 * @example
 * ```ts
 * await closeServer(server)
 * ```
 */
export async function closeServer (server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => { server.close(() => { resolve() }) })
  server.closeAllConnections()
  await closed
}
