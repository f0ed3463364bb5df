/**
 * `murmur relay` as a user starts it, listening on every interface (not on loopback, as the other
 * browser tests' relay does): two Chromium tabs pair over a direct WebRTC connection, one reaching the
 * relay at 127.0.0.1 (the same machine), the other at the host's LAN address when it has one (a
 * second device on the LAN). The relay's ports are the only thing overridden (`--tcp-port 0
 * --ws-port 0`: 4001 and 4002 may be taken on a CI machine); its listen addresses stay 0.0.0.0 and ::.
 * Before the fix, such a relay dropped every private address from its DHT records, so a tab found
 * the other's provider record without an address and the two never paired (60 s at "0 WebRTC").
 */
import { isLoopback, isPrivate } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { answerLinkSettings, buildExample, hasDirectWebRTC, launchChromium, loopbackOnlyIce, serveStatic, waitForPage } from './browser-harness.js'
import { Sandbox } from './cli-harness.js'
import type { LineProcess, RelayReady } from './cli-harness.js'
import type { Browser, Page } from 'playwright-core'

/**
 * A tab in a context of its own (another person's browser) that mints no stamp: pairing needs none,
 * and minting at the network's difficulty (a relay on every interface of a host with a public address
 * requires it) would load the CI machine for nothing.
 */
async function openTab (browser: Browser, url: string, log: string[]): Promise<Page> {
  const context = await browser.newContext({ permissions: ['microphone'] })
  await context.addInitScript(loopbackOnlyIce)
  await context.addInitScript(() => { localStorage.setItem('murmur:mint', 'off') })
  const page = await context.newPage()
  page.on('console', (msg) => { log.push(`[console.${msg.type()}] ${msg.text()}`) })
  page.on('pageerror', (err) => { log.push(`[pageerror] ${err.message}`) })
  page.on('response', (response) => { if (response.status() >= 400) log.push(`[http ${response.status()}] ${response.url()}`) })
  await page.goto(url)
  return page
}

describe('murmur relay with its default listen addresses (every interface)', () => {
  let sandbox: Sandbox
  let server: { url: string, close(): Promise<void> }
  let browser: Browser | undefined
  let relay: { proc: LineProcess, ready: RelayReady }
  const log: string[] = []

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    const [built] = await Promise.all([buildExample(), (async () => {
      const proc = sandbox.spawn(['relay', '--data-dir', sandbox.dir('relay'), '--tcp-port', '0', '--ws-port', '0', '--no-mdns', '--json'])
      const ready = JSON.parse(await proc.waitForLine((line) => line.includes('"event":"ready"'), 60_000)) as RelayReady
      relay = { proc, ready }
    })()])
    server = await serveStatic(built.dir)
    browser = await launchChromium()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await sandbox?.cleanup()
  })

  it('two tabs, on the same machine and at its LAN address, pair over WebRTC; the page loads without a 404', async () => {
    const forBrowsers = relay.ready.browserMultiaddrs
    const host = (address: string): string => multiaddr(address).getComponents()[0]?.value ?? ''
    const local = forBrowsers.find((address) => host(address) === '127.0.0.1')
    // a host without a private LAN address (only loopback, or a public one) checks the one-machine case twice
    const lan = forBrowsers.find((address) => address.startsWith('/ip4/') && isPrivate(multiaddr(address)) && !isLoopback(multiaddr(address))) ?? local
    expect(local).toBeDefined()
    const urlOf = (address: string | undefined): string => `${server.url}?relay=${encodeURIComponent(address ?? '')}`
    try {
      const page1 = await openTab(browser!, urlOf(local), log)
      const page2 = await openTab(browser!, urlOf(lan), log)
      await Promise.all([answerLinkSettings(page1, 'apply'), answerLinkSettings(page2, 'apply')])
      const [one, two] = await Promise.all([
        waitForPage(page1, (s) => s.ready, 'page 1 to hold a relay slot and join'),
        waitForPage(page2, (s) => s.ready, 'page 2 to hold a relay slot and join')
      ])
      await Promise.all([
        waitForPage(page1, (s) => hasDirectWebRTC(s, two.peerId), 'page 1 to reach page 2 over WebRTC', 60_000),
        waitForPage(page2, (s) => hasDirectWebRTC(s, one.peerId), 'page 2 to reach page 1 over WebRTC', 60_000)
      ])
      // the favicon the page asks for is served (no 404 in the console)
      expect(log.filter((line) => line.startsWith('[http 4') || line.includes('404'))).toEqual([])
    } catch (err) {
      throw new Error(`${(err as Error).message}\nrelay: ${JSON.stringify(relay.ready)}\npage log:\n${log.slice(-60).join('\n')}`, { cause: err })
    }
  }, 150_000)

  it('says its default ports in --help, and refuses --tcp-port or --ws-port with --listen (exit 2)', async () => {
    const [help, both, bad] = await sandbox.runEach([
      ['relay', '--help'],
      ['relay', '--data-dir', sandbox.dir('both'), '--listen', '/ip4/127.0.0.1/tcp/0', '--ws-port', '0'],
      ['relay', '--data-dir', sandbox.dir('bad'), '--ws-port', '65536']
    ])
    expect(help!.code).toBe(0)
    expect(help!.stdout).not.toMatch(/random ports/)
    expect(help!.stdout.replace(/\s+/g, ' ')).toMatch(/TCP on port 4001 and WebSockets on port 4002, on every IPv4 and IPv6 interface/)
    expect(both!.code).toBe(2)
    expect(both!.stderr).toMatch(/--tcp-port and --ws-port set the ports of the default listen addresses/)
    expect(bad!.code).toBe(2)
  })
})
