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

  it('forgets a group\'s weight with its last session', () => {
    const rate = new SessionRate({ perMinute: 10, perGroup: 10 })
    for (let i = 0; i < 5; i++) expect(rate.take('heavy', i, 100)).toBe(true)
    for (let i = 0; i < 5; i++) expect(rate.take('light', 1_000 + i)).toBe(true)
    // the minute is full: light weighs 1 against heavy's 100, its share is 1 of 10
    expect(rate.take('light', 1_010)).toBe(false)
    // heavy's sessions aged out, light's not; a third group fills the minute again
    for (let i = 0; i < 5; i++) expect(rate.take('other', 60_005 + i, 3)).toBe(true)
    // its share is 3 of the 4 left (7 of 10), not 3 of 104 (heavy's weight gone with its sessions)
    expect(rate.take('other', 60_010, 3)).toBe(true)
    expect(rate.take('other', 60_011, 3)).toBe(true)
    expect(rate.take('other', 60_012, 3)).toBe(false)
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
