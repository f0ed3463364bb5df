/**
 * The own circle frames kept until they leave (own-frames.ts): found by the frame first made or by the
 * one that replaced it (a vote signed again), across a reopen of the database; expired ones dropped on open;
 * one handed to the stem kept, marked so, until it is out.
 */
import { describe, expect, it } from 'vitest'
import { OwnFrames } from '../src/circle/own-frames.js'
import { memoryDatabase } from './store-fixtures.js'

const bytes = (fill: number, length = 40): Uint8Array => new Uint8Array(length).fill(fill)

describe('own circle frames kept until they leave', () => {
  it('finds a replaced frame by either frame, after a reopen too, and forgets it when done', async () => {
    const db = memoryDatabase()
    const own = await OwnFrames.open(db, 1_000)
    const first = { postId: bytes(1, 32), frame: bytes(2), expires: 5_000 }
    await own.add(first)
    const again = { ...first, frame: bytes(3) }
    await own.replace(first.frame, again)
    expect(own.get(first.frame)).toEqual(again)
    expect(own.get(again.frame)).toEqual(again)

    const reopened = await OwnFrames.open(db, 2_000)
    expect(reopened.queued()).toEqual([again])
    expect(reopened.get(again.frame)).toEqual(again)
    await reopened.done(again.frame)
    expect(reopened.get(again.frame)).toBeUndefined()
    expect((await OwnFrames.open(db, 2_000)).queued()).toEqual([])
  })

  it('keeps a frame handed to the stem, marked so across a reopen, until it is out', async () => {
    const db = memoryDatabase()
    const own = await OwnFrames.open(db, 1_000)
    const stemmed = { postId: bytes(1, 32), frame: bytes(2), expires: 5_000 }
    const waiting = { postId: bytes(3, 32), frame: bytes(4), expires: 5_000 }
    await own.add(stemmed)
    await own.add(waiting)
    await own.sent(stemmed.frame)
    const reopened = await OwnFrames.open(db, 2_000)
    expect(reopened.inStem()).toEqual([stemmed])
    expect(reopened.queued()).toEqual([waiting])
    await reopened.done(stemmed.frame)
    // out: nothing of it kept, and a late mark for it changes nothing
    await reopened.sent(stemmed.frame)
    const again = await OwnFrames.open(db, 2_000)
    expect(again.inStem()).toEqual([])
    expect(again.queued()).toEqual([waiting])
  })

  it('drops what expired while the node was stopped', async () => {
    const db = memoryDatabase()
    const own = await OwnFrames.open(db, 1_000)
    await own.add({ postId: bytes(1, 32), frame: bytes(2), expires: 1_500 })
    await own.add({ postId: bytes(4, 32), frame: bytes(5), expires: 9_000 })
    expect((await OwnFrames.open(db, 2_000)).queued().map((p) => p.expires)).toEqual([9_000])
    expect((await OwnFrames.open(db, 2_000)).queued()).toHaveLength(1)
  })
})
