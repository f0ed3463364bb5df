/**
 * The page's onion setting, in real Chromium: a tab ticks "onion-wrapped posts" in its settings form,
 * the page starts again with its node running the onion (a mix that knows the relay's mix key), and a
 * post typed in it still reaches a Node.js node behind the relay (the tab knows fewer than 3 mixes, so
 * the stem takes it: the onion on never costs delivery). A relay for browsers, itself a mix, and the
 * other node run in this process.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMurmur } from '@murmur/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { answerLinkSettings, buildExample, launchChromium, openPage, serveStatic, startPageRelay } from './browser-harness.ts'
import type { Murmur, OnionStatus, PostView } from '@murmur/node'
import type { Browser, Page } from 'playwright-core'

/** Proof of work of this test network. */
const POW_BITS = 8

describe('the browser page with the onion on (Chromium)', () => {
  let outDir: string
  let server: { url: string, close(): Promise<void> }
  let browser: Browser | undefined
  let page: Page
  let relay: Murmur
  let other: Murmur
  const log: string[] = []

  const ready = async (): Promise<void> => { await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 30_000 }) }
  const onion = async (): Promise<OnionStatus | undefined> => page.evaluate(() => window.murmurPage?.node.onion)

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'murmur-onion-page-'))
    let ws = ''
    const [built] = await Promise.all([buildExample(outDir), (async () => {
      let tcp: string
      ;({ relay, tcp, ws } = await startPageRelay({ powBits: POW_BITS, onion: true }))
      other = await createMurmur({ listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [tcp], powBits: POW_BITS, channels: ['#lobby'], membership: false, onion: true })
    })()])
    server = await serveStatic(built.dir)
    browser = await launchChromium()
    // the tab mints no member stamp: a mint's CPU is not what this test is about
    page = await openPage(browser, `${server.url}?relay=${encodeURIComponent(ws)}&pow=${POW_BITS}`, log, { 'murmur:mint': 'off' })
    await answerLinkSettings(page, 'apply')
    await ready()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await other?.stop()
    await relay?.stop()
    if (outDir !== undefined) await rm(outDir, { recursive: true, force: true })
  }, 30_000)

  it('starts the node with the onion the settings form turned on; a post still arrives', async () => {
    expect(await onion()).toMatchObject({ enabled: false })
    await page.locator('#open-settings').click()
    await page.locator('#onion').check()
    await Promise.all([page.waitForEvent('load'), page.locator('#settings-form button[type=submit]').click()])
    await ready()
    expect(await page.evaluate(() => localStorage.getItem('murmur:onion'))).toBe('on')
    // the setting shows ticked when the form opens again
    await page.locator('#open-settings').click()
    expect(await page.locator('#onion').isChecked()).toBe(true)
    // the tab's mix fetched the relay's key: browsers take part in the mix directory (its connection to the relay
    // may be identified before the onion layer starts: registerTopology reports it)
    await page.waitForFunction(() => (window.murmurPage?.node.onion.mixes ?? 0) >= 1, undefined, { timeout: 10_000 })
    expect(await onion()).toMatchObject({ enabled: true, pending: 0 })

    const body = 'from a tab with the onion on'
    const arrived = new Promise<PostView>((resolve) => {
      other.addEventListener('post', (evt) => { if (evt.detail.body === body) resolve(evt.detail) })
    })
    await page.locator('#body').fill(body)
    await page.locator('#send').click()
    expect((await arrived).body).toBe(body)
    expect(log.filter((line) => line.startsWith('[pageerror]'))).toEqual([])
  }, 60_000)
})
