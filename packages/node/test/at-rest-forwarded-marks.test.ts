/**
 * The marks of ring posts sent on in the stem keep their address groups across a restart (issue 18, data at
 * rest; S9A 1e): before, each loaded mark stood in a group of its own, so after a restart a flooder's old
 * marks stood beside the honest ones, and its next ring posts pushed the honest marks out at the first ties.
 */
import { describe, expect, it } from 'vitest'
import { ForwardedRings } from '../src/store/forwarded-rings.js'
import { memoryDatabase } from './store-fixtures.js'

const FLOODER = 'ip4/198.51.100.1'
const id = (group: number, i: number): Uint8Array => Uint8Array.from([group, i >> 8, i & 0xff, ...new Uint8Array(29)])

describe('ForwardedRings across a restart', () => {
  it('keeps a flood\'s marks in one group: the flood goes on after the restart and pushes out only its own', async () => {
    const db = memoryDatabase()
    const expires = Math.floor(Date.now() / 1000) + 3600
    const before = await ForwardedRings.open(db, { max: 64 })
    // honest marks first (lowest ids: first in the database's order), one own post, then the flood fills the rest
    for (let i = 0; i < 8; i++) before.mark(id(1, i), expires, `ip4/192.0.2.${i}`)
    before.mark(id(2, 0), expires)
    for (let i = 0; i < 55; i++) before.mark(id(3, i), expires, FLOODER)
    expect(before.size).toBe(64)
    await before.flush()

    const after = await ForwardedRings.open(db, { max: 64 })
    expect(after.size).toBe(64)
    for (let i = 55; i < 1_000; i++) after.mark(id(3, i), expires, FLOODER)
    await after.flush()
    const honest = [...Array.from({ length: 8 }, (_, i) => id(1, i)), id(2, 0)]
    expect(honest.filter((mark) => !after.has(mark))).toEqual([])
    expect(after.has(id(3, 999))).toBe(true)

    // and once more: the groups written after the restart are kept by the next one too
    const again = await ForwardedRings.open(db, { max: 64 })
    for (let i = 1_000; i < 1_200; i++) again.mark(id(3, i), expires, FLOODER)
    expect(honest.filter((mark) => !again.has(mark))).toEqual([])
  })

  it('writes no address and no sign of an own post: a token per group, the same group under the same token', async () => {
    const db = memoryDatabase()
    const expires = Math.floor(Date.now() / 1000) + 3600
    const marks = await ForwardedRings.open(db)
    marks.mark(id(1, 0), expires, FLOODER)
    marks.mark(id(1, 1), expires, FLOODER)
    marks.mark(id(2, 0), expires)
    await marks.flush()
    const records = db.sublevel<Uint8Array, Uint8Array>('stem-forwarded', { keyEncoding: 'view', valueEncoding: 'view' })
    const values = (await records.values().all()).map((value) => Buffer.from(value))
    expect(values.map((value) => value.byteLength)).toEqual([16, 16, 16])
    expect(values.every((value) => !value.toString('latin1').includes('198.51'))).toBe(true)
    expect(values[0]!.subarray(8)).toEqual(values[1]!.subarray(8))
    expect(values[2]!.subarray(8)).not.toEqual(values[0]!.subarray(8))
  })

  it('reads a record of an earlier version (8 bytes, no token) as a group of its own', async () => {
    const db = memoryDatabase()
    const expires = Math.floor(Date.now() / 1000) + 3600
    const records = db.sublevel<Uint8Array, Uint8Array>('stem-forwarded', { keyEncoding: 'view', valueEncoding: 'view' })
    const old = new Uint8Array(8)
    new DataView(old.buffer).setBigUint64(0, BigInt(expires))
    await records.put(id(1, 0), old)
    await records.put(id(1, 1), Uint8Array.of(1, 2, 3))
    const marks = await ForwardedRings.open(db)
    expect(marks.has(id(1, 0))).toBe(true)
    expect(marks.has(id(1, 1))).toBe(false)
  })
})
