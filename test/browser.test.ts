/**
 * End to end in real Chromium: a `murmur relay`, one Node.js node and two browser tabs running
 * examples/browser. The tabs reserve relay slots, find each other and move to a direct WebRTC
 * connection; posts flow between tabs and the Node.js node; a reloaded tab keeps its feed (IndexedDB)
 * and catches up through history sync.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createMurmur } from '@murmur/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.js'
import {
  ROOT, buildExample, hasDirectWebRTC, launchChromium, openPage, pageState, serveStatic, waitForPage
} from './browser-harness.js'
import type { Murmur, PostView } from '@murmur/node'
import type { Browser, Page } from 'playwright-core'

const CHANNEL = '#lobby'
/**
 * How long a post may take to reach everyone: an own post leaves through the Dandelion++ stem, and when
 * a stem hop loses it the fail-safe embargo (10 s + Exp(10 s), stem/constants.ts) fluffs it.
 */
const SPREAD = 75_000
const ARTIFACTS = join(ROOT, 'test-results')

/** Resolves with the first post stored by `node` whose body is `body` (already there or to come). */
async function nodeHasPost (node: Murmur, body: string, timeout = SPREAD): Promise<PostView> {
  const found = (await node.feed(CHANNEL, { limit: 100 })).find((post) => post.body === body)
  if (found !== undefined) return found
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { node.removeEventListener('post', listener); reject(new Error(`the Node.js node never got "${body}"`)) }, timeout)
    const listener = (evt: CustomEvent<PostView>): void => {
      if (evt.detail.body === body) {
        clearTimeout(timer)
        node.removeEventListener('post', listener)
        resolve(evt.detail)
      }
    }
    node.addEventListener('post', listener)
  })
}

describe('browser nodes over WebRTC (Chromium)', () => {
  let sandbox: Sandbox
  let server: { url: string, close(): Promise<void> }
  let browser: Browser | undefined
  let node: Murmur | undefined
  let url: string
  let page1: Page
  let page2: Page
  const log: string[] = []

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    const [built, relay] = await Promise.all([
      buildExample(),
      sandbox.relay(['--channel', CHANNEL]).then(({ ready }) => ready)
    ])
    const relayWs = relay.browserMultiaddrs[0]
    expect(relayWs).toMatch(/\/ws\/p2p\/12D3KooW/)
    node = await createMurmur({
      listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'],
      bootstrap: [relay.multiaddrs[0] ?? ''],
      channels: [CHANNEL]
    })
    server = await serveStatic(built.dir)
    url = `${server.url}?relay=${encodeURIComponent(relayWs ?? '')}&channel=${encodeURIComponent(CHANNEL)}`
    browser = await launchChromium()
    await mkdir(ARTIFACTS, { recursive: true })
  }, 120_000)

  afterAll(async () => {
    if (page1 !== undefined && page2 !== undefined) {
      await page1.screenshot({ path: join(ARTIFACTS, 'browser-page-1.png'), fullPage: true }).catch(() => {})
      await page2.screenshot({ path: join(ARTIFACTS, 'browser-page-2.png'), fullPage: true }).catch(() => {})
    }
    await browser?.close()
    await node?.stop()
    await server?.close()
    await sandbox?.cleanup()
  }, 2 * SPREAD)

  it('two tabs hold relay slots and connect to each other over a direct WebRTC connection', async () => {
    try {
      page1 = await openPage(browser!, url, log)
      page2 = await openPage(browser!, url, log)
      const [one, two] = await Promise.all([
        waitForPage(page1, (s) => s.ready, 'page 1 to hold a relay slot and join'),
        waitForPage(page2, (s) => s.ready, 'page 2 to hold a relay slot and join')
      ])
      const [state1, state2] = await Promise.all([
        waitForPage(page1, (s) => hasDirectWebRTC(s, two.peerId), 'page 1 to reach page 2 over WebRTC', 45_000),
        waitForPage(page2, (s) => hasDirectWebRTC(s, one.peerId), 'page 2 to reach page 1 over WebRTC', 45_000)
      ])
      expect(state1.firstWebRTCMs).toBeGreaterThan(0)
      expect(state2.firstWebRTCMs).toBeGreaterThan(0)
      // the relayed connection that carried the WebRTC signalling is closed once the direct one is up
      const settled = await waitForPage(page1, (s) => !s.connections.some((c) => c.peer === two.peerId && c.limited), 'the relayed connection to close')
      // only the tab whose PeerId sorts first starts WebRTC, so two tabs that found each other at the
      // same moment still end up with one direct connection, not two
      expect(settled.connections.filter((c) => c.peer === two.peerId && c.transport === 'webrtc')).toHaveLength(1)
      expect(state1.status).toContain('relay slot held')
      // the peer list shows the tab's WebRTC connection
      await page1.locator(`#peers li[data-peer="${two.peerId}"][data-transport="webrtc"]`).waitFor({ timeout: 10_000 })
    } catch (err) {
      throw new Error(`${(err as Error).message}\npage log:\n${log.slice(-60).join('\n')}`, { cause: err })
    }
  }, 100_000)

  it('a post typed in page 1 appears in page 2 and on the Node.js node', async () => {
    const body = `hello from tab one ${Date.now()}`
    await page1.fill('#body', body)
    await page1.click('#send')
    await waitForPage(page2, (s) => s.feed.includes(body), 'page 2 to show the post of page 1', SPREAD)
    expect((await nodeHasPost(node!, body)).channel).toBe(CHANNEL)
    expect((await pageState(page1)).feed).toContain(body)
  }, 2 * SPREAD)

  it('a post from the Node.js node appears in both pages', async () => {
    const body = `hello from node ${Date.now()}`
    await node!.post(CHANNEL, body)
    await Promise.all([
      waitForPage(page1, (s) => s.feed.includes(body), 'page 1 to show the Node.js post', SPREAD),
      waitForPage(page2, (s) => s.feed.includes(body), 'page 2 to show the Node.js post', SPREAD)
    ])
  }, 2 * SPREAD)

  it('a reloaded page 2 keeps its feed (IndexedDB) and syncs the post it missed', async () => {
    const before = (await pageState(page2)).feed
    expect(before.length).toBeGreaterThanOrEqual(2)
    await page2.goto('about:blank')
    const missed = `posted while tab two was away ${Date.now()}`
    await node!.post(CHANNEL, missed)
    await waitForPage(page1, (s) => s.feed.includes(missed), 'page 1 to show the post page 2 misses', SPREAD)
    await page2.goto(url)
    const after = await waitForPage(page2, (s) => s.ready && s.feed.includes(missed) && before.every((b) => s.feed.includes(b)),
      'the reloaded page 2 to show its old feed and the missed post', 45_000)
    // old posts came from IndexedDB, not from the network; the missed one came over the network
    expect(after.received).toContain(missed)
    for (const old of before) expect(after.received).not.toContain(old)
  }, 2 * SPREAD)
})
