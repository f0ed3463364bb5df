/**
 * Harness of the browser end-to-end tests: builds examples/browser, serves it on loopback, and drives
 * Debian's Chromium through playwright-core. Everything stays on 127.0.0.1 / ::1.
 */
import { execFile } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { readFile, readdir, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { createMurmur } from '@murmur/node'
import { browserMultiaddrs, relayLibp2pOptions } from '@murmur/node/relay'
import { chromium } from 'playwright-core'
import { build } from 'vite'
import { buildKey, keepBuild, restoreBuild } from './browser-build-cache.ts'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import type { Murmur, MurmurInit, NodeMembershipStatus } from '@murmur/node'
// the page's `window.murmurPage` declaration
import type {} from '../examples/browser/src/main.js'

export const ROOT = resolve(import.meta.dirname, '..')
export const EXAMPLE = join(ROOT, 'examples', 'browser')
/** Debian's Chromium (`apt-get install chromium`); playwright never downloads a browser here. */
export const CHROMIUM = '/usr/bin/chromium'

/**
 * Chromium flags: headless without sandbox or GPU, nothing that calls home, and WebRTC host candidates
 * as plain IP addresses (not mDNS `.local` names, which nothing resolves here) including loopback.
 */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--allow-loopback-in-peer-connection'
]

/**
 * Runs in every page before its scripts: ICE may only pair with loopback candidates of the other
 * browser. Chromium also gathers candidates on the machine's other interfaces; dropping those
 * remote candidates keeps every connectivity check, and so the WebRTC connection, on 127.0.0.1 / ::1.
 */
export function loopbackOnlyIce (): void {
  const isLoopback = (line: string): boolean => {
    const address = line.replace(/^a=/, '').split(' ')[4]
    return address === '127.0.0.1' || address === '::1'
  }
  const proto = RTCPeerConnection.prototype
  const addIceCandidate = proto.addIceCandidate
  proto.addIceCandidate = async function (this: RTCPeerConnection, candidate?: RTCIceCandidateInit | null): Promise<void> {
    if (candidate?.candidate !== undefined && candidate.candidate !== '' && !isLoopback(candidate.candidate)) {
      return
    }
    return Reflect.apply(addIceCandidate, this, [candidate]) as Promise<void>
  } as typeof proto.addIceCandidate
  const setRemoteDescription = proto.setRemoteDescription
  proto.setRemoteDescription = async function (this: RTCPeerConnection, description: RTCSessionDescriptionInit): Promise<void> {
    const sdp = description.sdp?.split('\r\n').filter((line) => !line.startsWith('a=candidate:') || isLoopback(line)).join('\r\n')
    return Reflect.apply(setRemoteDescription, this, [{ type: description.type, sdp }]) as Promise<void>
  } as typeof proto.setRemoteDescription
}

declare global {
  /** The STUN/TURN URLs of every RTCPeerConnection the page made, one list per connection ({@link recordIceServers}). */
  interface Window { iceServersSeen?: string[][] }
}

/**
 * Runs in every page before its scripts: records the ICE servers each RTCPeerConnection is configured
 * with (as the browser reports them) in `window.iceServersSeen`, so a test can tell that no STUN or
 * TURN server was asked.
 */
export function recordIceServers (): void {
  const seen: string[][] = []
  window.iceServersSeen = seen
  const Original = window.RTCPeerConnection
  window.RTCPeerConnection = class extends Original {
    constructor (configuration?: RTCConfiguration) {
      super(configuration)
      seen.push((this.getConfiguration().iceServers ?? []).flatMap((server) => typeof server.urls === 'string' ? [server.urls] : server.urls))
    }
  }
}

/**
 * Type-checks and builds examples/browser, or copies the site an earlier test file built of the same sources
 * (see browser-build-cache.ts); resolves to the gzipped size of everything it ships. `outDir`: where the site
 * goes (default examples/browser/dist); a test file of its own gets one, so that two test files building at
 * once do not empty each other's.
 */
export async function buildExample (outDir?: string): Promise<{ dir: string, gzipBytes: number, bytes: number }> {
  const dir = outDir ?? join(EXAMPLE, 'dist')
  const key = await buildKey(ROOT)
  if (!await restoreBuild(key, dir)) {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    await promisify(execFile)(process.execPath, [tsc, '-p', EXAMPLE], { cwd: ROOT, timeout: 120_000 })
    await build({ root: EXAMPLE, configFile: join(EXAMPLE, 'vite.config.ts'), logLevel: 'warn', ...(outDir === undefined ? {} : { build: { outDir, emptyOutDir: true } }) })
    // kept only if no source changed while it built
    if (await buildKey(ROOT) === key) await keepBuild(key, dir)
  }
  let gzipBytes = 0
  let bytes = 0
  for (const file of await listFiles(dir)) {
    const content = await readFile(file)
    bytes += content.byteLength
    gzipBytes += gzipSync(content, { level: 9 }).byteLength
  }
  return { dir, gzipBytes, bytes }
}

async function listFiles (dir: string): Promise<string[]> {
  const files: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    files.push(...(entry.isDirectory() ? await listFiles(path) : [path]))
  }
  return files
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm'
}

/** A static file server for `dir` on 127.0.0.1 (what `vite preview` or any web server would do). */
export async function serveStatic (dir: string): Promise<{ url: string, close(): Promise<void> }> {
  const root = normalize(dir + sep)
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname)
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path))
    if (!file.startsWith(root)) {
      res.writeHead(403).end()
      return
    }
    stat(file).then((info) => {
      if (!info.isFile()) throw new Error('not a file')
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' })
      createReadStream(file).pipe(res)
    }).catch(() => { res.writeHead(404).end() })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }
}

/**
 * A relay for browsers in the test's process, on loopback TCP and WebSockets, in `#lobby`, a DHT server
 * without membership (`init`: more options); with its TCP address (for Node.js nodes) and its first
 * address a browser dials.
 */
export async function startPageRelay (init: MurmurInit = {}): Promise<{ relay: Murmur, tcp: string, ws: string }> {
  const relay = await createMurmur({
    listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'],
    channels: ['#lobby'],
    dhtServer: true,
    membership: false,
    libp2p: relayLibp2pOptions(),
    ...init
  })
  const addresses = relay.getMultiaddrs().map(String)
  return { relay, tcp: addresses.find((ma) => !ma.includes('/ws'))!, ws: browserMultiaddrs(addresses)[0]! }
}

/** Launches headless Chromium with a fresh profile. */
export async function launchChromium (): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 })
}

/**
 * Opens a page in a context of its own (its own IndexedDB: another person's browser), its localStorage
 * holding `storage` at its first load. Its console
 * goes into `log`; `MURMUR_BROWSER_DEBUG=murmur:*` (a debug pattern) turns on the page's libp2p logs.
 * The context holds a microphone permission before the page loads: Chromium gathers loopback ICE
 * candidates only for pages with a camera or microphone permission, and `loopbackOnlyIce` lets ICE
 * pair with nothing but loopback, so without it no WebRTC connection between tabs would complete.
 */
export async function openPage (browser: Browser, url: string, log: string[], storage: Record<string, string> = {}): Promise<Page> {
  const context = await browser.newContext({ permissions: ['microphone'] })
  // `storage`: localStorage entries the page finds at its first load (the user's saved choices)
  if (Object.keys(storage).length > 0) {
    await context.addInitScript((entries: Record<string, string>) => {
      if (sessionStorage.getItem('murmur-test:storage') !== null) return
      sessionStorage.setItem('murmur-test:storage', '1')
      for (const [key, value] of Object.entries(entries)) localStorage.setItem(key, value)
    }, storage)
  }
  await context.addInitScript(loopbackOnlyIce)
  await context.addInitScript(recordIceServers)
  const debug = process.env.MURMUR_BROWSER_DEBUG
  if (debug !== undefined && debug !== '') {
    await context.addInitScript((pattern: string) => { localStorage.setItem('debug', pattern) }, debug)
  }
  const page = await context.newPage()
  page.on('console', (msg) => { log.push(`[console.${msg.type()}] ${msg.text()}`) })
  page.on('pageerror', (err) => { log.push(`[pageerror] ${err.message}`) })
  await page.goto(url)
  return page
}

/**
 * Answers the question a page asks when its link carries `?relay=` or `?pow=` that differ from the
 * tab's saved settings: apply them, or keep the saved ones. Waits for the question to show.
 */
export async function answerLinkSettings (page: Page, answer: 'apply' | 'keep'): Promise<void> {
  await page.locator(answer === 'apply' ? '#link-apply' : '#link-keep').click({ timeout: 30_000 })
}

/** What the page exposes as `window.murmurPage` (examples/browser/src/main.ts), as seen from a test. */
export interface PageState {
  peerId: string
  ready: boolean
  firstWebRTCMs: number | undefined
  feed: string[]
  received: string[]
  connections: Array<{ peer: string, addr: string, transport: string, limited: boolean }>
  status: string
  /** The node's membership (undefined until its node runs, or with membership off). */
  membership: NodeMembershipStatus | undefined
  /** The membership panel's text and state (`minting`, `member`, `none`). */
  membershipText: string
  membershipState: string
}

/** Reads a page's state (undefined fields until its node runs). */
export async function pageState (page: Page): Promise<PageState> {
  return page.evaluate(() => {
    const p = window.murmurPage
    return {
      peerId: p?.node.peerId.toString() ?? '',
      ready: document.body.dataset.ready === 'true',
      firstWebRTCMs: p?.firstWebRTCMs,
      feed: [...document.querySelectorAll('#feed .post > .body')].map((el) => el.textContent ?? ''),
      received: [...(p?.received.values() ?? [])].map((post) => post.body),
      connections: p?.connections() ?? [],
      status: document.getElementById('status')?.textContent ?? '',
      membership: p?.node.membership(),
      membershipText: document.getElementById('membership-text')?.textContent ?? '',
      membershipState: document.getElementById('membership-text')?.dataset.state ?? ''
    }
  })
}

/**
 * Polls a page until `check` holds for its state, or fails after `timeout` ms with the last state.
 * There is no event to await across the page boundary, so this polls (every 100 ms) with a deadline.
 */
export async function waitForPage (page: Page, check: (state: PageState) => boolean, what: string, timeout = 30_000): Promise<PageState> {
  const deadline = Date.now() + timeout
  let state = await pageState(page)
  while (!check(state)) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; last state: ${JSON.stringify(state)}`)
    }
    await page.waitForTimeout(100)
    state = await pageState(page)
  }
  return state
}

/**
 * A direct WebRTC connection to `peer` (a `/webrtc` address, no relay limits) that has carried data:
 * the page sets `firstWebRTCMs` once identify ran over a WebRTC connection, which a connection whose
 * ICE never completed cannot do.
 */
export function hasDirectWebRTC (state: PageState, peer: string): boolean {
  return state.firstWebRTCMs !== undefined &&
    state.connections.some((c) => c.peer === peer && c.transport === 'webrtc' && !c.limited && c.addr.includes('/webrtc'))
}
