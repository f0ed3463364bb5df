// mulberry32, the seeded PRNG the node's stem tests use too: one implementation for both
export { seededRandom } from '../../packages/node/dist/test/stem-fixtures.js'

/** Shuffles `items` in place (Fisher–Yates) with `random`, and returns them. */
export function shuffle<T> (items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const item = items[i]!
    items[i] = items[j]!
    items[j] = item
  }
  return items
}
