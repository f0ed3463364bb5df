// How the vote rule's two sides move with the channel model: what honest voting looks like in each
// variant (so that a reader can judge whether it is realistic), what the shipped rule gives there against
// sybil minorities of 5, 10 and 20 % of the members, and the most abuse any rule of the linear family
// (votes-frontier.ts) could hide there while the minority hides at most 1 % of honest posts.
import type { VoteRule } from '@murmur/protocol'
import { CHANNEL_MODEL, simulateChannels } from './votes-channel.ts'
import type { ChannelModel, KindOutcome, PostHistory } from './votes-channel.ts'
import { bestRule } from './votes-frontier.ts'

/** A rule that never hides: a run under it gives every post's whole life of honest votes. */
export const NEVER_HIDE: VoteRule = { minMargin: Number.MAX_SAFE_INTEGER, audienceShare: 0, hideAfter: 0 }

/** Sybil shares of the members every variant is run against. */
export const ATTACKER_SHARES = [0.05, 0.1, 0.2] as const

/** Share of honest posts the bound lets a minority hide. */
const TOLERATED = 0.01

/** What honest voting looks like in a run that never hides (whole lives of posts). */
export interface VotingStats {
  /** Readers of a post, as a share of the members (the mean of the read chance). */
  readShare: number
  /** Normal posts: median upvotes, share with no upvote, share with at least one downvote. */
  normalMedianUp: number
  normalNoUp: number
  normalAnyDown: number
  /** Normal posts: share of readers who vote. */
  normalVotersPerReader: number
  /** Abusive posts: 10th percentile and median of downvotes, and share of their voters who downvote. */
  abusiveDownP10: number
  abusiveDownMedian: number
  abusiveDownShare: number
  /** Abusive posts: share of readers who vote. */
  abusiveVotersPerReader: number
}

const quantile = (sorted: number[], q: number): number => sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

/** {@link VotingStats} of recorded histories under `model`. */
export function votingStats (histories: readonly PostHistory[], model: ChannelModel): VotingStats {
  const readShare = model.readBeta[0] / (model.readBeta[0] + model.readBeta[1])
  const readers = readShare * model.members
  const tally = (h: PostHistory): { up: number, down: number } => ({ up: h.votes.filter(v => v[1] === 1).length, down: h.votes.filter(v => v[1] === -1).length })
  const normal = histories.filter(h => !h.abusive).map(tally)
  const abusive = histories.filter(h => h.abusive).map(tally)
  const ups = normal.map(t => t.up).sort((a, b) => a - b)
  const downs = abusive.map(t => t.down).sort((a, b) => a - b)
  const sum = (list: Array<{ up: number, down: number }>, f: (t: { up: number, down: number }) => number): number => list.reduce((s, t) => s + f(t), 0)
  return {
    readShare,
    normalMedianUp: quantile(ups, 0.5),
    normalNoUp: normal.filter(t => t.up === 0).length / normal.length,
    normalAnyDown: normal.filter(t => t.down > 0).length / normal.length,
    normalVotersPerReader: sum(normal, t => t.up + t.down) / normal.length / readers,
    abusiveDownP10: quantile(downs, 0.1),
    abusiveDownMedian: quantile(downs, 0.5),
    abusiveDownShare: sum(abusive, t => t.down) / Math.max(1, sum(abusive, t => t.up + t.down)),
    abusiveVotersPerReader: sum(abusive, t => t.up + t.down) / Math.max(1, abusive.length) / readers
  }
}

/** One variant of the channel model. */
export interface SensitivityCell {
  label: string
  model: Partial<ChannelModel>
}

/** The variants the benchmark reports: audience size, who reads, how much people vote, how abuse is voted. */
export const SENSITIVITY_CELLS: SensitivityCell[] = [
  { label: 'base model', model: {} },
  { label: '100 members', model: { members: 100 } },
  { label: '400 members', model: { members: 400 } },
  { label: 'each post read by 20 % (not 40 %)', model: { readBeta: [1, 4] } },
  { label: 'lurkers: read chance Beta(0.4, 0.6), same mean, most read little', model: { readBeta: [0.4, 0.6] } },
  { label: 'votes ×0.5 (engagement)', model: { engagement: 0.5 } },
  { label: 'votes ×2 (engagement)', model: { engagement: 2 } },
  { label: 'few normal posts downvoted (0.003 per reader, not 0.01)', model: { normalVote: [CHANNEL_MODEL.normalVote[0], 0.003] } },
  { label: 'abuse downvoted ×1.5 (0.3 per reader)', model: { abusiveVote: [CHANNEL_MODEL.abusiveVote[0], CHANNEL_MODEL.abusiveVote[1] * 1.5] } },
  { label: 'abuse downvoted ×2 (0.4 per reader)', model: { abusiveVote: [CHANNEL_MODEL.abusiveVote[0], CHANNEL_MODEL.abusiveVote[1] * 2] } }
]

/** A share of honest or abusive posts hidden. */
export const hiddenShare = (k: KindOutcome): number => k.posts === 0 ? 0 : k.hidden / k.posts

/** The shipped rule and the family's bound in one variant. */
export interface SensitivityRow {
  label: string
  members: number
  voting: VotingStats
  /** Shipped rule, no attacker: abusive posts hidden. */
  abusiveHidden: number
  /** Shipped rule: honest posts hidden by a selective minority of each of {@link ATTACKER_SHARES}. */
  honestHidden: number[]
  /**
   * For each of {@link ATTACKER_SHARES}: the most abuse a rule of the linear family hides while that minority
   * hides at most 1 % of honest posts, and that rule.
   */
  bound: Array<{ abusive: number, margin: number, weight: number, hideAfterHours: number }>
}

/**
 * Runs one variant: the shipped rule over `seeds` (with and without attackers) and the bound over the
 * histories of `boundSeeds` (more seeds: abusive posts are few).
 */
export function sensitivityRow (cell: SensitivityCell, seeds: number[], boundSeeds: number[]): SensitivityRow {
  const model = { ...CHANNEL_MODEL, ...cell.model }
  const histories = simulateChannels(boundSeeds, { model: cell.model, rule: NEVER_HIDE, record: true }).outcomes.flatMap(o => o.histories)
  const sybils = (share: number): number => Math.round(share * model.members)
  return {
    label: cell.label,
    members: model.members,
    voting: votingStats(histories, model),
    abusiveHidden: hiddenShare(simulateChannels(seeds, { model: cell.model }).abusive),
    honestHidden: ATTACKER_SHARES.map(share => hiddenShare(simulateChannels(seeds, { model: cell.model, attackers: sybils(share), attack: 'selective' }).normal)),
    bound: ATTACKER_SHARES.map(share => {
      const best = bestRule(histories, sybils(share), TOLERATED)
      return { abusive: best.abusive, margin: best.rule.margin, weight: best.rule.weight, hideAfterHours: best.rule.hideAfter / 3600 }
    })
  }
}
