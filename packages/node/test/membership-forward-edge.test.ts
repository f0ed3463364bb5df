/**
 * Twelfth adversarial read of issue 12, High 1: member stamps had no forward rule. A node judged a stamp's
 * week at its arrival, and gossipsub forwarded it once its Argon2id evaluation was done, however near the
 * end of the stamp's window (or the start) that was: an attacker sent a burst of fresh stamps just before
 * the window closed, the victim accepted and forwarded each, and every neighbour refused them for their
 * week and charged the victim — 16 stamps spent its free refusals, more (or a crowd at its address) cut it
 * off. Now a stamp leaves the node (a gossip Accept, a stem hand-on or fluff) only while every honest node
 * whose clock is within MAX_CLOCK_SKEW of this one's accepts it, judged when the verdict is given; outside
 * that it is kept, not forwarded, and nobody is charged. Real nodes on injected clocks: the victim H and its
 * neighbour R differ by 60 s, within the tolerated skew; the attacker is a few stock gossipsub peers.
 */
import { DIRECTORY_TOPIC, FORWARD_SLACK, MAX_CLOCK_SKEW, encodeStamp, generateAuthorKey, mintStamp, stampWindow, weekOf } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { PostValidationError } from '../src/errors.js'
import { announceAt, stampForwardableAt } from '../src/membership/index.js'
import { cleanedAfterEach, joinedStock, startNode, startStockPeer, waitFor } from './harness.js'
import type { Verdict } from '../src/intake.js'
import type { MemberDirectory } from '../src/membership/index.js'
import type { PeerId } from '@libp2p/interface'
import type { Murmur } from '../src/index.js'
import type { Stamp } from '@murmur/protocol'

/** Stamps cost one Argon2id evaluation here (0 bits): the rule under test is about time, not work. */
const BITS = 0
/** The attacker's burst: one stamp from each of this many stock peers (connections) at one address. */
const BURST = 3

interface Members {
  directory: MemberDirectory
  judge(bytes: Uint8Array, from: PeerId): Promise<Verdict>
  fluff(bytes: Uint8Array, expires: number | undefined): Promise<unknown>
  passable(bytes: Uint8Array): boolean
}

function membersOf (node: Murmur): Members {
  return (node as unknown as { members: Members }).members
}

async function stamp (week: number): Promise<Stamp> {
  return mintStamp({ memberKey: generateAuthorKey().publicKey, week, bits: BITS })
}

/** The codes R's directory gave the announcements `from` delivered to it. */
function refusalsFrom (node: Murmur, from: () => string): string[] {
  const directory = membersOf(node).directory
  const receive = directory.receive.bind(directory)
  const codes: string[] = []
  directory.receive = async (bytes, options) => {
    const verdict = await receive(bytes, options)
    if (options?.from === from() && verdict.action !== 'accept') codes.push(verdict.code)
    return verdict
  }
  return codes
}

describe('the forward rule of member stamps at a window\'s edge', () => {
  const cleanup = cleanedAfterEach()

  /**
   * H's clock reads `atH` (unix seconds) when the test starts, R's `skew` seconds off it; the attacker's
   * stock peers publish one stamp of `week` each to H and, once H kept them all, a stamp of `control`
   * (forwardable at H, accepted at R) that R holding proves H's earlier forwards reached it.
   */
  async function edge (atH: number, skew: number, week: number, control: number): Promise<{ H: Murmur, R: Murmur, burst: Stamp[], refused: string[] }> {
    const offset = atH * 1000 - Date.now()
    const burst = await Promise.all(Array.from({ length: BURST }, async () => stamp(week)))
    const last = await stamp(control)
    const H = await startNode({ clock: () => Date.now() + offset, membership: { stampBits: BITS } })
    const R = await startNode({ clock: () => Date.now() + offset + skew * 1000, membership: { stampBits: BITS } })
    cleanup.running.push(H, R)
    const refused = refusalsFrom(R, () => H.peerId.toString())
    await H.libp2p.dial(R.getMultiaddrs()[0]!)
    await waitFor(() => (H.libp2p.services.pubsub as unknown as { getMeshPeers(topic: string): string[] }).getMeshPeers(DIRECTORY_TOPIC).includes(R.peerId.toString()), 'R in H\'s directory mesh', 10_000, 20)
    const attackers = await Promise.all(Array.from({ length: BURST }, async () => startStockPeer()))
    cleanup.running.push(...attackers)
    await Promise.all(attackers.map(async (peer) => joinedStock(H, peer, DIRECTORY_TOPIC)))
    await Promise.all(attackers.map(async (peer, i) => peer.services.pubsub.publish(DIRECTORY_TOPIC, encodeStamp(burst[i]!))))
    // H judged (and kept) the whole burst, so whatever it forwarded left before the control stamp
    await waitFor(() => burst.every((s) => membersOf(H).directory.has(s.memberKey, week)), 'H to keep the burst', 10_000, 20)
    await attackers[0]!.services.pubsub.publish(DIRECTORY_TOPIC, encodeStamp(last))
    await waitFor(() => membersOf(R).directory.has(last.memberKey, control), 'the control stamp to reach R through H', 10_000, 20)
    // the attacker reached R only through H
    for (const peer of attackers) expect(R.libp2p.getConnections(peer.peerId)).toHaveLength(0)
    return { H, R, burst, refused }
  }

  it('a burst just before the window closes is kept by H, not forwarded, and R charges H nothing', async () => {
    const week = weekOf(Math.floor(Date.now() / 1000))
    const { notAfter } = stampWindow(week)
    // H 30 s before the close, R 60 s ahead of H: R no longer accepts the week when H's copies arrive
    const { H, R, burst, refused } = await edge(notAfter - 30, 60, week, week + 1)
    // before: R refused all 3 with ERR_STAMP_WEEK, each charged to H's free refusals
    expect(refused).toEqual([])
    for (const s of burst) expect(membersOf(R).directory.has(s.memberKey, week)).toBe(false)

    // the stem: a hop drops such a stamp uncharged, and neither hands it on nor publishes it
    const hop = membersOf(H)
    const fresh = encodeStamp(await stamp(week))
    expect(await hop.judge(fresh, R.peerId)).toBe('ignore')
    expect(hop.passable(fresh)).toBe(false)
    // the node's stem asks it before handing a held announcement on (before: every announcement passed)
    const stem = (H as unknown as { stem: { router: { components: { passable(topic: string, envelope: Uint8Array): boolean } } } }).stem.router
    expect(stem.components.passable(DIRECTORY_TOPIC, fresh)).toBe(false)
    expect(stem.components.passable(DIRECTORY_TOPIC, encodeStamp(await stamp(week + 1)))).toBe(true)
    await expect(hop.fluff(fresh, undefined)).rejects.toThrow(PostValidationError)
  }, 30_000)

  it('a burst just after the window opens is kept by H, not forwarded, to a neighbour whose clock lags', async () => {
    const week = weekOf(Math.floor(Date.now() / 1000)) + 1
    const { notBefore } = stampWindow(week)
    // H 30 s into the next week's window, R 60 s behind it: the window has not opened at R
    const { refused } = await edge(notBefore + 30, -60, week, week - 1)
    expect(refused).toEqual([])
    expect(MAX_CLOCK_SKEW).toBeGreaterThan(60)
  }, 30_000)
})

describe('the forward rule of member stamps, pure', () => {
  const week = weekOf(Math.floor(Date.now() / 1000))
  const { notBefore, notAfter } = stampWindow(week)

  it('holds from MAX_CLOCK_SKEW into the window to MAX_CLOCK_SKEW + FORWARD_SLACK before its end', () => {
    expect(stampForwardableAt(week, notBefore + MAX_CLOCK_SKEW - 1, 'live')).toBe(false)
    expect(stampForwardableAt(week, notBefore + MAX_CLOCK_SKEW, 'live')).toBe(true)
    expect(stampForwardableAt(week, notAfter - MAX_CLOCK_SKEW - FORWARD_SLACK - 1, 'live')).toBe(true)
    expect(stampForwardableAt(week, notAfter - MAX_CLOCK_SKEW - FORWARD_SLACK, 'live')).toBe(false)
    // history sync keeps a stamp past its window, while rings may still name it
    expect(stampForwardableAt(week, notAfter, 'sync')).toBe(true)
  })

  it('an own stamp is announced no earlier than MAX_CLOCK_SKEW into its window (before: at its opening)', () => {
    const memberKey = generateAuthorKey().publicKey
    expect(announceAt(memberKey, week, [week], notBefore)).toBe(notBefore + MAX_CLOCK_SKEW)
    // a renewal: from its spread point in the early day, never before the first forwardable second
    expect(announceAt(memberKey, week, [week - 1, week], notBefore)).toBeGreaterThanOrEqual(notBefore + MAX_CLOCK_SKEW)
  })
})
