/**
 * Two `murmur daemon`s on loopback with separate data dirs: what is posted through one is seen
 * through the other, and every command's --json output parses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HIDDEN, HOSTILE_BODY, HOSTILE_SHOWN, NAME, Sandbox } from './cli-harness.ts'
import type { Daemon, LineProcess } from './cli-harness.ts'

/**
 * How long a post may take to reach the other daemon: an own post leaves through the Dandelion++ stem,
 * whose fail-safe embargo (10 s + Exp(10 s)) fluffs it when a hop loses it; generous on a loaded machine.
 */
const SPREAD = 75_000

interface Post { id: string, channel: string, kind: string, body: string, parent?: string, root?: string, score: number, replies: number, op: boolean, vote: number, pseudonym?: string }

describe('murmur daemon with the post, feed, watch, reply, vote and thread commands', () => {
  let sandbox: Sandbox
  let a: Daemon
  let b: Daemon
  let watchB: LineProcess
  let watchA: LineProcess

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    ;[a, b] = await sandbox.daemonPair('a', 'b')
    watchA = sandbox.spawn(['watch', 'lobby', '--json', '--data-dir', a.dataDir])
    watchB = sandbox.spawn(['watch', '#lobby', '--json', '--data-dir', b.dataDir])
    await Promise.all([
      watchA.waitForStderr((line) => line.startsWith('watching #lobby')),
      watchB.waitForStderr((line) => line.startsWith('watching #lobby'))
    ])
  })

  afterAll(async () => {
    await sandbox?.cleanup()
  })

  let rootId = ''

  it('posts on one daemon; the other shows it in watch and feed (JSON)', async () => {
    const posted = await sandbox.run(['post', 'lobby', 'hello from a', '--json', '--data-dir', a.dataDir])
    expect(posted.code).toBe(0)
    const result = JSON.parse(posted.stdout) as { id: string, status: string }
    expect(result.id).toMatch(/^[0-9a-f]{64}$/)
    expect(['sent', 'queued']).toContain(result.status)
    rootId = result.id

    const seen = JSON.parse(await watchB.waitForLine((line) => line.includes(rootId), SPREAD)) as Post
    expect(seen).toMatchObject({ id: rootId, channel: '#lobby', kind: 'POST', body: 'hello from a', op: true })

    const feed = await sandbox.run(['feed', 'lobby', '--json', '--data-dir', b.dataDir])
    expect(feed.code).toBe(0)
    const parsed = JSON.parse(feed.stdout) as { channel: string, posts: Post[] }
    expect(parsed.channel).toBe('#lobby')
    expect(parsed.posts.map((p) => p.id)).toContain(rootId)

    const human = await sandbox.run(['feed', 'lobby', '--data-dir', b.dataDir])
    expect(human.code).toBe(0)
    expect(human.stdout).toContain(rootId)
    expect(human.stdout).toContain('    hello from a')
  }, 3 * SPREAD)

  it('replies and votes from the other daemon round-trip into the thread, score and reply count', async () => {
    const replied = await sandbox.run(['reply', rootId, 'hello back from b', '--json', '--data-dir', b.dataDir])
    expect(replied.code).toBe(0)
    const replyId = (JSON.parse(replied.stdout) as { id: string }).id
    // only members vote: b waits for its stamp, and for a's in its directory to hide its vote among
    await sandbox.waitForMembership(b.dataDir, (m) => m.signing === true, 'b to sign as a member (its stamp out, a\'s in its directory)')
    const voted = await sandbox.run(['vote', rootId, 'up', '--json', '--data-dir', b.dataDir])
    expect(voted.code).toBe(0)
    const voteId = (JSON.parse(voted.stdout) as { id: string }).id

    const reply = JSON.parse(await watchA.waitForLine((line) => line.includes(`"id":"${replyId}"`), SPREAD)) as Post
    expect(reply).toMatchObject({ kind: 'REPLY', parent: rootId, root: rootId, body: 'hello back from b', op: false })
    const vote = JSON.parse(await watchA.waitForLine((line) => line.includes(`"id":"${voteId}"`), SPREAD)) as Post
    expect(vote).toMatchObject({ kind: 'VOTE', parent: rootId, vote: 1 })

    // the author answers in its own thread: marked OP
    const opReply = await sandbox.run(['reply', rootId, 'thanks', '--json', '--data-dir', a.dataDir])
    expect(opReply.code).toBe(0)
    const opReplyId = (JSON.parse(opReply.stdout) as { id: string }).id

    const thread = await sandbox.run(['thread', rootId, '--json', '--data-dir', a.dataDir])
    expect(thread.code).toBe(0)
    const posts = (JSON.parse(thread.stdout) as { root: string, posts: Post[] }).posts
    // root first, then the replies by (created, id): both replies may carry the same second
    expect(posts[0]?.id).toBe(rootId)
    expect(posts.slice(1).map((p) => p.id).sort()).toEqual([replyId, opReplyId].sort())
    const byId = new Map(posts.map((p) => [p.id, p]))
    expect(byId.get(replyId)?.op).toBe(false)
    expect(byId.get(opReplyId)?.op).toBe(true)
    expect(byId.get(opReplyId)?.pseudonym).toBe(posts[0]?.pseudonym)
    expect(byId.get(replyId)?.pseudonym).not.toBe(posts[0]?.pseudonym)

    const feed = JSON.parse((await sandbox.run(['feed', 'lobby', '--json', '--data-dir', a.dataDir])).stdout) as { posts: Post[] }
    expect(feed.posts.find((p) => p.id === rootId)).toMatchObject({ score: 1, replies: 2 })

    const human = await sandbox.run(['thread', rootId, '--data-dir', a.dataDir])
    expect(human.stdout).toContain('reply (OP)')
    expect(human.stdout).toContain('    hello back from b')
  }, 3 * SPREAD)

  it('shows hostile text safely in every view: as text in feed, thread and watch, escaped in JSON; names of 48 bits', async () => {
    const watchText = sandbox.spawn(['watch', 'lobby', '--data-dir', b.dataDir])
    await watchText.waitForStderr((line) => line.startsWith('watching #lobby'))
    const posted = await sandbox.run(['post', 'lobby', HOSTILE_BODY, '--json', '--data-dir', a.dataDir])
    expect(posted.code).toBe(0)
    const id = (JSON.parse(posted.stdout) as { id: string }).id

    // JSON: nothing raw for a terminal to act on, yet it parses to the exact body
    const jsonLine = await watchB.waitForLine((line) => line.includes(id), SPREAD)
    expect(jsonLine).not.toMatch(HIDDEN)
    expect((JSON.parse(jsonLine) as Post).body).toBe(HOSTILE_BODY)
    const feedJson = await sandbox.run(['feed', 'lobby', '--json', '--data-dir', b.dataDir])
    expect(feedJson.stdout).not.toMatch(HIDDEN)
    expect((JSON.parse(feedJson.stdout) as { posts: Post[] }).posts.find((p) => p.id === id)?.body).toBe(HOSTILE_BODY)

    // text: removed, at most one blank line in a row, and the name shows 48 bits of the key
    const shown = HOSTILE_SHOWN.split('\n').map((line) => `    ${line}`).join('\n')
    await watchText.waitForLine((line) => line === '    end', SPREAD)
    const views = {
      watch: watchText.stdout.join('\n'),
      feed: (await sandbox.run(['feed', 'lobby', '--data-dir', b.dataDir])).stdout,
      thread: (await sandbox.run(['thread', id, '--data-dir', b.dataDir])).stdout
    }
    for (const [view, text] of Object.entries(views)) {
      expect(text, view).not.toMatch(HIDDEN)
      expect(text, view).toContain(shown)
      // at 80 columns (no terminal, no COLUMNS) the header's counters take an indented line of their own
      expect(text, view).toMatch(new RegExp(`^${id}\\n  \\+0  0 replies  (just now|\\d+s ago|1m ago|2m ago)  (23h|1d) left  ${NAME}  (unverified|member)$`, 'm'))
    }
  }, 3 * SPREAD)

  it('reports status and peers as JSON', async () => {
    const status = await sandbox.run(['status', '--json', '--data-dir', a.dataDir])
    expect(status.code).toBe(0)
    const parsed = JSON.parse(status.stdout) as { peerId: string, peers: number, channels: Array<{ channel: string, peers: number }>, multiaddrs: string[] }
    expect(parsed.peerId).toBe(a.ready.peerId)
    expect(parsed.peers).toBeGreaterThanOrEqual(1)
    expect(parsed.channels).toContainEqual({ channel: '#lobby', peers: 1 })

    const peers = await sandbox.run(['peers', '--json', '--data-dir', a.dataDir])
    expect(peers.code).toBe(0)
    const list = (JSON.parse(peers.stdout) as { peers: Array<{ peerId: string, addr: string, channels: string[] }> }).peers
    const toB = list.find((p) => p.peerId === b.ready.peerId)
    expect(toB?.addr).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+/)
    expect(toB?.channels).toEqual(['#lobby'])
  })

  it('shows membership in status: the stamp each daemon minted (at TEST_STAMP_BITS) and both in the directory, as JSON and text', async () => {
    const membership = await sandbox.waitForMembership(a.dataDir, (m) => m.stamp !== null && m.members >= 2, 'a stamp and two members')
    expect(membership.minter).toBe(true)
    expect(membership.stamp!.expires).toBeGreaterThan(Date.now() / 1000)
    expect(Object.keys(membership).sort()).toEqual(['ahead', 'members', 'minter', 'minting', 'nextMintAt', 'ring', 'signing', 'stamp'])
    // two members: a vote hides among both, a small ring, and status says so
    expect(membership.ring).toBe(2)
    const text = await sandbox.run(['status', '--data-dir', a.dataDir])
    expect(text.stdout).toMatch(/^member {4}yes, until \d{4}-\d\d-\d\d \d\d:\d\d UTC$/m)
    expect(text.stdout).toMatch(/^(minting {3}the next stamp: .+ left|next mint \d{4}-\d\d-\d\d \d\d:\d\d UTC)$/m)
    expect(text.stdout).toMatch(/^directory [2-9] members$/m)
    expect(text.stdout).toMatch(/^ring {6}your votes and posts hide among 2 members \(16 once the directory holds that many\)$/m)
  })

  it('marks a member\'s post "member" in every view and --json; a member\'s vote says its ring and counts on the other daemon', async () => {
    await Promise.all([a, b].map(async (d) => sandbox.waitForMembership(d.dataDir, (m) => m.signing === true, 'both to sign as members')))
    const posted = await sandbox.run(['post', 'lobby', 'written by a member', '--data-dir', a.dataDir])
    expect(posted.code, posted.stderr).toBe(0)
    // the directory holds 2 members: a small ring, and the command says so
    const small = 'ring-signed among 2 members: nobody can tell which of them you are (a small ring, 16 once the directory holds that many)'
    expect(posted.stdout).toMatch(new RegExp(`^posted to #lobby: [0-9a-f]{64} \\((sent to 1 peer|queued: .+)\\)\\n${escape(small)}\\n$`))
    const id = /posted to #lobby: ([0-9a-f]{64})/.exec(posted.stdout)![1]!
    const seen = JSON.parse(await watchB.waitForLine((line) => line.includes(`"id":"${id}"`), SPREAD)) as Post & { member: boolean }
    expect(seen.member).toBe(true)
    const views = {
      feed: (await sandbox.run(['feed', 'lobby', '--data-dir', b.dataDir])).stdout,
      thread: (await sandbox.run(['thread', id, '--data-dir', b.dataDir])).stdout
    }
    for (const [view, text] of Object.entries(views)) {
      expect(text, view).toMatch(new RegExp(`^${id}\\n  \\+0  0 replies  (just now|\\d+s ago|\\d+m ago)  (23h|1d) left  \\S+  member\\n {4}written by a member$`, 'm'))
    }

    const voted = await sandbox.run(['vote', id, 'up', '--json', '--data-dir', b.dataDir])
    expect(voted.code, voted.stderr).toBe(0)
    const result = JSON.parse(voted.stdout) as { id: string, ring?: number }
    expect(result.ring).toBe(2)
    const vote = JSON.parse(await watchA.waitForLine((line) => line.includes(`"id":"${result.id}"`), SPREAD)) as Post & { member: boolean }
    expect(vote).toMatchObject({ kind: 'VOTE', parent: id, vote: 1, member: true })
    const feed = JSON.parse((await sandbox.run(['feed', 'lobby', '--json', '--data-dir', a.dataDir])).stdout) as { posts: Array<Post & { member: boolean }> }
    expect(feed.posts.find((p) => p.id === id)).toMatchObject({ score: 1, member: true })
  }, 3 * SPREAD)

  it('joins and leaves channels', async () => {
    const joined = await sandbox.run(['join', 'other', '--json', '--data-dir', b.dataDir])
    expect(joined.code).toBe(0)
    expect(JSON.parse(joined.stdout)).toEqual({ channel: '#other', channels: ['#lobby', '#other'] })
    const left = await sandbox.run(['leave', '#other', '--data-dir', b.dataDir])
    expect(left.code).toBe(0)
    expect(left.stdout.trim()).toBe('left #other (channels: #lobby)')
  })
})

/** `text` as a regular expression matching it literally. */
function escape (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
