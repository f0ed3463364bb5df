/**
 * A second vote on one post, through each way a user votes (the `murmur vote` command, the control API,
 * the chat driving the daemon), is refused with ERR_ALREADY_VOTED and nothing is sent: the score moves
 * once. An opposite vote is refused the same way (a vote cannot be changed: of two votes under one tag
 * every node keeps the smaller id, not the later one).
 */
import { request } from 'node:http'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox, Tmux } from './cli-harness.ts'
import type { Daemon, LineProcess } from './cli-harness.ts'

/** How long a post may take to reach the other daemon (stem embargo 10 s + Exp(10 s), loaded machine). */
const SPREAD = 75_000
/** The exit code of a refused repeat vote. */
const EXIT_ALREADY_VOTED = 6
/** The refusal, as the node words it (its direction is named once this node recorded it). */
const REFUSED = /not voted: you (voted on|upvoted|downvoted) this post already; a vote can be neither repeated nor changed/

interface Post { id: string, score: number }

/** POST `path` with a JSON body on the daemon's control API socket. */
async function postJson (dataDir: string, path: string, body: unknown): Promise<{ status: number, json: { error?: { code: string, message: string } } }> {
  const api = JSON.parse(await readFile(join(dataDir, 'api.json'), 'utf8')) as { socket: string, token: string }
  const text = JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath: api.socket,
      path: `/v1${path}`,
      method: 'POST',
      headers: { host: 'localhost', authorization: `Bearer ${api.token}`, 'content-type': 'application/json', accept: 'application/json' }
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }) })
    })
    req.on('error', reject)
    req.end(text)
  })
}

describe('a repeat vote', () => {
  let sandbox: Sandbox
  let tmux: Tmux
  let a: Daemon
  let b: Daemon
  let watchA: LineProcess

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    tmux = new Tmux(sandbox.env)
    ;[a, b] = await sandbox.daemonPair('a', 'b')
    watchA = sandbox.spawn(['watch', 'lobby', '--json', '--data-dir', a.dataDir])
    await watchA.waitForStderr((line) => line.startsWith('watching #lobby'))
    await Promise.all([a, b].map(async (d) => sandbox.waitForMembership(d.dataDir, (m) => m.signing === true, 'both to sign as members')))
  }, 4 * SPREAD)

  afterAll(async () => {
    await tmux?.kill()
    await sandbox?.cleanup()
  })

  /** Posts `text` on a and waits until b holds it. */
  const postOnA = async (text: string): Promise<string> => {
    const id = (JSON.parse((await sandbox.run(['post', 'lobby', text, '--json', '--data-dir', a.dataDir])).stdout) as { id: string }).id
    const deadline = Date.now() + SPREAD
    while ((await sandbox.run(['thread', id, '--json', '--data-dir', b.dataDir])).code !== 0) {
      if (Date.now() > deadline) throw new Error('b never got the post')
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    return id
  }

  /** Waits until a saw b's vote `voteId`, then reads the post's score on a. */
  const scoreOnA = async (voteId: string, postId: string): Promise<number> => {
    await watchA.waitForLine((line) => line.includes(`"id":"${voteId}"`), SPREAD)
    const feed = JSON.parse((await sandbox.run(['feed', 'lobby', '--json', '--data-dir', a.dataDir])).stdout) as { posts: Post[] }
    return feed.posts.find((p) => p.id === postId)?.score ?? Number.NaN
  }

  it('murmur vote: the second, and an opposite one, exit 6 with one line; the score moves once', async () => {
    const id = await postOnA('vote on me from the command line')
    const first = await sandbox.run(['vote', id, 'up', '--json', '--data-dir', b.dataDir])
    expect(first.code, first.stderr).toBe(0)
    for (const direction of ['up', 'down']) {
      const again = await sandbox.run(['vote', id, direction, '--data-dir', b.dataDir])
      expect(again.stdout).toBe('')
      expect(again.stderr).toMatch(new RegExp(`^murmur: ${REFUSED.source}\\n$`))
      expect(again.code, direction).toBe(EXIT_ALREADY_VOTED)
    }
    expect(await scoreOnA((JSON.parse(first.stdout) as { id: string }).id, id)).toBe(1)
  }, 4 * SPREAD)

  it('the API: 409 ERR_ALREADY_VOTED for the second vote', async () => {
    const id = await postOnA('vote on me through the API')
    const first = await postJson(b.dataDir, '/votes', { post: id, vote: -1 })
    expect(first.status, JSON.stringify(first.json)).toBe(200)
    const again = await postJson(b.dataDir, '/votes', { post: id, vote: -1 })
    expect(again.status).toBe(409)
    expect(again.json.error).toMatchObject({ code: 'ERR_ALREADY_VOTED' })
    expect(again.json.error?.message).toMatch(REFUSED)
    expect(await scoreOnA((first.json as unknown as { id: string }).id, id)).toBe(-1)
  }, 4 * SPREAD)

  it('the chat: /vote twice says so in one line; the score moves once', async () => {
    const id = await postOnA('vote on me in the chat')
    await tmux.start('chat', ['chat', '--data-dir', b.dataDir])
    await tmux.waitForScreen('chat', (s) => s.includes('vote on me in the chat'))
    await tmux.type('chat', `/vote ${id} up`)
    const line = await watchA.waitForLine((l) => l.includes('"kind":"VOTE"') && l.includes(`"parent":"${id}"`), SPREAD)
    await tmux.type('chat', `/vote ${id} up`)
    const screen = await tmux.waitForScreen('chat', (s) => REFUSED.test(s.replace(/\s+/g, ' ')))
    // said once, on its own line(s), not as an internal error
    expect(screen).not.toContain('failed to handle')
    expect(await scoreOnA((JSON.parse(line) as { id: string }).id, id)).toBe(1)
  }, 4 * SPREAD)
})
