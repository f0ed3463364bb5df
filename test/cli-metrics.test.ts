/**
 * `murmur daemon --metrics` and `murmur relay --metrics`: the Prometheus text format on loopback, an
 * allow-list of families, a bind off loopback refused; and a scraper cannot tell this node's own
 * post from one it relayed (the figures move alike).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.ts'
import type { Daemon, LineProcess } from './cli-harness.ts'

/** How long a post may take to reach the other daemon (stem embargo fail-safe, loaded machine). */
const SPREAD = 75_000
/** How long the waiting gauge may take to drain after a post arrived (a held stem copy's embargo). */
const SETTLE = 60_000

/**
 * Families that move with time alone, not with posts: CPU, memory, event loop, and the connection counts,
 * which move when discovery's timers dial (the first daemon dials the second on its own some seconds
 * after the pair formed, whichever window of this test that falls in). A post opens no connection.
 */
const TIMELY = /^(?:process_|nodejs_|libp2p_connection_manager_connections)/

async function scrape (url: string): Promise<{ status: number, type: string, text: string }> {
  const res = await fetch(url)
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() }
}

/** The series of a scrape (name and labels) with their values, without the timely families. */
function series (text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || TIMELY.test(line)) continue
    const cut = line.lastIndexOf(' ')
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)))
  }
  return out
}

/** What moved between two scrapes: each series whose value changed (or appeared), with its change. */
function moved (before: string, after: string): Record<string, number> {
  const was = series(before)
  const out: Record<string, number> = {}
  for (const [key, value] of series(after)) {
    const change = value - (was.get(key) ?? 0)
    if (change !== 0) out[key] = change
  }
  return out
}

interface MetricsReady { metrics?: string }

describe('murmur daemon --metrics', () => {
  let sandbox: Sandbox
  let a: Daemon
  let b: Daemon
  let url: string
  let watchA: LineProcess
  let watchB: LineProcess

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    ;[a, b] = await sandbox.daemonPair('a', 'b', {}, [['--metrics', '127.0.0.1:0'], []])
    url = (a.ready as MetricsReady).metrics ?? ''
    watchA = sandbox.spawn(['watch', 'lobby', '--json', '--data-dir', a.dataDir])
    watchB = sandbox.spawn(['watch', 'lobby', '--json', '--data-dir', b.dataDir])
    await Promise.all([
      watchA.waitForStderr((line) => line.startsWith('watching #lobby'), 60_000),
      watchB.waitForStderr((line) => line.startsWith('watching #lobby'), 60_000)
    ])
  }, 240_000)

  afterAll(async () => {
    await sandbox?.cleanup()
  })

  /** Polls the scrape until no post waits to leave (a stem copy held until its embargo), then returns it. */
  async function settled (): Promise<string> {
    const deadline = Date.now() + SETTLE
    for (;;) {
      const { text } = await scrape(url)
      const waiting = /^murmur_posts_waiting (\d+)$/m.exec(text)
      if (waiting === null || waiting[1] === '0') return text
      if (Date.now() > deadline) throw new Error(`posts still waiting after ${SETTLE} ms:\n${text}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  async function postAndSee (from: Daemon, seenBy: LineProcess, body: string): Promise<void> {
    const posted = await sandbox.run(['post', 'lobby', body, '--json', '--data-dir', from.dataDir])
    expect(posted.code, posted.stderr).toBe(0)
    const { id } = JSON.parse(posted.stdout) as { id: string }
    await seenBy.waitForLine((line) => line.includes(id), SPREAD)
  }

  it('announces a loopback URL in the ready line', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
  })

  it('moves the figures alike for an own post and a relayed one', { timeout: 4 * SPREAD }, async () => {
    const beforeRelayed = await settled()
    await postAndSee(b, watchA, 'relayed through a')
    const afterRelayed = await settled()
    const beforeOwn = await settled()
    await postAndSee(a, watchB, 'posted on a')
    const afterOwn = await settled()
    expect(moved(beforeOwn, afterOwn)).toEqual(moved(beforeRelayed, afterRelayed))
    // not alike by both being empty: a post moves the validated count, own or relayed
    expect(moved(beforeOwn, afterOwn).murmur_posts_validated_total).toBeGreaterThan(0)
  })

  it('serves the text format with Murmur\'s and the connection families, and nothing per protocol', async () => {
    const { status, type, text } = await scrape(url)
    expect(status).toBe(200)
    expect(type).toContain('text/plain; version=0.0.4')
    expect(text).toContain('# TYPE murmur_data_dir_bytes gauge')
    expect(text).toMatch(/^libp2p_connection_manager_connections\{[^}]*\} 1$/m)
    expect(text).toMatch(/^process_start_time_seconds /m)
    expect(text).not.toMatch(/^(?:process_resident|nodejs_eventloop|nodejs_gc|nodejs_heap)/m) // they move while an own post is mined
    expect(text).not.toMatch(/^process_cpu/m) // an own post's proof of work is seconds of CPU
    expect(text).not.toContain('libp2p_data_transfer_bytes_total')
    expect(text).not.toContain('nodejs_fs_usage_bytes')
    expect(text).not.toContain(a.ready.peerId)
    expect((await scrape(url.replace(/\/metrics$/, '/'))).status).toBe(404)
  })

  it('serves the history sync sessions open now', async () => {
    const { text } = await scrape(url)
    expect(text).toContain('# TYPE murmur_sync_sessions gauge')
    expect(text).toMatch(/^murmur_sync_sessions \d+$/m)
  })

  it('refuses a bind off loopback without --metrics-public, and a port in use, before starting a node', { timeout: 120_000 }, async () => {
    for (const [value, says] of [['0.0.0.0:0', 'not loopback'], ['[::]:0', 'not loopback'], [url.replace(/^http:\/\/|\/metrics$/g, ''), 'could not serve metrics']]) {
      const result = await sandbox.run(['daemon', '--data-dir', sandbox.dir('c'), '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--no-local-rendezvous', '--json', '--metrics', value ?? ''])
      expect(result.code, value).not.toBe(0)
      expect(result.stderr, value).toContain(says)
      expect(result.stdout, value).not.toContain('"event":"ready"')
    }
  })
})

describe('murmur relay --metrics', () => {
  let sandbox: Sandbox

  beforeAll(async () => { sandbox = await Sandbox.create() })
  afterAll(async () => { await sandbox?.cleanup() })

  it('serves the metrics of the relay on loopback', { timeout: 120_000 }, async () => {
    const { ready } = await sandbox.relay(['--metrics', '127.0.0.1:0'])
    const url = (ready as MetricsReady).metrics ?? ''
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    const { status, text } = await scrape(url)
    expect(status).toBe(200)
    expect(text).toContain('# TYPE libp2p_connection_manager_connections gauge')
    expect(text).toContain('# TYPE murmur_data_dir_bytes gauge')
  })
})
