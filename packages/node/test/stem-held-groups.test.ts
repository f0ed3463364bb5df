/**
 * Review 4, A Low 1: the table of held relayed posts made room by PeerId, so free sybil PeerIds from one
 * address, one paid post each, pushed out an honest post held for another address; sent back by the
 * successor, it was then taken for a fresh first hop (the "relayed post across a restart" difference of
 * docs/ANONYMITY.md, without a restart). Held posts are counted per sender address group.
 */
import { describe, expect, it } from 'vitest'
import { MAX_HELD_POSTS } from '../src/stem/index.js'
import { ENVELOPE, EPOCH, TOPIC, setup } from './stem-fixtures.js'
import type { Harness } from './stem-fixtures.js'

/** A router that is never a diffuser, with two dialed successors, whose posts stay held (timers far off). */
function holding (maxHeld = MAX_HELD_POSTS): Harness {
  const harness = setup({ fluffProbability: 0, embargoMin: 3_600_000, maxHeld })
  harness.router.addPeer('successor-a', true)
  harness.router.addPeer('successor-b', true)
  harness.clock.advance(EPOCH)
  return harness
}

describe('stem: the held table counted per address group', () => {
  it(`keeps an honest post while ${2 * MAX_HELD_POSTS} sybil PeerIds of one other group fill the table`, () => {
    const { router, events } = holding()
    router.relay('honest', TOPIC, ENVELOPE, 'honest-post', '198.51.100.7')
    for (let i = 0; i < 2 * MAX_HELD_POSTS; i++) {
      router.relay(`sybil-${i}`, TOPIC, ENVELOPE, `sybil-post-${i}`, '203.0.113.9')
    }
    expect(router.heldCopy('honest-post')).toBeDefined()
    expect(router.heldCount).toBe(MAX_HELD_POSTS)
    // the sybils' group gave way to itself: its newest posts held, its oldest forgotten
    expect(router.heldCopy(`sybil-post-${2 * MAX_HELD_POSTS - 1}`)).toBeDefined()
    expect(router.heldCopy('sybil-post-0')).toBeUndefined()
    // sent back by a successor, the honest post is a loop (it goes on to an untried peer), not a fresh first hop
    const before = events.length
    router.relay(router.routeOf('honest')!, TOPIC, ENVELOPE, 'honest-post', '192.0.2.1')
    const next = events.slice(before)
    expect(next).toHaveLength(1)
    expect(next[0]).toMatchObject({ type: 'forward', id: 'honest-post' })
    expect((next[0] as { to: string }).to).not.toBe(router.routeOf('honest'))
  })

  it('makes one group\'s posts give way to each other, oldest first, whichever PeerIds sent them', () => {
    const { router } = holding(8)
    for (let i = 0; i < 8; i++) router.relay(`peer-${i}`, TOPIC, ENVELOPE, `post-${i}`, '198.51.100.7')
    router.relay('peer-8', TOPIC, ENVELOPE, 'post-8', '198.51.100.7')
    expect(router.heldCount).toBe(8)
    expect(router.heldCopy('post-0')).toBeUndefined()
    for (let i = 1; i <= 8; i++) expect(router.heldCopy(`post-${i}`)).toBeDefined()
  })

  it('makes room at the expense of the group holding the most, not of the sender', () => {
    const { router } = holding(8)
    for (let i = 0; i < 5; i++) router.relay(`a-${i}`, TOPIC, ENVELOPE, `a-post-${i}`, 'group-a')
    for (let i = 0; i < 3; i++) router.relay(`b-${i}`, TOPIC, ENVELOPE, `b-post-${i}`, 'group-b')
    // a post of group b (3 held) evicts the oldest of group a (5 held)
    router.relay('b-3', TOPIC, ENVELOPE, 'b-post-3', 'group-b')
    expect(router.heldCopy('a-post-0')).toBeUndefined()
    expect(router.heldCopy('b-post-0')).toBeDefined()
    expect(router.heldCopy('b-post-3')).toBeDefined()
  })

  it('counts a post by its PeerId when no group is given (the anonymity simulation)', () => {
    const { router } = holding(4)
    router.relay('honest', TOPIC, ENVELOPE, 'honest-post')
    for (let i = 0; i < 8; i++) router.relay('flooder', TOPIC, ENVELOPE, `flood-${i}`)
    expect(router.heldCopy('honest-post')).toBeDefined()
  })
})
