import { describe, expect, it } from 'vitest'
import { OwnVotes } from '../src/own-votes.js'
import { memoryDatabase } from './store-fixtures.js'

const id = (byte: number): Uint8Array => new Uint8Array(32).fill(byte)

describe('own votes', () => {
  it('are kept per post across a reopen of the database, with their direction, until the post expires', async () => {
    const db = memoryDatabase()
    let now = 1_800_000_000_000
    const clock = (): number => now
    const first = new OwnVotes(db, clock)
    expect(await first.get(id(1))).toBeUndefined()
    await first.add(id(1), 1, now / 1000 + 3600)
    await first.add(id(2), -1, now / 1000 + 60)
    expect(await first.get(id(1))).toBe(1)

    // a restart: a new run reads what the last one recorded
    const again = new OwnVotes(db, clock)
    expect(await again.get(id(1))).toBe(1)
    expect(await again.get(id(2))).toBe(-1)
    expect(await again.get(id(3))).toBeUndefined()

    // past the post's expiry the vote is forgotten, on disk too
    now += 120_000
    expect(await again.get(id(2))).toBeUndefined()
    expect(await new OwnVotes(db, clock).get(id(2))).toBeUndefined()
    expect(await new OwnVotes(db, clock).get(id(1))).toBe(1)
  })

  it('skips a record it cannot read instead of failing', async () => {
    const db = memoryDatabase()
    await db.sublevel<Uint8Array, Uint8Array>('own-votes', { keyEncoding: 'view', valueEncoding: 'view' }).put(id(7), new Uint8Array([3, 3]))
    const votes = new OwnVotes(db)
    expect(await votes.get(id(7))).toBeUndefined()
    await votes.add(id(8), -1, Date.now() / 1000 + 60)
    expect(await votes.get(id(8))).toBe(-1)
  })
})
