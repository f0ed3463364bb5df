/**
 * How votes count, as the CLI says it: the help text of `murmur vote`, `murmur feed` and the chat's
 * /help, written from @murmur/protocol's vote rule (votes.ts) so that it says what the nodes do, and the
 * line a vote gets while this node holds no member stamp yet.
 */
import { AUDIENCE_RANK, AUDIENCE_WINDOW_SECONDS, HIDE_AFTER_SECONDS, DOWNVOTE_BUDGET, VOTE_BUDGET, hideMargin } from '@murmur/protocol'
import { aboutSeconds } from './membership.js'
import { utcTime, wrap } from './text.js'

/** A whole number of hours (or minutes) in words: 3600 → "1 h", 86400 → "24 h". */
function hours (seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600} h` : `${Math.round(seconds / 60)} min`
}

/** The hide margin at a channel audience of `audience` votes: the protocol's own rule, not a copy of it. */
function marginAt (audience: number): number {
  return hideMargin({ audience })
}

/** 1 → "1st", 5 → "5th". */
function ordinal (n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13
  const suffix = teen ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'
  return `${n}${suffix}`
}

/**
 * The vote rule in paragraphs: who counts, how often, and when a post is hidden (each UI wraps them).
 *
 * @example
 * ```ts
 * for (const paragraph of VOTE_RULE) timeline.notice(paragraph)
 * ```
 */
export const VOTE_RULE: readonly string[] = [
  'How votes count: only members\' votes count. A member is a node holding this week\'s member stamp, ' +
    'which it mints in the background (`murmur status` shows when). A member\'s vote is ring-signed among other ' +
    'members, so nobody can tell who cast it, yet a member\'s votes on one post count as one, and a ' +
    `member has at most ${VOTE_BUDGET} upvotes and ${DOWNVOTE_BUDGET} downvotes per channel per week. Posts and ` +
    'votes of nodes without a stamp are marked "unverified": their votes count for nothing.',
  `A post is hidden once it is ${hours(HIDE_AFTER_SECONDS)} old and its downvotes outnumber its upvotes by a ` +
    `margin that grows with the channel's audience (the ${ordinal(AUDIENCE_RANK)} highest number of votes on one of ` +
    `its posts of the last ${hours(AUDIENCE_WINDOW_SECONDS)}): ${marginAt(0)} in a quiet channel, ${marginAt(20)} ` +
    `when the audience is 20, ${marginAt(100)} when it is 100. So a minority cannot hide what the rest of the ` +
    'channel\'s readers let stand.'
]

/**
 * {@link VOTE_RULE} for `--help`: paragraphs wrapped to `width` columns, indented by two.
 *
 * @example
 * ```ts
 * command.addHelpText('after', `\n${voteRuleHelp()}`)
 * ```
 */
export function voteRuleHelp (width = 78): string {
  return VOTE_RULE.map((paragraph) => wrap(paragraph, width - 2).map((line) => `  ${line}`).join('\n')).join('\n\n')
}

/**
 * The line a vote gets while this node holds no member stamp (the node's StampNotReadyError):
 * when the stamp is expected (`readyAt`, unix seconds, undefined when not known), `now` in unix seconds.
 *
 * @example
 * ```ts
 * stampNotReadyLine(now + 150, now) // "not voted: … expected in about 3 min (around 2026-11-29 22:58 UTC); vote again then"
 * ```
 */
export function stampNotReadyLine (readyAt: number | undefined, now: number): string {
  const why = 'not voted: only members\' votes count, and this node\'s member stamp is not ready yet'
  if (readyAt === undefined || !Number.isFinite(readyAt)) {
    return `${why} (\`murmur status\` shows whether it is minting one; --no-mint never does)`
  }
  if (readyAt <= now) {
    return `${why}: it is due any moment (minting is a lottery: it can run past its expected time); vote again soon`
  }
  return `${why}: expected in ${aboutSeconds(readyAt - now)} (around ${utcTime(readyAt)}); vote again then`
}
