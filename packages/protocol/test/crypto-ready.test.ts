/**
 * @murmur/protocol awaits nothing at import, so its synchronous crypto needs `await ready()` first
 * (issue 16 item 15). Before it, every crypto entry point throws CryptoNotReadyError with a stable code,
 * and the checks that never throw (validateEnvelope, verifyStamp, ...) throw it too rather than judge a
 * valid input invalid: a verification worker that forgot ready() must fail loudly, not refuse honest
 * posts and penalise their senders. Run in a fresh process of the built package: this one is ready.
 */
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { buildEnvelope, encodeStamp, generateAuthorKey, mintStamp, toHex, weekOf } from '../src/index.js'

const PROTOCOL = pathToFileURL(resolve(import.meta.dirname, '..', 'dist', 'src', 'index.js')).href
const run = promisify(execFile)

/** What each call did in a fresh process before ready() ('threw <name> <code>: <message>' or its result), then after. */
async function callsInFreshProcess (envelopeHex: string, stampHex: string, week: number): Promise<Record<string, string>> {
  const script = `
    const p = await import(${JSON.stringify(PROTOCOL)})
    const bytes = p.fromHex(${JSON.stringify(envelopeHex)})
    const stamp = p.fromHex(${JSON.stringify(stampHex)})
    const topic = p.channelTopic('#ready')
    const now = Math.floor(Date.now() / 1000)
    const calls = {
      generateAuthorKey: () => p.generateAuthorKey(),
      validateEnvelope: () => p.validateEnvelope(bytes, { topic, powBits: { POST: 2 } }),
      verifyStamp: () => p.verifyStamp(p.decodeStamp(stamp), { bits: 0, now: p.weekStart(${week}) + 7200 }),
      verifyOneTime: () => p.verifyOneTime(new Uint8Array(32), new Uint8Array(32), new Uint8Array(64)),
      postIdOf: () => p.postIdOf(topic, bytes)
    }
    const outcome = () => Object.fromEntries(Object.entries(calls).map(([name, call]) => {
      try {
        const result = call()
        return [name, result?.ok !== undefined ? 'ok: ' + result.ok : 'returned']
      } catch (err) {
        return [name, 'threw ' + err.name + ' ' + err.code + ': ' + err.message]
      }
    }))
    const before = outcome()
    await p.ready()
    const after = outcome()
    process.stdout.write(JSON.stringify({ before, after }))
  `
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 })
  return JSON.parse(stdout) as Record<string, string>
}

describe('crypto before ready()', () => {
  it('throws CryptoNotReadyError (ERR_CRYPTO_NOT_READY) from every entry point, checks included; all work after ready()', async () => {
    const { bytes } = await buildEnvelope({ channel: '#ready', body: 'are you ready?', powBits: 2 })
    const week = weekOf(Math.floor(Date.now() / 1000))
    const stamp = await mintStamp({ memberKey: generateAuthorKey().publicKey, week, bits: 0 })
    const { before, after } = await callsInFreshProcess(toHex(bytes), toHex(encodeStamp(stamp)), week) as unknown as { before: Record<string, string>, after: Record<string, string> }
    const notReady = 'threw CryptoNotReadyError ERR_CRYPTO_NOT_READY: libsodium is not initialised: await ready() from @murmur/protocol first'
    expect(before).toEqual({ generateAuthorKey: notReady, validateEnvelope: notReady, verifyStamp: notReady, verifyOneTime: notReady, postIdOf: notReady })
    expect(after).toEqual({ generateAuthorKey: 'returned', validateEnvelope: 'ok: true', verifyStamp: 'ok: true', verifyOneTime: 'returned', postIdOf: 'returned' })
  }, 90_000)
})
