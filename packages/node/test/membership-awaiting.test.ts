/**
 * Issue 13, envelopes waiting for their ring's stamps (membership/awaiting-stamps.ts) in the intake with a
 * real member directory: a valid ring-signed vote or post refused only for unknown members is kept, bounded
 * per address group and in all, and taken when the last missing stamp arrives (the directory's
 * 'stamp-added'), with no sync round; a flood of rings naming unknown members stays within the bounds and
 * costs no stamp evaluation, neither on arrival nor when a stamp arrives; an envelope that failed any other
 * check is never kept.
 */
import { buildEnvelope, channelTopic, compareBytes, encodeStamp, generateAuthorKey, mintStamp, ready, ringSlots, weekOf } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { PostIntake, createPostStore, openDatabase } from '../src/internal.js'
import { AWAITING_MEMBER_BYTES } from '../src/membership/awaiting-stamps.js'
import { AWAITING_STAMPS_BYTES_PER_GROUP, AWAITING_STAMPS_ENVELOPES_PER_GROUP, openMemberDirectory } from '../src/membership/index.js'
import { TEST_POW_BITS, waitFor } from './harness.js'
import type { AwaitingStampsInit, MemberDirectory } from '../src/membership/index.js'
import type { PostView } from '../src/index.js'
import type { PostStore } from '../src/internal.js'
import type { AuthorKey, BuiltEnvelope, Stamp } from '@murmur/protocol'

const CHANNEL = '#awaiting'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: TEST_POW_BITS, REPLY: TEST_POW_BITS, VOTE: TEST_POW_BITS }
/** Stamps of 1 bit: two Argon2id evaluations expected each. */
const BITS = 1
/** Rings in the flood (each pays its proof of work: about 30 ms to build on a loaded CI core). */
const FLOOD = 600
/** Address groups the flood comes from in the overall bound's case. */
const FLOOD_GROUPS = 12

interface Node {
  intake: PostIntake
  store: PostStore
  directory: MemberDirectory
  evaluations: () => number
  announced: PostView[]
}

/** An intake checking rings against a real directory (stamps of {@link BITS}), wired as the node wires them. */
async function openNode (awaitingStamps?: AwaitingStampsInit): Promise<Node> {
  const db = await openDatabase(undefined)
  const store = createPostStore({ db })
  let evaluations = 0
  const directory = await openMemberDirectory({
    db,
    bits: BITS,
    verify: async (stamp, options) => {
      evaluations++
      const { verifyStamp } = await import('@murmur/protocol')
      return verifyStamp(stamp, options)
    }
  })
  const announced: PostView[] = []
  const intake = new PostIntake({
    store,
    powBits: POW,
    announce: (view) => { announced.push(view) },
    checkRing: (ring, created, from) => directory.checkRing(ring, { created, from }),
    awaitingStamps
  })
  directory.addEventListener('stamp-added', (evt) => { void intake.stamped(evt.detail.memberKey) })
  return { intake, store, directory, evaluations: () => evaluations, announced }
}

/** A ring of `signer` and `others`, ascending as RingAuth wants it. */
function ringOf (signer: AuthorKey, others: AuthorKey[]): Uint8Array[] {
  return [signer.publicKey, ...others.map((key) => key.publicKey)].sort(compareBytes)
}

/** On the minute grid, a minute ago. */
function created (): number {
  const now = Math.floor(Date.now() / 1000)
  return now - (now % 60) - 60
}

async function ringVote (signer: AuthorKey, others: AuthorKey[], parent: Uint8Array = new Uint8Array(32).fill(7)): Promise<BuiltEnvelope> {
  return await buildEnvelope({ channel: CHANNEL, kind: 'VOTE', parent, vote: 1, created: created(), powBits: TEST_POW_BITS, auth: { kind: 'ring', ring: ringOf(signer, others), secretKey: signer.secretKey, slot: 0 } })
}

describe('envelopes waiting for their ring\'s stamps', () => {
  beforeAll(async () => { await ready() })

  it('a flood of valid rings naming unknown members stays within the bounds per group and in all, and costs no stamp evaluation', async () => {
    const flood: BuiltEnvelope[] = []
    for (let i = 0; i < FLOOD; i++) {
      const [signer, other] = [generateAuthorKey(), generateAuthorKey()]
      flood.push(await ringVote(signer, [other]))
    }
    // one address group: its own oldest go first
    const one = await openNode()
    for (const built of flood) expect(await one.intake.ingest(TOPIC, built.bytes, 'attacker', 'attacker-peer')).toBe('ignore')
    expect(one.intake.awaitingStamps().envelopes).toBe(AWAITING_STAMPS_ENVELOPES_PER_GROUP)
    expect(one.intake.awaitingStamps().bytes).toBeLessThanOrEqual(AWAITING_STAMPS_BYTES_PER_GROUP)
    // many groups: the overall bounds, count (smaller than the default's 1,024 so that a test-sized flood passes it) and bytes
    const many = await openNode({ envelopes: 256 })
    for (const [i, built] of flood.entries()) expect(await many.intake.ingest(TOPIC, built.bytes, `group-${i % FLOOD_GROUPS}`)).toBe('ignore')
    expect(many.intake.awaitingStamps().envelopes).toBe(256)
    const bytes = await openNode({ bytes: 16 * 1024 })
    for (const [i, built] of flood.slice(0, 200).entries()) await bytes.intake.ingest(TOPIC, built.bytes, `group-${i % FLOOD_GROUPS}`)
    expect(bytes.intake.awaitingStamps().bytes).toBeLessThanOrEqual(16 * 1024)
    // each kept ring of two costs its bytes and two members' share of the heap
    expect(bytes.intake.awaitingStamps().bytes).toBeGreaterThan(16 * 1024 - 2 * (flood[0]!.bytes.byteLength + 2 * AWAITING_MEMBER_BYTES))
    // a stamp of a member named by a kept ring costs its own evaluation only: the ring, still missing its
    // other member, stays kept and is not taken
    const last = flood.at(-1)!
    const valid = many.intake.validate(TOPIC, last.bytes, 'sync')
    if (!valid.ok || valid.auth.kind !== 'ring') throw new Error('the flood\'s last vote is not a valid ring vote')
    const stamp = await mintStamp({ memberKey: valid.auth.ring[0]!, week: weekOf(Math.floor(Date.now() / 1000)), bits: BITS })
    expect(await many.directory.receive(encodeStamp(stamp), { from: 'honest' })).toMatchObject({ action: 'accept' })
    expect(await many.intake.stamped(stamp.memberKey)).toBe(0)
    expect(many.intake.awaitingStamps().envelopes).toBe(256)
    expect(await many.store.get(last.id)).toBeUndefined()
    expect(one.evaluations() + many.evaluations() + bytes.evaluations()).toBe(1)
  }, 240_000)

  it('never keeps an envelope that failed any other check', async () => {
    const node = await openNode()
    const [signer, other] = [generateAuthorKey(), generateAuthorKey()]
    const built = await ringVote(signer, [other])
    const forged = built.bytes.slice()
    forged[forged.length - 40]! ^= 1
    expect(await node.intake.ingest(TOPIC, forged, 'attacker')).not.toBe('accept')
    const underpaid = await buildEnvelope({ channel: CHANNEL, kind: 'VOTE', parent: new Uint8Array(32).fill(7), vote: 1, created: created(), powBits: 0, auth: { kind: 'ring', ring: ringOf(signer, [other]), secretKey: signer.secretKey, slot: 0 } })
    expect(await node.intake.ingest(TOPIC, underpaid.bytes, 'attacker')).not.toBe('accept')
    expect(node.intake.awaitingStamps().envelopes).toBe(0)
    // a ring too small while the directory is larger is refused for good, not kept
    const week = weekOf(Math.floor(Date.now() / 1000))
    const members = Array.from({ length: 3 }, () => generateAuthorKey())
    for (const key of members) await node.directory.receive(encodeStamp(await mintStamp({ memberKey: key.publicKey, week, bits: BITS })))
    const small = await ringVote(generateAuthorKey(), [members[0]!])
    expect(await node.intake.ingest(TOPIC, small.bytes, 'attacker')).toBe('ignore')
    expect(node.intake.awaitingStamps().envelopes).toBe(0)
    // the same ring on the stem or gossip path without `hold`: only asked about, never kept
    const unknown = await ringVote(generateAuthorKey(), members)
    const valid = node.intake.validate(TOPIC, unknown.bytes, 'gossip')
    if (!valid.ok) throw new Error(valid.code)
    expect(node.intake.membership(valid, 'peer')).toMatchObject({ code: 'ERR_UNKNOWN_MEMBER' })
    expect(node.intake.awaitingStamps().envelopes).toBe(0)
  }, 60_000)

  it('a member\'s vote and post that arrive before their ring\'s stamps are taken when the last stamp arrives, with no sync round', async () => {
    const node = await openNode()
    const week = weekOf(Math.floor(Date.now() / 1000))
    const keys = Array.from({ length: 4 }, () => generateAuthorKey())
    const stamps: Stamp[] = []
    for (const key of keys) stamps.push(await mintStamp({ memberKey: key.publicKey, week, bits: BITS }))
    for (const stamp of stamps.slice(0, 2)) await node.directory.receive(encodeStamp(stamp))
    const root = await buildEnvelope({ channel: CHANNEL, body: 'vote on me', powBits: TEST_POW_BITS })
    expect(await node.intake.ingest(TOPIC, root.bytes, 'honest')).toBe('accept')
    const vote = await ringVote(keys[0]!, keys.slice(1), root.id)
    const at = created()
    const post = await buildEnvelope({
      channel: CHANNEL,
      body: 'a member\'s post',
      created: at,
      powBits: TEST_POW_BITS,
      auth: { kind: 'ring', ring: ringOf(keys[1]!, [keys[0]!, keys[2]!, keys[3]!]), secretKey: keys[1]!.secretKey, ...ringSlots(keys[1]!.secretKey, TOPIC, BigInt(at), { epoch: 0, week: 0 }) }
    })
    for (const built of [vote, post]) expect(await node.intake.ingest(TOPIC, built.bytes, 'honest', 'honest-peer')).toBe('ignore')
    expect(node.intake.awaitingStamps().envelopes).toBe(2)
    // one stamp still missing: nothing taken
    await node.directory.receive(encodeStamp(stamps[2]!))
    expect(await node.store.get(vote.id)).toBeUndefined()
    expect(node.intake.awaitingStamps().envelopes).toBe(2)
    // the last stamp: both taken, announced as new posts, the vote counted
    const before = node.announced.length
    await node.directory.receive(encodeStamp(stamps[3]!))
    await waitFor(async () => (await node.store.get(vote.id)) !== undefined && (await node.store.get(post.id)) !== undefined, 'the vote and the post stored', 10_000)
    expect((await node.store.get(root.id))?.score).toBe(1)
    await waitFor(() => node.announced.length >= before + 2, 'both announced', 10_000)
    expect(node.intake.awaitingStamps()).toEqual({ envelopes: 0, bytes: 0 })
    // taken as sync takes it: the same bytes again are a duplicate
    expect(await node.intake.ingest(TOPIC, vote.bytes, 'honest')).toBe('ignore')
  }, 60_000)

  it('a stem post this node fluffs is kept as well, and stored when its stamps arrive; a stem hop that only passes it on keeps nothing', async () => {
    const node = await openNode()
    const week = weekOf(Math.floor(Date.now() / 1000))
    const keys = Array.from({ length: 3 }, () => generateAuthorKey())
    const stamps: Stamp[] = []
    for (const key of keys) stamps.push(await mintStamp({ memberKey: key.publicKey, week, bits: BITS }))
    await node.directory.receive(encodeStamp(stamps[0]!))
    const vote = await ringVote(keys[0]!, keys.slice(1))
    // a stem hop: judged and passed on, its missing stamps asked of the stem peer, nothing kept
    expect(await node.intake.judge(TOPIC, vote.bytes, 'stem-group', 'stem-peer')).toBe('accept')
    expect(node.intake.awaitingStamps().envelopes).toBe(0)
    // this node fluffs it (OwnPosts.fluff): not stored for now, kept until the stamps arrive
    const valid = node.intake.validate(TOPIC, vote.bytes, 'stem')
    if (!valid.ok) throw new Error(valid.code)
    expect(node.intake.membership(valid, undefined, { topic: TOPIC, envelope: vote.bytes, path: 'stem' })).toMatchObject({ code: 'ERR_UNKNOWN_MEMBER' })
    expect(node.intake.awaitingStamps().envelopes).toBe(1)
    for (const stamp of stamps.slice(1)) await node.directory.receive(encodeStamp(stamp))
    await waitFor(async () => (await node.store.get(vote.id)) !== undefined, 'the fluffed vote stored', 10_000)
    expect(node.intake.awaitingStamps().envelopes).toBe(0)
  }, 60_000)
})
