/**
 * How often a member follows its circle's rotations (docs/PROTOCOL.md §6.7, "Rotation rate"). The owner
 * alone rotates, and nothing on the wire limits it: each rotation followed adds a generation that every
 * frame is tried with, a JOIN sent, a state written. A member follows at most CIRCLE_ROTATIONS_PER_HOUR
 * rotations of one circle in any hour and CIRCLE_ROTATIONS_PER_DAY in any day, fork switches counted; the
 * owner's node makes no more than that (`ERR_CIRCLE_RATE`), so an honest owner's rotations never wait.
 */

/** Most rotations of one circle a member follows (fork switches included) in any 3,600 s. @default 4 */
export const CIRCLE_ROTATIONS_PER_HOUR = 4

/**
 * Most rotations of one circle a member follows (fork switches included) in any 86,400 s. With generations
 * dropped CIRCLE_FRAME_TTL (7 days) after they were superseded, a member holds at most 1 + 7 × 8 = 57
 * generations of a circle, whatever its owner does. @default 8
 */
export const CIRCLE_ROTATIONS_PER_DAY = 8

const HOUR = 3_600
/** The follow rate's longer span: no rotation kept waiting for it waits longer (seconds). */
export const DAY = 86_400

/**
 * The unix second from which one more rotation may be followed, given the seconds the last ones were
 * followed at (`follows`, ascending); undefined when it may be now.
 *
 * @example
 * ```ts
 * const until = nextFollow(state.follows, now)
 * if (until !== undefined) console.log(`next rotation followed at ${until}`)
 * ```
 */
export function nextFollow (follows: readonly number[] | undefined, now: number): number | undefined {
  const recent = (follows ?? []).filter((at) => at > now - DAY)
  const lastHour = recent.filter((at) => at > now - HOUR)
  let until: number | undefined
  // the window frees a slot when its oldest entry leaves it
  if (lastHour.length >= CIRCLE_ROTATIONS_PER_HOUR) until = lastHour[lastHour.length - CIRCLE_ROTATIONS_PER_HOUR]! + HOUR
  if (recent.length >= CIRCLE_ROTATIONS_PER_DAY) until = Math.max(until ?? 0, recent[recent.length - CIRCLE_ROTATIONS_PER_DAY]! + DAY)
  return until
}

/**
 * `follows` with a rotation followed at `now` added, the entries older than a day left out.
 *
 * @example
 * ```ts
 * state.follows = withFollow(state.follows, now)
 * ```
 */
export function withFollow (follows: readonly number[] | undefined, now: number): number[] {
  return [...(follows ?? []).filter((at) => at > now - DAY), now].sort((a, b) => a - b)
}
