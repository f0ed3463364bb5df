import { describe, expect, it } from 'vitest'
import { AUDIENCE_RANK, DOWNVOTE_BUDGET, VOTE_BUDGET, hideMargin } from '@murmur/protocol'
import { Timeline } from '../src/chat/timeline.js'
import { HELP } from '../src/chat/input.js'
import { formatPost, formatPosts, terminalJson } from '../src/output.js'
import { columns } from '../src/text.js'
import { VOTE_RULE, stampNotReadyLine, voteRuleHelp } from '../src/vote-rule.js'
import { ringOf, signedLine } from '../src/membership.js'
import { postView } from './post-view.js'

const NOW = 1_700_000_000
const ID = 'ab'.repeat(32)
const member = postView({ body: 'written by a member', member: true, pseudonym: undefined })
const unverified = postView({ id: 'cd'.repeat(32), body: 'written without a stamp', member: false })
const reply = postView({ id: 'ef'.repeat(32), kind: 'REPLY', parent: ID, root: ID, op: false, body: 'a member answers', member: true, pseudonym: undefined })
const vote = (member: boolean, vote: 1 | -1): ReturnType<typeof postView> =>
  postView({ id: (member ? '12' : '34').repeat(32), kind: 'VOTE', parent: ID, vote, member, pseudonym: undefined, root: undefined, op: false })

/** The rows of a timeline as plain text. */
const screen = (timeline: Timeline, width: number): string[] => timeline.render(width).map((line) => line.map((s) => s.text).join(''))

describe('member and unverified marks', () => {
  it('feed, thread and watch mark every post, reply and vote: member or unverified', () => {
    expect(formatPost(member, NOW, 140).split('\n')[0]).toBe(`${ID}  +0  0 replies  just now  1d left  anonymous  member`)
    expect(formatPost(unverified, NOW, 140).split('\n')[0]).toBe(`${'cd'.repeat(32)}  +0  0 replies  just now  1d left  kukot-dikar-hipat  unverified`)
    expect(formatPost(reply, NOW, 140).split('\n')[0]).toBe(`${'ef'.repeat(32)}  +0  0 replies  just now  1d left  reply  anonymous  member`)
    expect(formatPost(vote(true, 1), NOW)).toBe(`${'12'.repeat(32)}  ▲ upvote of ${ID}  just now  member`)
    expect(formatPost(vote(false, -1), NOW)).toBe(`${'34'.repeat(32)}  ▼ downvote of ${ID}  just now  unverified`)
    // at 80 columns the mark moves with the counters to their own line, which fits
    const narrow = formatPosts([member, unverified], 'none', 80).split('\n')
    expect(narrow.filter((line) => /^ {2}\+0 {2}0 replies {2}\S+ ago {2}expired {2}(anonymous {2}member|kukot-dikar-hipat {2}unverified)$/.test(line))).toHaveLength(2)
    for (const line of narrow) expect(columns(line)).toBeLessThanOrEqual(80)
    // --json prints the PostView: `member` as it is
    expect(JSON.parse(terminalJson({ posts: [member, unverified] }))).toMatchObject({ posts: [{ member: true }, { member: false }] })
  })

  it('the chat marks member posts in green and unverified ones dimmed, in words, within the width', () => {
    const timeline = new Timeline()
    timeline.addPost(member)
    timeline.addPost(unverified)
    timeline.addPost(reply)
    timeline.remember(vote(true, 1))
    timeline.addPost(vote(false, -1), true)
    timeline.tick(NOW)
    const lines = timeline.render(80)
    const marks = lines.flat().filter((s) => s.text === 'member' || s.text === 'unverified')
    expect(marks).toEqual([
      { text: 'member', color: 32 }, { text: 'unverified', dim: true }, { text: 'member', color: 32 }, { text: 'unverified', dim: true }
    ])
    const rows = screen(timeline, 80)
    expect(rows[0]).toMatch(/^\[1\] \d\d:\d\d anonymous member · 1d left$/)
    expect(rows[2]).toMatch(/^\[2\] \d\d:\d\d kukot-dikar-hipat unverified · 1d left$/)
    expect(rows[4]).toMatch(/^\[3\] \d\d:\d\d ↳\[1\] anonymous member · 1d left$/)
    expect(rows[6]).toMatch(/^ {6}\d\d:\d\d ▼ downvote on \[1\] unverified$/)
    for (const row of rows) expect(columns(row)).toBeLessThanOrEqual(80)
  })
})

describe('the vote rule in every help', () => {
  it('says who counts, how often and when a post is hidden, with the protocol\'s numbers', () => {
    const text = VOTE_RULE.join(' ')
    expect(text).toContain('only members\' votes count')
    expect(text).toContain('a member\'s votes on one post count as one')
    expect(text).toContain(`member has at most ${VOTE_BUDGET} upvotes and ${DOWNVOTE_BUDGET} downvotes per channel per week.`)
    // the margins quoted are the protocol's own (hideMargin), whatever its constants are
    expect(text).toContain(`by a margin that grows with the channel's audience (the ${AUDIENCE_RANK}th highest number of votes`)
    expect(text).toContain(`${hideMargin({ audience: 0 })} in a quiet channel, ${hideMargin({ audience: 20 })} when the audience is 20, ${hideMargin({ audience: 100 })} when it is 100`)
    expect(hideMargin({ audience: 100 })).toBeGreaterThan(hideMargin({ audience: 0 }))
    expect(text).toContain('"unverified": their votes count for nothing')
    for (const line of voteRuleHelp().split('\n')) expect(columns(line)).toBeLessThanOrEqual(78)
    expect(HELP.some((line) => line.startsWith('/vote <n> up|down'))).toBe(true)
  })

  it('a vote before the stamp says when to vote again', () => {
    expect(stampNotReadyLine(NOW + 150, NOW)).toBe('not voted: only members\' votes count, and this node\'s member stamp is not ready yet: ' +
      'expected in about 3 min (around 2023-11-14 22:15 UTC); vote again then')
    expect(stampNotReadyLine(NOW - 5, NOW)).toMatch(/: it is due any moment \(minting is a lottery: it can run past its expected time\); vote again soon$/)
    expect(stampNotReadyLine(undefined, NOW)).toMatch(/not ready yet \(`murmur status` shows whether it is minting one; --no-mint never does\)$/)
  })

  it('a post or vote says how it was signed: among how many members, a small ring while the directory is small, or unverified', () => {
    expect(signedLine(16)).toBe('ring-signed among 16 members: nobody can tell which of them you are')
    expect(signedLine(3)).toBe('ring-signed among 3 members: nobody can tell which of them you are (a small ring, 16 once the directory holds that many)')
    expect(signedLine(undefined)).toMatch(/^unverified: signed without a member stamp/)
    expect(ringOf({ id: ID, status: 'sent', recipients: 1, ring: 5 } as never)).toBe(5)
    expect(ringOf({ id: ID, status: 'sent', recipients: 1 })).toBeUndefined()
  })
})
