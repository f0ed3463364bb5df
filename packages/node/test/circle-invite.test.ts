/**
 * Joining a circle from an invite, and what a node refuses (issue 15): a tampered or truncated invite gives
 * a one-line error and changes nothing; a bootstrap hint in an invite is never dialed by the joining node
 * (a crafted invite must not route a newcomer through an attacker's relay); a newcomer neither posts nor
 * is in anyone's ring before the newcomer delay; every refusal has a stable code; a circle survives a restart.
 */
import { CIRCLE_SHARED_TOPIC, INVITE_PREFIX } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { addressOf, cleanedAfterEach, startNode, startStockPeer, waitFor } from './harness.js'
import type { Murmur, MurmurInit } from '../src/index.js'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** One character of the invite's payload replaced by another base32 character. */
function tampered (invite: string, at: number): string {
  const index = INVITE_PREFIX.length + at
  const next = BASE32[(BASE32.indexOf(invite[index]!) + 1) % BASE32.length]!
  return invite.slice(0, index) + next + invite.slice(index + 1)
}

describe('circle invites and refusals', () => {
  const cleanup = cleanedAfterEach()
  const start = async (init: MurmurInit = {}): Promise<Murmur> => {
    const node = await startNode({ membership: false, ...init })
    cleanup.running.push(node)
    return node
  }
  const pair = async (init: MurmurInit = {}): Promise<[Murmur, Murmur]> => {
    const owner = await start(init)
    const newcomer = await start({ bootstrap: [addressOf(owner)], ...init })
    await waitFor(() => newcomer.libp2p.services.pubsub.getSubscribers(CIRCLE_SHARED_TOPIC).length > 0, 'a peer on the shared topic')
    return [owner, newcomer]
  }

  it('a tampered or truncated invite gives a one-line error with its code and changes nothing', async () => {
    const [owner, newcomer] = await pair()
    await owner.circles.create('club', { minRing: 2 })
    const { invite } = await owner.circles.invite('club')
    for (const [text, code] of [[tampered(invite, 40), 'ERR_INVITE_CHECKSUM'], [invite.slice(0, -12), 'ERR_INVITE_TRUNCATED'], ['MURMUR:CIRCLE:not base32!', 'ERR_INVITE_FORMAT']] as const) {
      const err = await newcomer.circles.join(text).catch((e: unknown) => e) as Error & { code?: string }
      expect(err.name).toBe('InvalidInviteError')
      expect(err.code).toBe(code)
      expect(err.message).not.toContain('\n')
    }
    expect(newcomer.circles.list()).toEqual([])
    expect(await owner.circles.members('club')).toHaveLength(1)
  }, 60_000)

  it('never dials a bootstrap hint of an invite', async () => {
    const [owner, newcomer] = await pair({ circles: { newcomerDelay: 0 } })
    const attacker = await startStockPeer()
    cleanup.running.push(attacker)
    const hint = attacker.getMultiaddrs().map(String).find((a) => a.startsWith('/ip4/127.0.0.1/tcp/'))!
    await owner.circles.create('club', { minRing: 2 })
    const { invite } = await owner.circles.invite('club', { hints: [hint] })
    await newcomer.circles.join(invite)
    // the join went out and came back to the owner: whatever the newcomer did on joining, it has done
    await waitFor(async () => (await owner.circles.members('club')).length === 2, 'the join at the owner', 30_000)
    expect(attacker.getConnections()).toEqual([])
  }, 60_000)

  it('a newcomer neither posts nor is in a ring before the delay, and says so before anything is written', async () => {
    const [owner, newcomer] = await pair()
    await owner.circles.create('club', { minRing: 2 })
    const summary = await newcomer.circles.join((await owner.circles.invite('club')).invite, { name: 'their club' })
    expect(summary).toMatchObject({ name: 'their club', owner: false, canPost: false })
    expect(summary.warnings.map((w) => w.code)).toContain('SELF_NEWCOMER')
    await expect(newcomer.circles.post('their club', 'too early')).rejects.toMatchObject({ name: 'CircleError', code: 'ERR_CIRCLE_RING' })
    await waitFor(async () => (await owner.circles.members('club')).length === 2, 'the join at the owner', 30_000)
    const members = await owner.circles.members('club')
    expect(members.find((m) => !m.self)).toMatchObject({ eligible: false })
    // the owner is never a newcomer (every invite names its key), on its first day either: in rings, at
    // both members, but alone in its own ring while the other is a newcomer: below the minimum
    expect(members.find((m) => m.self)).toMatchObject({ eligible: true })
    expect((await newcomer.circles.members('their club')).find((m) => !m.self)).toMatchObject({ eligible: true })
    expect(owner.circles.list()[0]!.warnings.map((w) => w.code)).toEqual(['RING_BELOW_MINIMUM', 'NEWCOMERS_WAITING'])
    expect(owner.circles.list()[0]).toMatchObject({ members: 2, canPost: false })
    await expect(owner.circles.post('club', 'too small')).rejects.toMatchObject({ name: 'CircleError', code: 'ERR_CIRCLE_RING' })
  }, 60_000)

  it('refuses with stable codes: unknown circle, taken name, bad name, second join, removal by a member, unknown member', async () => {
    const [owner, newcomer] = await pair({ circles: { newcomerDelay: 0 } })
    await owner.circles.create('club', { minRing: 2 })
    const invite = (await owner.circles.invite('club')).invite
    await newcomer.circles.join(invite)
    const refused = async (promise: Promise<unknown>, code: string): Promise<void> => {
      await expect(promise).rejects.toMatchObject({ name: 'CircleError', code })
    }
    await refused(owner.circles.post('nope', 'hi'), 'ERR_CIRCLE_UNKNOWN')
    await refused(owner.circles.members('nope'), 'ERR_CIRCLE_UNKNOWN')
    await refused(owner.circles.create('club'), 'ERR_CIRCLE_EXISTS')
    await refused(owner.circles.create(''), 'ERR_CIRCLE_NAME')
    await refused(owner.circles.create(' padded '), 'ERR_CIRCLE_NAME')
    await refused(owner.circles.create('tiny', { minRing: 1 }), 'ERR_CIRCLE_RING')
    await refused(newcomer.circles.join(invite, { name: 'again' }), 'ERR_CIRCLE_EXISTS')
    await refused(newcomer.circles.remove('club', 'ab'), 'ERR_CIRCLE_NOT_OWNER')
    await refused(owner.circles.remove('club', 'zz'), 'ERR_CIRCLE_MEMBER')
    await refused(owner.circles.invite('club', { hints: ['not a multiaddr'] }), 'ERR_CIRCLE_RECORD')
    expect(owner.circles.list().map((c) => c.name)).toEqual(['club'])
  }, 60_000)

  it('keeps a circle, its keys and roster across a restart', async () => {
    const dataDir = await cleanup.tempDir()
    const first = await start({ dataDir, circles: { newcomerDelay: 0 } })
    await first.circles.create('kept', { minRing: 2 })
    const before = await first.circles.members('kept')
    await first.stop()
    const again = await start({ dataDir, circles: { newcomerDelay: 0 } })
    expect(again.circles.list()).toEqual([expect.objectContaining({ name: 'kept', owner: true, generation: 0, members: 1 })])
    expect(await again.circles.members('kept')).toEqual(before)
    expect((await again.circles.invite('kept')).invite.startsWith(INVITE_PREFIX)).toBe(true)
  }, 60_000)
})
