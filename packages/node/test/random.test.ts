/**
 * The buffered draws of random.ts keep the draws' shape: uniform indexes, samples without repeats, and a
 * draw by group that gives every group the same chance whatever its size. The statistical bounds are
 * wide (a false failure is far below one in a million runs).
 */
import { describe, expect, it } from 'vitest'
import { RANDOM_BLOCK_BYTES, drawFromGroups, randomIndex, sample } from '../src/random.js'

/** Pearson's chi-square of `counts` against a uniform expectation. */
const chiSquare = (counts: number[]): number => {
  const expected = counts.reduce((a, b) => a + b, 0) / counts.length
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0)
}

describe('random draws', () => {
  it('randomIndex is uniform over [0, n), across many refills of the block', () => {
    const n = 10
    const counts = new Array<number>(n).fill(0)
    // 20 blocks' worth of draws
    const draws = 20 * RANDOM_BLOCK_BYTES / 8
    for (let i = 0; i < draws; i++) {
      const j = randomIndex(n)
      expect(Number.isInteger(j) && j >= 0 && j < n).toBe(true)
      counts[j]!++
    }
    // 9 degrees of freedom: P(chi² > 45) < 1e-6
    expect(chiSquare(counts)).toBeLessThan(45)
  })

  it('sample takes distinct items, each as likely to be taken', () => {
    const items = Array.from({ length: 8 }, (_, i) => i)
    const counts = new Array<number>(8).fill(0)
    for (let round = 0; round < 4000; round++) {
      const taken = sample(items, 3)
      expect(new Set(taken).size).toBe(3)
      for (const t of taken) counts[t]!++
    }
    expect(sample(items, 20).sort()).toEqual(items)
    expect(sample(items, 0)).toEqual([])
    // 7 degrees of freedom: P(chi² > 40) < 1e-6
    expect(chiSquare(counts)).toBeLessThan(40)
  })

  it('drawFromGroups gives every group one turn a round, whatever its size, and a uniform item of it', () => {
    const big = Array.from({ length: 1000 }, (_, i) => `s${i}`)
    const groups = [big, ['h1'], ['h2'], ['h3']]
    const groupCounts = new Array<number>(4).fill(0)
    const bigFirsts = new Array<number>(10).fill(0)
    for (let round = 0; round < 4000; round++) {
      const drawn = drawFromGroups(groups, 2)
      expect(drawn).toHaveLength(2)
      expect(new Set(drawn).size).toBe(2)
      for (const item of drawn) {
        const g = item.startsWith('s') ? 0 : Number(item.slice(1))
        groupCounts[g]!++
        if (g === 0) bigFirsts[Number(item.slice(1)) % 10]!++
      }
    }
    // 3 degrees of freedom: P(chi² > 32) < 1e-6
    expect(chiSquare(groupCounts)).toBeLessThan(32)
    expect(chiSquare(bigFirsts)).toBeLessThan(45)
    // more than one round: no group gets a second item before every group has one, and none repeats
    const all = drawFromGroups([['a1', 'a2', 'a3'], ['b1'], ['c1', 'c2']], 5)
    expect(new Set(all).size).toBe(5)
    expect(new Set(all.slice(0, 3).map((x) => x[0]))).toEqual(new Set(['a', 'b', 'c']))
    expect(drawFromGroups([['a1', 'a2'], [], ['c1']], 10).sort()).toEqual(['a1', 'a2', 'c1'])
  })
})
