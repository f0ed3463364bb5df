import { describe, expect, it } from 'vitest'
import { aboutSeconds, membershipStatus, mintingLine, mintingProgressLine, ringLine } from '../src/membership.js'
import type { NodeMembershipStatus } from '@murmur/node'

const progress = { attempts: 80, nextNonce: 380, bits: 10, expectedEvaluations: 1024, evaluationMs: 60, etaSeconds: 61.44, chance: 0.31 }

describe('membership in the status', () => {
  it('a mint under way: evaluations across restarts (nextNonce), share of the expected work, ETA, and its line', () => {
    const status = { minter: true, members: 7, ahead: [], minting: { week: 2917, progress }, ring: 7, signing: false } as NodeMembershipStatus
    const shown = membershipStatus(status)
    expect(shown).toEqual({
      minter: true,
      members: 7,
      stamp: null,
      ahead: [],
      minting: { week: 2917, evaluations: 380, expected: 1024, progress: 380 / 1024, etaSeconds: 61 },
      nextMintAt: null,
      ring: 7,
      signing: false
    })
    expect(mintingLine(shown!.minting!)).toBe('37% of the expected work (380 of 1,024 evaluations), about 61 s left')
    // the chat's line fits its 80 columns
    const line = mintingProgressLine(shown!.minting!)
    expect(line).toBe('minting stamp ▕████░░░░░░▏ 37% · about 61 s left · then your votes count')
    expect(mintingProgressLine({ ...shown!.minting!, progress: 1, etaSeconds: 45 * 60 }).length).toBeLessThanOrEqual(79)
  })

  it('past the expected work the share stays at 100%; before the first evaluation it says starting', () => {
    const late = membershipStatus({ minter: true, members: 1, ahead: [], minting: { week: 1, progress: { ...progress, nextNonce: 3000 } }, ring: 0, signing: false } as NodeMembershipStatus)
    expect(late!.minting!.progress).toBe(1)
    const first = membershipStatus({ minter: true, members: 0, ahead: [], minting: { week: 1 }, ring: 0, signing: false } as NodeMembershipStatus)
    expect(first!.minting).toEqual({ week: 1, evaluations: 0, expected: null, progress: 0, etaSeconds: null })
    expect(mintingLine(first!.minting!)).toBe('starting')
  })

  it('membership off is null; a node that does not mint has only the directory', () => {
    expect(membershipStatus(undefined)).toBeNull()
    expect(membershipStatus({ minter: false, members: 3, ring: 3, signing: false } as NodeMembershipStatus)).toEqual({ minter: false, members: 3, stamp: null, ahead: [], minting: null, nextMintAt: null, ring: 3, signing: false })
    // a node that does not report its ring
    expect(membershipStatus({ minter: false, members: 3 } as NodeMembershipStatus)?.ring).toBeNull()
  })

  it('says among how many members votes hide: a small ring while the directory is small, none without another member', () => {
    expect(ringLine(16)).toBe('your votes and posts hide among 16 members')
    expect(ringLine(3)).toBe('your votes and posts hide among 3 members (16 once the directory holds that many)')
    expect(ringLine(0)).toBe('no other member known yet: votes wait until the directory holds one')
  })

  it('durations in words', () => {
    expect([aboutSeconds(0.2), aboutSeconds(45), aboutSeconds(150), aboutSeconds(7200)]).toEqual(['about 1 s', 'about 45 s', 'about 3 min', 'about 2 h'])
  })
})
