import { describe, expect, it } from 'vitest'
import { buildEnvelope, checkPow, channelTopic, leadingZeroBits, minePow, powHash, validateEnvelope } from '../src/index.js'
import type { PowMiner } from '../src/index.js'
import { seededRandom } from './helpers.js'

describe('proof of work', () => {
  it('counts leading zero bits', () => {
    expect(leadingZeroBits(new Uint8Array([0, 0, 0x80]))).toBe(16)
    expect(leadingZeroBits(new Uint8Array([0, 0x01]))).toBe(15)
    expect(leadingZeroBits(new Uint8Array([0xff]))).toBe(0)
    expect(leadingZeroBits(new Uint8Array(4))).toBe(32)
  })

  it('mines the smallest nonce that meets the difficulty, checked in one hash', async () => {
    const digest = seededRandom('pow')(32)
    const nonce = await minePow(digest, 10)
    expect(checkPow(digest, nonce, 10)).toBe(true)
    expect(leadingZeroBits(powHash(digest, nonce))).toBeGreaterThanOrEqual(10)
    for (let n = 0n; n < nonce; n++) expect(checkPow(digest, n, 10)).toBe(false)
  })

  it('reports progress and yields to the event loop while mining', async () => {
    const digest = seededRandom('pow-progress')(32)
    const progress: number[] = []
    let ticks = 0
    const timer = setInterval(() => { ticks++ }, 1)
    const nonce = await minePow(digest, 18, { onProgress: (p) => progress.push(p.attempts), sliceMs: 2 })
    clearInterval(timer)
    expect(progress.length).toBeGreaterThan(1)
    expect(progress.at(-1)).toBe(Number(nonce) + 1)
    expect(ticks).toBeGreaterThan(0)
  })

  it('stops with an AbortError when aborted', async () => {
    const controller = new AbortController()
    const mining = minePow(seededRandom('pow-abort')(32), 64, { signal: controller.signal, onProgress: () => { controller.abort() } })
    await expect(mining).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('rejects impossible difficulties', async () => {
    await expect(minePow(new Uint8Array(32), 257)).rejects.toBeInstanceOf(RangeError)
  })

  it('builds with an injected miner (a worker pool\'s), given the digest, the bits, the signal and the progress callback', async () => {
    const calls: Array<{ bits: number, signal?: AbortSignal }> = []
    const miner: PowMiner = async (digest, bits, options) => {
      calls.push({ bits, signal: options.signal })
      return await minePow(digest, bits, options)
    }
    const signal = new AbortController().signal
    const progress: number[] = []
    const built = await buildEnvelope({ channel: '#lobby', body: 'mined elsewhere', powBits: 6, miner, signal, onProgress: (p) => progress.push(p.attempts) })
    // a one-time POST: the base and the unverified extra
    expect(calls).toEqual([{ bits: 10, signal }])
    expect(progress.length).toBeGreaterThan(0)
    expect(validateEnvelope(built.bytes, { topic: channelTopic('#lobby'), powBits: { POST: 6, REPLY: 6, VOTE: 6 } }).ok).toBe(true)
  })

  it('refuses a nonce from an injected miner that falls short (ERR_POW_TOO_LOW), and passes its abort on', async () => {
    // the first nonce that does not pay, as a broken or lying miner would return
    const short: PowMiner = async (digest, bits) => {
      let nonce = 0n
      while (checkPow(digest, nonce, bits)) nonce++
      return nonce
    }
    await expect(buildEnvelope({ channel: '#lobby', body: 'x', powBits: 12, miner: short })).rejects.toMatchObject({ name: 'ProtocolError', code: 'ERR_POW_TOO_LOW' })
    const aborted: PowMiner = async (digest, bits, options) => await minePow(digest, 64, options)
    const controller = new AbortController()
    await expect(buildEnvelope({ channel: '#lobby', body: 'x', miner: aborted, signal: controller.signal, onProgress: () => { controller.abort() } })).rejects.toMatchObject({ name: 'AbortError' })
  })
})
