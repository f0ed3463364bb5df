/**
 * Issue 13, scarce downvotes on real nodes: a member's upvotes and downvotes are counted apart (VOTE_BUDGET
 * upvotes, DOWNVOTE_BUDGET downvotes per channel and week). A stamped member that cast more upvotes in a
 * channel this week than its downvote budget holds still casts a downvote there, and a peer counts it: its
 * ring auth is numbered by the downvote counter, in the downvote schedule (before the node passed the
 * direction to its signer, the downvote took the upvote counter's number, past DOWNVOTE_BUDGET, and was
 * refused).
 */
import { DOWNVOTE_BUDGET } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import { startMembers } from './member-fixtures.js'

const CHANNEL = '#downvote-budget'
/** Upvotes the member casts first: more than a downvote budget holds. */
const UPVOTES = DOWNVOTE_BUDGET + 1

describe('a member\'s downvote after more upvotes than its downvote budget', () => {
  const { running } = cleanedAfterEach()

  it('is counted by a peer: the two directions have their own budgets', async () => {
    // a relay without a stamp posts the targets (one-time-signed: no per-member hourly limit on them)
    const relay = await startNode({ channels: [CHANNEL] })
    running.push(relay)
    const members = await startMembers(2, { init: { channels: [CHANNEL], bootstrap: [addressOf(relay)] } })
    running.push(...members)
    const voter = members[0]!
    const targets: string[] = []
    for (let i = 0; i <= UPVOTES; i++) targets.push((await relay.post(CHANNEL, `target ${i}`)).id)
    await waitFor(async () => (await Promise.all(targets.map(async (id) => await voter.get(id)))).every((post) => post !== undefined), 'every target at the voter', 60_000)

    const upvoted = targets.slice(0, UPVOTES)
    for (const id of upvoted) expect((await voter.vote(id, 1)).ring).toBe(2)
    const last = targets[UPVOTES]!
    const downvote = await voter.vote(last, -1)
    expect(downvote.ring).toBe(2)

    const scoreAt = async (id: string): Promise<number | undefined> => (await relay.get(id))?.score
    await waitFor(async () => await scoreAt(last) === -1, 'the downvote counted at the relay', 90_000)
    await waitFor(async () => (await Promise.all(upvoted.map(scoreAt))).every((score) => score === 1), 'every upvote counted at the relay', 90_000)
  }, 360_000)
})
