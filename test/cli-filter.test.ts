/**
 * Mutes and filters through the built `murmur` and a real daemon (issue 18): a word filter (whole
 * words, through case and full width), a muted thread, an author muted in a thread and a score floor
 * hide posts in feed and thread; they are kept in the data dir (0600) and hide the same after the
 * daemon restarts; `filter remove` and `clear` show them again; a damaged file is said, not ignored.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { writeSealedFile } from '@murmur/node/internal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox } from './cli-harness.ts'
import type { Daemon } from './cli-harness.ts'

interface Post { id: string, body: string, root?: string, pseudonym?: string, kind: string }
interface Filters { threads: string[], pseudonyms: Array<{ thread: string, pseudonym: string }>, words: string[], minScore?: number }

// each murmur run is a process start, several seconds on a loaded 2-core machine: the timeouts count them
describe('murmur filter', () => {
  let sandbox: Sandbox
  let a: Daemon
  const ids: Record<string, string> = {}

  const json = async <T>(args: string[]): Promise<T> => {
    const result = await sandbox.run([...args, '--json', '--data-dir', a.dataDir])
    if (result.code !== 0) throw new Error(`murmur ${args.join(' ')} exited ${result.code}: ${result.stderr}`)
    return JSON.parse(result.stdout) as T
  }
  const feedBodies = async (sort = 'new'): Promise<string[]> => (await json<{ posts: Post[] }>(['feed', 'lobby', '--sort', sort])).posts.map((p) => p.body)

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    a = await sandbox.daemon('a')
    const bodies = ['hello world', 'MAJOR ＳＰＯＩＬＥＲ here', 'spoilers are fine', 'a quiet thread']
    const posted = await sandbox.runEach(bodies.map((body) => ['post', 'lobby', body, '--json', '--data-dir', a.dataDir]))
    for (const [i, result] of posted.entries()) {
      if (result.code !== 0) throw new Error(`murmur post exited ${result.code}: ${result.stderr}`)
      ids[bodies[i]!] = (JSON.parse(result.stdout) as { id: string }).id
    }
    ids.reply = (await json<{ id: string }>(['reply', ids['hello world']!, 'me again'])).id
  }, 200_000)

  afterAll(async () => {
    await sandbox?.cleanup()
  })

  it('hides by word, thread and author in feed and thread, kept 0600 across a restart', async () => {
    expect((await feedBodies()).sort()).toEqual(['MAJOR ＳＰＯＩＬＥＲ here', 'a quiet thread', 'hello world', 'spoilers are fine'])
    await json(['filter', 'word', 'spoiler'])
    await json(['filter', 'thread', ids['a quiet thread']!.slice(0, 8)])
    const filters = (await json<{ filters: Filters }>(['filter', 'author', ids.reply!])).filters
    expect(filters.words).toEqual(['spoiler'])
    expect(filters.threads).toEqual([ids['a quiet thread']])
    expect(filters.pseudonyms).toEqual([{ thread: ids['hello world'], pseudonym: expect.stringMatching(/^[0-9a-f]{64}$/) }])
    expect((await stat(join(a.dataDir, 'filters.json'))).mode & 0o777).toBe(0o600)

    // reads only: two at a time
    const check = async (): Promise<void> => {
      const sorts = ['new', 'hot', 'top']
      const [text, thread, ...feeds] = await sandbox.runEach([
        ['feed', 'lobby', '--data-dir', a.dataDir],
        ['thread', ids['hello world']!, '--json', '--data-dir', a.dataDir],
        ...sorts.map((sort) => ['feed', 'lobby', '--sort', sort, '--json', '--data-dir', a.dataDir])
      ])
      for (const [i, sort] of sorts.entries()) expect((JSON.parse(feeds[i]!.stdout) as { posts: Post[] }).posts.map((p) => p.body), sort).toEqual(['spoilers are fine'])
      expect(text!.stderr).toContain('3 posts hidden by your filters')
      expect((JSON.parse(thread!.stdout) as { posts: Post[] }).posts).toEqual([])
    }
    await check()
    expect(await a.proc.stop()).toBe(0)
    a = await sandbox.daemon('a')
    await check()

    await json(['filter', 'remove', 'author', ids['hello world']!.slice(0, 8), filters.pseudonyms[0]!.pseudonym.slice(0, 8)])
    expect((await json<{ posts: Post[] }>(['thread', ids['hello world']!])).posts.map((p) => p.body)).toEqual(['hello world', 'me again'])
    await json(['filter', 'remove', 'word', 'spoiler'])
    expect((await feedBodies()).sort()).toEqual(['MAJOR ＳＰＯＩＬＥＲ here', 'hello world', 'spoilers are fine'])
  }, 400_000)

  it('hides below a score, clears, and says a damaged file', async () => {
    await json(['filter', 'score', '1'])
    expect(await feedBodies()).toEqual([])
    expect((await json<{ filters: Filters }>(['filter', 'clear'])).filters).toEqual({ threads: [], pseudonyms: [], words: [] })
    expect(await feedBodies()).toHaveLength(4)
    expect(await feedBodies('top')).toHaveLength(4)

    // damaged inside its seal (a plain file in a sealed data dir is refused, see at-rest-planted)
    await writeSealedFile(a.dataDir, 'filters.json', new TextEncoder().encode('{"words": 5}'))
    const damaged = await sandbox.run(['feed', 'lobby', '--data-dir', a.dataDir])
    expect(damaged.code).not.toBe(0)
    expect(damaged.stderr).toContain('filters.json holds no filters murmur can read')
    const bad = await sandbox.run(['filter', 'word', '  ', '--data-dir', a.dataDir])
    expect(bad.code).toBe(2)
  }, 200_000)
})
