import { describe, expect, it } from 'vitest'
import { MAX_OUTBOX } from '../src/constants.js'
import { addressOf, nextPost, startNode, waitFor, cleanedAfterEach } from './harness.js'

describe('outbox', () => {
  const { running } = cleanedAfterEach()

  it('queues a post nobody can receive, says why, and sends it when a subscriber appears', async () => {
    const alone = await startNode()
    running.push(alone)
    const lonely = await alone.post('#early', 'anyone here?')
    expect(lonely).toMatchObject({ status: 'queued', reason: 'no-connections' })

    const neighbour = await startNode({ bootstrap: [addressOf(alone)] })
    running.push(neighbour)
    await waitFor(() => alone.peerCount() > 0, 'a connection')
    const stillAlone = await alone.post('#early', 'still nobody in the channel')
    expect(stillAlone).toMatchObject({ status: 'queued', reason: 'no-subscribers' })

    const first = nextPost(neighbour, (p) => p.id === lonely.id)
    const second = nextPost(neighbour, (p) => p.id === stillAlone.id)
    await neighbour.join('#early')
    expect((await first).body).toBe('anyone here?')
    expect((await second).body).toBe('still nobody in the channel')

    const direct = await alone.post('#early', 'now you hear me')
    expect(direct).toMatchObject({ status: 'sent', recipients: 1 })
  })

  it('refuses a post the full outbox cannot hold before storing it, also when posts race for the last rooms', async () => {
    const alone = await startNode()
    running.push(alone)
    const attempts = await Promise.allSettled(Array.from({ length: MAX_OUTBOX + 8 }, async (_, i) => alone.post('#full', `post ${i}`)))
    const queued = attempts.filter((a) => a.status === 'fulfilled')
    const refused = attempts.flatMap((a) => a.status === 'rejected' ? [a.reason as Error] : [])
    expect(queued).toHaveLength(MAX_OUTBOX)
    expect(refused).toHaveLength(8)
    for (const err of refused) expect(err).toMatchObject({ name: 'OutboxFullError' })
    // what was refused was not kept: the feed holds exactly the queued posts
    const feed = await alone.feed('#full', { limit: 1000 })
    expect(feed).toHaveLength(MAX_OUTBOX)
    const ids = new Set(queued.map((a) => (a as PromiseFulfilledResult<{ id: string }>).value.id))
    expect(feed.every((post) => ids.has(post.id))).toBe(true)
  })

  it('names what is wrong with a post that cannot be made', async () => {
    const node = await startNode()
    running.push(node)
    await expect(node.post('two words', 'x')).rejects.toMatchObject({ name: 'InvalidChannelError', code: 'ERR_BAD_CHANNEL' })
    await expect(node.post('#ok', 'x'.repeat(2049))).rejects.toMatchObject({ name: 'PostValidationError', code: 'ERR_BODY_TOO_LONG' })
    await expect(node.post('#ok', 'x', { ttl: 10 })).rejects.toMatchObject({ name: 'LifetimeError', code: 'ERR_BAD_LIFETIME' })
    await expect(node.reply('00'.repeat(32), 'x')).rejects.toMatchObject({ name: 'UnknownPostError' })
    await expect(node.vote('not-an-id', 1)).rejects.toMatchObject({ name: 'InvalidIdError' })
    await node.stop()
    await expect(node.post('#ok', 'x')).rejects.toMatchObject({ name: 'NotStartedError' })
  })
})
