import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ChatReader } from '../src/chat/reader.js'
import { readFilters } from '../src/filter-file.js'
import { parseChatInput } from '../src/chat/input.js'
import type { ControlClient } from '../src/client.js'
import type { PostView } from '@murmur/node'

const hex = (n: number): string => n.toString(16).padStart(64, '0')
const NOW = Math.floor(Date.now() / 1000)

function view (n: number, over: Partial<PostView> = {}): PostView {
  return { id: hex(n), channel: '#lobby', kind: 'POST', body: `post ${n}`, root: hex(n), vote: 0, created: NOW - n * 60, expires: NOW + 86_400, score: 0, replies: 0, pseudonym: hex(1000 + n), op: true, member: true, ...over }
}

/** A client whose feed is `posts` (newest first, as the daemon's `new`). */
function clientOf (posts: PostView[]): ControlClient {
  return { feed: async (_channel: string, options: { limit?: number } = {}) => posts.slice(0, options.limit) } as unknown as ControlClient
}

describe('the chat reader', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'chat-reader-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('/sort orders the feed by the documented formulas and refuses an unknown order', async () => {
    const reader = new ChatReader(dir)
    const posts = [view(1), view(2, { score: 9 }), view(3, { score: 4 })]
    expect((await reader.feed(clientOf(posts), '#lobby')).posts.map((p) => p.body)).toEqual(['post 1', 'post 2', 'post 3'])
    reader.setSort('TOP')
    expect((await reader.feed(clientOf(posts), '#lobby')).posts.map((p) => p.body)).toEqual(['post 2', 'post 3', 'post 1'])
    expect(() => reader.setSort('best')).toThrow(expect.objectContaining({ name: 'UsageError' }))
    expect(parseChatInput('/sort hot')).toEqual({ type: 'sort', order: 'hot' })
    expect(parseChatInput('/sort').type).toBe('invalid')
  })

  it('/mute hides an author in its thread and a thread, kept in the data dir for the CLI too', async () => {
    const reader = new ChatReader(dir)
    const reply = view(5, { kind: 'REPLY', root: hex(1), parent: hex(1), pseudonym: hex(77), op: false })
    await reader.mute(reply, 'author')
    expect(reader.hides(reply)).toBe(true)
    expect(reader.hides(view(5, { kind: 'REPLY', root: hex(2), parent: hex(2), pseudonym: hex(77) }))).toBe(false)
    await reader.mute(view(2), 'thread')
    const { posts, hidden } = await new ChatReader(dir).feed(clientOf([view(1), view(2), view(3)]), '#lobby')
    expect(posts.map((p) => p.body)).toEqual(['post 1', 'post 3'])
    expect(hidden).toBe(1)
    expect(await readFilters(dir)).toMatchObject({ threads: [hex(2)], pseudonyms: [{ thread: hex(1), pseudonym: hex(77) }], words: [] })
    expect(await readFile(join(dir, 'filters.json'), 'utf8')).not.toContain(hex(2))
    expect((await stat(join(dir, 'filters.json'))).mode & 0o777).toBe(0o600)
    expect(parseChatInput('/mute 3')).toEqual({ type: 'mute', target: '3', what: 'author' })
    expect(parseChatInput('/mute thread 3')).toEqual({ type: 'mute', target: '3', what: 'thread' })
  })

  it('counts the replies and votes on its own posts until the feed is shown again', async () => {
    const reader = new ChatReader(dir)
    reader.own(hex(1))
    expect(reader.badge()).toBe('')
    expect(reader.notify(view(9, { kind: 'REPLY', parent: hex(1), root: hex(1) }))).toBe(true)
    expect(reader.notify(view(10, { kind: 'VOTE', parent: hex(1), root: undefined, vote: 1 }))).toBe(true)
    // another's post, and its own reply to itself, are no news
    expect(reader.notify(view(11, { kind: 'REPLY', parent: hex(2), root: hex(2) }))).toBe(false)
    reader.own(hex(12))
    expect(reader.notify(view(12, { kind: 'REPLY', parent: hex(1), root: hex(1) }))).toBe(false)
    expect(reader.badge()).toBe(' 2 on yours ')
    await reader.feed(clientOf([]), '#lobby')
    expect(reader.badge()).toBe('')
  })

  it('also counts answers to the posts the daemon made through other commands (GET /v1/mine)', async () => {
    const reader = new ChatReader(dir)
    const asked: string[] = []
    const client = { mine: async () => { asked.push('GET /mine'); return [hex(3)] } } as unknown as ControlClient
    await reader.loadOwn(client)
    expect(asked).toEqual(['GET /mine'])
    expect(reader.notify(view(9, { kind: 'REPLY', parent: hex(3), root: hex(3) }))).toBe(true)
  })
})
