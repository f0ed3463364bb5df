/**
 * Eighth adversarial read of issue 12, a Low: a member stamp announced for a week not accepted now is
 * refused (ERR_STAMP_WEEK) before its Argon2id evaluation, so it costs its sender nothing, and it was
 * Ignored however often it came, by gossip or through the stem: a stock peer could send such stamps
 * forever, each decoded and looked up here, and was never cut off. They now count against the sender's
 * free refusals, as expired posts do (UNPAID_IGNORES, then each is a rejection until the cut-off).
 */
import { DIRECTORY_TOPIC, encodeStamp, generateAuthorKey, weekOf } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { CUT_OFF_COUNT, UNPAID_IGNORES } from '../src/gossip.js'
import { cleanedAfterEach, joinedStock, startNode, startStockPeer, waitFor } from './harness.js'
import type { Verdict } from '../src/intake.js'
import type { PeerId } from '@libp2p/interface'
import type { Murmur } from '../src/index.js'

/** Distinct announcements of a week long gone (refused for their week, never evaluated). */
function staleStamps (count: number): Uint8Array[] {
  const week = weekOf(Math.floor(Date.now() / 1000)) - 20
  return Array.from({ length: count }, (_, nonce) => encodeStamp({ memberKey: generateAuthorKey().publicKey, week, nonce }))
}

/** Counts the announcements the node's directory judged. */
function countReceives (node: Murmur): () => number {
  const directory = (node as unknown as { members: { directory: { receive: (...args: unknown[]) => Promise<unknown> } } }).members.directory
  const receive = directory.receive.bind(directory)
  let received = 0
  directory.receive = async (...args) => {
    received++
    return await receive(...args)
  }
  return () => received
}

describe('stamps announced for a week not accepted now', () => {
  const cleanup = cleanedAfterEach()

  it('by gossip: Ignored up to the sender\'s free refusals, then rejections until it is cut off and hung up on', async () => {
    const node = await startNode({})
    cleanup.running.push(node)
    const attacker = await startStockPeer()
    cleanup.running.push(attacker)
    await joinedStock(node, attacker, DIRECTORY_TOPIC)
    const received = countReceives(node)
    const sender = attacker.services.pubsub as unknown as { sendRpc(peer: string, rpc: { messages: Array<{ topic: string, data: Uint8Array }> }): boolean }
    sender.sendRpc(node.peerId.toString(), { messages: staleStamps(200).map((data) => ({ topic: DIRECTORY_TOPIC, data })) })
    // before: all 200 judged and Ignored, the peer kept
    await waitFor(() => node.libp2p.getConnections(attacker.peerId).length === 0, 'the sender cut off and hung up on', 20_000)
    expect(received()).toBeLessThanOrEqual(UNPAID_IGNORES + CUT_OFF_COUNT + 2)
  }, 60_000)

  it('through the stem: a stem hop\'s verdict turns from Ignore to Reject past the sender\'s free refusals', async () => {
    const node = await startNode({})
    cleanup.running.push(node)
    const members = (node as unknown as { members: { judge: (bytes: Uint8Array, from: PeerId) => Promise<Verdict> } }).members
    const peer = (await startStockPeer())
    cleanup.running.push(peer)
    const verdicts: Verdict[] = []
    for (const bytes of staleStamps(UNPAID_IGNORES + 1)) verdicts.push(await members.judge(bytes, peer.peerId))
    expect(verdicts.slice(0, UNPAID_IGNORES)).toEqual(Array(UNPAID_IGNORES).fill('ignore'))
    expect(verdicts.at(-1)).toBe('reject')
  }, 60_000)
})
