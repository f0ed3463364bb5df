import { describe, expect, it } from 'vitest'
import { checkPow, leadingZeroBits, minePow, powHash } from '../src/index.js'
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
})
