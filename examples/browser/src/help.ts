/**
 * The page's help: how votes count and what the marks on posts mean, written from @murmur/protocol's
 * vote rule (votes.ts) so that it says what the nodes do; and the line a vote gets while the tab holds
 * no member stamp yet.
 */
import { AUDIENCE_RANK, AUDIENCE_WINDOW_SECONDS, HIDE_AFTER_SECONDS, MIN_MEMBER_RING, DOWNVOTE_BUDGET, VOTE_BUDGET, hideMargin } from '@murmur/protocol'
import { aboutSeconds } from './membership.js'

/** A whole number of hours (or minutes) in words: 3600 → "1 hour", 86400 → "24 hours". */
function hours (seconds: number): string {
  if (seconds % 3600 !== 0) return `${Math.round(seconds / 60)} minutes`
  return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`
}

/** 1 → "1st", 5 → "5th". */
function ordinal (n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13
  return `${n}${teen ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`
}

/**
 * The help's paragraphs: the marks, who counts, how often, and when a post is hidden.
 *
 * @example
 * ```ts
 * renderHelp(document.getElementById('help-text')!)
 * ```
 */
export const HELP: readonly string[] = [
  'Posts marked "member" were ring-signed by a member: a tab or node holding this week\'s member stamp, ' +
    'which it mints in the background (the panel above shows the progress). Posts marked "unverified" were ' +
    'signed without a stamp.',
  'Only members\' votes count. A vote is ring-signed among other members, so nobody can tell which member ' +
    `cast it (among ${MIN_MEMBER_RING} members, fewer only while the directory holds fewer), yet a member's votes on one post count ` +
    `as one, and a member has at most ${VOTE_BUDGET} upvotes and ${DOWNVOTE_BUDGET} downvotes per channel per week. ` +
    'Votes of a tab without a stamp count for nothing.',
  `A post is hidden once it is ${hours(HIDE_AFTER_SECONDS)} old and its downvotes outnumber its upvotes by a ` +
    `margin that grows with the channel's audience (the ${ordinal(AUDIENCE_RANK)} highest number of votes on one of ` +
    `its posts of the last ${hours(AUDIENCE_WINDOW_SECONDS)}): ${hideMargin({ audience: 0 })} in a quiet channel, ` +
    `${hideMargin({ audience: 20 })} when the audience is 20, ${hideMargin({ audience: 100 })} when it is 100. So a ` +
    'minority cannot hide what the rest of the channel\'s readers let stand.'
]

/** Fills the help element with {@link HELP}, one paragraph each (as text: nothing here is HTML). */
export function renderHelp (container: HTMLElement): void {
  container.replaceChildren(...HELP.map((text) => {
    const p = document.createElement('p')
    p.textContent = text
    return p
  }))
}

/**
 * What the page says when a vote is refused because the tab holds no member stamp yet (the node's
 * StampNotReadyError: `readyAt`, unix seconds, when the stamp being minted is expected); `minter`: whether
 * the tab mints one at all; `now` in unix seconds.
 *
 * @example
 * ```ts
 * stampNotReadyText(now + 150, true, now) // "not voted: your vote counts once your member stamp is ready, in about 3 min (around 23:05)"
 * ```
 */
export function stampNotReadyText (readyAt: number | undefined, minter: boolean, now: number): string {
  if (!minter) return 'not voted: only members\' votes count, and this tab mints no member stamp (turn minting on in the membership panel)'
  const why = 'not voted: your vote counts once your member stamp is ready'
  if (readyAt === undefined || !Number.isFinite(readyAt)) return `${why} (see the membership panel)`
  if (readyAt <= now) return `${why}: due any moment (minting is a lottery), vote again soon`
  const at = new Date(readyAt * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  return `${why}, in ${aboutSeconds(readyAt - now)} (around ${at})`
}
