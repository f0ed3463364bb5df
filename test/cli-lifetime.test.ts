/**
 * Ephemeral posts (issue 18): a post lives an hour, a day or a week, and nothing else, in every CLI
 * UI and in the control API (a lifetime of the author's own would link their posts); every view shows
 * the time left, and the chat drops a post from its screen at its expiry without a restart.
 */
import { describe, expect, it } from 'vitest'
import { HELP, parseChatInput } from '../packages/cli/src/chat/input.ts'
import { Timeline } from '../packages/cli/src/chat/timeline.ts'
import { ControlClient, createControlServer } from '@murmur/cli'
import { lifetimeHelp } from '../packages/cli/src/lifetime.ts'
import { formatPost } from '../packages/cli/src/output.ts'
import { postView } from '../packages/cli/test/post-view.ts'
import { stubNode } from '../packages/cli/test/stub-node.ts'

const NOW = 1_800_000_000

/** The rows of a timeline as plain text. */
const rows = (timeline: Timeline): string[] => timeline.render(80).map((line) => line.map((s) => s.text).join(''))

describe('post lifetimes', () => {
  // the rule itself (parsing, the ttl check, the time left) is @murmur/protocol's: packages/protocol/test/lifetime.test.ts
  it('--for says the three lifetimes, the default and why; feed, thread and watch show the time left after the age', () => {
    expect(lifetimeHelp()).toMatch(/^how long the post lives: 1h \(an hour\), 1d \(a day\), 1w \(a week\); default 1d\. .*link your posts/)
    const line = formatPost(postView({ created: NOW - 600, expires: NOW - 600 + 3_600 }), NOW, 200).split('\n')[0]
    expect(line).toMatch(/ {2}10m ago {2}50m left {2}kukot-dikar-hipat {2}unverified$/)
  })

  it('the chat: /for picks the lifetime, its help fits a line, and a post leaves the screen at its expiry', () => {
    expect(parseChatInput('/for 1h')).toEqual({ type: 'lifetime', lifetime: '1h' })
    expect(parseChatInput('/for')).toEqual({ type: 'invalid', message: 'usage: /for 1h|1d|1w' })
    expect(HELP.find((line) => line.startsWith('/for 1h|1d|1w'))).toBeDefined()
    for (const line of HELP) expect(line.length).toBeLessThanOrEqual(78)

    const timeline = new Timeline()
    const hour = postView({ id: '11'.repeat(32), body: 'gone in an hour', created: NOW, expires: NOW + 3_600 })
    const week = postView({ id: '22'.repeat(32), body: 'here for a week', created: NOW, expires: NOW + 604_800 })
    timeline.addPost(hour)
    timeline.addPost(week)
    // the next change: the minute after NOW, then the hour post's expiry once within the minute
    expect(timeline.tick(NOW)).toBe(NOW + 60 - (NOW % 60))
    expect(rows(timeline).filter((row) => row.startsWith('['))).toEqual([
      expect.stringMatching(/^\[1\] \d\d:\d\d kukot-dikar-hipat unverified · 1h left$/) as string,
      expect.stringMatching(/^\[2\] \d\d:\d\d kukot-dikar-hipat unverified · 7d left$/) as string
    ])
    expect(timeline.tick(NOW + 3_570)).toBe(NOW + 3_600)
    expect(rows(timeline)[0]).toMatch(/· <1m left$/)
    timeline.tick(NOW + 3_600)
    expect(rows(timeline).join('\n')).not.toContain('gone in an hour')
    expect(rows(timeline)[0]).toMatch(/^\[2\] .* · 6d left$/)
    // its number still names the post (the node answers that it expired)
    expect(timeline.resolve('1')).toBe(hour.id)
  })

  it('the control API refuses a ttl of the author\'s own with ERR_BAD_LIFETIME, before anything is mined', async () => {
    const posted: Array<{ body: string, ttl?: number }> = []
    const made = async (body: string, options: { ttl?: number }): Promise<unknown> => {
      posted.push({ body, ttl: options.ttl })
      return { id: 'cd'.repeat(32), status: 'sent', recipients: 1 }
    }
    const node = stubNode({
      post: async (_channel: string, body: string, options: { ttl?: number }) => made(body, options),
      reply: async (_parent: string, body: string, options: { ttl?: number }) => made(body, options),
      vote: async (_post: string, _vote: number, options: { ttl?: number }) => made('', options)
    })
    const server = await createControlServer({ node, port: 0 })
    try {
      const client = new ControlClient({ ...server.address, token: server.token })
      for (const [call, what] of [
        [async () => client.post({ channel: '#lobby', body: 'mine alone', ttl: 5_400 }), 'post'],
        [async () => client.reply({ parent: 'ab'.repeat(32), body: 'mine alone', ttl: 60 }), 'reply'],
        [async () => client.vote({ post: 'ab'.repeat(32), vote: 1, ttl: 7_200 }), 'vote'],
        // a vote lives a day: an hour, one of a post's lifetimes, is refused for a vote (circles' too)
        [async () => client.vote({ post: 'ab'.repeat(32), vote: 1, ttl: 3_600 }), 'vote of an hour']
      ] as const) {
        await expect(call(), what).rejects.toMatchObject({ name: 'ApiError', code: 'ERR_BAD_LIFETIME', status: 400 })
      }
      expect(posted).toEqual([])
      await client.post({ channel: '#lobby', body: 'for an hour', ttl: 3_600 })
      expect(posted).toEqual([{ body: 'for an hour', ttl: 3_600 }])
    } finally {
      await server.close()
    }
  })
})
