/**
 * Stamps past their keeping and history sync. The directory served by sync every stamp it held until its
 * hourly prune, up to an hour past the time it is kept, and a receiver refuses those (ERR_STAMP_WEEK); so
 * sync could not charge that refusal, and a sync peer could serve stale stamps forever for free. The
 * directory now serves only what a receiver whose clock is off by the tolerated skew still keeps, and
 * sync charges a stamp's week as gossip and the stem do.
 */
import {
  DIRECTORY_TOPIC, FORWARD_SLACK, MAX_CLOCK_SKEW, directoryItemId, encodeStamp, generateAuthorKey, mintStamp, stampRetainedUntil, stampWindow, toHex,
  weekOf, weekStart
} from '@murmur/protocol'
import { MemoryLevel } from 'memory-level'
import { describe, expect, it } from 'vitest'
import { UNPAID_IGNORES } from '../src/gossip.js'
import { openMemberDirectory } from '../src/membership/directory.js'
import { addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import type { Murmur } from '../src/index.js'
import type { Stamp, SyncItem } from '@murmur/protocol'

const NOW = weekStart(2950) + 3600
const WEEK = weekOf(NOW)

/** The directory (as history sync serves it) of a node. */
function directoryOf (node: Murmur): { items: () => SyncItem[], get: (id: Uint8Array) => Uint8Array | undefined, receive: (...args: unknown[]) => Promise<unknown> } {
  return (node as unknown as { members: { directory: ReturnType<typeof directoryOf> } }).members.directory
}

describe('stamps past their keeping and history sync', () => {
  const cleanup = cleanedAfterEach()

  it('a directory serves a stamp only while a receiver off by the tolerated skew still keeps it', async () => {
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
    cleanup.running.push({ stop: async () => { await db.close() } })
    let now = NOW
    const directory = await openMemberDirectory({ db, bits: 1, clock: () => now })
    const old = await mintStamp({ memberKey: generateAuthorKey().publicKey, week: WEEK - 1, bits: 1 })
    const current = await mintStamp({ memberKey: generateAuthorKey().publicKey, week: WEEK, bits: 1 })
    for (const stamp of [old, current]) expect(await directory.receive(encodeStamp(stamp), { path: 'sync' })).toMatchObject({ action: 'accept' })
    const served = (): string[] => directory.items().map((item) => toHex(item.id))
    const servedBytes = (stamp: Stamp): Uint8Array | undefined => directory.get(directoryItemId(stamp))
    const keptUntil = stampRetainedUntil(WEEK - 1)
    // kept at every clock reading an honest receiver may judge it at: served
    now = keptUntil - MAX_CLOCK_SKEW - FORWARD_SLACK - 1
    expect(served()).toContain(toHex(directoryItemId(old)))
    // a receiver ahead by the skew no longer keeps it: not served (before: served until the hourly prune)
    now = keptUntil - MAX_CLOCK_SKEW - FORWARD_SLACK
    expect(served()).toEqual([toHex(directoryItemId(current))])
    expect(servedBytes(old)).toBeUndefined()
    now = keptUntil + 1800
    expect(served()).toEqual([toHex(directoryItemId(current))])
    expect(servedBytes(old)).toBeUndefined()
    expect(servedBytes(current)).toEqual(encodeStamp(current))
    // held still (rings checked against it until the prune), only not served
    expect(directory.has(old.memberKey, old.week)).toBe(true)
    // a stamp of the next week, taken in its early day, is served once a receiver behind by the skew takes it
    const next = await mintStamp({ memberKey: generateAuthorKey().publicKey, week: WEEK + 1, bits: 1 })
    now = stampWindow(WEEK + 1).notBefore
    expect(await directory.receive(encodeStamp(next), { path: 'live' })).toMatchObject({ action: 'accept' })
    expect(served()).not.toContain(toHex(directoryItemId(next)))
    now += MAX_CLOCK_SKEW
    expect(served()).toContain(toHex(directoryItemId(next)))
  })

  it('a sync peer serving 200 stale stamps is charged for them as on gossip: its free refusals, then demoted and penalised', async () => {
    const honest = await startNode({})
    const liar = await startNode({})
    cleanup.running.push(honest, liar)
    // the liar serves 200 stamps of a week whose keeping ended a day ago (refused for their week, unevaluated)
    const now = Math.floor(Date.now() / 1000)
    let week = weekOf(now)
    while (stampRetainedUntil(week) > now - 86_400) week--
    const stale = new Map(Array.from({ length: 200 }, (_, nonce) => {
      const stamp = { memberKey: generateAuthorKey().publicKey, week, nonce }
      return [toHex(directoryItemId(stamp)), { id: directoryItemId(stamp), bytes: encodeStamp(stamp) }] as const
    }))
    const lying = directoryOf(liar)
    lying.items = () => [...stale.values()].map(({ id }) => ({ id, created: weekStart(week) }))
    lying.get = (id) => stale.get(toHex(id))?.bytes
    const directory = directoryOf(honest)
    const receive = directory.receive.bind(directory)
    let received = 0
    directory.receive = async (...args) => { received++; return await receive(...args) }
    const sync = (honest as unknown as { sync: {
      running: Map<string, Promise<unknown>>
      maybeSyncWith: (peer: Murmur['peerId'], topic: string, cooldown: number, retry: boolean) => Promise<{ ignored: number, rejected: number } | undefined>
    } }).sync
    await honest.libp2p.dial(liar.getMultiaddrs().find((addr) => String(addr) === addressOf(liar))!)
    // the sessions the connection started end first; then one of the directory, whose report is read
    await waitFor(async () => { await Promise.allSettled(sync.running.values()); return sync.running.size === 0 }, 'the first sessions to end', 20_000)
    const report = await sync.maybeSyncWith(liar.peerId, DIRECTORY_TOPIC, 0, false)
    // before: every stamp judged and Ignored, the session ran to its end, the liar never charged
    expect(report).toBeUndefined()
    expect(received).toBeLessThanOrEqual(UNPAID_IGNORES + 1)
    const tracker = (honest as unknown as { tracker: { invalid: { current: (peer: string, now: number) => number } } }).tracker
    expect(tracker.invalid.current(liar.peerId.toString(), Date.now())).toBeGreaterThan(0)
  }, 60_000)
})
