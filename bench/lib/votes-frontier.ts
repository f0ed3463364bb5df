// The best any hide rule of a family can do on both sides at once, judged on honest vote histories (a channel
// run whose rule never hides): which share of abusive posts a rule hides without an attacker, and which share
// of honest posts a sybil minority of a given size can hide under it. The family is every rule a node can
// apply from what it observes of one post — its counted up and down votes and its age — in linear form:
// hide when `down − weight × up ≥ margin` once `age ≥ hideAfter`. In one channel model the channel's
// audience is nearly constant, so a constant margin stands for any margin scaled by it; the best point of
// the family bounds what the shipped rule can reach there.
import type { PostHistory } from './votes-channel.ts'

const DAY = 86_400

/** One rule of the family. */
export interface LinearRule {
  /** How many downvotes one upvote cancels. */
  weight: number
  /** Net downvotes (`down − weight × up`) that hide a post. */
  margin: number
  /** Age before which nothing hides, in seconds. */
  hideAfter: number
}

/** Shares of posts a rule hides at some moment of their day of life. */
export interface RuleSides {
  /** Abusive posts hidden, no attacker. */
  abusive: number
  /** Honest posts hidden by `attackers` sybils downvoting each at its most favourable moment. */
  normal: number
}

/**
 * The largest `down − weight × up` a post reaches from `hideAfter` to the end of its life: the moment a
 * rule of the family is most likely to hide it (the net only grows at a downvote, so it is enough to look
 * at `hideAfter` and after each later downvote).
 */
function peakNet (votes: PostHistory['votes'], weight: number, hideAfter: number): number {
  let up = 0
  let down = 0
  let i = 0
  for (; i < votes.length && votes[i]![0] <= hideAfter; i++) {
    if (votes[i]![1] === 1) up++
    else down++
  }
  let peak = down - weight * up
  for (; i < votes.length && votes[i]![0] < DAY; i++) {
    if (votes[i]![1] === 1) up++
    else down++
    peak = Math.max(peak, down - weight * up)
  }
  return peak
}

/**
 * Both sides of one rule. The attacker downvotes an honest post with `attackers` identities at the moment
 * its net peaks (an attacker watching every vote can); its budget does not bind in the channels modelled
 * (the frontier attacker is unbudgeted, the stronger attacker; identities in votes-channel keep 500
 * upvotes and 14 downvotes a week).
 */
export function ruleSides (histories: readonly PostHistory[], rule: LinearRule, attackers: number): RuleSides {
  let abusive = 0
  let abusiveHidden = 0
  let normal = 0
  let normalHidden = 0
  for (const { abusive: isAbusive, votes } of histories) {
    const peak = peakNet(votes, rule.weight, rule.hideAfter)
    if (isAbusive) {
      abusive++
      if (peak >= rule.margin) abusiveHidden++
    } else {
      normal++
      if (peak + attackers >= rule.margin) normalHidden++
    }
  }
  return { abusive: abusive === 0 ? 0 : abusiveHidden / abusive, normal: normal === 0 ? 0 : normalHidden / normal }
}

/** The family's best rule against `attackers`: the most abuse hidden while at most `tolerated` of honest posts can be. */
export interface FrontierPoint extends RuleSides {
  rule: LinearRule
}

/**
 * Searches weights, waits and margins for the rule that hides the most abuse while `attackers` sybils hide at
 * most `tolerated` of honest posts (the smallest such margin for each weight and wait).
 *
 * @example
 * ```ts
 * const best = bestRule(simulateChannels([1, 2], { record: true, rule: NEVER_HIDE }).outcomes.flatMap(o => o.histories), 10)
 * ```
 */
export function bestRule (histories: readonly PostHistory[], attackers: number, tolerated = 0.01, weights = [1, 1.5, 2, 3], waits = [3600, 3 * 3600, 6 * 3600, 12 * 3600]): FrontierPoint {
  let best: FrontierPoint | undefined
  for (const weight of weights) {
    for (const hideAfter of waits) {
      for (let margin = 1; margin < 500; margin++) {
        const rule = { weight, margin, hideAfter }
        const sides = ruleSides(histories, rule, attackers)
        if (sides.normal > tolerated) continue
        if (best === undefined || sides.abusive > best.abusive) best = { rule, ...sides }
        break
      }
    }
  }
  return best!
}
