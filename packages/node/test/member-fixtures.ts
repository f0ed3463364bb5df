/**
 * Members whose votes count (issue 13): nodes that mint a member stamp at test difficulty, waited on until
 * each member signs — its stamp back from the network (so other directories hold it) and another member in
 * its directory — as a real user's node does before `vote()` succeeds; and stamped members announced by a
 * stock peer, for hand-built ring-signed envelopes.
 */
import { DIRECTORY_TOPIC, encodeStamp, generateAuthorKey, weekOf } from '@murmur/protocol'
import { addressOf, SHARED_VERIFY_POOL, startNode, TEST_STAMP_BITS, waitFor } from './harness.js'
import type { StockPeer } from './harness.js'
import type { Murmur, MurmurInit } from '../src/index.js'
import type { AuthorKey } from '@murmur/protocol'

/** Options of {@link startMembers}. */
export interface MembersInit {
  /** What every node is started with (channels, sync, ...); membership is set here. @default {} */
  init?: MurmurInit
  /** What node `index` is started with on top of `init` (its own dataDir, ...). @default nothing */
  each?: (index: number) => MurmurInit
  /** How long every member may take to mint, announce and get its stamp back, in ms. @default 180_000 */
  timeout?: number
}

/**
 * Starts `count` (at least 2: a lone member has no ring to hide in) minting nodes on loopback, each
 * bootstrapping from every node started before it, and resolves once every node's member signs
 * (`membership().signing`); the caller stops them.
 *
 * @example
 * ```ts
 * const [alice, bob] = await startMembers(2, { init: { channels: ['#c'] } })
 * await bob.vote(postId, 1) // ring-signed over both members: counts on every node
 * ```
 */
export async function startMembers (count: number, opts: MembersInit = {}): Promise<Murmur[]> {
  if (count < 2) throw new RangeError(`members need another member to sign among, got count ${count}`)
  const nodes: Murmur[] = []
  try {
    for (let i = 0; i < count; i++) {
      const own = opts.each?.(i) ?? {}
      nodes.push(await startNode(memberInit({
        ...opts.init,
        ...own,
        bootstrap: [...nodes.map(addressOf), ...own.bootstrap ?? opts.init?.bootstrap ?? []]
      })))
    }
    await waitForSigning(nodes, opts.timeout)
    return nodes
  } catch (err) {
    await Promise.allSettled(nodes.map(async (node) => await node.stop()))
    throw err
  }
}

/**
 * `init` for a node that mints a member stamp (test difficulty unless `init` says otherwise), for tests that
 * lay out their own nodes; {@link waitForSigning} then waits for its member to sign.
 *
 * @example
 * ```ts
 * const voter = await startNode(memberInit({ channels: ['#c'], bootstrap: [addressOf(previous)] }))
 * ```
 */
export function memberInit (init: MurmurInit = {}): MurmurInit {
  const membership = init.membership === false ? {} : init.membership
  return { ...init, membership: { stampBits: TEST_STAMP_BITS, ...membership, mint: true } }
}

/** Resolves once every one of `nodes` signs as a member (`membership().signing`), or fails after `timeout` ms. */
export async function waitForSigning (nodes: Murmur[], timeout = 180_000): Promise<void> {
  await waitFor(() => nodes.every((node) => node.membership()?.signing === true), `${nodes.length} members to sign (stamps out, another member known)`, timeout)
}

/**
 * Mints `count` member keys' stamps for this week (test difficulty) and announces them on the directory
 * topic through every peer of `via`, one at a time (within the directories' evaluation limits), waiting
 * until every one of `nodes` holds each; resolves with the member keys, for hand-built ring-signed envelopes.
 *
 * @example
 * ```ts
 * const members = await announceMembers(15, { via: [stock], nodes: [a, b] })
 * ```
 */
export async function announceMembers (count: number, { via, nodes, timeout = 60_000 }: { via: StockPeer[], nodes: Murmur[], timeout?: number }): Promise<AuthorKey[]> {
  const week = weekOf(Math.floor(Date.now() / 1000))
  const keys = Array.from({ length: count }, () => generateAuthorKey())
  const stamps = await Promise.all(keys.map(async (key) => await SHARED_VERIFY_POOL.mintStamp({ memberKey: key.publicKey, week, bits: TEST_STAMP_BITS })))
  const before = nodes.map((node) => node.membership()?.members ?? 0)
  for (const [i, stamp] of stamps.entries()) {
    for (const peer of via) await peer.services.pubsub.publish(DIRECTORY_TOPIC, encodeStamp(stamp))
    await waitFor(() => nodes.every((node, n) => (node.membership()?.members ?? 0) >= before[n]! + i + 1), `every directory to hold ${i + 1} of the announced stamps`, timeout)
  }
  return keys
}
