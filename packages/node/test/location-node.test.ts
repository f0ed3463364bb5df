/**
 * Location channels on real nodes on loopback: a node peeking at a far cell reads what is posted there
 * and is refused posting, replying and voting, also after a restart; one that joined by coordinates posts.
 */
import { describe, expect, it } from 'vitest'
import { locationCover } from '@murmur/protocol'
import { addressOf, cleanedAfterEach, nextPost, startNode } from './harness.js'
import type { Murmur, Places } from '../src/index.js'

/** The node's location channels. */
function placesOf (node: Murmur): Places {
  return node.places
}

describe('location channels on a node', () => {
  const cleanup = cleanedAfterEach()

  it('reads a peeked cell, refuses to post, reply or vote there, and still refuses after a restart', async () => {
    const cover = locationCover({ lat: 40.7128, lon: -74.006, radiusMeters: 3000 })
    const local = await startNode({ stem: false })
    cleanup.running.push(local)
    const joinedNear = await placesOf(local).joinNear({ lat: 40.7128, lon: -74.006, radiusMeters: 3000 })
    expect(joinedNear).toEqual(cover)
    expect(local.channels().sort()).toEqual(cover.channels)

    const dataDir = await cleanup.tempDir()
    const peeker = await startNode({ stem: false, dataDir, bootstrap: [addressOf(local)], membership: { mint: false } })
    cleanup.running.push(peeker)
    expect(await placesOf(peeker).peek(cover.home)).toBe(cover.home)
    const seen = nextPost(peeker, (post) => post.body === 'hello from downtown')
    const { id } = await local.post(cover.home, 'hello from downtown')
    expect((await seen).channel).toBe(cover.home)

    await expect(peeker.post(cover.home, 'not from here')).rejects.toMatchObject({ name: 'PeekOnlyError', code: 'ERR_PEEK_ONLY' })
    await expect(peeker.reply(id, 'nor this')).rejects.toMatchObject({ code: 'ERR_PEEK_ONLY' })
    await expect(peeker.vote(id, 1)).rejects.toMatchObject({ code: 'ERR_PEEK_ONLY' })

    await peeker.stop()
    const again = await startNode({ stem: false, dataDir, membership: { mint: false } })
    cleanup.running.push(again)
    expect(again.channels()).toContain(cover.home)
    await expect(again.post(cover.home, 'still not')).rejects.toMatchObject({ code: 'ERR_PEEK_ONLY' })
    // left by name, it is not taken back at the next start
    await again.leave(cover.home)
    expect(placesOf(again).state().peeked).toEqual([])
    await again.stop()
    const third = await startNode({ stem: false, dataDir, membership: { mint: false } })
    cleanup.running.push(third)
    expect(third.channels()).not.toContain(cover.home)
  })
})
