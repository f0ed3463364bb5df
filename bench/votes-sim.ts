// Issue 13, "votes that a minority cannot abuse" and the black-marble attack, by simulation (no network):
// a channel of 200 members voting as people do (bench/lib/votes-channel.ts states the model), judged by the
// shipped hide rule of @murmur/protocol (votes.ts) against the old "−5 hides" rule; a sybil minority of 5 %
// and 20 % of the members downvoting within its budgets (DOWNVOTE_BUDGET downvotes per identity, channel and
// week; members' votes within theirs too), either every post at once or (the headline
// figures, the stronger attack) selectively: each post when just enough of its identities hide it; what hiding one post and every
// post for a week costs in stamps and core-seconds; and how many honest members an honest ring of 16 keeps
// when the attacker minted 10, 50 or 90 % of the directory (bench/lib/votes-rings.ts, the node's chooseRing);
// the most abuse any rule of a family could hide (bench/lib/votes-frontier.ts); and all of it again in variants
// of the model (bench/lib/votes-sensitivity.ts). Seeded and deterministic. `npm exec -- node bench/votes-sim.ts
// [--quick] [--no-write]`: a few CPU-minutes; --quick runs the base variant only, on fewer seeds and rings.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { STAMP_BITS, generateAuthorKey, ready, stampHash, weekOf } from '@murmur/protocol'
import { AUDIENCE_SHARE, DOWNVOTE_BUDGET, HIDE_AFTER_SECONDS, MIN_HIDE_MARGIN, VOTE_BUDGET, channelAudience, hideMargin } from '@murmur/protocol'
// not in the package's index yet: from '@murmur/protocol' once it is
import { MARGIN_OFFSET } from '../packages/protocol/dist/src/votes.js'
import type { VoteRule } from '@murmur/protocol'
import { median, resultsPath, writeResults } from './lib/results.ts'
import type { Figure } from './lib/results.ts'
import { CHANNEL_MODEL, simulateChannels } from './lib/votes-channel.ts'
import type { ChannelRun, KindOutcome } from './lib/votes-channel.ts'
import { RING_MODEL, simulateRings } from './lib/votes-rings.ts'
import { ScarcePeaks, honestRefusal } from './lib/votes-scarce.ts'
import type { DownvoteBudget, ScarcePoint, ScarceRow } from './lib/votes-scarce.ts'
import { ATTACKER_SHARES, NEVER_HIDE, SENSITIVITY_CELLS, sensitivityRow } from './lib/votes-sensitivity.ts'

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, 'no-write': { type: 'boolean', default: false } } })
const QUICK = values.quick
const SEEDS = QUICK ? [1, 2] : [1, 2, 3, 4, 5]
// chooseRing filters the whole directory per ring (10,000 keys at 90 %): 10,000 rings give the mean to ±0.02
const RINGS = QUICK ? 500 : 10_000
/** Seeds of the never-hiding runs the bound is computed on: abusive posts are few, so more than SEEDS. */
const BOUND_SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
const MEMBERS = CHANNEL_MODEL.members
/** The rule before issue 13: a post at score −5 or below is hidden, at once. */
const OLD_RULE: VoteRule = { minMargin: 5, audienceShare: 0, hideAfter: 0 }
/** Share of honest posts an attack must keep hidden to "hide every post" for a week. */
const WEEK_HIDDEN = 0.99

const fraction = (k: KindOutcome): number => k.posts === 0 ? 0 : k.hidden / k.posts
const channels = (run: Omit<ChannelRun, 'seed'>): ReturnType<typeof simulateChannels> => simulateChannels(SEEDS, run)
const sybils = (share: number): number => Math.round(share * MEMBERS)

/** Core-seconds one stamped identity-week costs the attacker, and where the number comes from. */
async function identityCost (): Promise<{ coreSeconds: number, source: string }> {
  try {
    const stamp = JSON.parse(readFileSync(resultsPath('stamp'), 'utf8')) as { figures: Figure[] }
    const native = stamp.figures.find(f => f.figure === 'stamp_mint_core_s_native')
    if (native !== undefined) return { coreSeconds: native.value, source: 'stamp_mint_core_s_native from bench/results/stamp.json (fastest native Argon2id)' }
    const node = stamp.figures.find(f => f.figure === 'stamp_mint_s_node')
    if (node !== undefined) return { coreSeconds: node.value, source: 'stamp_mint_s_node from bench/results/stamp.json (no native figure there)' }
  } catch {
    // no stamp results yet: measure below
  }
  await ready()
  const stamp = { memberKey: generateAuthorKey().publicKey, week: weekOf(Math.floor(Date.now() / 1000)), nonce: 0 }
  stampHash(stamp)
  const usage = process.cpuUsage()
  stampHash({ ...stamp, nonce: 1 })
  const { user, system } = process.cpuUsage(usage)
  return { coreSeconds: (user + system) / 1e6 * 2 ** STAMP_BITS, source: 'one WASM Argon2id evaluation measured here × 2^STAMP_BITS (no bench/results/stamp.json)' }
}

/** Identities needed to hide a post the moment it may be hidden: its own votes and the channel's, the attacker's added. */
function stampsToHide ({ up, down, others }: { up: number, down: number, others: number[] }): number {
  for (let s = 1; ; s++) {
    const audience = channelAudience([...others, up + down + s])
    if (down + s - up >= hideMargin({ audience })) return s
  }
}

/** Identities past which the week attack is not searched: the channel's members 64 times over. */
const MAX_WEEK_ATTACKERS = MEMBERS * 64

/**
 * The smallest selective attacker that keeps WEEK_HIDDEN of honest posts hidden, each identity within its
 * weekly budgets: doubling from the channel's size, then bisection over identities.
 */
function stampsToHideWeek (): number {
  const hides = (attackers: number): boolean => fraction(channels({ attackers, attack: 'selective' }).normal) >= WEEK_HIDDEN
  let low = 1
  let high = MEMBERS
  while (!hides(high)) {
    if (high >= MAX_WEEK_ATTACKERS) return Number.POSITIVE_INFINITY
    low = high + 1
    high *= 2
  }
  while (low < high) {
    const mid = (low + high) >> 1
    if (hides(mid)) high = mid
    else low = mid + 1
  }
  return low
}

const started = performance.now()
const calm = channels({})
const calmOld = channels({ rule: OLD_RULE })
const attack = (share: number, run: Omit<ChannelRun, 'seed'> = {}): ReturnType<typeof simulateChannels> => channels({ attackers: sybils(share), attack: 'selective', ...run })
const attack5 = attack(0.05)
const attack5Old = attack(0.05, { rule: OLD_RULE })
const attack5Every = attack(0.05, { attack: 'every' })
const attack10 = attack(0.1)
const attack10Unbudgeted = attack(0.1, { downvotes: Number.POSITIVE_INFINITY })
const attack20 = attack(0.2)
const attack20Old = attack(0.2, { rule: OLD_RULE })
const attack20Every = attack(0.2, { attack: 'every' })

// how both sides move with the model (audience size, who reads, how much people vote, how abuse is voted) against
// minorities of 5, 10 and 20 %, with the most abuse any rule of the linear family could hide in each variant
// (bench/lib/votes-sensitivity.ts); --quick runs the base variant only, on one seed
const SENSITIVITY_SEEDS = QUICK ? [1] : SEEDS.slice(0, 3)
const sensitivity = (QUICK ? SENSITIVITY_CELLS.slice(0, 1) : SENSITIVITY_CELLS).map(cell => sensitivityRow(cell, SENSITIVITY_SEEDS, QUICK ? [1, 2] : BOUND_SEEDS))
const base = sensitivity[0]!

// scarce downvotes (a second budget, of downvotes only, per member, channel and week): the same seeded
// channels as the bound, with and without the budget, side by side (bench/lib/votes-scarce.ts); members
// downvoting as in the model (first come, first served), or keeping their few downvotes for abuse
const SCARCE_BUDGETS: Array<DownvoteBudget | undefined> = [undefined, ...[...new Set([1, 2, 3, 5, 7, 10, 14, DOWNVOTE_BUDGET])].sort((a, b) => a - b).map(downvotes => ({ downvotes, days: 7 }))]
// recorded without a downvote budget: ScarcePeaks refuses each budget's share of them itself (honestRefusal)
const recorded = { channels: simulateChannels(QUICK ? [1, 2] : BOUND_SEEDS, { rule: NEVER_HIDE, record: true, downvotes: Number.POSITIVE_INFINITY }).outcomes.map(o => o.histories), days: 7, model: CHANNEL_MODEL }
const scarceRows = (abuseOnly: boolean): ScarceRow[] => SCARCE_BUDGETS.map(budget => {
  const peaks = new ScarcePeaks(recorded, budget, { abuseOnly })
  const best: ScarcePoint = peaks.best(sybils(0.05))
  const costs = peaks.costs(best.rule).filter(c => c > 0)
  return {
    budget: budget?.downvotes,
    refused: best.refused,
    membersAtBudget: best.members,
    rule: { margin: best.rule.margin, weight: best.rule.weight, hideAfterHours: best.rule.hideAfter / 3600 },
    abusive: best.abusive,
    honest: ATTACKER_SHARES.map(share => peaks.sides(best.rule, sybils(share)).normal),
    stampsHidePost: median(costs)
  }
})
const scarce = { plain: scarceRows(false), abuseOnly: scarceRows(true) }
const honestPerMemberDay = honestRefusal(recorded, { downvotes: 1, days: 1 }).perMemberDay
/** The shipped downvote budget's row, and the plain bound's, side by side. */
const shipped = scarce.plain.find(r => r.budget === DOWNVOTE_BUDGET)!
const unbudgeted = scarce.plain[0]!
/** The budget row that hides the most abuse (the rule of each row already holds 5 % sybils to ≤ 1 %). */
const bestRow = (rows: ScarceRow[]): ScarceRow => rows.reduce((best, row) => row.abusive > best.abusive ? row : best)
const rowText = (r: ScarceRow): string => `${r.budget === undefined ? 'no budget' : `${r.budget}/week`}: abuse ${r.abusive.toFixed(2)}, honest hidden by 5/10/20 % ${r.honest.map(h => h.toFixed(3)).join('/')}, honest downvotes refused ${r.refused.toFixed(2)}, margin ${r.rule.margin}, ${r.stampsHidePost} identities to hide a median post`

const cost = await identityCost()
const perPost = calm.outcomes.flatMap(o => o.ripe).map(stampsToHide)
const stampsPost = median(perPost)
const stampsWeek = stampsToHideWeek()
// the simulated attackers keep to their weekly budgets: an identity strikes at most DOWNVOTE_BUDGET posts of a channel's week
const postsPerWeek = Math.max(...calm.outcomes.map(o => o.normal.posts + o.abusive.posts))

const RING_SHARES = [0.1, 0.5, 0.9]
const rings = RING_SHARES.map((share, i) => ({
  share,
  kept: simulateRings(share, 'kept', 'seasoned', RINGS, 100 + i),
  keptUniform: simulateRings(share, 'kept', 'uniform', RINGS, 100 + i),
  fresh: simulateRings(share, 'fresh', 'seasoned', RINGS, 200 + i),
  freshUniform: simulateRings(share, 'fresh', 'uniform', RINGS, 200 + i)
}))
const seconds = (performance.now() - started) / 1000

const rule = `hide when down − up ≥ max(${MIN_HIDE_MARGIN}, ${MARGIN_OFFSET} + ceil(${AUDIENCE_SHARE} × audience)) and age ≥ ${HIDE_AFTER_SECONDS} s`
const voting = base.voting
const realism = `honest voting (never-hiding runs): a post is read by ${(voting.readShare * 100).toFixed(0)} % of members; normal posts: median ${voting.normalMedianUp} up, ${(voting.normalNoUp * 100).toFixed(1)} % never upvoted, ${(voting.normalAnyDown * 100).toFixed(0)} % downvoted at least once, ${(voting.normalVotersPerReader * 100).toFixed(0)} % of readers vote; abusive posts: ${(voting.abusiveVotersPerReader * 100).toFixed(0)} % of readers vote, ${(voting.abusiveDownShare * 100).toFixed(0)} % of those down, downvotes p10 ${voting.abusiveDownP10} / median ${voting.abusiveDownMedian}`
const bound5 = base.bound[0]!
const channelNote = `${MEMBERS} members, ${SEEDS.length} seeded channels × 7 measured days (${calm.normal.posts} normal posts, mean ${calm.normal.meanUp.toFixed(1)} up / ${calm.normal.meanDown.toFixed(1)} down; mean audience ${calm.meanAudience.toFixed(1)})`
const figures: Figure[] = [
  {
    figure: 'abuse_hidden_fraction_5pct_sybil',
    value: fraction(attack5.normal),
    unit: 'fraction',
    target: '≤ 0.01',
    baseline: fraction(attack5Old.normal),
    note: `${sybils(0.05)} sybils (${DOWNVOTE_BUDGET} downvotes a week each, as members' ${VOTE_BUDGET} upvotes and ${DOWNVOTE_BUDGET} downvotes) watch every post and downvote it, from the moment it may be hidden and every hour after, with just as many identities as hide it; ${channelNote}; ${rule}; baseline: the old −5 rule; without attack ${fraction(calm.normal).toFixed(4)} hidden`
  },
  {
    figure: 'abuse_hidden_fraction_5pct_sybil_every_post',
    value: fraction(attack5Every.normal),
    unit: 'fraction',
    target: '≤ 0.01',
    baseline: fraction(channels({ attackers: sybils(0.05), rule: OLD_RULE }).normal),
    note: `the same ${sybils(0.05)} sybils downvoting every post a minute after it appears: their own votes raise the audience (mean ${attack5Every.meanAudience.toFixed(1)}, against ${calm.meanAudience.toFixed(1)} without attack), so this weaker attack hides less`
  },
  {
    figure: 'abuse_hidden_fraction_10pct_sybil',
    value: fraction(attack10.normal),
    unit: 'fraction',
    baseline: fraction(attack10Unbudgeted.normal),
    note: `${sybils(0.1)} selective sybils, as above; baseline: the same attack with no downvote budget`
  },
  {
    figure: 'abuse_hidden_fraction_20pct_sybil',
    value: fraction(attack20.normal),
    unit: 'fraction',
    baseline: fraction(attack20Old.normal),
    note: `${sybils(0.2)} selective sybils, as above; downvoting every post instead: ${fraction(attack20Every.normal).toFixed(4)}; baseline: the old −5 rule`
  },
  {
    figure: 'abusive_hidden_fraction',
    value: fraction(calm.abusive),
    unit: 'fraction',
    target: '≥ 0.9',
    baseline: fraction(calmOld.abusive),
    note: `of ${calm.abusive.posts} abusive posts (most honest voters downvote: mean ${calm.abusive.meanUp.toFixed(1)} up / ${calm.abusive.meanDown.toFixed(1)} down when hidden or at the end), no attacker; hidden a median ${median(calm.abusive.hoursToHide).toFixed(1)} h after posting (old rule: ${median(calmOld.abusive.hoursToHide).toFixed(1)} h); a rule that ${sybils(0.05)} sybils cannot abuse cannot hide a post that fewer honest members downvote; baseline: the old −5 rule`
  },
  {
    figure: 'abusive_hidden_fraction_bound_5pct_sybil',
    value: bound5.abusive,
    unit: 'fraction',
    target: '≥ 0.9',
    note: `the most abuse any rule "hide when down − w × up ≥ m once age ≥ T" (w 1–3, T 1–12 h, any m: in one model the audience is nearly constant, so this covers any margin scaled by it) hides while ${sybils(0.05)} sybils, downvoting each honest post at its worst moment, hide ≤ 1 % of honest posts: best m = ${bound5.margin}, w = ${bound5.weight}, T = ${bound5.hideAfterHours} h, over ${QUICK ? 2 : BOUND_SEEDS.length} seeded channels. No rule over the tally does much better: an honest post nobody upvoted (${(voting.normalNoUp * 100).toFixed(1)} %) plus ${sybils(0.05)} sybil downvotes has the tally of an abusive post with ${sybils(0.05)} downvotes, so a rule that hides the second lets the sybils hide the first; ${realism}`
  },
  {
    figure: 'abusive_hidden_fraction_scarce_downvotes',
    value: bestRow(scarce.plain).abusive,
    unit: 'fraction',
    target: '≥ 0.9',
    baseline: scarce.plain[0]!.abusive,
    note: `scarce downvotes (a budget of B downvotes per member, channel and week, beside the vote budget) on the channels of the bound, the best rule of the family for each B against ${sybils(0.05)} sybils that spend every downvote on the cheapest honest posts at their worst moment (hide ≤ 1 %); best B: ${rowText(bestRow(scarce.plain))}; baseline: no downvote budget (the bound). Every B: ${scarce.plain.map(rowText).join('; ')}. A budget that binds the sybils binds honest members as much (they downvote ${honestPerMemberDay.toFixed(2)} posts a day on average), so the abuse their refused downvotes no longer hide outweighs what it keeps the sybils from hiding${bestRow(scarce.plain).budget === undefined ? ': no B beats the plain bound' : ''}`
  },
  {
    figure: 'abusive_hidden_fraction_scarce_downvotes_abuse_only',
    value: bestRow(scarce.abuseOnly).abusive,
    unit: 'fraction',
    target: '≥ 0.9',
    baseline: scarce.abuseOnly[0]!.abusive,
    note: `as above, if members kept their few downvotes for abuse (a UI offering "hide this" a few times a week, not a downvote: no downvote of a normal post at all): best ${rowText(bestRow(scarce.abuseOnly))}; baseline: the same behaviour without a budget. Every B: ${scarce.abuseOnly.map(rowText).join('; ')}. Below 0.9 still, and the low margin it needs makes one post cheap to hide for an attacker who mints fresh identities (a few identity-weeks, not ${stampsPost})`
  },
  ...ATTACKER_SHARES.map((share, i): Figure => ({
    figure: `abuse_hidden_fraction_${share * 100}pct_sybil_downvote_budget`,
    value: shipped.honest[i]!,
    unit: 'fraction',
    baseline: unbudgeted.honest[i]!,
    note: `honest posts ${sybils(share)} sybils hide with DOWNVOTE_BUDGET = ${DOWNVOTE_BUDGET} downvotes per identity a week, each spent on the cheapest honest post at its worst moment, under the family's best rule against ${sybils(0.05)} sybils (margin ${shipped.rule.margin}, abuse hidden ${shipped.abusive.toFixed(2)}); baseline: no downvote budget under its best rule (margin ${unbudgeted.rule.margin}, abuse hidden ${unbudgeted.abusive.toFixed(2)})`
  })),
  {
    figure: 'honest_downvotes_refused',
    value: shipped.refused,
    unit: 'fraction',
    note: `share of honest downvotes DOWNVOTE_BUDGET = ${DOWNVOTE_BUDGET} a week refuses (members downvote ${honestPerMemberDay.toFixed(2)} posts a day on average, each Poisson at their read chance; first come, first served); ${(shipped.membersAtBudget * 100).toFixed(1)} % of members reach it in a week`
  },
  {
    figure: 'sybil_stamps_hide_post',
    value: stampsPost,
    unit: 'identities',
    note: `median over ${perPost.length} honest posts of the identities whose downvotes hide the post when it turns ${HIDE_AFTER_SECONDS / 3600} h old, the cheapest moment (range ${Math.min(...perPost)}–${Math.max(...perPost)}; ${(perPost.filter(n => n <= sybils(0.05)).length / perPost.length).toFixed(3)} of posts need ≤ ${sybils(0.05)})`
  },
  {
    figure: 'sybil_cost_hide_post_core_s',
    value: stampsPost * cost.coreSeconds,
    unit: 'core-s',
    target: '≥ 300',
    baseline: 5 * cost.coreSeconds,
    note: `sybil_stamps_hide_post × ${cost.coreSeconds.toFixed(1)} core-s per identity-week (${cost.source}); baseline: 5 stamped identities under the old −5 rule (one-time keys before stamps: ≈ 0.02 core-s)`
  },
  {
    figure: 'sybil_stamps_hide_week',
    value: stampsWeek,
    unit: 'identities',
    note: `smallest selective attacker that keeps ≥ ${WEEK_HIDDEN} of honest posts hidden (doubling from ${MEMBERS}, then bisection; searched up to ${MAX_WEEK_ATTACKERS}), each identity within ${DOWNVOTE_BUDGET} downvotes a week in the channel (up to ${postsPerWeek} posts a week there)`
  },
  {
    figure: 'sybil_cost_hide_week_core_s',
    value: stampsWeek * cost.coreSeconds,
    unit: 'core-s',
    baseline: 5 * cost.coreSeconds,
    note: 'sybil_stamps_hide_week × the cost of one identity-week: one stamp per identity lasts the week; baseline: 5 stamped identities under the old rule'
  },
  ...rings.flatMap(({ share, kept, keptUniform, fresh, freshUniform }): Figure[] => [
    {
      figure: `effective_ring_anonymity_attacker_${share * 100}pct`,
      value: kept.meanHonest,
      unit: 'members',
      baseline: keptUniform.meanHonest,
      note: `honest members of an honest ring of ${RING_MODEL.ringSize} built by the node's chooseRing (packages/node membership/decoys.ts, seeded) over ${RINGS} rings: decoys uniform over keys stamped ${RING_MODEL.weeks} weeks running, a newcomer signer's over every key; attacker kept its keys (worst case); ${RING_MODEL.honest} honest members, ${RING_MODEL.churn * 100} % weekly churn (newcomers sign ${RING_MODEL.churn * 100} % of rings); signer named in ${(kept.exposed * 100).toFixed(2)} % of rings; baseline: chooseRing with every key preferred (uniform)`
    },
    {
      figure: `effective_ring_anonymity_attacker_${share * 100}pct_fresh_keys`,
      value: fresh.meanHonest,
      unit: 'members',
      baseline: freshUniform.meanHonest,
      note: `as above, the attacker minting new keys each week: none of them is seasoned, but a newcomer signer's ring draws from every key, so the attacker's fresh keys reach newcomers' rings; signer named in ${(fresh.exposed * 100).toFixed(2)} % of rings (uniform: ${(freshUniform.exposed * 100).toFixed(2)} %)`
    }
  ])
]
writeResults('votes-sim', figures, {
  seconds,
  model: CHANNEL_MODEL,
  ringModel: RING_MODEL,
  seeds: SEEDS,
  boundSeeds: BOUND_SEEDS,
  rings: RINGS,
  attackerShares: ATTACKER_SHARES,
  sensitivity,
  scarce,
  costSource: cost.source
})
