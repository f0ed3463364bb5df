/**
 * What the CLI and the chat say of a circle before its member writes anything (circle-text.ts): every
 * warning of the protocol's rosterWarnings is one line naming what it means, the one that stops posts
 * is told from advice, an inviter is named by the name it joined with (shown safely) or as you, and an
 * invite's hints are shown, marked as the inviter's choice, and dialed only when asked.
 */
import { describe, expect, it } from 'vitest'
import { byKey, cannotPostLine, circleListLines, hintLines, memberLine, summaryLine, warningLine, warningLines } from '../packages/cli/src/circle-text.ts'
import type { CircleMember, CircleSummary } from '../packages/cli/src/api-types.ts'

const NOW = 1_800_000_000
const ME = 'a'.repeat(64)
const ANA = 'b'.repeat(64)
const members: CircleMember[] = [
  { key: ME, joinedAt: NOW - 10 * 86_400, self: true, eligible: true },
  { key: ANA, name: 'ana\u202e', joinedAt: NOW - 3600, inviter: ME, self: false, eligible: false }
]

const summary = (warnings: CircleSummary['warnings'], canPost = warnings.length === 0): CircleSummary =>
  ({ name: 'friends', generation: 0, members: 2, minRing: 3, owner: true, canPost, warnings })

describe('circle warnings as the CLI says them', () => {
  it('each warning is one line saying what it means', () => {
    const lines = [
      warningLine({ code: 'RING_BELOW_MINIMUM', ring: 1, minRing: 3 }, NOW),
      warningLine({ code: 'SELF_NEWCOMER', until: NOW + 7200 }, NOW),
      warningLine({ code: 'NEWCOMERS_WAITING', count: 2, until: NOW + 3600 }, NOW),
      warningLine({ code: 'ONE_INVITER', inviter: ANA, invited: 3, of: 4 }, NOW, byKey(members)),
      warningLine({ code: 'FAST_GROWTH', inviter: 'unattributed', joins: 6, window: 604_800 }, NOW)
    ]
    for (const line of lines) expect(line).not.toMatch(/\n/)
    expect(lines[0]).toBe('you cannot post yet: a post would hide among 1 member, below this circle\'s minimum of 3 (members count a day after they join; invite more people you trust)')
    expect(lines[1]).toBe('you joined less than a day ago: read now, post from 2027-01-15 10:00 UTC (in about 2 h); until then a post would name you')
    expect(lines[2]).toMatch(/^2 newcomers not in anyone's ring yet, until 2027-01-15 09:00 UTC/)
    // a name from the network is shown with its bidi override escaped, beside the key prefix
    expect(lines[3]).toBe('3 of the 4 other members your posts hide among were invited by ana\\u{202e} (bbbbbbbbbbbb): if those are not real people, your posts hide among fewer than it seems')
    expect(lines[4]).toMatch(/^no known inviter \(joins that name no invite\) brought in 6 members within 7 days/)
  })

  it('the warning that stops posts is told apart from advice, a newcomer\'s own wait first', () => {
    const blocked = summary([{ code: 'RING_BELOW_MINIMUM', ring: 1, minRing: 3 }, { code: 'SELF_NEWCOMER', until: NOW + 7200 }, { code: 'NEWCOMERS_WAITING', count: 1, until: NOW + 3600 }], false)
    expect(cannotPostLine(blocked, NOW)).toMatch(/^circle:friends: you joined less than a day ago: read now, post from /)
    expect(warningLines(blocked, NOW, new Map(), true)).toEqual([`circle:friends: ${warningLine({ code: 'NEWCOMERS_WAITING', count: 1, until: NOW + 3600 }, NOW)}`])
    expect(warningLines(blocked, NOW)).toHaveLength(3)
    expect(cannotPostLine(summary([]), NOW)).toBeUndefined()
    // removed by a rotation: no warning says why, the line still does
    expect(cannotPostLine(summary([], false), NOW)).toBe('circle:friends: you cannot post in it now (you may have been removed from it)')
  })

  it('a circle this node cannot read: marked DAMAGED, with what a member and what its owner can do', () => {
    const damaged: CircleSummary = { name: 'old crew', generation: 0, members: 0, minRing: 5, owner: false, canPost: false, warnings: [], damaged: true }
    expect(summaryLine(damaged)).toBe('circle:old crew  DAMAGED: unreadable here')
    const said = 'circle:old crew: this node cannot read its record of this circle (its keys), so it reads and posts nothing there: '
    expect(cannotPostLine(damaged, NOW)).toBe(`${said}leave it (murmur circle leave 'old crew') and ask a member for a new invite`)
    expect(circleListLines({ ...damaged, owner: true }, 'murmur circle leave \'old crew\' --data-dir /tmp/n')).toEqual([
      'circle:old crew  owner  DAMAGED: unreadable here',
      `  ${said}leave it (murmur circle leave 'old crew' --data-dir /tmp/n), create a new circle and invite its members again (nobody can remove members of this one now)`
    ])
    // a readable circle: its summary, then its warnings
    const blocked = summary([{ code: 'RING_BELOW_MINIMUM', ring: 1, minRing: 3 }], false)
    expect(circleListLines(blocked)).toEqual([summaryLine(blocked), ...warningLines(blocked).map((line) => `  ${line}`)])
  })

  it('members: inviter named, newcomers marked', () => {
    expect(memberLine(members[1]!, byKey(members))).toBe('bbbbbbbbbbbb  ana\\u{202e}  joined 2027-01-15 07:00 UTC  invited by you  newcomer: in no ring yet')
    expect(memberLine(members[0]!, byKey(members))).toBe('aaaaaaaaaaaa  you  joined 2027-01-05 08:00 UTC  inviter unknown  in rings')
  })

  it('an invite\'s hints: shown as the inviter\'s choice, dialed only when asked', () => {
    expect(hintLines([], undefined)).toEqual([])
    const hint = '/ip4/192.0.2.7/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
    expect(hintLines([hint], undefined)).toEqual([
      'the invite suggests a peer to connect through (chosen by whoever made the invite):',
      `  ${hint}`,
      'not dialed: this node keeps to its own peers; join with --dial-hint to connect through them too, if you trust the inviter'
    ])
    expect(hintLines([hint], [hint]).at(-1)).toBe('connected to 1 of them, alongside this node\'s own peers (never as its only ones)')
  })
})
