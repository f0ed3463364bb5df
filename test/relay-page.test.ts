/**
 * `murmur relay` serves the browser page (issue 18: no central server serves it). A real relay process on
 * loopback with its own data dir, started as a user starts it (the page at its default address): the URL it
 * prints opens in Chromium, and the tab starts on that relay without asking (the page's own server vouches
 * for it, and the tab never paints "this link wants to change your settings", not even for a moment), holds
 * a relay slot and joins, with no Content-Security-Policy violation. The server answers only
 * the page's files: a path out of the page (`..` raw, encoded, with a backslash or a NUL), a directory, a
 * hidden file, a link out of the page, a file type no page build writes, another method, the relay's data
 * dir and anything that looks like a control API all get no file. A crafted link to the same page that names
 * another relay is still only proposed.
 */
import { request } from 'node:http'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProgram } from '@murmur/cli'
import { parsePageAddress } from '../packages/cli/dist/src/commands/relay-page.js'
import { RELAY_HEADER } from '@murmur/node/relay-constants'
import { createRelayPageServer, PAGE_CSP } from '../packages/cli/dist/src/relay-page-server.js'
import { launchChromium, loopbackOnlyIce, waitForPage } from './browser-harness.ts'
import { Sandbox } from './cli-harness.ts'
import type { LineProcess, RelayReady } from './cli-harness.ts'
import type { Browser, Page } from 'playwright-core'

declare global {
  /** CSP violations the page met (recorded by the init script of this test). */
  interface Window { cspViolations?: string[], linkWarnings?: string[] }
}

/** A raw GET (or `method`) of `path` exactly as written: fetch() would resolve `..` before sending it. */
async function raw (origin: string, path: string, method = 'GET'): Promise<{ status: number, headers: Record<string, unknown>, body: string }> {
  const { hostname, port } = new URL(origin)
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method }, (res) => {
      let body = ''
      res.setEncoding('latin1').on('data', (chunk: string) => { body += chunk }).on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
      })
    })
    req.on('error', reject).end()
  })
}

/** Paths that must not give a file: out of the page, hidden, a directory, the relay's data dir, a control API. */
const REFUSED = [
  '/../package.json', '/../../package.json', '/%2e%2e/package.json', '/%2E%2E/%2E%2E/package.json', '/assets/..%2f..%2fpackage.json',
  '/..%5c..%5cpackage.json', '/assets/%2e%2e/%2e%2e/package.json', '/index.html%00.js', '/%E0%A4%A', '/assets/', '/assets',
  '//etc/passwd', '/.vite/manifest.json', '/peer.key', '/../relay/peer.key', '/api.json', '/status', '/events', '/metrics', '/token'
]

describe('murmur relay serves the browser page', () => {
  let sandbox: Sandbox
  let relay: { proc: LineProcess, ready: RelayReady & { page?: string } }
  let browser: Browser | undefined
  const log: string[] = []

  /** A tab in a context of its own that mints no stamp (it only needs its relay slot) and records CSP violations. */
  const openTab = async (url: string): Promise<Page> => {
    const context = await browser!.newContext({ permissions: ['microphone'] })
    await context.addInitScript(loopbackOnlyIce)
    await context.addInitScript(() => {
      localStorage.setItem('murmur:mint', 'off')
      window.cspViolations = []
      document.addEventListener('securitypolicyviolation', (evt) => { window.cspViolations?.push(`${evt.violatedDirective} ${evt.blockedURI}`) })
      // every paint of the link warning, however brief: observed from before the page's script runs
      window.linkWarnings = []
      new MutationObserver(() => {
        const status = document.getElementById('status')?.textContent ?? ''
        const section = document.getElementById('link-settings')
        const seen = [...(status.includes('wants to change') ? [`status: ${status}`] : []), ...(section !== null && !section.hidden ? ['#link-settings shown'] : [])]
        for (const warning of seen) if (!window.linkWarnings?.includes(warning)) window.linkWarnings?.push(warning)
      }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['hidden'] })
    })
    const page = await context.newPage()
    page.on('console', (msg) => { log.push(`[console.${msg.type()}] ${msg.text()}`) })
    page.on('pageerror', (err) => { log.push(`[pageerror] ${err.message}`) })
    await page.goto(url)
    return page
  }

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    const [proc, launched] = await Promise.all([
      sandbox.spawn(['relay', '--data-dir', sandbox.dir('relay'), '--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--no-mdns', '--json']),
      launchChromium()
    ])
    browser = launched
    relay = { proc, ready: JSON.parse(await proc.waitForLine((line) => line.includes('"event":"ready"'), 90_000)) }
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await sandbox?.cleanup()
  })

  it('prints a loopback URL with its address; the page opens on that relay without asking, holds a slot, no CSP violation', async () => {
    const url = relay.ready.page ?? ''
    const relayAddress = relay.ready.browserMultiaddrs[0]
    expect(new URL(url).hostname).toBe('127.0.0.1')
    expect(new URL(url).searchParams.get('relay')).toBe(relayAddress)
    const index = await raw(url, '/')
    expect(index.status).toBe(200)
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(index.headers['content-security-policy']).toBe(PAGE_CSP)
    expect(index.headers['x-content-type-options']).toBe('nosniff')
    expect(index.headers[RELAY_HEADER]).toBe(relay.ready.browserMultiaddrs.join(' '))
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(index.body)?.[1] ?? ''
    expect((await raw(url, `/${script}`)).headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect((await raw(url, '/manifest.webmanifest')).headers['content-type']).toBe('application/manifest+json')

    const page = await openTab(url)
    try {
      const state = await waitForPage(page, (s) => s.ready, 'the tab to hold a slot on the relay that served it and join', 60_000)
      expect(state.connections.some((c) => c.peer === relay.ready.peerId && c.transport === 'websocket')).toBe(true)
      expect(await page.locator('#link-settings').isHidden()).toBe(true)
      // not even a flash of "this link wants to change your settings" while the page checked its own relay
      expect(await page.evaluate(() => window.linkWarnings)).toEqual([])
      expect(await page.evaluate(() => localStorage.getItem('murmur:relay'))).toBe(relayAddress)
      // the link's settings left the address bar
      expect(new URL(page.url()).searchParams.has('relay')).toBe(false)
      expect(await page.evaluate(() => window.cspViolations)).toEqual([])
      expect(log.filter((line) => line.startsWith('[pageerror]'))).toEqual([])
    } catch (err) {
      throw new Error(`${(err as Error).message}\nrelay: ${JSON.stringify(relay.ready)}\npage log:\n${log.slice(-40).join('\n')}`, { cause: err })
    }
  }, 90_000)

  it('a crafted link to the relay\'s own page that names another relay is only proposed', async () => {
    const other = '/ip4/127.0.0.1/tcp/9/ws/p2p/12D3KooWHb1G5pwxTJzdfwRbANSjLLB8dp9QAYHbZajVwAFifHCg'
    const page = await openTab(`${new URL(relay.ready.page ?? '').origin}/?relay=${encodeURIComponent(other)}`)
    await page.locator('#link-settings').waitFor({ state: 'visible', timeout: 30_000 })
    // the warning the first tab never showed: the observer sees it here
    expect(await page.evaluate(() => window.linkWarnings)).toEqual(['status: this link wants to change your settings: apply them, or keep yours', '#link-settings shown'])
    // the relay proposed against is the page's own, not "none"
    const shown = await page.locator('#link-changes dd[data-setting="relay"]').innerText()
    expect(shown).toBe(`${relay.ready.browserMultiaddrs[0]} → ${other}`)
    await page.locator('#link-keep').click()
    expect(await page.evaluate(() => localStorage.getItem('murmur:relay'))).toBe(relay.ready.browserMultiaddrs[0])
  }, 60_000)

  it('serves no file out of the page, no directory, no data dir and no control API; GET and HEAD only', async () => {
    const origin = relay.ready.page ?? ''
    const answers = await Promise.all(REFUSED.map(async (path) => [path, (await raw(origin, path)).status] as const))
    expect(answers.filter(([, status]) => status !== 404 && status !== 400)).toEqual([])
    const post = await raw(origin, '/', 'POST')
    expect(post.status).toBe(405)
    expect(post.headers.allow).toBe('GET, HEAD')
  })

  it('refuses a link out of the page, hidden files and file types no page build writes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'murmur-relay-page-'))
    try {
      await mkdir(join(dir, 'page', 'assets'), { recursive: true })
      await writeFile(join(dir, 'secret.txt'), 'secret')
      await writeFile(join(dir, 'page', 'index.html'), '<!doctype html><title>page</title>')
      await writeFile(join(dir, 'page', 'assets', 'inside.txt'), 'inside')
      await writeFile(join(dir, 'page', '.env'), 'hidden')
      await writeFile(join(dir, 'page', 'tool.exe'), 'binary')
      await symlink(join(dir, 'secret.txt'), join(dir, 'page', 'leak.txt'))
      await symlink(join(dir, 'page', 'assets', 'inside.txt'), join(dir, 'page', 'alias.txt'))
      const server = createRelayPageServer({ dir: join(dir, 'page'), relays: () => [], port: 0 })
      const { port } = await server.start()
      try {
        const origin = `http://127.0.0.1:${port}/`
        const status = async (path: string): Promise<number> => (await raw(origin, path)).status
        expect(await Promise.all(['/leak.txt', '/.env', '/tool.exe', '/assets/', '/../secret.txt'].map(status))).toEqual([404, 404, 404, 404, 404])
        expect(await Promise.all(['/assets/inside.txt', '/alias.txt'].map(status))).toEqual([200, 200])
        // the page's own host shows no relay when the relay has none for browsers
        expect((await raw(origin, '/index.html')).headers[RELAY_HEADER]).toBe('')
      } finally {
        await server.stop()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a --page address that cannot be bound: exit 2 (a usage error) with the reason, the relay not left running', async () => {
    const taken = new URL(relay.ready.page!)
    const result = await sandbox.run(['relay', '--data-dir', sandbox.dir('second-relay'), '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--page', `${taken.hostname}:${taken.port}`])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`could not serve the page on ${taken.hostname}:${taken.port}`)
  }, 120_000)

  it('--help says where the page is served and how to turn it off; --page takes an IP address and a port', () => {
    const text = (createProgram().commands.find((command) => command.name() === 'relay')?.helpInformation() ?? '').replace(/\s+/g, ' ')
    expect(text).toMatch(/--page <host:port> serve the browser page over HTTP .*default: 127\.0\.0\.1:4003, loopback only/)
    expect(text).toMatch(/--no-page serve no browser page/)
    expect(parsePageAddress('[::1]:0')).toEqual({ host: '::1', port: 0, chosen: true })
    for (const bad of ['localhost:4003', '127.0.0.1', '127.0.0.1:65536', '0.0.0.0:80a']) {
      expect(() => parsePageAddress(bad), bad).toThrow(/--page takes an IP address and a port/)
    }
  })
})
