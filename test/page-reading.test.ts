/**
 * The browser page's reading logic without a browser (examples/browser/src): the sorts are the node's
 * formulas, the mutes and filters are @murmur/node's and survive a reload (a new PageReading over the same
 * storage), expired posts leave the view, own-post notifications count answers of others only, typed
 * places.
 */
import { BadFiltersError, sortFeed } from '@murmur/node'
import { describe, expect, it } from 'vitest'
import { OwnAnswers } from '../examples/browser/src/notify.ts'
import { typedPlace } from '../examples/browser/src/places.ts'
import { PageReading, nextExpiry } from '../examples/browser/src/reading.ts'
import type { FeedRead, PostView } from '@murmur/node'

const NOW = 1_800_000_000
const hex = (n: number): string => n.toString(16).padStart(64, '0')

function post (n: number, age: number, score: number, extra: Partial<PostView> = {}): PostView {
  return { id: hex(n), channel: '#lobby', kind: 'POST', body: `post ${n}`, vote: 0, created: NOW - age, expires: NOW - age + 86_400, score, replies: 0, op: true, member: true, root: hex(n), ...extra }
}

/** localStorage as the page has it, in memory. */
function memoryStorage (): Storage {
  const items = new Map<string, string>()
  return {
    get length () { return items.size },
    clear: () => { items.clear() },
    getItem: (key) => items.get(key) ?? null,
    key: (i) => [...items.keys()][i] ?? null,
    removeItem: (key) => { items.delete(key) },
    setItem: (key, value) => { items.set(key, String(value)) }
  }
}

const FEED = [post(1, 60, 0), post(2, 3600, 5), post(3, 6 * 3600, 40), post(4, 20 * 3600, 90), post(5, 600, -3)]
/** The node's feed read: its `new` and `hot` orders over FEED. */
const read: FeedRead = async ({ sort, limit }) => sortFeed(FEED, sort, NOW).slice(0, limit)
const noThread = async (): Promise<PostView[]> => []

describe('the page reads the feed as the CLI does', () => {
  it('sorts hot (the default), new and top by the node\'s formulas, and keeps the choice', async () => {
    const storage = memoryStorage()
    const reading = new PageReading(storage)
    expect(reading.sort).toBe('hot')
    for (const sort of ['hot', 'new', 'top'] as const) {
      expect(reading.setSort(sort)).toBe(true)
      const shown = (await reading.threads(read, noThread, 50, NOW)).map((t) => t.post.id)
      expect(shown).toEqual(sortFeed(FEED, sort, NOW).map((p) => p.id))
    }
    expect(reading.setSort('best')).toBe(false)
    expect(new PageReading(storage).sort).toBe('top')
  })

  it('mutes a thread, a pseudonym in one thread only, words and a score floor; all survive a reload', async () => {
    const storage = memoryStorage()
    const nym = 'ab'.repeat(32)
    const replyOf = (n: number, root: number, body: string): PostView => post(n, 30, 0, { kind: 'REPLY', parent: hex(root), root: hex(root), pseudonym: nym, body, op: false })
    const threads: Record<string, PostView[]> = {
      [hex(1)]: [FEED[0]!, replyOf(11, 1, 'hello'), replyOf(12, 1, 'more')],
      [hex(2)]: [FEED[1]!, replyOf(21, 2, 'hello there')]
    }
    const withReplies: FeedRead = async (o) => (await read(o)).map((p) => ({ ...p, replies: threads[p.id] === undefined ? 0 : threads[p.id]!.length - 1 }))
    const thread = async (root: PostView): Promise<PostView[]> => threads[root.id] ?? [root]
    const reading = new PageReading(storage)
    reading.setSort('new')
    reading.muteThread(hex(3))
    reading.mutePseudonym(hex(1), nym)
    reading.setWordsAndScore(['ＳＥＣＲＥＴ plan'], -1)
    const shown = async (r: PageReading): Promise<string[]> => (await r.threads(withReplies, thread, 50, NOW)).flatMap((t) => [t.post.id, ...t.replies.map((p) => p.id)])
    const expected = [hex(1), hex(2), hex(21), hex(4)] // 5 below -1, 3 muted, the pseudonym's replies in thread 1 only
    expect(await shown(reading)).toEqual(expected)
    FEED[3] = { ...FEED[3]!, body: 'our secret  PLAN' }
    try {
      expect(await shown(reading)).toEqual(expected.slice(0, 3))
      // a reload: a new reading over the same storage hides the same
      expect(await shown(new PageReading(storage))).toEqual(expected.slice(0, 3))
    } finally {
      FEED[3] = post(4, 20 * 3600, 90)
    }
    expect(() => { reading.setWordsAndScore(['!!!'], undefined) }).toThrow(BadFiltersError)
    expect(reading.filters.words).toEqual(['ＳＥＣＲＥＴ plan'])
    reading.unmuteAll()
    expect(new PageReading(storage).filters).toEqual({ threads: [], pseudonyms: [], words: ['ＳＥＣＲＥＴ plan'], minScore: -1 })
  })

  it('fills the feed with older visible posts when the newest 50 are all hidden (filters before the limit)', async () => {
    // 60 threads a minute apart: the newest 50 muted (40 threads, 10 by a word), the 10 older ones shown
    const many = Array.from({ length: 60 }, (_, i) => post(100 + i, 60 * (i + 1), 0, i >= 40 && i < 50 ? { body: `spoiler ${i}` } : {}))
    const reads: Array<{ sort: string, limit?: number }> = []
    const readMany: FeedRead = async (o) => {
      reads.push(o)
      return sortFeed(many, o.sort, NOW).slice(0, o.limit)
    }
    const reading = new PageReading(memoryStorage())
    for (const p of many.slice(0, 40)) reading.muteThread(p.id)
    reading.setWordsAndScore(['spoiler'], undefined)
    const older = many.slice(50).map((p) => p.id)
    for (const sort of ['new', 'hot', 'top'] as const) {
      reading.setSort(sort)
      const shown = (await reading.threads(readMany, noThread, 50, NOW)).map((t) => t.post.id)
      expect(shown, sort).toEqual(sortFeed(many.slice(50), sort, NOW).map((p) => p.id))
      expect([...shown].sort(), sort).toEqual(older)
    }
    // without filters the node's own order is read, no wider than asked
    const plain = new PageReading(memoryStorage())
    plain.setSort('hot')
    reads.length = 0
    expect((await plain.threads(readMany, noThread, 5, NOW)).map((t) => t.post.id)).toEqual(sortFeed(many, 'hot', NOW).slice(0, 5).map((p) => p.id))
    expect(reads).toEqual([{ sort: 'hot', limit: 5 }])
  })

  it('reads damaged storage as no filters, and leaves expired posts out', async () => {
    const storage = memoryStorage()
    storage.setItem('murmur:filters', '{"threads": "nope"')
    storage.setItem('murmur:sort', 'best')
    const reading = new PageReading(storage)
    expect(reading.filters).toEqual({ threads: [], pseudonyms: [], words: [] })
    expect(reading.sort).toBe('hot')
    const later = NOW + 86_400 - 3600 + 1 // post 2 (an hour old at NOW) is past its day
    const threads = await reading.threads(read, noThread, 50, later)
    expect(threads.map((t) => t.post.id)).not.toContain(hex(2))
    expect(nextExpiry(threads)).toBe(Math.min(...threads.map((t) => t.post.expires)))
    expect(nextExpiry([])).toBeUndefined()
  })
})

describe('notifications of the page', () => {
  it('counts replies and votes of others on own posts, not own answers made meanwhile', async () => {
    const own = new OwnAnswers()
    let changes = 0
    own.onchange = () => { changes++ }
    const mine = await own.sending(async () => ({ id: hex(100) }))
    // the node announces an own reply before reply() resolves with its id
    await own.sending(async () => {
      own.arrived(post(101, 0, 0, { kind: 'REPLY', parent: mine.id, root: mine.id }))
      return { id: hex(101) }
    })
    expect(own.unseen()).toBe(0)
    own.arrived(post(102, 0, 0, { kind: 'REPLY', parent: mine.id, root: mine.id, body: 'hi' }))
    own.arrived(post(103, 0, 0, { kind: 'VOTE', parent: mine.id, vote: 1, root: undefined }))
    own.arrived(post(103, 0, 0, { kind: 'VOTE', parent: mine.id, vote: 1, root: undefined }))
    own.arrived(post(104, 0, 0, { kind: 'REPLY', parent: hex(7), root: hex(7) }))
    own.arrived(post(105, 0, 0))
    expect(own.unseen()).toBe(2)
    expect(changes).toBe(2)
    expect(own.look().map((n) => [n.post.id, n.seen])).toEqual([[hex(103), false], [hex(102), false]])
    expect(own.unseen()).toBe(0)
  })
})

// the lifetimes the page offers and the time left it shows are @murmur/protocol's (packages/protocol/test/lifetime.test.ts)
describe('places of the page', () => {
  it('reads typed places: coordinates, cells; anything else a LocationError', () => {
    expect(typedPlace(' 57.649, 10.407 ')).toEqual({ lat: 57.649, lon: 10.407 })
    expect(typedPlace('U4PRU')).toEqual({ channel: 'geo:u4pru' })
    expect(typedPlace('geo:dr5r')).toEqual({ channel: 'geo:dr5r' })
    expect(() => typedPlace('#lobby')).toThrow(expect.objectContaining({ code: 'ERR_NOT_A_PLACE' }))
    expect(() => typedPlace('geo:aaaa')).toThrow(expect.objectContaining({ code: 'ERR_NOT_A_PLACE' }))
  })
})
