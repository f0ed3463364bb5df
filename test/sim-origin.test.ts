/**
 * The origin-hiding model's estimators (bench/anonymity/timing.ts, origin.ts) on tiny networks where
 * the answer is known: spies everywhere but the author name it, through the stem and through an onion;
 * no spies name nobody; and on an onion without cover or delays the timing adversary beats the
 * first-spy estimator, which cannot read the packets.
 */
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../bench/lib/random.ts'
import { firstSpy, pickSpies, score } from '../bench/anonymity/estimator.ts'
import { randomGraph } from '../bench/anonymity/network.ts'
import { runMechanism } from '../bench/anonymity/origin.ts'
import { observe, timingGuesses, timingModel, train } from '../bench/anonymity/timing.ts'
import type { Mechanism, MechanismRun } from '../bench/anonymity/origin.ts'
import type { TimingModel } from '../bench/anonymity/timing.ts'

const N = 12
const STEM: Mechanism = { id: 'stem', label: 'stem', kind: 'stem' }
const ONION: Mechanism = { id: 'onion', label: 'onion', kind: 'onion', delay: 0, loops: 0 }

/** A model trained on `runs` runs of `mechanism`, a third of the nodes spying. */
function trained (mechanism: Mechanism, random: () => number, runs = 3): TimingModel {
  const model = timingModel(10_000)
  for (let i = 0; i < runs; i++) {
    const run = runMechanism(mechanism, randomGraph(N, 3, random), random)
    const spies = pickSpies(N, 4, random)
    train(model, observe(N, spies, run.propagation.frames!, run.mix, 300), spies)
  }
  return model
}

/** The timing adversary's guesses with `spies`. */
const guess = (model: TimingModel, run: MechanismRun, spies: Uint8Array): Int32Array => timingGuesses(model, observe(N, spies, run.propagation.frames!, run.mix, 300), spies)

describe('origin-hiding model: estimators where the answer is known', () => {
  for (const mechanism of [STEM, ONION]) {
    it(`${mechanism.id}: every node but the author spying, both estimators name every author; no spies, no guess`, () => {
      const random = seededRandom(7)
      const model = trained(mechanism, random)
      const run = runMechanism(mechanism, randomGraph(N, 3, random), random)
      for (let author = 0; author < N; author++) {
        const spies = new Uint8Array(N).fill(1)
        spies[author] = 0
        expect(guess(model, run, spies)[author]).toBe(author)
        if (mechanism.kind === 'stem') expect(firstSpy(run.propagation, N, spies).recall).toBe(1)
      }
      const none = new Uint8Array(N)
      const guesses = guess(model, run, none)
      expect([...guesses].every((g) => g === -1)).toBe(true)
      expect(score(guesses, none)).toMatchObject({ precision: 0, recall: 0 })
    })
  }

  it('onion without cover or delays: the first spy cannot read the packet, the timing adversary links it', () => {
    const random = seededRandom(11)
    const model = trained(ONION, random, 6)
    const sums = { first: 0, timing: 0 }
    for (let i = 0; i < 6; i++) {
      const run = runMechanism(ONION, randomGraph(N, 3, random), random)
      const spies = pickSpies(N, 4, random)
      sums.first += firstSpy(run.propagation, N, spies).recall
      sums.timing += score(guess(model, run, spies), spies).recall
    }
    expect(sums.timing).toBeGreaterThan(sums.first)
  })
})
