// The black-marble attack on member rings: an attacker that minted a share of this week's directory fills
// honest rings with its keys. A seeded simulation of ring building under two decoy rules, for two attacker
// models; the model is stated in RingModel.
import { seededRandom } from './random.ts'

/**
 * The directory and the attacker. Honest members keep their member key and renew its stamp every week;
 * each week a share of them leaves and as many newcomers (new keys) join. The attacker's keys are this
 * week's stamps in the share it minted; either it mints new keys every week (`fresh`) or it has kept and
 * renewed the same keys for at least `weeks` weeks (`kept`: a stamp costs the same for an old key as for a
 * new one, so this is what a patient attacker does).
 */
export interface RingModel {
  /** Honest members in this week's directory. @default 1000 */
  honest: number
  /** Share of honest members replaced by newcomers each week. @default 0.1 */
  churn: number
  /** Ring size, the signer included. @default 16 */
  ringSize: number
  /**
   * Consecutive weeks a key must hold stamps for to be a preferred decoy, this week included. A directory
   * keeps the current and the previous week, so 2 is what every node, a newcomer too, can check.
   *
   * @default 2
   */
  weeks: number
}

/** The defaults of {@link RingModel}. */
export const RING_MODEL: RingModel = { honest: 1000, churn: 0.1, ringSize: 16, weeks: 2 }

/** How decoys are chosen. `uniform`: over the whole directory. `seasoned`: uniform over keys stamped `weeks` weeks running, topped up uniformly from the rest when there are too few. */
export type DecoyRule = 'uniform' | 'seasoned'

/** Mean honest members (the signer included) of an honest ring, and how often all decoys were the attacker's. */
export interface RingOutcome {
  meanHonest: number
  /** Share of rings whose decoys were all the attacker's: the signer is named. */
  exposed: number
}

/** Draws `count` of `pools` (sizes) without replacement; returns how many came from each pool. */
function draw (pools: number[], count: number, random: () => number): number[] {
  const left = [...pools]
  const taken = pools.map(() => 0)
  for (let k = 0; k < count; k++) {
    let r = random() * left.reduce((s, n) => s + n, 0)
    let i = 0
    while (i < left.length - 1 && r >= left[i]!) r -= left[i++]!
    left[i]!--
    taken[i]!++
  }
  return taken
}

/**
 * Builds `rings` honest rings in a directory where the attacker minted `share` of this week's stamps and
 * counts their honest members.
 */
export function simulateRings (share: number, attacker: 'fresh' | 'kept', rule: DecoyRule, rings: number, seed: number, model: Partial<RingModel> = {}): RingOutcome {
  const { honest, churn, ringSize, weeks } = { ...RING_MODEL, ...model }
  const random = seededRandom(seed)
  const attackerKeys = Math.round(share / (1 - share) * honest)
  // honest keys present `weeks` weeks running; the rest joined since
  const seasonedHonest = Math.round(honest * (1 - churn) ** (weeks - 1))
  const seasonedAttacker = attacker === 'kept' ? attackerKeys : 0
  const decoys = ringSize - 1
  let honestSum = 0
  let exposed = 0
  for (let n = 0; n < rings; n++) {
    const signerSeasoned = random() < seasonedHonest / honest
    // pools: seasoned honest, seasoned attacker, other honest, other attacker (the signer taken out)
    const pools = [seasonedHonest - (signerSeasoned ? 1 : 0), seasonedAttacker, honest - seasonedHonest - (signerSeasoned ? 0 : 1), attackerKeys - seasonedAttacker]
    let taken: number[]
    if (rule === 'uniform') {
      taken = draw(pools, decoys, random)
    } else {
      const preferred = Math.min(decoys, pools[0]! + pools[1]!)
      const first = draw([pools[0]!, pools[1]!], preferred, random)
      const rest = draw([pools[2]!, pools[3]!], decoys - preferred, random)
      taken = [first[0]!, first[1]!, rest[0]!, rest[1]!]
    }
    const honestDecoys = taken[0]! + taken[2]!
    honestSum += 1 + honestDecoys
    if (honestDecoys === 0) exposed++
  }
  return { meanHonest: honestSum / rings, exposed: exposed / rings }
}
