/**
 * Second read of issue 12, M3: the sync session rate's fair share counted every address group as one. A crowd
 * of thirty nodes behind one NAT got 10 of the 120 sessions a minute against ten attacker addresses, 1 against
 * a hundred and twenty; and a lone address got all 120 a minute while the node was otherwise idle. A group's
 * share is now weighed by the peers it has connected here, and no group opens more than SYNC_SESSIONS_PER_GROUP.
 */
import { describe, expect, it } from 'vitest'
import { SYNC_SESSIONS_PER_GROUP, SYNC_SESSIONS_PER_MINUTE, SessionRate, rateLimitedSync } from '../src/sync-session-rate.js'
import type { SyncComponents } from '../src/internal.js'
import type { Connection, StreamHandler } from '@libp2p/interface'

const CROWD = 30

/** Sessions the NAT crowd (weight `crowdWeight`) gets in a minute the attacker's `groups` addresses filled first, `each` sessions each. */
function crowdSessions (groups: number, each: number, crowdWeight: number): number {
  const rate = new SessionRate()
  let t = 0
  for (let g = 0; g < groups; g++) for (let i = 0; i < each; i++) rate.take(`ip4/6.6.${g >> 8}.${g & 255}`, t++)
  let taken = 0
  for (let i = 0; i < CROWD; i++) if (rate.take('ip4/192.0.2.1', t++, crowdWeight)) taken++
  return taken
}

describe('the sync session rate against a crowd behind one address', () => {
  it('gives a crowd its share by its connected peers, up to the per-group cap', () => {
    // the attacker fills the minute from 10 or 120 addresses, one peer connected from each
    expect(crowdSessions(10, 12, CROWD)).toBe(SYNC_SESSIONS_PER_GROUP)
    expect(crowdSessions(10, 20, CROWD)).toBe(SYNC_SESSIONS_PER_GROUP)
    expect(crowdSessions(120, 1, CROWD)).toBe(Math.min(SYNC_SESSIONS_PER_GROUP, Math.floor(SYNC_SESSIONS_PER_MINUTE * CROWD / (120 + CROWD))))
    // counted as one (the old share): 10, and 1
    expect(crowdSessions(10, 12, 1)).toBe(10)
    expect(crowdSessions(120, 1, 1)).toBe(1)
  })

  it('holds a lone address to the per-group cap while the node is otherwise idle, a minute at a time', () => {
    const rate = new SessionRate()
    const taken = (from: number): number => Array.from({ length: 1_000 }, (_, i) => rate.take('ip4/198.51.100.1', from + i, 50)).filter(Boolean).length
    expect(taken(0)).toBe(SYNC_SESSIONS_PER_GROUP)
    expect(taken(60_000)).toBe(SYNC_SESSIONS_PER_GROUP)
    // another group is not held back by it
    expect(rate.take('ip4/192.0.2.1', 61_000)).toBe(true)
  })

  it('weighs shares by the connections open now, not those a group had when it opened its sessions (third read M-a)', () => {
    const HELD = 42
    // attacker addresses take turns holding 42 of the 72 inbound slots while the crowd holds 30: each opens its
    // sessions while it holds them, then closes them; the crowd asks last, against the one address holding now
    const crowdAfter = (groups: number, each: number): number => {
      const rate = new SessionRate()
      let t = 0
      for (let g = 0; g < groups; g++) for (let i = 0; i < each; i++) rate.take(`ip4/6.6.${g >> 8}.${g & 255}`, t++, HELD, HELD + CROWD)
      let taken = 0
      for (let i = 0; i < CROWD; i++) if (rate.take('ip4/192.0.2.1', t++, CROWD, HELD + CROWD)) taken++
      return taken
    }
    // weights kept from each address's sessions summed 42 per address: the crowd got 12, 8, then 1 of its 30
    const share = Math.min(SYNC_SESSIONS_PER_GROUP, Math.floor(SYNC_SESSIONS_PER_MINUTE * CROWD / (HELD + CROWD)))
    expect(share).toBe(20)
    expect(crowdAfter(6, 20)).toBe(share)
    expect(crowdAfter(10, 12)).toBe(share)
    expect(crowdAfter(60, 2)).toBe(share)
    expect(crowdAfter(120, 1)).toBe(share)
  })

  it('counts a group that has gone as weighing nothing when wired in front of history sync', async () => {
    let handler: StreamHandler | undefined
    const components = { handle: async (_: string, h: StreamHandler) => { handler = h }, unhandle: async () => {}, dialProtocol: async () => { throw new Error('no dial') } } as unknown as SyncComponents
    const connection = (group: string): Connection => ({ direction: 'inbound', remoteAddr: group, remotePeer: group } as unknown as Connection)
    const crowd = Array.from({ length: CROWD }, () => connection('crowd'))
    let open: Connection[] = []
    let answered = 0
    const wrapped = rateLimitedSync(components, { groupOf: (c) => String(c.remoteAddr), connections: () => open, now: () => 0 })
    await wrapped.handle('/sync', () => { answered++ })
    const stream = { abort: () => {} }
    // sixty addresses in turn hold 42 connections, open two sessions each and leave
    for (let g = 0; g < 60; g++) {
      const held = Array.from({ length: 42 }, () => connection(`attacker-${g}`))
      open = [...crowd, ...held]
      for (let i = 0; i < 2; i++) await handler!(stream as never, held[0]!)
    }
    expect(answered).toBe(120)
    open = crowd
    for (let i = 0; i < CROWD; i++) await handler!(stream as never, crowd[0]!)
    // alone now, the crowd is held only by the per-group cap
    expect(answered - 120).toBe(SYNC_SESSIONS_PER_GROUP)
  })

  it('weighs each group by the connections open from it when wired in front of history sync', async () => {
    let handler: StreamHandler | undefined
    const components = { handle: async (_: string, h: StreamHandler) => { handler = h }, unhandle: async () => {}, dialProtocol: async () => { throw new Error('no dial') } } as unknown as SyncComponents
    const connection = (group: string): Connection => ({ direction: 'inbound', remoteAddr: group, remotePeer: group } as unknown as Connection)
    const open = [...Array.from({ length: CROWD }, () => connection('crowd')), ...Array.from({ length: 120 }, (_, i) => connection(`attacker-${i}`))]
    let answered = 0
    let aborted = 0
    const wrapped = rateLimitedSync(components, { groupOf: (c) => String(c.remoteAddr), connections: () => open, now: () => 0 })
    await wrapped.handle('/sync', () => { answered++ })
    const stream = { abort: () => { aborted++ } }
    for (let i = 0; i < 120; i++) await handler!(stream as never, connection(`attacker-${i}`))
    expect(answered).toBe(120)
    for (let i = 0; i < CROWD; i++) await handler!(stream as never, connection('crowd'))
    expect(answered - 120).toBe(Math.min(SYNC_SESSIONS_PER_GROUP, Math.floor(SYNC_SESSIONS_PER_MINUTE * CROWD / (120 + CROWD))))
    expect(aborted).toBe(CROWD - (answered - 120))
  })
})
