/**
 * Shared pieces of the circle tests that build frames by hand.
 */
import type { RingPeriod } from '@murmur/protocol'

/**
 * A ring signer's slot numbers (`auth.sequence` of buildCirclePost): each call takes the next free slot of
 * the post's epoch and week, as a member's node does.
 *
 * @example
 * ```ts
 * await buildCirclePost(keys, { ..., auth: { kind: 'ring', ring, secretKey, sequence: slots() } })
 * ```
 */
export function slots (): (period: RingPeriod) => { epoch: number, week: number } {
  const counts = new Map<string, number>()
  const next = (key: string): number => {
    const n = counts.get(key) ?? 0
    counts.set(key, n + 1)
    return n
  }
  return (p) => ({ epoch: next(`e${p.epoch}`), week: next(`w${p.week}`) })
}
