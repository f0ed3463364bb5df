// Scarce downvotes (issue 13): a small budget of DOWNVOTES per member per period, next to the weekly vote
// budget, as a signal the tally lacks. A sybil identity then strikes at most B posts a period, so a minority
// of S identities hides at most the cheapest posts whose missing downvotes add up to S·B a period, and a
// hide margin below S may become safe; honest members pay in downvotes the budget refuses. Judged, as the
// linear family's bound (votes-frontier.ts), on honest vote histories of runs that never hide, so both
// sides are compared on the same seeded channels with and without the budget.
import type { ChannelModel, PostHistory } from './votes-channel.ts'
import type { LinearRule } from './votes-frontier.ts'
import { ruleSides } from './votes-frontier.ts'
import { seededRandom } from './random.ts'

/** A member's downvote budget: `downvotes` per `days` (a link-tag scope per member, channel and period). */
export interface DownvoteBudget {
  downvotes: number
  days: number
}

/** The recorded channels one judgement runs on: each channel's histories and the days they cover. */
export interface RecordedChannels {
  channels: PostHistory[][]
  /** Measured days per channel (ChannelRun.days). */
  days: number
  model: ChannelModel
}

/** Both sides of a rule under a downvote budget, and what the budget costs honest members. */
export interface ScarceSides {
  /** Abusive posts hidden, no attacker, honest downvotes past the budget refused. */
  abusive: number
  /** Honest posts a minority can hide: the cheapest first, within its identities' budget (an upper bound). */
  normal: number
  /** Share of honest downvotes the budget refuses. */
  refused: number
  /** Share of honest members who hit the budget in a period. */
  members: number
}

/** P(N = k) for N ~ Poisson(mean), k = 0..n−1. */
function poisson (mean: number, n: number): number[] {
  const p = [Math.exp(-mean)]
  for (let k = 1; k < n; k++) p.push(p[k - 1]! * mean / k)
  return p
}

/**
 * What a budget refuses of honest downvotes: members' read chances follow the model's Beta (integrated on a
 * grid of midpoints), a member of read chance r casts Poisson(r·Λ·days) downvotes a period, where Λ is the
 * channel's honest downvotes per unit of read chance per day in the recorded runs; the ones past the budget
 * are refused (first come, first served: members do not hoard downvotes for abuse).
 */
export function honestRefusal (recorded: RecordedChannels, budget: DownvoteBudget): { refused: number, members: number, perMemberDay: number } {
  const [a, b] = recorded.model.readBeta
  const downvotes = recorded.channels.flat().reduce((s, h) => s + h.votes.filter(v => v[1] === -1).length, 0)
  const meanRead = a / (a + b)
  const lambda = downvotes / (recorded.channels.length * recorded.days * recorded.model.members * meanRead)
  const GRID = 2000
  let weight = 0
  let cast = 0
  let refused = 0
  let hit = 0
  for (let i = 0; i < GRID; i++) {
    const r = (i + 0.5) / GRID
    const density = r ** (a - 1) * (1 - r) ** (b - 1)
    const mean = r * lambda * budget.days
    // E[max(0, N − B)] = mean − B + Σ_{k<B} (B − k) P(k); P(N > B) = 1 − Σ_{k≤B} P(k)
    const p = poisson(mean, budget.downvotes + 1)
    let under = 0
    for (let k = 0; k < budget.downvotes; k++) under += (budget.downvotes - k) * p[k]!
    weight += density
    cast += density * mean
    refused += density * (mean - budget.downvotes + under)
    hit += density * (1 - p.reduce((s, x) => s + x, 0))
  }
  return { refused: refused / cast, members: hit / weight, perMemberDay: lambda * meanRead }
}

/** The histories with each honest downvote refused with probability `refused` (seeded). */
function thinned (histories: readonly PostHistory[], refused: number, seed: number): PostHistory[] {
  const random = seededRandom(seed)
  return histories.map(h => ({ abusive: h.abusive, votes: h.votes.filter(v => v[1] === 1 || random() >= refused) }))
}

/**
 * The largest `down − weight × up` a post reaches once it may be hidden, as an integer bound: the largest
 * margin a rule of the family with this weight and wait hides it at (ruleSides decides, so there is one
 * definition of when a rule hides a post), by bisection.
 */
function peakOf (history: PostHistory, weight: number, hideAfter: number): number {
  const hides = (margin: number): boolean => ruleSides([{ ...history, abusive: true }], { weight, margin, hideAfter }, 0).abusive === 1
  let low = -Math.ceil(weight * history.votes.length) - 1
  let high = history.votes.length + 1
  // hides(low) holds, hides(high) does not
  while (high - low > 1) {
    const mid = (low + high) >> 1
    if (hides(mid)) low = mid
    else high = mid
  }
  return low
}

/** Peaks of every post of a recorded run under one budget's refusals, per weight and wait: what the rule search reads. */
export class ScarcePeaks {
  readonly refused: number
  readonly members: number
  readonly recorded: RecordedChannels
  readonly budget: DownvoteBudget | undefined
  private readonly channels: PostHistory[][]
  private readonly peaks = new Map<string, number[][]>()

  /**
   * `abuseOnly`: members keep their scarce downvotes for abuse (a UI that offers "hide this" with a few a
   * week rather than a downvote): their downvotes of normal posts are not cast at all.
   */
  constructor (recorded: RecordedChannels, budget: DownvoteBudget | undefined, { seed = 1, abuseOnly = false }: { seed?: number, abuseOnly?: boolean } = {}) {
    if (abuseOnly) recorded = { ...recorded, channels: recorded.channels.map(channel => channel.map(h => h.abusive ? h : { abusive: false, votes: h.votes.filter(v => v[1] === 1) })) }
    this.recorded = recorded
    this.budget = budget
    const refusal = budget === undefined ? { refused: 0, members: 0 } : honestRefusal(recorded, budget)
    this.refused = refusal.refused
    this.members = refusal.members
    this.channels = recorded.channels.map((channel, i) => thinned(channel, refusal.refused, seed + i))
  }

  /**
   * Both sides of `rule` against `attackers` sybils. The attacker is stronger than any real one: it knows
   * each honest post's whole life, strikes each at the moment its net peaks, picks the cheapest posts of the
   * whole run first (as if every period's budget could be spent on any post: backdating within the budget's
   * scope lets it spend a period's budget late), and needs `margin − peak` identities for a post (at most
   * `attackers`); S identities with B downvotes a period can give any set of posts needing k ≤ S each and
   * Σk ≤ S·B·periods (round robin).
   */
  sides (rule: LinearRule, attackers: number): ScarceSides {
    const peaks = this.peaksOf(rule)
    let abusive = 0
    let abusiveHidden = 0
    let normal = 0
    let normalHidden = 0
    this.channels.forEach((channel, c) => {
      const costs: number[] = []
      channel.forEach((history, i) => {
        const peak = peaks[c]![i]!
        if (history.abusive) {
          abusive++
          if (peak >= rule.margin) abusiveHidden++
          return
        }
        normal++
        const cost = Math.max(0, rule.margin - peak)
        if (cost <= attackers) costs.push(cost)
      })
      let strikes = this.budget === undefined ? Number.POSITIVE_INFINITY : attackers * this.budget.downvotes * this.recorded.days / this.budget.days
      for (const cost of costs.sort((x, y) => x - y)) {
        if (cost > strikes) break
        strikes -= cost
        normalHidden++
      }
    })
    return { abusive: abusive === 0 ? 0 : abusiveHidden / abusive, normal: normal === 0 ? 0 : normalHidden / normal, refused: this.refused, members: this.members }
  }

  /** Identities each honest post needs to be hidden under `rule` at its cheapest moment (0: honest votes hide it). */
  costs (rule: LinearRule): number[] {
    const peaks = this.peaksOf(rule)
    return this.channels.flatMap((channel, c) => channel.flatMap((history, i) => history.abusive ? [] : [Math.max(0, rule.margin - peaks[c]![i]!)]))
  }

  private peaksOf (rule: LinearRule): number[][] {
    const key = `${rule.weight}/${rule.hideAfter}`
    let peaks = this.peaks.get(key)
    if (peaks === undefined) {
      peaks = this.channels.map(channel => channel.map(h => peakOf(h, rule.weight, rule.hideAfter)))
      this.peaks.set(key, peaks)
    }
    return peaks
  }

  /**
   * The rule of the family hiding the most abuse while `attackers` hide at most `tolerated` of honest posts
   * (the smallest such margin for each weight and wait).
   */
  best (attackers: number, tolerated = 0.01, weights = [1, 1.5, 2, 3], waits = [3600, 3 * 3600, 6 * 3600, 12 * 3600]): ScarcePoint {
    let best: ScarcePoint | undefined
    for (const weight of weights) {
      for (const hideAfter of waits) {
        for (let margin = 1; margin < 500; margin++) {
          const rule = { weight, margin, hideAfter }
          const sides = this.sides(rule, attackers)
          if (sides.normal > tolerated) continue
          if (best === undefined || sides.abusive > best.abusive) best = { rule, ...sides }
          break
        }
      }
    }
    return best!
  }
}

/** The best rule of the linear family under a budget, with both its sides. */
export interface ScarcePoint extends ScarceSides {
  rule: LinearRule
}

/** One budget's line of the report: the best rule against 5 % sybils and what larger minorities do under it. */
export interface ScarceRow {
  /** Downvotes per member, channel and week; undefined: no downvote budget. */
  budget?: number
  refused: number
  membersAtBudget: number
  rule: { margin: number, weight: number, hideAfterHours: number }
  abusive: number
  /** Honest posts hidden by each minority of ATTACKER_SHARES under that rule. */
  honest: number[]
  /** Median identities an attacker minting fresh ones needs to hide one honest post under that rule. */
  stampsHidePost: number
}
