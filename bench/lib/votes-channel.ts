// A simulated public channel whose members vote as people do, with an optional sybil minority that
// downvotes every post it can, judged by the protocol's hide rule (voteVerdict, channelAudience). Pure and
// seeded: the same options give the same result. The model and its parameters are stated in ChannelModel.
import { AUDIENCE_RANK, AUDIENCE_WINDOW_SECONDS, DOWNVOTE_BUDGET, HIDE_AFTER_SECONDS, VOTE_BUDGET, channelAudience, voteVerdict } from '@murmur/protocol'
import type { VoteRule } from '@murmur/protocol'
import { seededRandom } from './random.ts'

const HOUR = 3600
const DAY = 86_400
const WEEK = 7 * DAY

/**
 * How the honest channel behaves. Posts arrive as a Poisson process whose rate follows the day (a sine,
 * peak at 15:00 and trough at 03:00 of simulated time); each member reads a given post with their own probability during its
 * day of life, at a time drawn from an exponential (most reading happens in the first hours), and votes
 * on what they read with the probabilities of the post's kind. Normal posts differ in appeal (a lognormal
 * quality multiplies the upvote chance); abusive posts (harassment, slurs) are the ones most readers who
 * vote downvote, with a lognormal severity on the downvote chance.
 */
export interface ChannelModel {
  /** Honest members. @default 200 */
  members: number
  /** Posts per member per day (mean). @default 0.5 (100 posts a day in the channel) */
  postsPerMemberDay: number
  /** Amplitude of the daily cycle of the post rate (0: flat). @default 0.6 */
  diurnal: number
  /** Mean and spread of a member's chance to read a given post: Beta(a, b). @default [2, 3] (mean 0.4) */
  readBeta: [number, number]
  /** Mean hours from posting to a reader's visit (exponential, cut at the post's 24 h life). @default 3 */
  readDelayHours: number
  /** Share of posts that are abusive. @default 0.05 */
  abusiveShare: number
  /** Normal post, per reader: upvote chance before quality, downvote chance. @default [0.08, 0.01] */
  normalVote: [number, number]
  /** Sigma of the lognormal quality of normal posts (median 1). @default 0.7 */
  qualitySigma: number
  /** Abusive post, per reader: upvote chance, downvote chance before severity. @default [0.02, 0.2] */
  abusiveVote: [number, number]
  /** Sigma of the lognormal severity of abusive posts (median 1). @default 0.5 */
  severitySigma: number
  /** Multiplies every vote chance (sensitivity: how much a channel votes). @default 1 */
  engagement: number
}

/** The defaults of {@link ChannelModel}. */
export const CHANNEL_MODEL: ChannelModel = {
  members: 200,
  postsPerMemberDay: 0.5,
  diurnal: 0.6,
  readBeta: [2, 3],
  readDelayHours: 3,
  abusiveShare: 0.05,
  normalVote: [0.08, 0.01],
  qualitySigma: 0.7,
  abusiveVote: [0.02, 0.2],
  severitySigma: 0.5,
  engagement: 1
}

/** One run of the channel. */
export interface ChannelRun {
  seed: number
  model?: Partial<ChannelModel>
  /** The hide rule's parameters (the shipped rule when absent). */
  rule?: VoteRule
  /** Audience order statistic. @default AUDIENCE_RANK */
  audienceRank?: number
  /** How far back the audience looks, in seconds. @default AUDIENCE_WINDOW_SECONDS */
  audienceWindow?: number
  /** Sybil identities, each voting within its budget. @default 0 */
  attackers?: number
  /**
   * `every`: the sybils downvote every post a minute after it appears. `selective`: they watch the votes
   * and, when a post is old enough to hide and every hour after, downvote it with just as many identities
   * as hide it, if they have that many; posts they cannot hide cost them nothing and do not raise the
   * audience.
   *
   * @default 'every'
   */
  attack?: 'every' | 'selective'
  /** Upvotes per identity per channel per week, as the protocol's vote budget scope counts them. @default VOTE_BUDGET */
  upvotes?: number
  /** Downvotes per identity per channel per week (the downvote budget scope). @default DOWNVOTE_BUDGET */
  downvotes?: number
  /** Days simulated before posts are measured (the audience needs a day of history). @default 1 */
  warmupDays?: number
  /** Days of measured posts; the run continues a day more so their lives end. @default 7 */
  days?: number
  /** Keep every measured post's honest votes, by age ({@link ChannelOutcome.histories}). @default false */
  record?: boolean
}

/** The honest votes one post received, in order: its kind and each vote's age in seconds with its direction. */
export interface PostHistory {
  abusive: boolean
  votes: Array<[age: number, vote: 1 | -1]>
}

/** What became of the posts of one kind. */
export interface KindOutcome {
  posts: number
  /** Posts hidden at any moment of their life. */
  hidden: number
  meanUp: number
  meanDown: number
  /** Hours from each hidden post's creation to the moment it was first hidden. */
  hoursToHide: number[]
}

/** Outcome of a run. */
export interface ChannelOutcome {
  normal: KindOutcome
  abusive: KindOutcome
  /** Mean audience over the measured days, sampled hourly. */
  meanAudience: number
  /** Most posts created in one epoch. */
  peakPostsPerEpoch: number
  /**
   * Each measured normal post the moment it becomes old enough to hide: its votes so far and the vote
   * totals of the channel's other posts of the last day (what the price of hiding it depends on).
   */
  ripe: Array<{ up: number, down: number, others: number[] }>
  /** With `record`: every measured post's honest votes (a run whose rule never hides gives their whole lives). */
  histories: PostHistory[]
}

interface SimPost {
  created: number
  abusive: boolean
  up: number
  down: number
  hidden: boolean
  everHidden: boolean
  /** When it was first hidden. */
  hiddenAt?: number
  measured: boolean
  /** Sybils that downvoted it. */
  struck: number
  /** Honest votes by age, with `record`. */
  history?: PostHistory['votes']
}

type SimEvent = { time: number, post: number, kind: 'honest', voter: number, pUp: number, pDown: number } | { time: number, post: number, kind: 'attack' | 'ripe' } | { time: number, kind: 'tick' }

function normal (random: () => number): number {
  // Box–Muller; 1 − u keeps log away from 0
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
}

function gamma (shape: number, random: () => number): number {
  // Marsaglia–Tsang (shape ≥ 1 here)
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    const x = normal(random)
    const v = (1 + c * x) ** 3
    if (v <= 0) continue
    if (Math.log(1 - random()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v
  }
}

function beta ([a, b]: [number, number], random: () => number): number {
  const x = gamma(a, random)
  return x / (x + gamma(b, random))
}

/**
 * Runs the channel: every vote in time order, each post judged after each vote, when it becomes old
 * enough to hide, and every hour (the audience moves as posts age out), a hidden post getting no honest votes while hidden (feeds do not show
 * it). Attackers downvote every post a minute after it is created.
 */
export function simulateChannel (run: ChannelRun): ChannelOutcome {
  const model = { ...CHANNEL_MODEL, ...run.model }
  const random = seededRandom(run.seed)
  const attackers = run.attackers ?? 0
  const selective = run.attack === 'selective'
  const hideAfter = run.rule?.hideAfter ?? HIDE_AFTER_SECONDS
  const budgets = { up: run.upvotes ?? VOTE_BUDGET, down: run.downvotes ?? DOWNVOTE_BUDGET }
  const rank = run.audienceRank ?? AUDIENCE_RANK
  const window = run.audienceWindow ?? AUDIENCE_WINDOW_SECONDS
  const warmup = (run.warmupDays ?? 1) * DAY
  const measuredEnd = warmup + (run.days ?? 7) * DAY
  const end = measuredEnd + DAY
  const readChance = Array.from({ length: model.members }, () => beta(model.readBeta, random))

  const posts: SimPost[] = []
  const events: SimEvent[] = []
  const perEpoch = new Map<number, number>()
  // thinning of a Poisson process with the peak rate
  const dayRate = model.members * model.postsPerMemberDay
  const peak = dayRate * (1 + model.diurnal) / DAY
  for (let t = -Math.log(1 - random()) / peak; t < measuredEnd; t += -Math.log(1 - random()) / peak) {
    const rate = dayRate * (1 + model.diurnal * Math.sin(2 * Math.PI * (t / DAY - 0.375))) / DAY
    if (random() >= rate / peak) continue
    const abusive = random() < model.abusiveShare
    const id = posts.length
    posts.push({ created: t, abusive, up: 0, down: 0, hidden: false, everHidden: false, measured: t >= warmup, struck: 0, ...(run.record === true && t >= warmup ? { history: [] } : {}) })
    perEpoch.set(Math.floor(t / HOUR), (perEpoch.get(Math.floor(t / HOUR)) ?? 0) + 1)
    const [up, down] = abusive ? model.abusiveVote : model.normalVote
    const appeal = Math.exp((abusive ? model.severitySigma : model.qualitySigma) * normal(random))
    const pUp = Math.min(0.9, model.engagement * (abusive ? up : up * appeal))
    const pDown = Math.min(0.9 - pUp, model.engagement * (abusive ? down * appeal : down))
    for (let voter = 0; voter < model.members; voter++) {
      if (random() >= readChance[voter]!) continue
      const time = t + -Math.log(1 - random()) * model.readDelayHours * HOUR
      if (time < t + DAY) events.push({ time, post: id, kind: 'honest', voter, pUp, pDown })
    }
    if (attackers > 0 && selective === false) events.push({ time: t + 60, post: id, kind: 'attack' })
    // judged the moment it is old enough to hide, not at the next vote
    events.push({ time: t + hideAfter, post: id, kind: 'ripe' })
  }
  for (let t = HOUR; t < end; t += HOUR) events.push({ time: t, kind: 'tick' })
  events.sort((a, b) => a.time - b.time)

  // each identity's votes of each direction per week, as the protocol's budget scopes count them
  const spent = new Map<string, number>()
  const keyOf = (who: string, direction: 'up' | 'down', time: number): string => `${who}/${direction}/${Math.floor(time / WEEK)}`
  const canSpend = (who: string, direction: 'up' | 'down', time: number): boolean => (spent.get(keyOf(who, direction, time)) ?? 0) < budgets[direction]
  const spend = (who: string, direction: 'up' | 'down', time: number): boolean => {
    if (!canSpend(who, direction, time)) return false
    const key = keyOf(who, direction, time)
    spent.set(key, (spent.get(key) ?? 0) + 1)
    return true
  }
  // posts are created in time order, so the window is a moving range of indices
  let first = 0
  let created = 0
  const audienceAt = (time: number): number => {
    while (first < posts.length && posts[first]!.created < time - window) first++
    while (created < posts.length && posts[created]!.created <= time) created++
    const totals: number[] = []
    for (let i = first; i < created; i++) totals.push(posts[i]!.up + posts[i]!.down)
    return channelAudience(totals, rank)
  }
  const judge = (post: SimPost, audience: number, now: number): void => {
    post.hidden = voteVerdict({ up: post.up, down: post.down, age: now - post.created }, { audience }, run.rule).hidden
    if (post.hidden && !post.everHidden) {
      post.everHidden = true
      post.hiddenAt = now
    }
  }
  /** The selective attacker's move on post `index` at `time`: the fewest more sybils that hide it, if it has them. */
  const strike = (index: number, time: number): void => {
    const post = posts[index]!
    if (post.hidden || time - post.created < hideAfter) return
    audienceAt(time)
    const others: number[] = []
    for (let i = first; i < created; i++) if (i !== index) others.push(posts[i]!.up + posts[i]!.down)
    // the audience with this post's total raised depends only on the others' `rank` largest
    const top = others.sort((a, b) => b - a).slice(0, rank)
    // sybils that have not voted on this post and have downvotes left
    const ready: string[] = []
    for (let a = post.struck; a < attackers; a++) if (canSpend(`sybil${a}`, 'down', time)) ready.push(`sybil${a}`)
    for (let k = 1; k <= ready.length; k++) {
      const audience = channelAudience([...top, post.up + post.down + k], rank)
      if (!voteVerdict({ up: post.up, down: post.down + k, age: time - post.created }, { audience }, run.rule).hidden) continue
      for (const who of ready.slice(0, k)) spend(who, 'down', time)
      post.down += k
      post.struck += k
      return
    }
  }
  const ripe: ChannelOutcome['ripe'] = []
  let audienceSum = 0
  let audienceSamples = 0
  for (const event of events) {
    if (event.kind === 'tick') {
      if (selective && attackers > 0) for (let i = first; i < created; i++) strike(i, event.time)
      const audience = audienceAt(event.time)
      for (let i = first; i < created; i++) judge(posts[i]!, audience, event.time)
      if (event.time >= warmup && event.time < measuredEnd) { audienceSum += audience; audienceSamples++ }
      continue
    }
    const post = posts[event.post]!
    if (event.kind === 'ripe' && post.measured && !post.abusive) {
      audienceAt(event.time)
      const others: number[] = []
      for (let i = first; i < created; i++) if (i !== event.post) others.push(posts[i]!.up + posts[i]!.down)
      ripe.push({ up: post.up, down: post.down, others })
    }
    if (event.kind === 'ripe' && selective && attackers > 0) strike(event.post, event.time)
    if (event.kind === 'attack') {
      for (let a = 0; a < attackers; a++) if (spend(`sybil${a}`, 'down', event.time)) post.down++
    } else if (event.kind === 'honest') {
      // a hidden post is in nobody's feed
      if (post.hidden) continue
      const roll = random()
      const vote = roll < event.pUp ? 1 : roll < event.pUp + event.pDown ? -1 : 0
      if (vote === 0 || !spend(`member${event.voter}`, vote === 1 ? 'up' : 'down', event.time)) continue
      if (vote === 1) post.up++
      else post.down++
      post.history?.push([event.time - post.created, vote])
    }
    judge(post, audienceAt(event.time), event.time)
  }

  const outcome = (abusive: boolean): KindOutcome => {
    const of = posts.filter(p => p.measured && p.abusive === abusive)
    const mean = (f: (p: SimPost) => number): number => of.length === 0 ? 0 : of.reduce((s, p) => s + f(p), 0) / of.length
    const hidden = of.filter(p => p.everHidden)
    return { posts: of.length, hidden: hidden.length, meanUp: mean(p => p.up), meanDown: mean(p => p.down), hoursToHide: hidden.map(p => (p.hiddenAt! - p.created) / HOUR) }
  }
  let peakPostsPerEpoch = 0
  for (const n of perEpoch.values()) peakPostsPerEpoch = Math.max(peakPostsPerEpoch, n)
  return { normal: outcome(false), abusive: outcome(true), meanAudience: audienceSamples === 0 ? 0 : audienceSum / audienceSamples, peakPostsPerEpoch, ripe, histories: posts.flatMap(p => p.history === undefined ? [] : [{ abusive: p.abusive, votes: p.history }]) }
}

/** Runs `seeds` channels and adds up their outcomes: hidden shares over all their posts. */
export function simulateChannels (seeds: number[], run: Omit<ChannelRun, 'seed'>): { normal: KindOutcome, abusive: KindOutcome, meanAudience: number, peakPostsPerEpoch: number, outcomes: ChannelOutcome[] } {
  const outcomes = seeds.map(seed => simulateChannel({ ...run, seed }))
  const add = (pick: (o: ChannelOutcome) => KindOutcome): KindOutcome => {
    const posts = outcomes.reduce((s, o) => s + pick(o).posts, 0)
    const weighted = (f: (k: KindOutcome) => number): number => posts === 0 ? 0 : outcomes.reduce((s, o) => s + f(pick(o)) * pick(o).posts, 0) / posts
    return { posts, hidden: outcomes.reduce((s, o) => s + pick(o).hidden, 0), meanUp: weighted(k => k.meanUp), meanDown: weighted(k => k.meanDown), hoursToHide: outcomes.flatMap(o => pick(o).hoursToHide) }
  }
  return {
    normal: add(o => o.normal),
    abusive: add(o => o.abusive),
    meanAudience: outcomes.reduce((s, o) => s + o.meanAudience, 0) / outcomes.length,
    peakPostsPerEpoch: Math.max(...outcomes.map(o => o.peakPostsPerEpoch)),
    outcomes
  }
}
