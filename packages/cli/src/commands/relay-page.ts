/**
 * The page options of `murmur relay` (`--page <host:port>`, `--no-page`) and the start of its page
 * server: the built browser page (relay-page-files.ts) served over HTTP (relay-page-server.ts), with
 * the URL to open printed with the relay's address in it.
 */
import { isIP } from 'node:net'
import { InvalidArgumentError } from 'commander'
import { RELAY_PAGE_HOST, RELAY_PAGE_PORT } from '../relay-page-server.js'
import type { Command } from 'commander'
import type { Output } from '../output.js'
import type { RelayPageAddress } from '../relay-page-server.js'

/** The options `withPageOptions` adds: undefined (the default address), an address, or false (`--no-page`). */
export interface RelayPageOptions {
  page?: PageAt | false
}

/** Where the page is served, and whether the user chose it (a chosen port in use is an error; the default one is not). */
export interface PageAt extends RelayPageAddress {
  chosen: boolean
}

/** The page server as the relay holds it. */
export interface RunningRelayPage {
  /**
   * The URL to open: the page, with `?relay=` one of `relays` (the one on the page's host, else loopback,
   * else the first), and the network's proof of work and stamp bits when they are not the default (the
   * page proposes those to the user: only the relay is taken without asking).
   */
  url(relays: string[], network?: { powBits?: number, stampBits?: number }): string
  stop(): Promise<void>
}

/**
 * Adds `--page <host:port>` and `--no-page` to a command.
 *
 * @example
 * ```ts
 * withPageOptions(new Command('relay'))
 * ```
 */
export function withPageOptions (command: Command): Command {
  return command
    .option('--page <host:port>', `serve the browser page over HTTP at <host:port>, 0 as the port for any free one (default: ${RELAY_PAGE_HOST}:${RELAY_PAGE_PORT}, loopback only; ` +
      'off loopback a phone needs https for the page, so put a TLS reverse proxy in front)', parsePageAddress)
    .option('--no-page', 'serve no browser page')
}

/** Where the page is served without `--page`. */
export const DEFAULT_PAGE_AT: PageAt = { host: RELAY_PAGE_HOST, port: RELAY_PAGE_PORT, chosen: false }

/**
 * Commander parser of `--page <host:port>`. Any IP address may serve the page: it is public (static
 * files and the relay's public addresses).
 *
 * @example
 * ```ts
 * parsePageAddress('[::1]:8080') // { host: '::1', port: 8080, chosen: true }; 'localhost' throws InvalidArgumentError
 * ```
 */
export function parsePageAddress (value: string): PageAt {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim())
  const host = match?.[1] ?? match?.[2] ?? ''
  const port = Number(match?.[3])
  if (match === null || isIP(host) === 0 || port > 65_535) {
    throw new InvalidArgumentError(`--page takes an IP address and a port (e.g. 127.0.0.1:4003, [::1]:4003, 0.0.0.0:8080), not ${JSON.stringify(value.slice(0, 80))}`)
  }
  return { host, port, chosen: true }
}

/**
 * Finds (or, in a checkout, builds) the page and serves it at `at`; undefined, with a note saying why,
 * when there is no page to serve. The default port taken (another relay on this machine) moves the
 * page to a free port; a port the user chose does not move.
 *
 * @example
 * ```ts
 * const page = await startRelayPage(DEFAULT_PAGE_AT, () => addresses, out)
 * out.note(`open the page: ${page?.url(addresses)}`)
 * ```
 */
export async function startRelayPage (at: PageAt, relays: () => string[], out: Output): Promise<RunningRelayPage | undefined> {
  const { relayPage } = await import('../relay-page-files.js')
  const { createRelayPageServer } = await import('../relay-page-server.js')
  let dir: string
  try {
    dir = await relayPage({ onProgress: (line) => { out.note(line) } })
  } catch (err) {
    out.note(`serving no browser page: ${(err as Error).message}`)
    return undefined
  }
  let server = createRelayPageServer({ dir, relays, host: at.host, port: at.port })
  let bound: RelayPageAddress
  try {
    bound = await server.start()
  } catch (err) {
    if (at.chosen) throw err
    server = createRelayPageServer({ dir, relays, host: at.host, port: 0 })
    bound = await server.start()
    out.note(`port ${at.port} is taken (another relay?): the page is served on port ${bound.port}`)
  }
  // a page on every interface is opened here through loopback
  const host = bound.host === '0.0.0.0' ? '127.0.0.1' : bound.host === '::' ? '::1' : bound.host
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${bound.port}/`
  return {
    url: (addresses, network = {}) => {
      const relay = addresses.find((a) => a.startsWith(`/ip${isIP(host)}/${host}/`)) ??
        addresses.find((a) => a.startsWith('/ip4/127.0.0.1/')) ?? addresses[0]
      const params = new URLSearchParams()
      if (relay !== undefined) params.set('relay', relay)
      if (network.powBits !== undefined) params.set('pow', String(network.powBits))
      if (network.stampBits !== undefined) params.set('stamp', String(network.stampBits))
      return params.size === 0 ? origin : `${origin}?${params.toString()}`
    },
    stop: async () => { await server.stop() }
  }
}
