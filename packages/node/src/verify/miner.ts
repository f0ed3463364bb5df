/**
 * The proof-of-work miner of the node's own posts: on a worker of the verification pool, so that the
 * hashing and the garbage it leaves stay out of the event loop that sends the post on (a successor handing
 * an own post back at once timed that work: issue 12 item 2), and in this thread only when the pool cannot
 * take the job.
 */
import { minePow } from '@murmur/protocol'
import { isVerifyRefusal } from './errors.js'
import type { VerifyPool } from './index.js'
import type { PowMiner } from '@murmur/protocol'

/**
 * A {@link PowMiner} mining on `pool`; when the pool refuses the job (its queue full under a flood, its
 * worker crashed, stopped: {@link isVerifyRefusal}) it is mined in this thread, as without a pool, so that a
 * flood cannot keep the node from posting. An abort rejects as the protocol's minePow does.
 *
 * @example
 * ```ts
 * await buildEnvelope({ channel: '#lobby', body: 'hi', miner: poolMiner(pool) })
 * ```
 */
export function poolMiner (pool: Pick<VerifyPool, 'minePow'>): PowMiner {
  return async (digest, bits, options) => {
    try {
      return await pool.minePow(digest, bits, options)
    } catch (err) {
      if (!isVerifyRefusal(err)) throw err
      return await minePow(digest, bits, options)
    }
  }
}
