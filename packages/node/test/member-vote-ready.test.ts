/**
 * Issue 13, "murmur vote before the stamp is ready says when it will be": while a node mints its first
 * stamp, `vote()` throws StampNotReadyError (ERR_STAMP_NOT_READY) carrying the minting ETA, posts go out
 * one-time-signed (unverified), and `membership()` says the member does not sign yet; a node without a data
 * directory (it never mints) throws the same error without an ETA. Once its stamp is out but no other member
 * is known, `vote()` throws NoDecoysError (ERR_NO_DECOYS); a second member makes the vote go out.
 */
import { describe, expect, it } from 'vitest'
import { addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import { memberInit, waitForSigning } from './member-fixtures.js'

const CHANNEL = '#ready'
/** A difficulty whose mint takes minutes here: still minting when the test votes. */
const SLOW_STAMP_BITS = 14

describe('a vote before the member stamp is ready', () => {
  const { running, tempDir } = cleanedAfterEach()

  it('throws StampNotReadyError with the minting ETA while posts go out unverified', async () => {
    const node = await startNode({ dataDir: await tempDir(), channels: [CHANNEL], membership: { stampBits: SLOW_STAMP_BITS } })
    running.push(node)
    await waitFor(() => node.membership()?.minting?.progress, 'the mint to measure its pace', 60_000)
    const post = await node.post(CHANNEL, 'before my stamp')
    expect(post.ring).toBeUndefined()
    const before = Math.floor(Date.now() / 1000)
    const refused = await node.vote(post.id, 1).then(() => undefined, (err: unknown) => err)
    expect(refused).toMatchObject({ name: 'StampNotReadyError', code: 'ERR_STAMP_NOT_READY' })
    expect((refused as { readyAt?: number }).readyAt).toBeGreaterThan(before)
    expect(node.membership()).toMatchObject({ minter: true, signing: false })
  }, 120_000)

  it('throws it without an ETA on a node that does not mint', async () => {
    const node = await startNode({ channels: [CHANNEL] })
    running.push(node)
    const post = await node.post(CHANNEL, 'no data directory, no stamp')
    const refused = await node.vote(post.id, -1).then(() => undefined, (err: unknown) => err)
    expect(refused).toMatchObject({ name: 'StampNotReadyError', code: 'ERR_STAMP_NOT_READY' })
    expect((refused as { readyAt?: number }).readyAt).toBeUndefined()
    expect(node.membership()).toMatchObject({ minter: false, signing: false })
  }, 60_000)

  it('throws NoDecoysError while its stamp is out but no other member is known, and votes once one is', async () => {
    const relay = await startNode({ channels: [CHANNEL] })
    running.push(relay)
    const node = await startNode(memberInit({ channels: [CHANNEL], bootstrap: [addressOf(relay)] }))
    running.push(node)
    // the relay takes the member's stamp, and its copy comes back: then the only thing missing is another member
    await waitFor(() => relay.membership()?.members === 1, 'the relay to hold the member\'s stamp', 90_000)
    const post = await relay.post(CHANNEL, 'vote on me')
    await waitFor(async () => await node.get(post.id), 'the post at the member')
    const refused = await waitFor(async () => {
      const err: unknown = await node.vote(post.id, 1).then(() => undefined, (err: unknown) => err)
      return (err as { name?: string } | undefined)?.name === 'NoDecoysError' ? err : undefined
    }, 'vote() to throw NoDecoysError once the stamp is out', 60_000)
    expect(refused).toMatchObject({ code: 'ERR_NO_DECOYS' })
    expect(node.membership()).toMatchObject({ minter: true, members: 1, ring: 0, signing: false })

    const other = await startNode(memberInit({ channels: [CHANNEL], bootstrap: [addressOf(relay)] }))
    running.push(other)
    await waitForSigning([node])
    const vote = await node.vote(post.id, 1)
    expect(vote.ring).toBe(2)
    await waitFor(async () => (await relay.get(post.id))?.score === 1, 'the member\'s vote counted at the relay')
  }, 300_000)
})
