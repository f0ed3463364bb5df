/**
 * A user who posts before its member stamp is out (the post goes out one-time-signed) and replies in that
 * thread once it signs as a member must still be the thread's OP: a ring-signed reply's thread tag never
 * equals the root's one-time key, so before this the author lost the OP mark in its own thread (seen in
 * CI: test/cli-daemon.test.ts, when a daemon's stamp came out between its post and its reply).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { addressOf, startNode, stopAll, waitFor } from './harness.js'
import { memberInit, waitForSigning } from './member-fixtures.js'
import type { Murmur, PostView } from '../src/index.js'

const CHANNEL = '#own-thread-mode'

describe('the author of a thread started before its stamp was out', () => {
  const nodes: Murmur[] = []
  afterAll(async () => { await stopAll(nodes) })

  it('replies there as the OP once it signs as a member', async () => {
    const alice = await startNode(memberInit({ channels: [CHANNEL] }))
    nodes.push(alice)
    // alone and without a stamp out: the root goes out one-time-signed
    const root = await alice.post(CHANNEL, 'posted before my stamp was out')
    expect(root.ring).toBeUndefined()
    const bob = await startNode(memberInit({ channels: [CHANNEL], bootstrap: [addressOf(alice)] }))
    nodes.push(bob)
    await waitForSigning([alice, bob])
    const rootOnBob = await waitFor(async () => await bob.get(root.id), 'the root on bob', 60_000)
    expect(rootOnBob).toMatchObject({ member: false, op: true })

    const own = await alice.reply(root.id, 'still the OP')
    const ownOnBob: PostView = await waitFor(async () => await bob.get(own.id), 'the reply on bob', 60_000)
    expect(ownOnBob).toMatchObject({ op: true, pseudonym: rootOnBob.pseudonym })
    // a member who did not write the root replies as a member, not the OP
    const other = await bob.reply(root.id, 'not the OP')
    expect(other.ring).toBeGreaterThanOrEqual(2)
    expect(await alice.get(other.id) ?? await waitFor(async () => await alice.get(other.id), 'bob\'s reply on alice', 60_000)).toMatchObject({ op: false, member: true })
  }, 300_000)
})
