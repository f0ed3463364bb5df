/**
 * Issue 14 (S7F item 1): a stem frame's check decides whether the post is relayed on within the stem's
 * timers, and it waited in one FIFO behind every gossip check queued before it: a flood of ring envelopes
 * from gossip held the stem up by the whole flood. Envelope checks now wait by priority (stem and own
 * posts, then gossip, then sync), and a less urgent class still gets a worker after MAX_PRIORITY_OVERTAKES.
 * Every assertion is on the order jobs finish in, never on wall-clock time.
 */
import { buildEnvelope, channelTopic, compareBytes, generateAuthorKey, ringSign } from '@murmur/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_PRIORITY_OVERTAKES, WORKER_PIPELINE, createVerifyPool, priorityOfPath } from '../src/verify/index.js'
import type { RingVerifyInput } from '@murmur/protocol'
import type { VerifyPool, VerifyPriority } from '../src/verify/index.js'

const OPTIONS = { topic: channelTopic('#priority'), powBits: { POST: 0, REPLY: 0, VOTE: 0 } }
const envelope = (await buildEnvelope({ channel: '#priority', body: 'a cheap check', powBits: 0 })).bytes

/** One bLSAG signature over a ring of 16, as a ring-signed gossip post carries (two tags). */
const keys = Array.from({ length: 16 }, () => generateAuthorKey())
const ring = keys.map((key) => key.publicKey).sort(compareBytes)
const message = new Uint8Array(32).fill(9)
const scopes = [new Uint8Array([1]), new Uint8Array([2])]
const ringInput: RingVerifyInput = { message, ring, scopes, ...ringSign({ message, ring, secretKey: keys[5]!.secretKey, scopes }) }

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

describe('verification pool: priorities', () => {
  it('a stem check submitted after 200 gossip ring checks finishes before all but those already on a worker', async () => {
    const verify = pool(2)
    const { order, track } = finishOrder()
    const flood = 200
    const jobs: Array<Promise<boolean>> = []
    for (let i = 0; i < flood; i++) jobs.push(track('gossip', verify.ringVerify(ringInput, { priority: 'normal' })))
    jobs.push(track('stem', verify.ringVerify(ringInput, { priority: 'high' })))
    expect((await Promise.all(jobs)).every((ok) => ok)).toBe(true)
    // at most the checks the two workers already held when it came (WORKER_PIPELINE each) finish first
    const before = order.indexOf('stem')
    expect(before).toBeGreaterThanOrEqual(0)
    expect(before).toBeLessThanOrEqual(2 * WORKER_PIPELINE)
    expect(before).toBeLessThan(flood / 2)
  }, 120_000)

  it('sync checks wait behind gossip, and go after MAX_PRIORITY_OVERTAKES gossip checks passed them', async () => {
    const verify = pool(1)
    // the worker is ready once it has answered a job
    expect((await verify.validate(envelope, OPTIONS)).ok).toBe(true)
    const { order, track } = finishOrder()
    const submit = (label: string, priority: VerifyPriority): Promise<unknown> => track(label, verify.validate(envelope, OPTIONS, { priority }))
    // the worker takes WORKER_PIPELINE checks at once: those are on it before the sync check waits
    const jobs = Array.from({ length: WORKER_PIPELINE }, () => submit('first', 'normal'))
    jobs.push(submit('sync', 'low'))
    const flood = MAX_PRIORITY_OVERTAKES + 8
    for (let i = 0; i < flood; i++) jobs.push(submit('gossip', 'normal'))
    await Promise.all(jobs)
    // one worker answers in the order it was sent: the pipeline, MAX_PRIORITY_OVERTAKES gossip checks, then sync
    expect(order.indexOf('sync')).toBe(WORKER_PIPELINE + MAX_PRIORITY_OVERTAKES)
    expect(order.filter((label) => label === 'gossip')).toHaveLength(flood)
  }, 60_000)

  it('stem before gossip before sync when all wait at once', async () => {
    const verify = pool(1)
    expect((await verify.validate(envelope, OPTIONS)).ok).toBe(true)
    const { order, track } = finishOrder()
    const submit = (label: string, priority?: VerifyPriority): Promise<unknown> => track(label, verify.validate(envelope, OPTIONS, { priority }))
    const jobs = Array.from({ length: WORKER_PIPELINE }, () => submit('first'))
    jobs.push(submit('sync', 'low'), submit('gossip'), submit('stem', 'high'))
    await Promise.all(jobs)
    expect(order.slice(WORKER_PIPELINE)).toEqual(['stem', 'gossip', 'sync'])
  }, 60_000)

  it('refuses a priority it does not know', async () => {
    const verify = pool(1)
    await expect(verify.validate(envelope, OPTIONS, { priority: 'urgent' as VerifyPriority })).rejects.toThrow(RangeError)
  }, 60_000)
})

describe('priorityOfPath', () => {
  it('stem and own posts high, gossip normal, sync low', () => {
    expect([priorityOfPath('own'), priorityOfPath('stem'), priorityOfPath('gossip'), priorityOfPath('sync'), priorityOfPath()]).toEqual(['high', 'high', 'normal', 'low', 'normal'])
  })
})
