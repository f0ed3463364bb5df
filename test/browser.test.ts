/**
 * End to end in real Chromium: a `murmur relay`, one Node.js node and two browser tabs running
 * examples/browser. The tabs reserve relay slots, find each other and move to a direct WebRTC
 * connection; posts flow between tabs and the Node.js node; a reloaded tab keeps its feed (IndexedDB)
 * and catches up through history sync. A link cannot set a tab's relay or proof of work without the
 * user; text from the network is shown sanitised, and pseudonyms by their 48-bit names; no WebRTC
 * connection asks an ICE server.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createMurmur } from '@murmur/node'
import { buildEnvelope, channelTopic, fromHex, pseudonymName, toHex } from '@murmur/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox, TEST_STAMP_BITS } from './cli-harness.js'
import {
  ROOT, answerLinkSettings, buildExample, hasDirectWebRTC, launchChromium, loopbackOnlyIce, openPage, pageState, serveStatic, waitForPage
} from './browser-harness.js'
import type { Murmur, PostView } from '@murmur/node'
import type { Browser, Locator, Page } from 'playwright-core'

const CHANNEL = '#lobby'
/**
 * How long a post may take to reach everyone: an own post leaves through the Dandelion++ stem, and when
 * a stem hop loses it the fail-safe embargo (10 s + Exp(10 s), stem/constants.ts) fluffs it.
 */
const SPREAD = 75_000
const ARTIFACTS = join(ROOT, 'test-results')

/** The relay address in a page URL. */
function relayOf (pageUrl: string): string {
  return new URL(pageUrl).searchParams.get('relay') ?? ''
}

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

/** Polls `check` every 100 ms until it holds (no event exists for a directory's size), failing after `timeout` ms. */
async function waitFor (check: () => boolean, what: string, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Polls an async `check` every 100 ms until it holds, failing after `timeout` ms. */
async function waitForAsync (check: () => Promise<boolean>, what: string, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Resolves with the first `count` votes on `parent` that `node` stores from now on. */
async function votesOn (node: Murmur, parent: string, count: number, timeout = SPREAD): Promise<PostView[]> {
  const votes: PostView[] = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { node.removeEventListener('post', listener); reject(new Error(`the Node.js node got ${votes.length} of ${count} votes on ${parent}`)) }, timeout)
    const listener = (evt: CustomEvent<PostView>): void => {
      if (evt.detail.kind !== 'VOTE' || evt.detail.parent !== parent) return
      votes.push(evt.detail)
      if (votes.length === count) {
        clearTimeout(timer)
        node.removeEventListener('post', listener)
        resolve(votes)
      }
    }
    node.addEventListener('post', listener)
  })
}

/** The page's sending line (`#mining`) once it matches `done` (the outcome of a post or vote). */
async function miningText (page: Page, done: RegExp, timeout = SPREAD): Promise<string> {
  const handle = await page.waitForFunction((source) => {
    const text = document.getElementById('mining')?.textContent ?? ''
    return new RegExp(source).test(text) ? text : undefined
  }, done.source, { timeout, polling: 100 })
  return await handle.jsonValue() as string
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
  /** Body of the post page 1 makes once it holds a stamp (a member's post). */
  let tabPost = ''

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
      channels: [CHANNEL],
      // the network's stamps are at TEST_STAMP_BITS (relay and tabs): judged at 10 bits, they would cut peers off
      membership: { stampBits: TEST_STAMP_BITS }
    })
    server = await serveStatic(built.dir)
    // the tabs mint (their default) at the test network's stamp difficulty, proposed by the link like the relay
    url = `${server.url}?relay=${encodeURIComponent(relayWs ?? '')}&stamp=${TEST_STAMP_BITS}&channel=${encodeURIComponent(CHANNEL)}`
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
      await Promise.all([answerLinkSettings(page1, 'apply'), answerLinkSettings(page2, 'apply')])
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
      // a tab with a relay shows neither the link question nor the settings form
      expect(await page1.locator('#link-settings').isVisible()).toBe(false)
      expect(await page1.locator('#settings-form').isVisible()).toBe(false)
      // the peer list shows the tab's WebRTC connection
      await page1.locator(`#peers li[data-peer="${two.peerId}"][data-transport="webrtc"]`).waitFor({ timeout: 10_000 })
      // no third party was asked: every peer connection the tabs made had no STUN/TURN server
      for (const page of [page1, page2]) {
        const configs = await page.evaluate(() => window.iceServersSeen ?? [])
        expect(configs.length).toBeGreaterThan(0)
        expect(configs.flat()).toEqual([])
      }
    } catch (err) {
      throw new Error(`${(err as Error).message}\npage log:\n${log.slice(-60).join('\n')}`, { cause: err })
    }
  }, 100_000)

  it('each tab mints a member stamp by default, shows it, and the Node.js node\'s directory takes both', async () => {
    const [one, two] = await Promise.all([page1, page2].map(async (page) => waitForPage(page,
      (s) => s.membership?.stamp !== undefined && s.membershipState === 'member', 'the tab to hold a stamp and show it', SPREAD)))
    for (const state of [one!, two!]) {
      expect(state.membership?.minter).toBe(true)
      expect(state.membershipText).toMatch(/^member until .+ · \d+ members? in the directory · (your votes hide among \d+ \(16 once the directory holds that many\)|no other member known yet: votes wait for one)$/)
    }
    expect(await page1.locator('#mint-toggle').textContent()).toBe('stop minting in this tab')
    await waitFor(() => (node!.membership()?.members ?? 0) >= 2, 'the Node.js node to hold both tabs\' stamps', SPREAD)
    expect(node!.membership()?.minter).toBe(false)
  }, 2 * SPREAD)

  it('a tab shows its mint as a progress bar, and the user can turn minting in the tab off', async () => {
    // 20 bits: a mint that outlasts the test, so the bar is there to see
    const context = await browser!.newContext()
    try {
      const tab = await context.newPage()
      await tab.goto(url.replace(`stamp=${TEST_STAMP_BITS}`, 'stamp=20') + '&store=minting-tab')
      await answerLinkSettings(tab, 'apply')
      const minting = await waitForPage(tab, (s) => s.membershipState === 'minting' && s.membershipText.includes('% of the expected work'), 'the tab to show its mint\'s progress', SPREAD)
      expect(minting.membershipText).toMatch(/^becoming a member: \d+% of the expected work, about \d+ (s|min|h) left \(a lottery: sooner or later\); it runs in the background once a week · \d+ members? in the directory · (your votes hide among \d+ \(16 once the directory holds that many\)|no other member known yet: votes wait for one)$/)
      expect(await tab.locator('#mint-progress').isVisible()).toBe(true)
      await tab.locator('#mint-toggle').click()
      const off = await waitForPage(tab, (s) => s.membership?.minter === false, 'the tab to start again without minting')
      expect(off.membershipText).toMatch(/^not minting a member stamp: your votes count toward nothing/)
      expect(await tab.locator('#mint-progress').isVisible()).toBe(false)
      expect(await tab.locator('#mint-toggle').textContent()).toBe('mint in this tab')
      expect(await tab.evaluate(() => localStorage.getItem('murmur:mint'))).toBe('off')
    } finally {
      await context.close()
    }
  }, 2 * SPREAD)

  it('a post typed in page 1 appears in page 2 and on the Node.js node', async () => {
    const body = `hello from tab one ${Date.now()}`
    tabPost = body
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

  it('each tab votes as a member: its vote counts once on the Node.js node; a tab without a stamp is told its vote would not count', async () => {
    // the tabs hold stamps (above); each signs once its stamp is out and the other's is in its directory
    await Promise.all([page1, page2].map(async (page) => waitForPage(page, (s) => (s.membership as { signing?: boolean } | undefined)?.signing === true,
      'the tab to sign as a member (its stamp out, the other tab\'s in its directory)', SPREAD)))
    const body = `vote on me ${Date.now()}`
    const { id } = await node!.post(CHANNEL, body)
    const items = [page1, page2].map((page) => page.locator(`#feed li.post[data-id="${id}"]`))
    await Promise.all(items.map(async (item) => item.waitFor({ timeout: SPREAD })))
    // the Node.js node mints no stamp: its post is one-time-signed, marked unverified in both tabs
    for (const item of items) expect(await item.locator('> .meta .mark').textContent()).toBe('unverified')

    const votes = votesOn(node!, id, 2)
    for (const [i, page] of [page1, page2].entries()) {
      await items[i]!.locator('> .meta .up').click()
      expect(await miningText(page, /^(sent|queued|not )/)).toMatch(/^(sent|queued until someone in #lobby is reachable) · ring-signed among 2 members \(a small ring: the directory holds fewer than 16 yet\)$/)
    }
    // both votes reach the Node.js node as members' votes, and count: +2
    for (const vote of await votes) expect(vote).toMatchObject({ kind: 'VOTE', parent: id, vote: 1, member: true })
    await waitForAsync(async () => (await node!.get(id))?.score === 2, 'the Node.js node to count both members\' votes', SPREAD)
    // and each tab shows the score the members gave it
    for (const page of [page1, page2]) {
      await page.waitForFunction((post) => document.querySelector(`#feed li.post[data-id="${post}"] > .meta .score`)?.textContent === '+2', id, { timeout: SPREAD, polling: 100 })
    }

    // a tab that mints no stamp (the user turned it off) votes: refused, and told why, nothing sent
    const context = await browser!.newContext({ permissions: ['microphone'] })
    try {
      await context.addInitScript(loopbackOnlyIce)
      await context.addInitScript(() => { localStorage.setItem('murmur:mint', 'off') })
      const tab = await context.newPage()
      await tab.goto(`${url}&store=no-mint-tab`)
      await answerLinkSettings(tab, 'apply')
      const item = tab.locator(`#feed li.post[data-id="${id}"]`)
      await item.waitFor({ timeout: SPREAD })
      await item.locator('> .meta .up').click()
      expect(await miningText(tab, /^(sent|queued|not )/)).toBe('not voted: only members\' votes count, and this tab mints no member stamp (turn minting on in the membership panel)')
    } finally {
      await context.close()
    }
    expect((await node!.get(id))?.score).toBe(2)
  }, 4 * SPREAD)

  it('a tab\'s post once it holds a stamp is a member\'s: marked member in the other tab and on the Node.js node', async () => {
    const fromTab = page2.locator('#feed li.post').filter({ has: page2.locator('> .body', { hasText: tabPost }) })
    await fromTab.waitFor({ timeout: SPREAD })
    expect(await fromTab.locator('> .meta .mark').textContent()).toBe('member')
    expect((await nodeHasPost(node!, tabPost)).member).toBe(true)
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
  it('text from the network is shown without bidi or invisible characters, blank runs collapsed, under a 48-bit name', async () => {
    const spoof = 'invoice_\u202Efdp.exe\u202C'
    const blankRun = `top${'\n'.repeat(30)}bottom ${Date.now()}`
    const blanks = '\n'.repeat(30)
    const ids: string[] = []
    for (const body of [spoof, blankRun]) ids.push((await node!.post(CHANNEL, body)).id)
    // the library refuses a blank post of its own user (as the CLI does); another implementation can
    // still send one, so the blank post comes as hand-built bytes published straight into gossip
    const blank = await buildEnvelope({ channel: CHANNEL, body: blanks })
    await node!.libp2p.services.pubsub.publish(channelTopic(CHANNEL), blank.bytes)
    ids.push(toHex(blank.id))
    const item = (id: string): Locator => page1.locator(`#feed li.post[data-id="${id}"]`)
    await Promise.all(ids.map(async (id) => item(id).waitFor({ timeout: SPREAD })))
    // the right-to-left override is gone: the name reads as it is stored, not as "invoice_exe.pdf"
    expect(await item(ids[0]!).locator('> .body').textContent()).toBe('invoice_fdp.exe')
    // 30 blank lines take one blank line, and a post of nothing but blank lines takes one line
    expect(await item(ids[1]!).locator('> .body').textContent()).toMatch(/^top\n\nbottom \d+$/)
    const lineHeight = await item(ids[1]!).locator('> .body').evaluate((el) => Number.parseFloat(getComputedStyle(el).lineHeight))
    expect((await item(ids[1]!).locator('> .body').boundingBox())!.height).toBeLessThanOrEqual(3.5 * lineHeight)
    expect(await item(ids[2]!).locator('> .body').textContent()).toBe('(no visible text)')
    expect((await item(ids[2]!).locator('> .body').boundingBox())!.height).toBeLessThanOrEqual(1.5 * lineHeight)
    // the name shown is the shared 48-bit name of the post's pseudonym, not a few hex digits
    const pseudonym = await page1.evaluate((id) => window.murmurPage?.received.get(id)?.pseudonym, ids[0]!)
    expect(pseudonym).toMatch(/^[0-9a-f]{64}$/)
    expect(await item(ids[0]!).locator('> .meta .nym').textContent()).toBe(pseudonymName(fromHex(pseudonym!)))
  }, 2 * SPREAD)

  it("a link's relay and proof of work take effect only once the user applies them", async () => {
    const crafted = `/ip4/127.0.0.1/tcp/9/ws/p2p/${(await pageState(page1)).peerId}`
    // a tab with a relay: a crafted link proposes another one and a proof of work; the user keeps theirs
    const tab = await page1.context().newPage()
    try {
      await tab.goto(`${server.url}?relay=${encodeURIComponent(crafted)}&pow=1&store=crafted-link&channel=${encodeURIComponent(CHANNEL)}`)
      const question = tab.locator('#link-settings')
      await question.waitFor({ state: 'visible', timeout: 30_000 })
      expect(await question.locator('dd[data-setting="relay"]').textContent()).toBe(`${relayOf(url)} → ${crafted}`)
      expect(await question.locator('dd[data-setting="powBits"]').textContent()).toMatch(/^default \(.*\) → 1$/)
      // nothing starts while the question is open
      expect(await tab.evaluate(() => window.murmurPage === undefined)).toBe(true)
      await answerLinkSettings(tab, 'keep')
      await waitForPage(tab, (s) => s.ready, 'the tab to start on its own relay')
      expect(await tab.evaluate(() => window.murmurPage?.settings)).toMatchObject({ relay: relayOf(url), powBits: undefined })
      expect(new URL(tab.url()).searchParams.has('relay')).toBe(false)
    } finally {
      await tab.close()
    }
    // a fresh browser: the link's relay is offered, not taken; applied, it is saved for the next visits
    const context = await browser!.newContext()
    try {
      const fresh = await context.newPage()
      // kept: no relay of its own, so the tab asks for one and starts nothing
      await fresh.goto(`${url}&pow=9&store=fresh-link`)
      await answerLinkSettings(fresh, 'keep')
      await fresh.locator('#settings-form').waitFor({ state: 'visible', timeout: 30_000 })
      expect(await fresh.evaluate(() => window.murmurPage === undefined)).toBe(true)
      await fresh.goto(`${url}&pow=9&store=fresh-link`)
      await fresh.locator('#link-settings').waitFor({ state: 'visible', timeout: 30_000 })
      await answerLinkSettings(fresh, 'apply')
      await waitForPage(fresh, (s) => s.peerId !== '', 'the fresh tab to start its node')
      expect(await fresh.evaluate(() => window.murmurPage?.settings)).toMatchObject({ relay: relayOf(url), powBits: 9 })
      expect(await fresh.evaluate(() => [localStorage.getItem('murmur:relay'), localStorage.getItem('murmur:pow')])).toEqual([relayOf(url), '9'])
    } finally {
      await context.close()
    }
  }, 2 * SPREAD)

  it('a post the node refuses keeps what was typed, and a channel typed `Lobby-Two` is #lobby-two as in the CLI', async () => {
    // 1,100 characters fit the text box; 2,200 bytes are over the node's 2,048-byte limit
    const tooLong = `é${'é'.repeat(1099)}`
    await page1.fill('#body', tooLong)
    await page1.click('#send')
    await page1.waitForFunction(() => (document.getElementById('mining')?.textContent ?? '').startsWith('not sent'), undefined, { timeout: SPREAD })
    expect(await page1.inputValue('#body')).toBe(tooLong)
    await page1.fill('#body', '')
    await page1.fill('#new-channel', ' Lobby-Two ')
    await page1.press('#new-channel', 'Enter')
    await page1.waitForFunction(() => window.murmurPage?.node.channels().includes('#lobby-two') === true, undefined, { timeout: SPREAD })
    expect(await page1.evaluate(() => window.murmurPage?.node.channels().includes('#Lobby-Two'))).toBe(false)
    await page1.selectOption('#channel', CHANNEL)
  }, 2 * SPREAD)
})
