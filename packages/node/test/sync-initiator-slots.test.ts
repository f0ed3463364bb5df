/**
 * InitiatorSlots: the sessions a node begins, at most `perGroup` at once per address group and
 * `maxInitiating` in all; the rest wait, a freed slot going to the waiting group that runs fewest.
 */
import { describe, expect, it } from 'vitest'
import { InitiatorSlots } from '../src/sync/initiator-slots.js'

/** A session that runs until `end()` is called. */
function held (): { session: () => Promise<string>, started: boolean, end: (value?: string) => void, fail: (err: Error) => void } {
  let resolve!: (value: string) => void
  let reject!: (err: Error) => void
  const done = new Promise<string>((res, rej) => { resolve = res; reject = rej })
  const out = {
    started: false,
    session: async () => { out.started = true; return await done },
    end: (value = 'done') => { resolve(value) },
    fail: (err: Error) => { reject(err) }
  }
  return out
}

const tick = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve() }

describe('InitiatorSlots', () => {
  it('runs at most perGroup sessions of one group at once; the next starts when one ends', async () => {
    const slots = new InitiatorSlots({ maxInitiating: 8, perGroup: 2, queuePerGroup: 32 })
    const sessions = Array.from({ length: 5 }, () => held())
    const results = sessions.map(async (s) => slots.run('sybils', s.session))
    await tick()
    expect(sessions.map((s) => s.started)).toEqual([true, true, false, false, false])
    expect(slots.active).toBe(2)
    sessions[0]!.end('first')
    await expect(results[0]).resolves.toBe('first')
    await tick()
    expect(sessions.map((s) => s.started)).toEqual([true, true, true, false, false])
    // a session that throws frees its slot too, and its error reaches the caller
    sessions[1]!.fail(new Error('network'))
    await expect(results[1]).rejects.toThrow('network')
    await tick()
    expect(sessions[3]!.started).toBe(true)
    expect(slots.runningIn('sybils')).toBe(2)
  })

  it('gives a group that runs none the next free slot, however long the others\' queues', async () => {
    const slots = new InitiatorSlots({ maxInitiating: 3, perGroup: 2, queuePerGroup: 32 })
    const a = Array.from({ length: 6 }, () => held())
    const b = Array.from({ length: 6 }, () => held())
    for (const s of a) void slots.run('a', s.session)
    for (const s of b) void slots.run('b', s.session)
    const honest = held()
    void slots.run('honest', honest.session)
    await tick()
    // a holds 2, b 1 (the total is 3); the honest group waits behind both queues
    expect(slots.runningIn('a')).toBe(2)
    expect(slots.runningIn('b')).toBe(1)
    expect(honest.started).toBe(false)
    a[0]!.end()
    await tick()
    expect(honest.started).toBe(true)
    expect(slots.runningIn('a')).toBe(1)
  })

  it('drops a session past its group\'s queue, and every waiting one on close', async () => {
    const slots = new InitiatorSlots({ maxInitiating: 1, perGroup: 1, queuePerGroup: 2 })
    const running = held()
    void slots.run('g', running.session)
    const waiting = [held(), held()]
    const queued = waiting.map(async (s) => slots.run('g', s.session))
    const dropped = held()
    await expect(slots.run('g', dropped.session)).resolves.toBeUndefined()
    expect(dropped.started).toBe(false)
    slots.close()
    await expect(Promise.all(queued)).resolves.toEqual([undefined, undefined])
    expect(waiting.some((s) => s.started)).toBe(false)
    await expect(slots.run('other', held().session)).resolves.toBeUndefined()
  })
})
