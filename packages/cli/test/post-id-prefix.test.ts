/**
 * Post ids as people type them (issue 16 item 8): every command that takes a post id (reply, vote,
 * thread) and the chat accept a unique prefix of 4 or more hex characters; an ambiguous one is refused
 * with the candidates' distinguishing prefixes and exit code 7; shorter than 4 is refused (exit 2).
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
// the built package: the server reads the version from package.json, two levels above dist/src
import { EXIT, createControlServer } from '@murmur/cli'
import { Timeline } from '../src/chat/timeline.js'
import { writeApiFile } from '../src/daemon/api-file.js'
import { distinctPrefixes, parsePostRef, pickPostId } from '../src/post-id.js'
import { postView } from './post-view.js'
import { stubNode } from './stub-node.js'
import type { ControlServer } from '@murmur/cli'
import type { Murmur, PostView } from '@murmur/node'

const BIN = resolve(import.meta.dirname, '..', 'dist', 'src', 'bin.js')

/** Two posts whose ids share their first 9 hex characters, one more, and a reply under the second. */
const TWIN_A = `abcd01234a${'0'.repeat(54)}`
const TWIN_B = `abcd01234b${'1'.repeat(54)}`
const LONE = `ef01${'2'.repeat(60)}`
const REPLY = `9999${'3'.repeat(60)}`

const POSTS: PostView[] = [
  postView({ id: TWIN_A, root: TWIN_A }),
  postView({ id: TWIN_B, root: TWIN_B, replies: 1 }),
  postView({ id: LONE, root: LONE })
]
const THREADS: Record<string, PostView[]> = {
  [TWIN_B]: [POSTS[1] as PostView, postView({ id: REPLY, kind: 'REPLY', parent: TWIN_B, root: TWIN_B, op: false })]
}

/** Runs the built `murmur` (npx tsc -b first) to completion, at most 30 s. */
async function murmur (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first with \`npx tsc -b packages/cli\``)
  const env = { ...process.env }
  delete env.DEBUG
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: unknown }).code), stdout, stderr })
    })
  })
}

/** A node holding POSTS in #lobby (and THREADS); what it was asked to vote on and reply to is recorded. */
function holdingNode (asked: string[]): Murmur {
  const sent = (id: string): unknown => {
    asked.push(id)
    return { status: 'sent', id: 'f'.repeat(64), recipients: 1 }
  }
  return stubNode({
    channels: () => ['#lobby'],
    feed: async () => POSTS,
    postIdsWithPrefix: async (prefix: string) => [...POSTS, ...Object.values(THREADS).flat()].map((post) => post.id).filter((id, i, all) => id.startsWith(prefix) && all.indexOf(id) === i).sort(),
    thread: async (id: string) => THREADS[id] ?? POSTS.filter((post) => post.id === id),
    vote: async (id: string) => sent(id),
    reply: async (id: string) => sent(id)
  })
}

describe('post id prefixes', () => {
  it('reads what was typed: 4 to 64 hex characters, any case', () => {
    expect(parsePostRef('ABCD')).toBe('abcd')
    expect(parsePostRef(TWIN_A.toUpperCase())).toBe(TWIN_A)
    expect(() => parsePostRef('abc')).toThrow(/^post id prefix "abc" is too short: give at least 4 hex characters of the id$/)
    expect(() => parsePostRef('abcg')).toThrow(/^bad post id "abcg": expected a post id \(64 hex characters/)
    expect(() => parsePostRef(`${TWIN_A}0`)).toThrow(/^bad post id/)
    // a long bad input is cut in the message
    expect(() => parsePostRef('z'.repeat(500))).toThrow(/^bad post id "z{69}…"/)
  })

  it('names each candidate of an ambiguity by the prefix that tells it from the others (8 characters at least)', () => {
    expect(distinctPrefixes([TWIN_A, TWIN_B, LONE])).toEqual(['abcd01234a', 'abcd01234b', 'ef012222'])
    expect(() => pickPostId('abcd', [TWIN_A, TWIN_B])).toThrow('post id prefix abcd is ambiguous: abcd01234a, abcd01234b start with it; give more of the id')
    expect(pickPostId('ef01', [LONE])).toBe(LONE)
    expect(() => pickPostId('7777', [])).toThrow(/^no post id starting with 7777 in this node's store/)
  })

  it('the chat reads numbers, ids and prefixes of the posts it showed', () => {
    const timeline = new Timeline()
    for (const post of POSTS) timeline.addPost(post)
    expect(timeline.resolve('3')).toBe(LONE)
    expect(timeline.resolve('[2]')).toBe(TWIN_B)
    expect(timeline.resolve('EF01')).toBe(LONE)
    expect(timeline.resolve('abcd01234a')).toBe(TWIN_A)
    // not seen here: the chat asks the node
    expect(timeline.resolve('9999')).toBeUndefined()
    expect(() => timeline.resolve('abcd')).toThrow(expect.objectContaining({ name: 'AmbiguousIdError', candidates: [TWIN_A, TWIN_B] }))
    expect(() => timeline.resolve('7')).toThrow('no post 7 here: use the number in [brackets] or a post id')
    expect(() => timeline.resolve('abc')).toThrow(/too short/)
  })

  describe('murmur vote, reply and thread', () => {
    let dir: string
    let api: ControlServer | undefined
    const asked: string[] = []

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'murmur-id-prefix-'))
      asked.length = 0
      api = await createControlServer({ node: holdingNode(asked), socket: join(dir, 'api.sock') })
      await writeApiFile(dir, { pid: process.pid, ...api.address, token: api.token } as Parameters<typeof writeApiFile>[1])
    })

    afterEach(async () => {
      await api?.close()
      api = undefined
      await rm(dir, { recursive: true, force: true })
    })

    it('take a unique prefix, refuse an ambiguous one with exit 7 and a short one with exit 2', async () => {
      const voted = await murmur(['vote', 'EF01', 'up', '--data-dir', dir])
      expect(voted.code, voted.stderr).toBe(EXIT.OK)
      const replied = await murmur(['reply', '9999', 'to the reply', '--data-dir', dir])
      expect(replied.code, replied.stderr).toBe(EXIT.OK)
      expect(asked).toEqual([LONE, REPLY])

      const thread = await murmur(['thread', 'abcd01234b', '--data-dir', dir, '--json'])
      expect(thread.code, thread.stderr).toBe(EXIT.OK)
      expect(JSON.parse(thread.stdout)).toMatchObject({ root: TWIN_B, posts: [{ id: TWIN_B }, { id: REPLY }] })

      for (const args of [['vote', 'abcd', 'up'], ['reply', 'abcd0123', 'hi'], ['thread', 'ABCD']]) {
        const result = await murmur([...args, '--data-dir', dir])
        expect(result.code, args.join(' ')).toBe(EXIT.AMBIGUOUS_ID)
        expect(result.stderr).toMatch(/^murmur: post id prefix abcd(0123)? is ambiguous: abcd01234a, abcd01234b start with it; give more of the id\n$/)
      }
      const short = await murmur(['vote', 'abc', 'up', '--data-dir', dir])
      expect(short.code).toBe(EXIT.USAGE)
      expect(short.stderr).toBe('murmur: post id prefix "abc" is too short: give at least 4 hex characters of the id\n')
      const unknown = await murmur(['vote', '7777', 'up', '--data-dir', dir])
      expect(unknown.code).toBe(EXIT.FAILURE)
      expect(unknown.stderr).toMatch(/^murmur: no post id starting with 7777 in this node's store/)
      // nothing was sent for any of the refusals
      expect(asked).toEqual([LONE, REPLY])
    }, 240_000)
  })
})
