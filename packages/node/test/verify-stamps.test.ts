/**
 * Issue 14 §3 (E6): a stamp check is one Argon2id evaluation over 64 MiB, about a hundred envelope checks.
 * A burst of them (a directory sync, or every node of a process sharing one pool) must not hold envelope
 * checks up by more than one stamp check, and a flood of envelopes must not keep stamps out for good.
 * Every assertion is on the order jobs finish in, never on wall-clock time.
 */
import { buildEnvelope, channelTopic, generateAuthorKey, weekOf } from '@murmur/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_STAMP_OVERTAKES, createVerifyPool } from '../src/verify/index.js'
import type { VerifyPool } from '../src/verify/index.js'

const OPTIONS = { topic: channelTopic('#stamps'), powBits: { POST: 0, REPLY: 0, VOTE: 0 } }
const envelope = (await buildEnvelope({ channel: '#stamps', body: 'an envelope check', powBits: 0 })).bytes
const now = Math.floor(Date.now() / 1000)
const stamp = { memberKey: generateAuthorKey().publicKey, week: weekOf(now), nonce: 5 }

let pools: VerifyPool[] = []
afterEach(async () => {
  await Promise.all(pools.map(async (p) => { await p.stop() }))
  pools = []
})
const pool = (size: number): VerifyPool => {
  const created = createVerifyPool({ size })
  pools.push(created)
  return created
}

/** Labels of the jobs in the order they settled. */
function finishOrder (): { order: string[], track<T>(label: string, job: Promise<T>): Promise<T> } {
  const order: string[] = []
  return { order, track: async (label, job) => await job.finally(() => { order.push(label) }) }
}

describe('verification pool: stamp checks and envelope checks', () => {
  it('one worker: an envelope check waits for the stamp check running, not for the stamps queued behind it', async () => {
    const verify = pool(1)
    // the worker is ready once it has answered a job
    expect((await verify.validate(envelope, OPTIONS)).ok).toBe(true)
    const { order, track } = finishOrder()
    // the first stamp check takes the idle worker at once; three more wait
    const jobs: Array<Promise<unknown>> = [1, 2, 3, 4].map(async (i) => await track(`stamp ${i}`, verify.verifyStamp(stamp, { now, bits: 0 })))
    jobs.push(track('envelope', verify.validate(envelope, OPTIONS)))
    await Promise.all(jobs)
    expect(order).toEqual(['stamp 1', 'envelope', 'stamp 2', 'stamp 3', 'stamp 4'])
  }, 60_000)

  it('two workers: a burst of stamp checks holds one worker at most, and an envelope check goes first', async () => {
    const verify = pool(2)
    const { order, track } = finishOrder()
    const jobs: Array<Promise<unknown>> = [1, 2, 3, 4].map(async (i) => await track(`stamp ${i}`, verify.verifyStamp(stamp, { now, bits: 0 })))
    jobs.push(track('envelope', verify.validate(envelope, OPTIONS)))
    await Promise.all(jobs)
    // one stamp check at a time: the envelope check ran beside the first (before the workers were ready,
    // it went first) and finished before the second stamp check could have started
    expect(order.indexOf('envelope')).toBeLessThanOrEqual(1)
    expect(order.filter((label) => label.startsWith('stamp'))).toEqual(['stamp 1', 'stamp 2', 'stamp 3', 'stamp 4'])
  }, 60_000)

  it('a flood of envelope checks passes a waiting stamp check MAX_STAMP_OVERTAKES times, then the stamp goes', async () => {
    const verify = pool(1)
    expect((await verify.validate(envelope, OPTIONS)).ok).toBe(true)
    const { order, track } = finishOrder()
    const jobs: Array<Promise<unknown>> = [track('stamp 1', verify.verifyStamp(stamp, { now, bits: 0 })), track('stamp 2', verify.verifyStamp(stamp, { now, bits: 0 }))]
    const flood = MAX_STAMP_OVERTAKES + 8
    for (let i = 0; i < flood; i++) jobs.push(track('envelope', verify.validate(envelope, OPTIONS)))
    await Promise.all(jobs)
    expect(order[0]).toBe('stamp 1')
    expect(order.indexOf('stamp 2')).toBe(1 + MAX_STAMP_OVERTAKES)
    expect(order.filter((label) => label === 'envelope')).toHaveLength(flood)
  }, 60_000)
})
