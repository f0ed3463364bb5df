/**
 * Issue 13, the node's 'membership' event: sent when minting progresses (at most every
 * MEMBERSHIP_PROGRESS_EVENT_INTERVAL), when signing becomes ready (the stamp back from the network and
 * another member known), and at the stamp windows' boundaries; its detail is what `membership()` says.
 */
import { DIRECTORY_TOPIC, STAMP_EARLY_SECONDS, STAMP_GRACE_SECONDS, WEEK_SECONDS, encodeStamp, generateAuthorKey, weekOf, weekStart } from '@murmur/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { MEMBERSHIP_PROGRESS_EVENT_INTERVAL, nextStampBoundary } from '../src/node-membership.js'
import { SHARED_VERIFY_POOL, TEST_STAMP_BITS, addressOf, startNode, startStockPeer, stopAll, waitFor } from './harness.js'
import { memberInit, waitForSigning } from './member-fixtures.js'
import type { StockPeer } from './harness.js'
import type { Murmur, NodeMembershipStatus } from '../src/index.js'
import type { MurmurNode } from '../src/murmur.js'

/** A stamp difficulty no test run finishes minting (2^20 Argon2id evaluations expected): the mint runs throughout. */
const ENDLESS_BITS = 20

interface Seen { at: number, detail: NodeMembershipStatus, status: NodeMembershipStatus | undefined }

/** Records every 'membership' event of `node`, with what `membership()` said when it came. */
function record (node: Murmur): Seen[] {
  const seen: Seen[] = []
  ;(node as MurmurNode).addEventListener('membership', (evt) => { seen.push({ at: Date.now(), detail: evt.detail, status: node.membership() }) })
  return seen
}

describe('the membership event', () => {
  const running: Array<Murmur | StockPeer> = []
  afterEach(async () => { await stopAll(running.splice(0)) })

  it('reports minting progress, at most once a second, with what membership() says', async () => {
    const node = await startNode(memberInit({ membership: { stampBits: ENDLESS_BITS } }))
    running.push(node)
    const seen = record(node)
    await waitFor(() => seen.filter((s) => s.detail.minting?.progress !== undefined).length >= 3, 'three progress events', 60_000)
    for (const { detail, status } of seen) expect(detail).toEqual(status)
    const progress = seen.filter((s) => s.detail.minting?.progress !== undefined)
    expect(progress.map((s) => s.detail.minting?.progress?.attempts)).toEqual([...progress.map((s) => s.detail.minting?.progress?.attempts)].sort((a, b) => a! - b!))
    // the listener runs just after the event's own clock reading: a little slack below the interval
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.at - progress[i - 1]!.at).toBeGreaterThanOrEqual(MEMBERSHIP_PROGRESS_EVENT_INTERVAL - 100)
    expect(progress.every((s) => s.detail.signing === false && s.detail.stamp === undefined)).toBe(true)
  }, 90_000)

  it('tells when signing becomes ready: the stamp back from the network and another member known', async () => {
    const a = await startNode(memberInit())
    running.push(a)
    const seenA = record(a)
    const signingAtStart = a.membership()?.signing
    const b = await startNode(memberInit({ bootstrap: [addressOf(a)] }))
    running.push(b)
    const seenB = record(b)
    await waitForSigning([a, b])
    // the event came with the change: no poll needed
    await waitFor(() => seenA.some((s) => s.detail.signing) && seenB.some((s) => s.detail.signing), 'a signing event from each node', 30_000)
    expect(signingAtStart).toBe(false)
    for (const { detail, status } of [...seenA, ...seenB]) expect(detail).toEqual(status)
    const ready = seenA.find((s) => s.detail.signing)!
    expect(ready.detail.ring).toBeGreaterThanOrEqual(2)
    expect(ready.detail.stamp).toBeDefined()
  }, 240_000)

  it('reports the directory\'s size past a full ring, a burst at most once a second and its last count at its end', async () => {
    // a full ring and then some: past MIN_MEMBER_RING the ring stops growing, and only the count changes
    const count = 20
    const node = await startNode({ sync: false })
    running.push(node)
    const seen = record(node)
    const stock = await startStockPeer()
    running.push(stock)
    stock.services.pubsub.subscribe(DIRECTORY_TOPIC)
    await stock.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => stock.services.pubsub.getSubscribers(DIRECTORY_TOPIC).length === 1, 'the stock peer to see the node in the directory topic')
    const week = weekOf(Math.floor(Date.now() / 1000))
    const stamps = await Promise.all(Array.from({ length: count }, async () => await SHARED_VERIFY_POOL.mintStamp({ memberKey: generateAuthorKey().publicKey, week, bits: TEST_STAMP_BITS })))
    // one at a time, within the directory's evaluation limits
    for (const [i, stamp] of stamps.entries()) {
      await stock.services.pubsub.publish(DIRECTORY_TOPIC, encodeStamp(stamp))
      await waitFor(() => node.membership()?.members === i + 1, `the directory to hold ${i + 1} stamps`)
    }
    // the last count comes by the event, not only to whoever asks
    await waitFor(() => seen.at(-1)?.detail.members === count, `an event with ${count} members`, 10_000)
    for (const { detail, status } of seen) expect(detail).toEqual(status)
    const countOnly = seen.filter((s, i) => i > 0 && s.detail.ring === seen[i - 1]!.detail.ring)
    expect(countOnly.length).toBeGreaterThan(0)
    for (const s of countOnly) expect(s.at - seen[seen.indexOf(s) - 1]!.at).toBeGreaterThanOrEqual(MEMBERSHIP_PROGRESS_EVENT_INTERVAL - 100)
  }, 120_000)

  it('checks again when a stamp window opens or closes', () => {
    const week = 2950
    const start = weekStart(week)
    // an hour into a week: the previous week's stamps expire at the end of their grace day
    expect(nextStampBoundary(start + 3600)).toBe(start + STAMP_GRACE_SECONDS)
    // then the next week's window opens early
    expect(nextStampBoundary(start + STAMP_GRACE_SECONDS)).toBe(start + WEEK_SECONDS - STAMP_EARLY_SECONDS)
    // then this week's closes
    expect(nextStampBoundary(start + WEEK_SECONDS - STAMP_EARLY_SECONDS)).toBe(start + WEEK_SECONDS + STAMP_GRACE_SECONDS)
  })
})
