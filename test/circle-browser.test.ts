/**
 * A private circle end to end (issue 15): three members, two `murmur` daemons and the browser page in real
 * Chromium, and one node that is no member, the relay the page goes through (a relay for browsers as
 * `murmur relay` makes one, in this process so that what it holds can be read). The page joins from a join
 * link, whose bootstrap hint is shown and never dialed, and after a damaged invite that changed nothing; it
 * makes the invite the second daemon joins with (text, link, QR code), and creates a circle of its own that
 * says it cannot be posted in. A day on (the members' clocks; the protocol's newcomer delay is not waited
 * out): members read each other's posts with the member mark; one vote per member counts; the daemon that
 * was offline gets the circle's history by sync; the owner removes the page, which reads nothing posted
 * after the rotation though the frames reach it. The relay carried every frame and read none. The circle
 * commands run through the CLI; reads, posts and votes through the daemons' control API, which is what the
 * CLI calls (a CLI process takes seconds to start on a loaded machine, and the reads are polled).
 */
import { request } from 'node:http'
import { createServer } from 'node:net'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CIRCLE_SHARED_TOPIC, CircleRecordType, NEWCOMER_DELAY_SECONDS, decodeInvite, deriveCircleKeys, isCircleChannel, openCircleFrame, postIdOf, toHex
} from '@murmur/protocol'
import QRCode from 'qrcode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { qrPath, qrSegments } from '../examples/browser/src/invite.ts'
import { answerLinkSettings, buildExample, launchChromium, openPage, pageState, serveStatic, startPageRelay, waitForPage } from './browser-harness.ts'
import { Sandbox, TEST_STAMP_BITS, clockShiftEnv } from './cli-harness.ts'
import type { Server } from 'node:net'
import type { Daemon } from './cli-harness.ts'
import type { Murmur } from '@murmur/node'
import type { Browser, Page } from 'playwright-core'

/** How long a frame may take to reach a member (a loaded machine, a stem embargo if a hop loses it), in ms. */
const SPREAD = 75_000
/** The members' clocks once they are past the newcomer delay, by an hour (seconds ahead). */
const LATER = NEWCOMER_DELAY_SECONDS + 3600
/** The localStorage key the page's clock shift is read from (an init script of this test, not of the page). */
const SHIFT_KEY = 'murmur-test:clock-shift'
/** Proof of work of this test network (daemons, relay and page). */
const POW_BITS = 8

interface Post { id: string, kind: string, body: string, member: boolean, circle?: string, score: number }
interface Member { key: string, name?: string, inviter?: string, self: boolean }

/** Runs in the page before its scripts: moves Date.now, which the node reads as its clock, by the seconds saved under `key`. */
function shiftClock (key: string): void {
  const shift = Number(localStorage.getItem(key) ?? '0') * 1000
  if (shift === 0) return
  const now = Date.now
  Date.now = () => now() + shift
}

/**
 * One request to a daemon's control API (its Unix socket and bearer token, from api.json): what the CLI
 * does, without starting a process each time (seconds each on a loaded machine). Resolves with the status and body.
 */
async function api<T> (d: Daemon, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number, json: T }> {
  const { socket, token } = JSON.parse(await readFile(join(d.dataDir, 'api.json'), 'utf8')) as { socket: string, token: string }
  const headers = { host: 'localhost', authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  return await new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path: `/v1${path}`, method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T }) })
    })
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

/** The first bytes of a frame (its proof-of-work nonce and the seal's random nonce): enough to tell frames apart. */
function frameKey (data: Uint8Array): string {
  return toHex(data.subarray(0, 40))
}

/** A frame the relay passed on: its key, its bytes, and the peer it came from. */
interface Carried { key: string, data: Uint8Array, from: string }

/** The frame among `frames` that carries the post `id`, opened with the keys an invite gives (as a member opens it). */
function frameOfPost (frames: Carried[], invite: string, id: string): Carried | undefined {
  const { secret, generation, owner } = decodeInvite(invite)
  const keys = deriveCircleKeys(secret, generation, owner)
  return frames.find((frame) => {
    const opened = openCircleFrame(keys, frame.data)
    const inner = opened.ok && opened.type === CircleRecordType.ENVELOPE ? postIdOf(keys.innerTopic, opened.body) : undefined
    return inner !== undefined && toHex(inner) === id
  })
}

describe('a circle of two daemons and a browser page, through a relay that is no member (Chromium)', () => {
  let sandbox: Sandbox
  let relay: Murmur
  let relayTcp: string
  let relayWs: string
  let outDir: string
  let server: { url: string, close(): Promise<void> }
  let browser: Browser | undefined
  let page: Page
  let a: Daemon
  let b: Daemon
  /** A listener standing in for the peer an invite's hint names: it counts the connections it gets. */
  let trap: Server
  let trapped = 0
  const log: string[] = []
  /** What the relay was given to read and carried: circle posts it opened (none), frames it passed on. */
  const relayRead: string[] = []
  const relayFrames: Carried[] = []
  /** Invites of the circle's generations 0 and 1: what the test opens the relay's frames with. */
  const invites: string[] = []
  const bodies: string[] = []
  const ids: string[] = []

  /** Runs murmur with --json and parses its output, failing with its stderr on a non-zero exit (the circle commands). */
  const json = async <T>(args: string[], d: Daemon): Promise<T> => {
    const result = await sandbox.run([...args, '--json', '--data-dir', d.dataDir])
    if (result.code !== 0) throw new Error(`murmur ${args.join(' ')} exited ${result.code}: ${result.stderr}`)
    return JSON.parse(result.stdout) as T
  }

  /** A daemon's answer to an API request, failing with its error unless it is a 200. */
  const ok = async <T>(d: Daemon, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const { status, json } = await api<T>(d, method, path, body)
    if (status !== 200) throw new Error(`${method} ${path}: ${status} ${JSON.stringify(json)}`)
    return json
  }

  /** Polls `check` (no event crosses into another process or the page) every 250 ms until it returns a value. */
  const until = async <T>(what: string, check: () => Promise<T | undefined>, timeout = SPREAD): Promise<T> => {
    const deadline = Date.now() + timeout
    for (;;) {
      const value = await check()
      if (value !== undefined) return value
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}\n${log.slice(-20).join('\n')}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  const feedOf = async (d: Daemon): Promise<Post[]> => (await ok<{ posts: Post[] }>(d, 'GET', '/feed?channel=circle%3Afriends')).posts
  const membersOf = async (d: Daemon): Promise<Member[]> => (await ok<{ members: Member[] }>(d, 'GET', '/circles/members?circle=friends')).members
  const pageCircle = async <T>(fn: string, ...args: unknown[]): Promise<T> =>
    await page.evaluate(async ([name, rest]) => await (window.murmurPage!.node.circles as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!(...rest), [fn, args] as const) as T
  const pageText = async (selector: string): Promise<string> => await page.locator(selector).innerText()

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    outDir = await mkdtemp(join(tmpdir(), 'murmur-circle-page-'))
    trap = createServer((socket) => { trapped++; socket.destroy() })
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve))
    const [built] = await Promise.all([buildExample(outDir), (async () => {
      // no member directory (startPageRelay's default): its clock stays real while the members' run a day ahead, a
      // directory judging their stamps by another day could cut them off, and circles do not use the directory
      ;({ relay, tcp: relayTcp, ws: relayWs } = await startPageRelay({ powBits: POW_BITS }))
      relay.addEventListener('post', (evt) => { relayRead.push(evt.detail.body) })
      relay.addEventListener('circle-post', (evt) => { relayRead.push(evt.detail.post.body) })
      // every frame the relay passes on: those gossip brought it, and those it publishes (fluffed from a stem)
      const pubsub = relay.libp2p.services.pubsub
      pubsub.addEventListener('gossipsub:message', (evt) => {
        const { msg, propagationSource } = evt.detail
        if (msg.topic === CIRCLE_SHARED_TOPIC) relayFrames.push({ key: frameKey(msg.data), data: msg.data, from: propagationSource.toString() })
      })
      const publish = pubsub.publish.bind(pubsub)
      pubsub.publish = async (topic, data) => {
        if (topic === CIRCLE_SHARED_TOPIC && data !== undefined) relayFrames.push({ key: frameKey(data), data, from: relay.peerId.toString() })
        return await publish(topic, data)
      }
      ;[a, b] = await Promise.all([sandbox.daemon('a', ['--bootstrap', relayTcp]), sandbox.daemon('b', ['--bootstrap', relayTcp])])
    })()])
    server = await serveStatic(built.dir)
    browser = await launchChromium()
  }, 180_000)

  afterAll(async () => {
    if (page !== undefined) await page.screenshot({ path: join(outDir, '..', 'circle-page.png'), fullPage: true }).catch(() => {})
    await browser?.close()
    await server?.close()
    await relay?.stop()
    await sandbox?.cleanup()
    trap?.close()
    if (outDir !== undefined) await rm(outDir, { recursive: true, force: true })
  }, 60_000)

  it('joins from a link showing its hint (never dialed), after damaged invites that changed nothing; invites with text, link and QR', async () => {
    await json(['circle', 'create', 'friends', '--min-ring', '2'], a)
    const hint = `/ip4/127.0.0.1/tcp/${(trap.address() as { port: number }).port}/ws/p2p/${a.ready.peerId}`
    const { invite } = await json<{ invite: string }>(['circle', 'invite', 'friends', '--hint', hint], a)
    invites.push(invite)
    const link = `${server.url}?relay=${encodeURIComponent(relayWs)}&pow=${POW_BITS}&stamp=${TEST_STAMP_BITS}#join=${invite}`
    page = await openPage(browser!, link, log)
    await page.context().addInitScript(shiftClock, SHIFT_KEY)
    await answerLinkSettings(page, 'apply')
    await waitForPage(page, (s) => s.ready, 'the page to hold a relay slot', SPREAD)

    // the link's invite waits in the join form, its hint shown and not dialed
    expect(await page.locator('#join-invite').inputValue()).toBe(invite)
    const details = await pageText('#join-details')
    expect(details).toContain('an invite to circle:friends · min ring 2')
    expect(details).toContain(hint)
    expect(details).toContain('not connected: this tab keeps to its own relay')
    for (const [damaged, code] of [[invite.slice(0, -6), 'ERR_INVITE_TRUNCATED'], [`${invite.slice(0, 30)}${invite[30] === 'A' ? 'B' : 'A'}${invite.slice(31)}`, 'ERR_INVITE_CHECKSUM']] as const) {
      await page.locator('#join-invite').fill(damaged)
      await page.locator('#join-button').click()
      await page.waitForFunction((c) => document.getElementById('circle-problem')?.textContent?.endsWith(`(${c})`), code, { timeout: 60_000 })
      expect(await pageText('#circle-problem')).toMatch(new RegExp(`^not joined: [^\\n]+ \\(${code}\\)$`))
      expect(await pageCircle('list')).toEqual([])
    }
    await page.locator('#join-invite').fill(invite)
    await page.locator('#join-button').click()
    await page.waitForFunction(() => (document.getElementById('channel') as HTMLSelectElement | null)?.value === 'circle:friends', undefined, { timeout: 60_000 })
    expect(new URL(page.url()).hash).toBe('')
    // a damaged join link is said at once, and joins nothing
    await page.evaluate((damaged) => { window.location.hash = `#join=${damaged}` }, invite.slice(0, -6))
    await page.locator('#circle-problem', { hasText: 'the link\'s invite cannot be used: the invite is cut short: copy all of it (ERR_INVITE_TRUNCATED)' }).waitFor({ timeout: 60_000 })
    expect((await pageCircle<unknown[]>('list')).length).toBe(1)
    // a newcomer is told before typing anything why it cannot post yet
    expect(await pageText('#circle-notice')).toMatch(/^you joined less than a day ago: read now, post from /)

    // the page's invite: text, link, QR code of the link; the second daemon joins with it
    await page.locator('#make-invite').click()
    await page.locator('#invite').waitFor({ state: 'visible', timeout: 60_000 })
    const made = await page.locator('#invite-text').inputValue()
    expect(made).toMatch(/^MURMUR:CIRCLE:[A-Z2-7]+$/)
    const joinLink = await page.locator('#invite-link').inputValue()
    expect(joinLink).toBe(`${server.url}#join=${made}`)
    expect(await page.locator('#invite-qr path').getAttribute('d')).toBe(qrPath(QRCode.create(qrSegments(joinLink), { errorCorrectionLevel: 'M' }).modules).d)
    await json(['circle', 'join', made, '--member-name', 'bee'], b)

    // every roster converges on three; the daemon's join names the page's member key as its inviter, once the
    // page's INVITE record (which may come after the join: the stem holds own frames a while) is there too
    const self = (await pageCircle<Member[]>('members', 'friends')).find((m) => m.self)!.key
    await until('three members on a\'s roster, bee invited by the page', async () => {
      const list = await membersOf(a)
      return list.length === 3 && list.find((m) => m.name === 'bee')?.inviter === self ? list : undefined
    })
    await until('three members on the page\'s roster', async () => (await pageCircle<Member[]>('members', 'friends')).length === 3 ? true : undefined)

    // a circle of the page's own: owned, one member, said before posting
    // the join link opened the forms; a user who closed them opens them again
    if (!await page.locator('#circle-forms').evaluate((el) => (el as HTMLDetailsElement).open)) await page.locator('#circle-forms summary').click()
    await page.locator('#circle-name').fill('solo')
    await page.locator('#circle-min-ring').fill('2')
    await page.locator('#create-circle button').click()
    await page.waitForFunction(() => (document.getElementById('channel') as HTMLSelectElement | null)?.value === 'circle:solo', undefined, { timeout: 60_000 })
    expect(await pageText('#circle-summary')).toBe('circle:solo · 1 member · min ring 2 · owner · cannot post yet')
    // the invite's hint, seconds on: never dialed
    expect(trapped).toBe(0)
  }, 4 * SPREAD)

  it('a day on: members read each other with the member mark; one vote per member; the member offline gets the history by sync', async () => {
    await Promise.all([a.proc.stop(), b.proc.stop()])
    const later = clockShiftEnv(LATER)
    a = await sandbox.daemon('a', ['--bootstrap', relayTcp], later)
    await page.evaluate(([key, shift]) => { localStorage.setItem(key, shift) }, [SHIFT_KEY, String(LATER)] as const)
    await page.reload()
    await waitForPage(page, (s) => s.ready, 'the page to start again a day on', SPREAD)

    // a circle below its minimum ring says so before anything is typed
    await page.locator('#channel').selectOption('circle:solo')
    expect(await pageText('#circle-notice')).toMatch(/^you cannot post yet: a post would hide among 1 member, below this circle's minimum of 2/)
    await page.locator('#channel').selectOption('circle:friends')
    await page.waitForFunction(() => document.getElementById('circle-notice')?.dataset.canPost === 'true', undefined, { timeout: 60_000 })

    await page.locator('#body').fill('hello from the page')
    await page.locator('#send').click()
    await page.waitForFunction(() => /ring-signed among 3 members of circle:friends/.test(document.getElementById('mining')?.textContent ?? ''), undefined, { timeout: SPREAD })
    const posted = await ok<{ id: string, ring: number }>(a, 'POST', '/posts', { channel: 'circle:friends', body: 'hello from a daemon' })
    expect(posted.ring).toBe(3)
    bodies.push('hello from the page', 'hello from a daemon')

    const fromPage = await until('a to read the page\'s post', async () => (await feedOf(a)).find((p) => p.body === 'hello from the page'))
    expect(fromPage).toMatchObject({ kind: 'POST', member: true, circle: 'friends' })
    const item = page.locator('#feed > .post', { hasText: 'hello from a daemon' })
    await item.waitFor({ timeout: SPREAD })
    expect(await item.locator(':scope > .meta .mark').innerText()).toBe('a member wrote this')
    ids.push(fromPage.id, posted.id)

    // the page votes once (its own vote counts at once); its second vote is refused and never sent
    await item.locator(':scope > .meta .up').click()
    await item.locator(':scope > .meta .score', { hasText: '+1' }).waitFor({ timeout: SPREAD })
    await item.locator(':scope > .meta .up').click()
    await page.waitForFunction(() => /^not sent: .*already voted/.test(document.getElementById('mining')?.textContent ?? ''), undefined, { timeout: SPREAD })

    // b was offline for all of it: history sync brings the posts; it votes once, and a second time is refused
    b = await sandbox.daemon('b', ['--bootstrap', relayTcp], later)
    const synced = await until('b to get both posts by sync', async () => {
      const feed = await feedOf(b)
      return bodies.every((body) => feed.some((p) => p.body === body && p.member)) ? feed : undefined
    })
    expect(synced.every((p) => p.circle === 'friends')).toBe(true)
    await ok(b, 'POST', '/votes', { post: posted.id, vote: 1 })
    expect(await api(b, 'POST', '/votes', { post: posted.id, vote: 1 })).toMatchObject({ status: 409, json: { error: { code: 'ERR_ALREADY_VOTED' } } })
    await until('a score of 2 at a (the page\'s vote and b\'s)', async () => (await ok<{ posts: Post[] }>(a, 'GET', `/threads/${posted.id}`)).posts[0]?.score === 2 ? true : undefined)
    await item.locator(':scope > .meta .score', { hasText: '+2' }).waitFor({ timeout: SPREAD })
  }, 6 * SPREAD)

  it('the owner removes the page: the frames after the rotation reach it, and it reads none of them', async () => {
    const seen = page.evaluate((topic) => {
      const w = window as unknown as { framesSeen: string[] }
      w.framesSeen = []
      window.murmurPage!.node.libp2p.services.pubsub.addEventListener('message', (evt) => {
        if (evt.detail.topic === topic) w.framesSeen.push([...evt.detail.data.subarray(0, 40)].map((x) => x.toString(16).padStart(2, '0')).join(''))
      })
    }, CIRCLE_SHARED_TOPIC)
    await seen
    const self = (await pageCircle<Member[]>('members', 'friends')).find((m) => m.self)!.key
    const from = relayFrames.length
    const removed = await json<{ circle: { generation: number, members: number } }>(['circle', 'remove', 'friends', self.slice(0, 12)], a)
    expect(removed.circle).toMatchObject({ generation: 1, members: 2 })
    await page.locator('#circle-notice', { hasText: 'the owner removed you from this circle' }).waitFor({ timeout: SPREAD })

    const after = await ok<{ id: string, ring: number }>(a, 'POST', '/posts', { channel: 'circle:friends', body: 'after the rotation' })
    expect(after.ring).toBe(2)
    bodies.push('after the rotation')
    ids.push(after.id)
    await until('b to read the post after the rotation', async () => (await feedOf(b)).find((p) => p.id === after.id))
    // the frame of that post, found at the relay with the new generation's keys (an invite of the owner's)
    invites.push((await ok<{ invite: string }>(a, 'POST', '/circles/invite', { circle: 'friends' })).invite)
    const frame = await until('the relay to carry the post after the rotation', async () => frameOfPost(relayFrames.slice(from), invites[1]!, after.id))
    // it reached the page: by gossip from the relay, or through the page itself (a stem hop that fluffed it)
    const pagePeer = (await pageState(page)).peerId
    await until('the frame to reach the page', async () => {
      const pageSeen = await page.evaluate(() => (window as unknown as { framesSeen: string[] }).framesSeen)
      return frame.from === pagePeer || pageSeen.includes(frame.key) ? true : undefined
    })
    expect((await pageCircle<Post[]>('feed', 'friends')).map((p) => p.body)).not.toContain('after the rotation')
    expect(await pageText('#feed')).not.toContain('after the rotation')
    expect(await pageText('#feed')).toContain('hello from a daemon')
  }, 4 * SPREAD)

  it('the relay carried the frames and read nothing: no post, no circle, no topic that names one', async () => {
    // each post's frame, found with the keys of its generation
    for (const [id, invite] of [[ids[0], invites[0]], [ids[1], invites[0]], [ids[2], invites[1]]]) {
      expect(frameOfPost(relayFrames, invite!, id!), id).toBeDefined()
    }
    const encoder = new TextEncoder()
    for (const body of bodies) {
      const bytes = encoder.encode(body)
      expect(relayFrames.some((f) => Buffer.from(f.data).includes(Buffer.from(bytes)))).toBe(false)
    }
    expect(relayRead).toEqual([])
    expect(relay.circles.list()).toEqual([])
    for (const id of ids) expect(await relay.get(id)).toBeUndefined()
    const circleTopics = (topics: Iterable<string>): string[] => [...topics].filter((t) => t.includes('circle') && t !== CIRCLE_SHARED_TOPIC)
    const pubsub = relay.libp2p.services.pubsub
    expect(pubsub.getTopics()).toContain(CIRCLE_SHARED_TOPIC)
    expect(circleTopics(pubsub.getTopics())).toEqual([])
    expect(relay.channels().filter((channel) => isCircleChannel(channel))).toEqual([])
    // what the relay learnt of its peers' subscriptions (gossipsub's topic → subscribers map): no circle's topic
    expect(circleTopics((pubsub as unknown as { topics: Map<string, unknown> }).topics.keys())).toEqual([])
  })
})
