/**
 * The relay check of a circle frame (its proof-of-work hash over up to 16 KiB) is made once a frame, not
 * once a key tried (fifteenth read, Medium): a member tries each frame with the keys of every generation
 * of every circle it holds, and 10 circles × 10 generations made a 16 KiB junk frame cost 8.6 CPU-ms, 100
 * hashes of it. `openCircleFrame` takes what `checkCircleFrame` returned and does not hash again; only
 * that very object counts as checked.
 */
import { describe, expect, it, vi } from 'vitest'
import { ready } from '../src/index.js'
import { CircleRecordType, checkCircleFrame, openCircleFrame, sealCircleFrame } from '../src/circle/frame.js'
import { deriveCircleKeys, generateCircleSecret } from '../src/circle/keys.js'
import * as pow from '../src/pow.js'

vi.mock('../src/pow.js', async (importOriginal) => {
  const original = await importOriginal<typeof pow>()
  return { ...original, checkPow: vi.fn(original.checkPow) }
})

await ready()

const OWNER = new Uint8Array(32).fill(7)
const generations = Array.from({ length: 10 }, (_, g) => deriveCircleKeys(generateCircleSecret(), g, OWNER))
const hashes = vi.mocked(pow.checkPow)

describe('a circle frame tried with many keys', () => {
  it('hashes the frame once when opened with what checkCircleFrame returned', async () => {
    const mine = deriveCircleKeys(generateCircleSecret(), 3, OWNER)
    const frame = await sealCircleFrame(mine, CircleRecordType.JOIN, new Uint8Array(100).fill(1))
    hashes.mockClear()
    const checked = checkCircleFrame(frame)
    expect(checked.ok).toBe(true)
    if (!checked.ok) return
    for (const keys of generations) expect(openCircleFrame(keys, checked)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_SEAL' })
    const opened = openCircleFrame(mine, checked)
    expect(opened).toMatchObject({ ok: true, type: CircleRecordType.JOIN })
    expect(hashes).toHaveBeenCalledTimes(1)
    // the bytes: checked at each call, as before
    hashes.mockClear()
    for (const keys of generations) openCircleFrame(keys, frame)
    expect(hashes).toHaveBeenCalledTimes(generations.length)
    expect(openCircleFrame(mine, frame)).toEqual(opened)
  })

  it('owns what it checked: the caller\'s array changed after the check changes nothing it opens (sixteenth read, Low)', async () => {
    const keys = generations[0]!
    const frame = await sealCircleFrame(keys, CircleRecordType.JOIN, new Uint8Array(100).fill(3))
    const original = frame.slice()
    const checked = checkCircleFrame(frame)
    expect(checked.ok).toBe(true)
    if (!checked.ok) return
    frame.fill(0)
    expect(checked.frame).toEqual(original)
    expect(openCircleFrame(keys, checked)).toMatchObject({ ok: true, type: CircleRecordType.JOIN, body: new Uint8Array(100).fill(3) })
    // a Node.js Buffer off a shared pool, as a stream hands it over: copied too (its slice is a view)
    const pooled = Buffer.concat([Buffer.alloc(5), original]).subarray(5)
    const fromBuffer = checkCircleFrame(pooled)
    expect(fromBuffer.ok).toBe(true)
    if (!fromBuffer.ok) return
    pooled.fill(0)
    expect(openCircleFrame(keys, fromBuffer)).toMatchObject({ ok: true, type: CircleRecordType.JOIN })
  })

  it('checks again a look-alike of a checked frame, or one checked for fewer bits', async () => {
    const keys = generations[0]!
    // a frame with no proof of work at all
    const lazy = await sealCircleFrame(keys, CircleRecordType.JOIN, new Uint8Array(10), { powBits: 0 })
    let bits = 0
    while (checkCircleFrame(lazy, bits + 1).ok) bits++
    const forged = { ok: true as const, frame: lazy, sealed: lazy.subarray(9), powBits: 12 }
    expect(openCircleFrame(keys, forged, bits + 1)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_POW' })
    const weak = checkCircleFrame(lazy, bits)
    expect(weak.ok).toBe(true)
    if (!weak.ok) return
    expect(openCircleFrame(keys, weak, bits)).toMatchObject({ ok: true })
    expect(openCircleFrame(keys, weak, bits + 1)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_POW' })
    // never a throw, whatever is passed
    for (const junk of [null, undefined, {}, { frame: 5 }, 'frame']) {
      expect(openCircleFrame(keys, junk as unknown as Uint8Array)).toMatchObject({ ok: false, code: 'ERR_CIRCLE_FRAME' })
    }
  })
})
