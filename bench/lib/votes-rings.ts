// The black-marble attack on member rings: an attacker that minted a share of this week's directory fills
// honest rings with its keys. Rings are built by the node's own chooseRing (packages/node, pure: no I/O)
// over a modelled directory, with a seeded random source; the model is stated in RingModel.
import { DECOY_PREFERRED_TENURE, chooseRing } from '../../packages/node/dist/src/membership/decoys.js'
import type { DecoyCandidate } from '../../packages/node/dist/src/membership/decoys.js'
import type { RandomSource } from '@murmur/protocol'
import { seededRandom } from './random.ts'

/**
 * The directory and the attacker. Honest members keep their member key and renew its stamp every week;
 * each week a share of them leaves and as many newcomers (new keys) join, so a share `churn` of this
 * week's honest keys has a tenure of one week, and the rest have been stamped for `weeks` weeks or more.
 * The attacker's keys are this week's stamps in the share it minted; either it mints new keys every week
 * (`fresh`, tenure 1) or it has kept and renewed the same keys (`kept`: a stamp costs the same for an old
 * key as for a new one, so this is what a patient attacker does).
 */
export interface RingModel {
  /** Honest members in this week's directory. @default 1000 */
  honest: number
  /** Share of honest members replaced by newcomers each week. @default 0.1 */
  churn: number
  /** Ring size, the signer included. @default 16 */
  ringSize: number
  /**
   * Tenure (consecutive stamped weeks) of the seasoned keys, honest and kept attacker keys alike: chooseRing
   * only asks whether it reaches its preferred tenure, so any value from that up is the same.
   *
   * @default DECOY_PREFERRED_TENURE (2)
   */
  weeks: number
}

/** The defaults of {@link RingModel}. */
export const RING_MODEL: RingModel = { honest: 1000, churn: 0.1, ringSize: 16, weeks: DECOY_PREFERRED_TENURE }

/**
 * How decoys are chosen, both by chooseRing. `seasoned`: the node's rule (preferred tenure
 * DECOY_PREFERRED_TENURE, lowered to a newer signer's own). `uniform`: preferred tenure 1, every stamped key
 * alike — the baseline.
 */
export type DecoyRule = 'uniform' | 'seasoned'

/** Mean honest members (the signer included) of an honest ring, and how often all decoys were the attacker's. */
export interface RingOutcome {
  meanHonest: number
  /** Share of rings whose decoys were all the attacker's: the signer is named. */
  exposed: number
}

/** chooseRing's random bytes from a seeded PRNG, so that a run is reproducible. */
function seededBytes (seed: number): RandomSource {
  const random = seededRandom(seed)
  return (length) => Uint8Array.from({ length }, () => Math.floor(random() * 256))
}

/** A distinct stand-in member key: chooseRing compares keys and never uses them as points. */
function memberKey (index: number): Uint8Array {
  const key = new Uint8Array(32)
  new DataView(key.buffer).setUint32(0, index)
  return key
}

/**
 * Builds `rings` honest rings with chooseRing in a directory where the attacker minted `share` of this
 * week's stamps, and counts their honest members. Signers are drawn uniformly from the honest members, so
 * a newcomer signs as often as its share of the directory (and chooseRing widens its decoys to every key).
 */
export function simulateRings (share: number, attacker: 'fresh' | 'kept', rule: DecoyRule, rings: number, seed: number, model: Partial<RingModel> = {}): RingOutcome {
  const { honest, churn, ringSize, weeks } = { ...RING_MODEL, ...model }
  const random = seededRandom(seed)
  const bytes = seededBytes(seed + 1)
  const attackerKeys = Math.round(share / (1 - share) * honest)
  const newcomers = Math.round(honest * churn)
  const candidates: DecoyCandidate[] = []
  for (let i = 0; i < honest; i++) candidates.push({ memberKey: memberKey(i), tenure: i < newcomers ? 1 : weeks })
  for (let i = 0; i < attackerKeys; i++) candidates.push({ memberKey: memberKey(honest + i), tenure: attacker === 'kept' ? weeks : 1 })
  const preferredTenure = rule === 'uniform' ? 1 : DECOY_PREFERRED_TENURE
  let honestSum = 0
  let exposed = 0
  for (let n = 0; n < rings; n++) {
    const signer = candidates[Math.floor(random() * honest)]!
    const ring = chooseRing({ signer: signer.memberKey, signerTenure: signer.tenure, candidates, size: ringSize, preferredTenure, random: bytes })
    const honestMembers = ring.filter(key => new DataView(key.buffer, key.byteOffset).getUint32(0) < honest).length
    honestSum += honestMembers
    if (honestMembers === 1) exposed++
  }
  return { meanHonest: honestSum / rings, exposed: exposed / rings }
}
