import { describe, expect, it } from 'vitest'
import { applyFilters, emptyFilters, filterWords, foldText, parseFilters, postFilter } from '../src/filters.js'
import type { LocalFilters } from '../src/filters.js'
import type { PostView } from '../src/view.js'

const hex = (n: number): string => n.toString(16).padStart(64, '0')
const ROOT = hex(1)
const OTHER = hex(2)
const ALICE = hex(0xa11ce)
const BOB = hex(0xb0b)

function view (over: Partial<PostView>): PostView {
  return { id: hex(99), channel: '#lobby', kind: 'REPLY', body: 'hello there', parent: ROOT, root: ROOT, vote: 0, created: 1, expires: 2, score: 0, replies: 0, pseudonym: ALICE, op: false, member: true, ...over }
}

const filters = (over: Partial<LocalFilters>): LocalFilters => ({ ...emptyFilters(), ...over })

describe('local filters', () => {
  it('mutes a pseudonym within its thread only', () => {
    const hidden = postFilter(filters({ pseudonyms: [{ thread: ROOT, pseudonym: ALICE }] }))
    expect(hidden(view({}))).toBe('pseudonym')
    expect(hidden(view({ pseudonym: BOB }))).toBeUndefined()
    // the same key in another thread is another pseudonym's business
    expect(hidden(view({ root: OTHER, parent: OTHER }))).toBeUndefined()
  })

  it('mutes a thread: its root, its replies and the votes on its root', () => {
    const hidden = postFilter(filters({ threads: [ROOT] }))
    expect(hidden(view({ kind: 'POST', id: ROOT, parent: undefined }))).toBe('thread')
    expect(hidden(view({}))).toBe('thread')
    expect(hidden(view({ kind: 'VOTE', body: '', root: undefined, parent: ROOT, pseudonym: undefined, vote: 1 }))).toBe('thread')
    expect(hidden(view({ root: OTHER }))).toBeUndefined()
  })

  it('hides posts below a score, never votes', () => {
    const hidden = postFilter(filters({ minScore: -2 }))
    expect(hidden(view({ score: -3 }))).toBe('score')
    expect(hidden(view({ score: -2 }))).toBeUndefined()
    expect(hidden(view({ kind: 'VOTE', root: undefined, body: '', score: -10 }))).toBeUndefined()
  })

  it('matches words whole, through case, width, zero-width characters and accents', () => {
    const hidden = postFilter(filters({ words: ['spoiler', 'dark souls'] }))
    for (const body of ['SPOILER: he dies', 'ｓｐｏｉｌｅｒ', 'spo\u200bil\u200der', 'spo\u00adiler', 'spöiler!', 'I love Dark\n  Souls', 'ＤＡＲＫ ｓｏｕｌｓ']) {
      expect(hidden(view({ body })), body).toBe('word')
    }
    // whole words only, and what the module comment says still passes
    for (const body of ['spoilers ahead', 'unspoiler', 's p o i l e r', 'sp0iler', 'ѕpoiler', 'dark, and souls']) {
      expect(hidden(view({ body })), body).toBeUndefined()
    }
  })

  it('folds text as documented', () => {
    expect(foldText('ＢＡ\u200dD Café')).toBe('bad cafe')
    expect(filterWords('Hello, ＷＯＲＬＤ!')).toEqual(['hello', 'world'])
  })

  it('keeps order and the shown posts', () => {
    const posts = [view({ id: hex(3), body: 'fine' }), view({ id: hex(4), body: 'a spoiler' }), view({ id: hex(5), body: 'fine too' })]
    expect(applyFilters(posts, filters({ words: ['spoiler'] })).map((p) => p.id)).toEqual([hex(3), hex(5)])
    expect(applyFilters(posts, emptyFilters())).toEqual(posts)
  })

  it('parses a file and refuses a bad one with ERR_BAD_FILTERS', () => {
    const good = { threads: [ROOT], pseudonyms: [{ thread: ROOT, pseudonym: ALICE }], words: ['x1'], minScore: -5 }
    expect(parseFilters(JSON.parse(JSON.stringify(good)))).toEqual(good)
    expect(parseFilters({})).toEqual(emptyFilters())
    for (const bad of [null, 'x', { threads: 'a' }, { threads: ['ABC'] }, { words: ['  \u200b '] }, { words: ['x'.repeat(101)] }, { minScore: 1.5 }, { pseudonyms: [{ thread: ROOT }] }, { words: Array(501).fill('w') }]) {
      expect(() => parseFilters(bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ name: 'BadFiltersError', code: 'ERR_BAD_FILTERS' }))
    }
  })
})
