/**
 * The verification pool in a real browser: Vite bundles the built pool (dist, as an app would import
 * @murmur/node) with its Web Worker, Chromium runs it, and the page compares every answer with the
 * main-thread function. Loopback only.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build as esbuild } from 'esbuild'
import { build } from 'vite'
import { afterAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'

/**
 * The repository's browser harness (test/browser-harness.ts: Debian's Chromium, a loopback static server).
 * Loaded by a computed path: a static import would pull the example page, and through it this package's
 * own dist/ types, into this package's TypeScript project.
 */
const HARNESS = new URL('../../../test/browser-harness.ts', import.meta.url).href
const { ROOT, launchChromium, serveStatic } = await import(HARNESS) as {
  ROOT: string
  launchChromium(): Promise<Browser>
  serveStatic(dir: string): Promise<{ url: string, close(): Promise<void> }>
}

/** The page: builds ring and one-time envelopes, corrupts some, and validates each on both sides. */
const ENTRY = `
import { buildEnvelope, channelTopic, compareBytes, generateAuthorKey, ready, ringSign, ringVerify, validateEnvelope } from '${ROOT}/packages/protocol/dist/src/index.js'
import { createVerifyPool } from '${ROOT}/packages/node/dist/src/verify/index.js'

const same = (a, b) => JSON.stringify(a, (_, v) => typeof v === 'bigint' ? 'n' + v : v instanceof Uint8Array ? Array.from(v) : v) ===
  JSON.stringify(b, (_, v) => typeof v === 'bigint' ? 'n' + v : v instanceof Uint8Array ? Array.from(v) : v)

window.check = async () => {
  await ready()
  const keys = Array.from({ length: 4 }, () => generateAuthorKey())
  const ring = keys.map((key) => key.publicKey).sort(compareBytes)
  const signer = keys.find((key) => compareBytes(key.publicKey, ring[0]) === 0)
  const topic = channelTopic('#verify')
  const options = { topic, powBits: { POST: 0, REPLY: 0, VOTE: 0 } }
  const envelopes = [
    (await buildEnvelope({ channel: '#verify', body: 'ring', powBits: 0, auth: { kind: 'ring', ring, secretKey: signer.secretKey, slot: 0, weekSlot: 0 } })).bytes,
    (await buildEnvelope({ channel: '#verify', body: 'one-time', powBits: 0 })).bytes
  ]
  for (const bytes of [...envelopes]) {
    for (const at of [3, 40, bytes.length - 5]) {
      const bent = bytes.slice()
      bent[at] ^= 1
      envelopes.push(bent)
    }
  }
  const pool = createVerifyPool({ size: 2 })
  const agree = []
  for (const bytes of envelopes) agree.push(same(await pool.validate(bytes, options), validateEnvelope(bytes, options)))
  const scopes = [new Uint8Array([1])]
  const message = new Uint8Array(32)
  const input = { message, ring, scopes, ...ringSign({ message, ring, secretKey: signer.secretKey, scopes }) }
  agree.push((await pool.ringVerify(input)) === ringVerify(input) && ringVerify(input))
  const mined = await pool.minePow(new Uint8Array(32), 8)
  await pool.stop()
  const stopped = await pool.ringVerify(input).then(() => 'resolved', (err) => err.code)
  return { agree, valid: envelopes.map((bytes) => validateEnvelope(bytes, options).ok), size: pool.size, mined: String(mined), stopped }
}
`

describe('verification pool in a browser', () => {
  const cleanup: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step()
  })

  it('bundles without Node built-ins (esbuild, browser platform)', async () => {
    const result = await esbuild({
      entryPoints: [join(ROOT, 'packages/node/src/verify/index.ts'), join(ROOT, 'packages/node/src/verify/worker.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      outdir: 'out',
      metafile: true,
      logLevel: 'silent'
    })
    expect(result.errors).toEqual([])
    expect(Object.keys(result.metafile.inputs).filter((input) => input.startsWith('node:'))).toEqual([])
  })

  it('runs in Web Workers bundled by Vite and answers as the main thread does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'murmur-verify-browser-'))
    cleanup.push(async () => { await rm(dir, { recursive: true, force: true }) })
    await writeFile(join(dir, 'entry.js'), ENTRY)
    await writeFile(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./entry.js"></script>')
    // module workers: the worker imports @murmur/protocol, whose libsodium loads with a top-level await
    await build({ root: dir, base: './', configFile: false, logLevel: 'warn', build: { outDir: join(dir, 'dist'), target: 'es2022' }, worker: { format: 'es' } })
    const server = await serveStatic(join(dir, 'dist'))
    cleanup.push(server.close)
    const browser = await launchChromium()
    cleanup.push(async () => { await browser.close() })
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    await page.goto(server.url)
    await page.waitForFunction(() => 'check' in window, undefined, { timeout: 30_000 })
    const result = await page.evaluate(async () => await (window as unknown as { check(): Promise<unknown> }).check())
    expect(errors).toEqual([])
    expect(result).toMatchObject({ size: 2, stopped: 'ERR_VERIFY_POOL_STOPPED' })
    const { agree, valid } = result as { agree: boolean[], valid: boolean[] }
    expect(agree.every(Boolean)).toBe(true)
    // both kinds of envelope were valid before they were bent, so both paths were compared
    expect(valid.slice(0, 2)).toEqual([true, true])
  }, 180_000)
})
