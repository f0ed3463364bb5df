/**
 * Issue 13, the membership layer wired into the node (docs/MEMBERSHIP.md §6): a node with a data
 * directory mints its member stamp on the verification pool and announces it, and another node's directory
 * takes it; a peer that sends a bogus stamp is cut off at the first, after one evaluation however many it
 * sends; the member key survives a restart as a 0600 file; an easier stamp than the network's is refused
 * off private networks.
 */
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { DIRECTORY_TOPIC, encodeStamp, generateAuthorKey, verifyStamp, weekOf } from '@murmur/protocol'
import { lpStream } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { InvalidMessageTracker } from '../src/gossip.js'
import { createMurmur, InvalidConfigError, STEM_PROTOCOL } from '../src/index.js'
import { encodeStemFrame } from '../src/stem/index.js'
import { cleanedAfterEach, SHARED_VERIFY_POOL, startNode, startStockPeer, TEST_STAMP_BITS, waitFor } from './harness.js'
import type { Murmur, VerifyPool } from '../src/index.js'
import type { Stamp } from '@murmur/protocol'

/** The shared pool, recording the stamps it is asked to evaluate. */
function countingPool (): { pool: VerifyPool, evaluations: (week?: number) => number } {
  const evaluated: Stamp[] = []
  const pool: VerifyPool = {
    get size () { return SHARED_VERIFY_POOL.size },
    get queued () { return SHARED_VERIFY_POOL.queued },
    validate: async (bytes, options, job) => await SHARED_VERIFY_POOL.validate(bytes, options, job),
    ringVerify: async (input, job) => await SHARED_VERIFY_POOL.ringVerify(input, job),
    verifyStamp: async (stamp, options, job) => {
      evaluated.push(stamp)
      return await SHARED_VERIFY_POOL.verifyStamp(stamp, options, job)
    },
    minePow: async (digest, bits, options) => await SHARED_VERIFY_POOL.minePow(digest, bits, options),
    mintStamp: async (options) => await SHARED_VERIFY_POOL.mintStamp(options),
    stop: async () => {}
  }
  return { pool, evaluations: (week) => evaluated.filter((stamp) => week === undefined || stamp.week === week).length }
}

/** Stamps of fresh keys for this week whose work falls short of the test difficulty: bogus, yet well formed. */
function bogusStamps (count: number): Uint8Array[] {
  const now = Math.floor(Date.now() / 1000)
  const stamps: Uint8Array[] = []
  for (let nonce = 0; stamps.length < count; nonce++) {
    const stamp: Stamp = { memberKey: generateAuthorKey().publicKey, week: weekOf(now), nonce }
    if (!verifyStamp(stamp, { bits: TEST_STAMP_BITS, now }).ok) stamps.push(encodeStamp(stamp))
  }
  return stamps
}

/** Waits until `node` holds a stamp of its own, and returns its week. */
async function ownStamp (node: Murmur): Promise<number> {
  return (await waitFor(() => node.membership()?.stamp, 'the node to mint its stamp', 60_000)).week
}

describe('membership in the node', () => {
  const { running, tempDir } = cleanedAfterEach()

  it('a node mints its stamp, announces it, and another node\'s directory takes it', async () => {
    const b = await startNode()
    running.push(b)
    expect(b.membership()).toMatchObject({ minter: false, members: 0 })
    const a = await startNode({ dataDir: await tempDir(), bootstrap: [b.getMultiaddrs()[0]!.toString()] })
    running.push(a)
    expect(a.membership()?.minter).toBe(true)
    const week = await ownStamp(a)
    expect(week).toBe(weekOf(Math.floor(Date.now() / 1000)))
    // its own directory holds it from the announcement on, and B's once the announcement arrived
    await waitFor(() => a.membership()?.members === 1, 'A\'s directory to hold its own stamp')
    await waitFor(() => b.membership()?.members === 1, 'B\'s directory to hold A\'s stamp', 60_000)
  }, 120_000)

  it('a node that comes later gets the directory by history sync', async () => {
    const b = await startNode()
    running.push(b)
    const a = await startNode({ dataDir: await tempDir(), bootstrap: [b.getMultiaddrs()[0]!.toString()] })
    running.push(a)
    await waitFor(() => b.membership()?.members === 1, 'B\'s directory to hold A\'s stamp', 60_000)
    // the announcement went out before C existed: gossip does not bring it again, and C takes no stem
    // frames (a stem hop could still hold it): only sync can
    const c = await startNode({ bootstrap: [b.getMultiaddrs()[0]!.toString()], stem: false })
    running.push(c)
    await waitFor(() => c.membership()?.members === 1, 'C\'s directory to hold A\'s stamp by sync', 60_000)
  }, 120_000)

  it('a peer sending bogus stamps is cut off at the first, after one evaluation', async () => {
    const { pool, evaluations } = countingPool()
    const node = await startNode({ verify: pool })
    running.push(node)
    const attacker = await startStockPeer()
    running.push(attacker)
    attacker.services.pubsub.subscribe(DIRECTORY_TOPIC)
    await attacker.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => attacker.services.pubsub.getSubscribers(DIRECTORY_TOPIC).length > 0, 'the attacker to see the directory topic')
    for (const bytes of bogusStamps(5)) await attacker.services.pubsub.publish(DIRECTORY_TOPIC, bytes).catch(() => {})
    await waitFor(() => node.libp2p.getConnections(attacker.peerId).length === 0, 'the attacker to be cut off')
    expect(evaluations()).toBe(1)
    expect(node.membership()?.members).toBe(0)
  }, 60_000)

  it('a bogus stamp through the stem cuts its sender off at once', async () => {
    const [bogus] = bogusStamps(1)
    const node = await startNode()
    running.push(node)
    const attacker = await startStockPeer()
    running.push(attacker)
    await attacker.dial(node.getMultiaddrs()[0]!)
    const stream = await attacker.dialProtocol(node.peerId, STEM_PROTOCOL)
    await lpStream(stream).write(encodeStemFrame({ topic: DIRECTORY_TOPIC, envelope: bogus! }))
    await waitFor(() => node.libp2p.getConnections(attacker.peerId).length === 0, 'the sender to be cut off')
  }, 60_000)

  it('a restart keeps the member key (a 0600 file in a 0700 folder) and the stamp, neither minted nor verified again', async () => {
    const dataDir = await tempDir()
    const first = await startNode({ dataDir })
    running.push(first)
    const week = await ownStamp(first)
    await waitFor(() => first.membership()?.members === 1, 'its directory to keep the stamp')
    await first.stop()
    const folder = join(dataDir, 'membership')
    expect((await stat(folder)).mode & 0o777).toBe(0o700)
    expect((await stat(join(folder, 'member-key'))).mode & 0o777).toBe(0o600)
    expect((await stat(join(folder, 'member-stamps'))).mode & 0o777).toBe(0o600)
    const key = await readFile(join(folder, 'member-key'))

    const { pool, evaluations } = countingPool()
    const second = await startNode({ dataDir, verify: pool })
    running.push(second)
    expect(second.membership()).toMatchObject({ minter: true, stamp: { week } })
    // no second mint of the week held (next week's may start, when this key's renewal point has passed)
    expect(second.membership()?.minting?.week).not.toBe(week)
    expect(await readFile(join(folder, 'member-key'))).toEqual(key)
    // the directory kept its own stamp too: loaded, not evaluated again
    await waitFor(() => second.membership()?.members === 1, 'the directory to hold the stamp')
    expect(evaluations(week)).toBe(0)
  }, 120_000)

  it('an easier stamp than the network\'s is refused off private networks; membership can be turned off', async () => {
    await expect(createMurmur({ listen: ['/ip4/0.0.0.0/tcp/0'], membership: { stampBits: TEST_STAMP_BITS } })).rejects.toThrow(InvalidConfigError)
    const off = await startNode({ membership: false })
    running.push(off)
    expect(off.membership()).toBeUndefined()
    expect(off.libp2p.services.pubsub.getTopics()).not.toContain(DIRECTORY_TOPIC)
  }, 60_000)
})

describe('the tracker\'s cut-off at once', () => {
  it('cutOff takes a peer to the cut-off and reports it once', () => {
    const cut: string[] = []
    const tracker = new InvalidMessageTracker({ onCutOff: (peer) => { cut.push(peer) } })
    tracker.cutOff('peer', 0)
    expect(tracker.isCutOff('peer', 0)).toBe(true)
    tracker.cutOff('peer', 0)
    tracker.penalise('peer', 0)
    expect(cut).toEqual(['peer'])
  })
})
