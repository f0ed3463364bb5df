/**
 * InitiatorSlots: the sessions a node begins, at most `perGroup` at once per address group and
 * `maxInitiating` in all; the rest wait, a freed slot going to the waiting group that runs fewest.
 */
import { describe, expect, it } from 'vitest'
import { InitiatorSlots } from '../src/sync/initiator-slots.js'
import type { InitiatorPlace } from '../src/sync/initiator-slots.js'

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

/** A place of its own for each session (one peer each), ranked `rank`, its peer last served (or connected) at `servedAt`. */
let peers = 0
const own = (rank = 1, servedAt = 0): InitiatorPlace => ({ peer: `peer-${peers++}`, rank: () => rank, servedAt: () => servedAt })

const tick = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve() }

describe('InitiatorSlots', () => {
  it('runs at most perGroup sessions of one group at once; the next starts when one ends', async () => {
    const slots = new InitiatorSlots({ maxInitiating: 8, perGroup: 2, queuePerGroup: 32 })
    const sessions = Array.from({ length: 5 }, () => held())
    const results = sessions.map(async (s) => slots.run('sybils', s.session, own()))
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
    for (const s of a) void slots.run('a', s.session, own())
    for (const s of b) void slots.run('b', s.session, own())
    const honest = held()
    void slots.run('honest', honest.session, own())
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
    void slots.run('g', running.session, own())
    const waiting = [held(), held()]
    const queued = waiting.map(async (s) => slots.run('g', s.session, own()))
    const dropped = held()
    await expect(slots.run('g', dropped.session, own())).resolves.toBeUndefined()
    expect(dropped.started).toBe(false)
    slots.close()
    await expect(Promise.all(queued)).resolves.toEqual([undefined, undefined])
    expect(waiting.some((s) => s.started)).toBe(false)
    await expect(slots.run('other', held().session, own())).resolves.toBeUndefined()
  })

  /**
   * Sixteenth read, High 1: 36 sybil PeerIds on a crowd's address that never answer (every session they
   * get stalls) and re-subscribe every second kept the group's 2 slots and 32 places full, and every
   * session with an honest crowd-mate was dropped (0 of 15 in 15 minutes). Each turn here the running
   * sybil sessions stall, then every sybil asks again (twice: once more while it waits), then the honest peer.
   */
  async function crowd (honestRank: number, turns: number): Promise<number | undefined> {
    const slots = new InitiatorSlots({ maxInitiating: 8, perGroup: 2, queuePerGroup: 32 })
    const sybils = Array.from({ length: 36 }, (_, i) => ({ peer: `sybil-${i}`, stalled: false, pending: false, servedAt: 0 }))
    let running: Array<{ end: (err: Error) => void }> = []
    let honestPending = false
    let honestStarted = false
    try {
      for (let turn = 0; turn < turns; turn++) {
        for (const session of running) session.end(new Error('stalled'))
        running = []
        await tick()
        for (const sybil of sybils) {
          for (let again = 0; again < 2; again++) {
            const s = held()
            const place = { peer: sybil.peer, rank: () => sybil.stalled ? 0 : 1, servedAt: () => sybil.servedAt }
            sybil.pending = true
            void slots.run('crowd', async () => {
              sybil.servedAt = turn + 1
              running.push({ end: (err) => { sybil.stalled = true; s.fail(err) } })
              return await s.session()
            }, place).catch(() => undefined).finally(() => { sybil.pending = false })
          }
        }
        if (!honestPending) {
          honestPending = true
          void slots.run('crowd', async () => { honestStarted = true; return await held().session() }, { peer: 'honest', rank: () => honestRank, servedAt: () => 0 })
            .finally(() => { honestPending = false })
        }
        await tick()
        if (honestStarted) return turn
        expect(slots.runningIn('crowd')).toBe(2)
      }
      return undefined
    } finally {
      slots.close()
    }
  }

  it('serves an honest crowd-mate within a bounded number of turns, however 36 same-group sybils re-queue', async () => {
    // it enters once a stalled sybil's place can give way (the second turn: no sybil has stalled before the
    // first), then waits behind at most the 32 places before it, 2 served a turn
    const turn = await crowd(1, 40)
    expect(turn).toBeDefined()
    expect(turn).toBeLessThanOrEqual(2 + 32 / 2)
    // a peer this node dialed takes a place at once, and waits behind those served less lately
    expect(await crowd(2, 40)).toBeLessThanOrEqual(1 + 32 / 2)
  })

  it('keeps one waiting place per peer, serves the one served least lately first, dialed or not, and one that stalled last', async () => {
    const slots = new InitiatorSlots({ maxInitiating: 1, perGroup: 1, queuePerGroup: 3 })
    const first = held()
    void slots.run('g', first.session, own())
    const stalled = held()
    void slots.run('g', stalled.session, own(0, 0))
    const twice = own(1, 20)
    const waiting = held()
    void slots.run('g', waiting.session, twice)
    const again = held()
    await expect(slots.run('g', again.session, twice)).resolves.toBeUndefined()
    const dialed = held()
    void slots.run('g', dialed.session, own(2, 10))
    first.end()
    await tick()
    expect([dialed.started, waiting.started, stalled.started, again.started]).toEqual([true, false, false, false])
    dialed.end()
    await tick()
    expect([waiting.started, stalled.started]).toEqual([true, false])
    waiting.end()
    await tick()
    expect(stalled.started).toBe(true)
    slots.close()
  })

  /**
   * Seventeenth read, High 1: sybils that answer every session (slowly, with nothing) ranked "proven" with
   * the dialed peers, and asking again the moment their session ended they held the group's slots and
   * places: a crowd-mate was refused every time, proven (ranked as they were) or new (below them). Each
   * turn here the running sessions end, answered, `fresh` new sybil PeerIds connect, every sybil asks
   * (twice: once more while it waits), then the crowd-mate if it does not wait already. The crowd-mate and
   * the sybils rank 1, but the first `dialed` sybils 2 (this node's discovery dialed 5 of the reviewer's 37);
   * `servedAt` is kept as history sync keeps it: when the peer's latest session began, else when it
   * connected (a counter, so no two events tie). Returns the turns the crowd-mate's sessions began.
   */
  async function answering (crowdMate: { connects: number, servedBefore: boolean }, turns: number, fresh = 0, dialed = 0): Promise<number[]> {
    const slots = new InitiatorSlots({ maxInitiating: 8, perGroup: 2, queuePerGroup: 32 })
    let clock = 0
    const at = new Map<string, number>()
    const rank = (peer: string): number => { const i = sybils.indexOf(peer); return i >= 0 && i < dialed ? 2 : 1 }
    const place = (peer: string): InitiatorPlace => ({ peer, rank: () => rank(peer), servedAt: () => at.get(peer)! })
    const ask = (peer: string, started: () => void): Promise<unknown> => slots.run('crowd', async () => {
      at.set(peer, ++clock)
      started()
      return await new Promise<void>((resolve) => { running.push(resolve) })
    }, place(peer))
    const sybils: string[] = []
    const mint = (): void => { const peer = `sybil-${sybils.length}`; sybils.push(peer); at.set(peer, ++clock) }
    let running: Array<() => void> = []
    const began: number[] = []
    let now = 0
    let waiting = false
    if (crowdMate.servedBefore) at.set('crowd-mate', ++clock)
    for (let i = 0; i < 34; i++) mint()
    try {
      for (let turn = 0; turn < turns; turn++) {
        now = turn
        for (const end of running) end()
        running = []
        await tick()
        for (let i = 0; i < fresh; i++) mint()
        for (const sybil of sybils) for (let again = 0; again < 2; again++) void ask(sybil, () => undefined)
        if (turn === crowdMate.connects && !crowdMate.servedBefore) at.set('crowd-mate', ++clock)
        if (turn >= crowdMate.connects && !waiting) {
          waiting = true
          void ask('crowd-mate', () => { began.push(now) }).finally(() => { waiting = false })
        }
        await tick()
        expect(slots.runningIn('crowd')).toBe(2)
      }
      return began
    } finally {
      slots.close()
    }
  }

  it('serves the waiting peer served least recently first, so sybils served again and again cannot keep a crowd-mate out (seventeenth read, High 1)', async () => {
    // served before the sybils came: first in line at once, then once per round of the 34 sybils (2 a turn)
    const before = await answering({ connects: 0, servedBefore: true }, 60)
    expect(before[0]).toBeLessThanOrEqual(1)
    expect(before.length).toBeGreaterThanOrEqual(3)
    for (let i = 1; i < before.length; i++) expect(before[i]! - before[i - 1]!).toBeLessThanOrEqual(1 + 36 / 2)
    // new here at turn 3, while 2 fresh sybil PeerIds connect every turn: every PeerId connected before it
    // (the 34 and 4 turns' 2) is served once first, 2 a turn, none that connects after it
    const fresh = await answering({ connects: 3, servedBefore: false }, 40, 2)
    expect(fresh[0]).toBeDefined()
    expect(fresh[0]! - 3).toBeLessThanOrEqual(1 + (34 + 4 * 2) / 2)
    // 4 of the sybils dialed by this node, asking every turn, would hold both slots if dialed peers went first
    const beside = await answering({ connects: 0, servedBefore: true }, 40, 0, 4)
    expect(beside[0]).toBeLessThanOrEqual(1)
    expect(beside.length).toBeGreaterThanOrEqual(2)
  })

  it('never lets a peer it did not dial take a dialed peer\'s place, however long ago that was served', async () => {
    const slots = new InitiatorSlots({ maxInitiating: 1, perGroup: 1, queuePerGroup: 2 })
    const first = held()
    void slots.run('g', first.session, own())
    const dialed = [held(), held()]
    const queued = dialed.map(async (s) => slots.run('g', s.session, own(2, 100)))
    const other = held()
    await expect(slots.run('g', other.session, own(1, 0))).resolves.toBeUndefined()
    // a dialed newcomer served longer ago takes the place of the one served most recently
    const older = held()
    void slots.run('g', older.session, own(2, 50))
    await expect(queued[1]).resolves.toBeUndefined()
    first.end()
    await tick()
    expect(older.started).toBe(true)
    expect(dialed[0]!.started).toBe(false)
    slots.close()
  })
})
