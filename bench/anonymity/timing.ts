/**
 * The timing adversary (issue 19): colluding spies log every frame and packet an honest node sends
 * them, with its time (arrival minus the link's fixed latency, which a spy learns by pinging), and
 * guess the author of a post by correlating those times with the moment the post first shows up
 * anywhere they watch.
 *
 * What the spies pool, per observation: the honest sender, the time, and what the spies can read of it:
 * - a readable frame (a stem frame or a gossip copy of post X);
 * - an opaque packet (onion model): its post is unknown, unless the spies hold every mix from the one
 *   that received it to the exit: a mix links its input to its output (it is the one that processed
 *   it), so consecutive spy mixes follow one packet, and the exit reads the post. Such a chain of spy
 *   mixes ending at the exit names the post and, paths having a fixed length, the sender's position: a
 *   chain of every mix on the path means the sender is the author. Packets the spies sent themselves are recognised wherever they
 *   turn up (their sender built the headers) and ignored.
 *
 * The estimator, per post X: the anchor is the earliest moment the spies can pin X: a chain to the exit
 * (the longest one) or else the first readable copy. Every observation that might be X's (readable
 * copies of X, and opaque packets seen in the window before the anchor) gets the probability, learned
 * on training runs with the truth known, that an observation of its kind and time offset was sent by
 * the author; a node's score is the sum over its observations, and the guess is the best score (the
 * senders of a chain that does not reach back to the author are ruled out). An opaque packet a node
 * sends shortly after a spy handed it one is told apart (a relay looks like that), so that a mix that
 * forwards without delay gives itself away as a relay.
 */
import type { FrameLog } from './network.ts'
import type { MixRun } from './mix.ts'

/**
 * Observation kinds: readable stem frame, readable gossip copy, opaque packet before a readable / 1-mix
 * chain / 2-mix chain anchor, and the same three for a sender that a spy had handed a packet just before
 * (it may be relaying that one).
 */
const KINDS = 8
const READABLE_STEM = 0
const READABLE_GOSSIP = 1
const OPAQUE = 2
/** Offsets are binned in quarter octaves of ms, up to 2^18 ms. */
const BINS = 1 + 18 * 4
const binOf = (delta: number): number => delta < 1 ? 0 : Math.min(BINS - 1, 1 + Math.floor(Math.log2(delta) * 4))

/** What the spies of one spy set saw in one run. */
export interface Observations {
  /** Readable frames from honest senders, per post: [sender, time, stem ? 1 : 0] triples. */
  readable: Array<number[]>
  /** Opaque packets from honest senders, sorted by time. */
  opaqueTime: Float64Array
  opaqueSender: Int32Array
  /** 1 where a spy had handed the sender a packet within the relay window before. */
  opaqueRelay: Uint8Array
  /** Per post: chains of spy mixes to the exit, as [sender, time, spy mixes] triples (0 mixes: the whole path, the sender is the author). */
  chains: Array<number[]>
}

/**
 * Collects what `spies` saw of one run: the frames of the propagation and, for the onion, its packets;
 * `relayWindow` (ms): how long after a spy handed a node a packet that node's next packets are marked
 * as possibly relayed.
 */
export function observe (n: number, spies: Uint8Array, frames: FrameLog, mix?: MixRun, relayWindow = 0): Observations {
  const readable: Array<number[]> = Array.from({ length: n }, () => [])
  const chains: Array<number[]> = Array.from({ length: n }, () => [])
  for (let i = 0; i < frames.from.length; i++) {
    if (spies[frames.to[i]!] === 0 || spies[frames.from[i]!] === 1) continue
    readable[frames.origin[i]!]!.push(frames.from[i]!, frames.at[i]! - frames.base[i]!, frames.stem[i]!)
  }
  const opaque: Array<[number, number, number]> = []
  if (mix !== undefined) {
    const { log, paths, post } = mix
    // when spies handed each honest node a packet (the spies know when theirs arrive)
    const handed: number[][] = Array.from({ length: n }, () => [])
    for (let i = 0; i < log.packet.length; i++) {
      if (spies[log.from[i]!] === 1 && spies[log.to[i]!] === 0) handed[log.to[i]!]!.push(log.at[i]!)
    }
    for (const list of handed) list.sort((a, b) => a - b)
    const relayed = (node: number, time: number): number => {
      const list = handed[node]!
      let lo = 0
      let hi = list.length
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (list[mid]! < time) lo = mid + 1
        else hi = mid
      }
      return lo > 0 && list[lo - 1]! >= time - relayWindow ? 1 : 0
    }
    const exit = (paths.find((_, id) => post[id]! >= 0)?.length ?? 4) - 1
    for (let i = 0; i < log.packet.length; i++) {
      const from = log.from[i]!
      if (spies[log.to[i]!] === 0 || spies[from] === 1) continue
      const id = log.packet[i]!
      const path = paths[id]!
      if (spies[path[0]!] === 1) continue // the spies' own packet
      const time = log.at[i]! - log.base[i]!
      // follow the packet through consecutive spy mixes; it is named only if they reach the exit
      const origin = post[id]!
      let j = log.hop[i]! + 1
      while (j < path.length - 1 && spies[path[j + 1]!] === 1) j++
      if (origin >= 0 && j === exit) {
        // 0: the chain reaches back to the author's own packet; else the spy mixes seen (2 at most kept apart)
        chains[origin]!.push(from, time, log.hop[i] === 0 ? 0 : Math.min(2, exit - log.hop[i]!))
      } else {
        opaque.push([time, from, relayed(from, time)])
      }
    }
  }
  opaque.sort((a, b) => a[0] - b[0])
  return {
    readable,
    chains,
    opaqueTime: Float64Array.from(opaque, (o) => o[0]),
    opaqueSender: Int32Array.from(opaque, (o) => o[1]),
    opaqueRelay: Uint8Array.from(opaque, (o) => o[2])
  }
}

/** Learned counts: per kind and offset bin, observations by the author and by anyone else. */
export interface TimingModel {
  author: Float64Array
  other: Float64Array
  /** How far before the anchor opaque packets are considered (ms). */
  window: number
}

/** An empty model that considers opaque packets up to `window` ms before the anchor. */
export function timingModel (window: number): TimingModel {
  return { author: new Float64Array(KINDS * BINS), other: new Float64Array(KINDS * BINS), window }
}

/** Calls `visit(sender, kind, bin)` for every observation that may be post `origin`'s; returns the certain author, or -1. */
function candidates (model: TimingModel, obs: Observations, origin: number, visit: (sender: number, kind: number, bin: number) => void, ruledOut: Set<number>): number {
  const chain = obs.chains[origin]!
  let anchor = Infinity
  let anchorKind = 0
  let longest = 0
  for (let i = 0; i < chain.length; i += 3) {
    const mixes = chain[i + 2]!
    if (mixes === 0) return chain[i]!
    ruledOut.add(chain[i]!)
    if (mixes > longest || (mixes === longest && chain[i + 1]! < anchor)) {
      longest = mixes
      anchor = chain[i + 1]!
      anchorKind = mixes
    }
  }
  const seen = obs.readable[origin]!
  let firstReadable = Infinity
  for (let i = 1; i < seen.length; i += 3) firstReadable = Math.min(firstReadable, seen[i]!)
  for (let i = 0; i < seen.length; i += 3) {
    visit(seen[i]!, seen[i + 2] === 1 ? READABLE_STEM : READABLE_GOSSIP, binOf(seen[i + 1]! - firstReadable))
  }
  if (longest === 0) anchor = firstReadable
  if (anchor === Infinity) return -1
  const times = obs.opaqueTime
  // binary search for the first opaque packet inside the window
  let lo = 0
  let hi = times.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (times[mid]! < anchor - model.window) lo = mid + 1
    else hi = mid
  }
  for (let i = lo; i < times.length && times[i]! < anchor; i++) {
    visit(obs.opaqueSender[i]!, OPAQUE + anchorKind + 3 * obs.opaqueRelay[i]!, binOf(anchor - times[i]!))
  }
  return -1
}

/** Adds one run's observations, with the truth (post `o` is by node `o`), to the model. */
export function train (model: TimingModel, obs: Observations, spies: Uint8Array): void {
  for (let origin = 0; origin < spies.length; origin++) {
    if (spies[origin] === 1) continue
    candidates(model, obs, origin, (sender, kind, bin) => {
      if (sender === origin) model.author[kind * BINS + bin]!++
      else model.other[kind * BINS + bin]!++
    }, new Set())
  }
}

/** The timing adversary's guess per post (-1: none; spies' own posts are not guessed). */
export function timingGuesses (model: TimingModel, obs: Observations, spies: Uint8Array): Int32Array {
  const n = spies.length
  const posterior = new Float64Array(KINDS * BINS)
  for (let kind = 0; kind < KINDS; kind++) {
    let authors = 0
    let others = 0
    for (let b = 0; b < BINS; b++) { authors += model.author[kind * BINS + b]!; others += model.other[kind * BINS + b]! }
    const prior = authors + others === 0 ? 0 : authors / (authors + others)
    for (let b = 0; b < BINS; b++) {
      const a = model.author[kind * BINS + b]!
      posterior[kind * BINS + b] = (a + 2 * prior) / (a + model.other[kind * BINS + b]! + 2)
    }
  }
  const guesses = new Int32Array(n).fill(-1)
  const score = new Float64Array(n)
  for (let origin = 0; origin < n; origin++) {
    if (spies[origin] === 1) continue
    score.fill(-1) // -1: nothing seen from that node that could be this post's
    const ruledOut = new Set<number>()
    const certain = candidates(model, obs, origin, (sender, kind, bin) => { score[sender] = Math.max(0, score[sender]!) + posterior[kind * BINS + bin]! }, ruledOut)
    if (certain >= 0) { guesses[origin] = certain; continue }
    let best = -1
    for (let v = 0; v < n; v++) {
      if (score[v]! > best && !ruledOut.has(v)) { best = score[v]!; guesses[origin] = v }
    }
  }
  return guesses
}
