/**
 * Issue 13: two actions of one member in different scopes share no byte-level link beyond the ring itself
 * (property test over many actions through the node's ring signer): no tag, salt or signature value is
 * shared, rings are in canonical order (no signer position), sizes are those of anyone's same action, a
 * vote's ring is drawn afresh, and a thread's posts reuse one ring. Also: the signer refuses without a stamp,
 * and counts a member's posts per channel and hour on disk, refusing the (K+1)-th before it is built.
 */
import { MemoryLevel } from 'memory-level'
import fc from 'fast-check'
import {
  DOWNVOTE_BUDGET, EPOCH_SECONDS, POSTS_PER_EPOCH, Post, VOTE_BUDGET, WEEK_SECONDS, buildEnvelope, compareBytes, contentDigest, decodeEnvelope, encodeEnvelope, generateAuthorKey, mintStamp, ready, toHex, weekOf
} from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { createLevelMemberStorage, createRingSigner, openMemberState, openPostCounters, openRingBook } from '../src/membership/index.js'
import { TEST_STAMP_BITS } from './harness.js'
import type { MemberDatabase, MemberState, RingSigner } from '../src/membership/index.js'
import type { BuiltEnvelope } from '@murmur/protocol'

const NOW = Math.floor(Date.now() / 1000)
const CHANNELS = ['#a', '#b', '#c']

function memoryDb (): MemberDatabase {
  return new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view', storeEncoding: 'view' }) as unknown as MemberDatabase
}

/** A member with a stamp for this week (test difficulty), kept in its own database. */
async function stampedMember (): Promise<{ state: MemberState, db: MemberDatabase }> {
  const db = memoryDb()
  const state = await openMemberState({ storage: createLevelMemberStorage(db) })
  await state.addStamp(await mintStamp({ memberKey: state.key.publicKey, week: weekOf(NOW), bits: TEST_STAMP_BITS }))
  // out there: the network holds it (its copy came back), so the member signs with it
  await state.markOut(weekOf(NOW))
  return { state, db }
}

/** A signer of `member` with fresh counters and ring book (its own database for them). */
async function signerOf (member: { state: MemberState }, directory: Uint8Array[]): Promise<RingSigner> {
  const db = memoryDb()
  return createRingSigner({
    state: member.state,
    directory: { members: () => [...directory, member.state.key.publicKey] },
    rings: await openRingBook({ db }),
    counters: await openPostCounters({ db })
  })
}

/** One action of a member: a vote on a post, a thread's first post, or a reply in a thread. */
type Action = { kind: 'VOTE', parent: Uint8Array, channel: string } | { kind: 'POST', channel: string, body: string } | { kind: 'REPLY', channel: string, thread: Uint8Array, digest: Uint8Array, body: string }

async function act (signer: RingSigner, action: Action, created: number): Promise<BuiltEnvelope> {
  if (action.kind === 'VOTE') {
    return await buildEnvelope({ channel: action.channel, kind: 'VOTE', parent: action.parent, vote: 1, created, powBits: 0, auth: await signer.vote(`murmur/2/${action.channel}`, created) })
  }
  const thread = action.kind === 'REPLY' ? action.thread : undefined
  const auth = await signer.post(`murmur/2/${action.channel}`, created, thread)
  if (auth === undefined) throw new Error('the member could not ring-sign')
  const digest = action.kind === 'REPLY' ? action.digest : undefined
  const built = await buildEnvelope({ channel: action.channel, kind: action.kind, parent: thread, thread: digest, body: action.body, created, powBits: 0, auth })
  await signer.keep(thread ?? built.id, auth.ring, created + 86_400)
  return built
}

/** The bytes of an envelope that are the signer's own doing: salt, link tags, challenge and responses. */
function memberBytes (built: BuiltEnvelope): string[] {
  const ring = decodeEnvelope(built.bytes).ring!
  return [toHex(built.post.salt), ...ring.tags.map(toHex), toHex(ring.c0), ...ring.s.map(toHex)]
}

/**
 * The envelope's length without the varints whose length is luck, not the signer: the proof-of-work nonce
 * (mined from 0 upwards) and the slots (a fresh draw of the member's secret schedule per post; 0 is not encoded).
 */
function lengthWithoutPow (built: BuiltEnvelope): number {
  const envelope = decodeEnvelope(built.bytes)
  return encodeEnvelope({ ...envelope, pow: 1n, ring: { ...envelope.ring!, slot: 1, weekSlot: 1 } }).byteLength
}

describe('ring-signed actions of one member', () => {
  let alice: { state: MemberState, db: MemberDatabase }
  let bob: { state: MemberState, db: MemberDatabase }
  const directory = Array.from({ length: 40 }, () => generateAuthorKey().publicKey)

  beforeAll(async () => {
    await ready()
    alice = await stampedMember()
    bob = await stampedMember()
  }, 60_000)

  it('share no tag, salt or signature bytes, keep canonical ring order and anyone\'s sizes', async () => {
    const action: fc.Arbitrary<Action> = fc.oneof(
      fc.record({ kind: fc.constant('VOTE' as const), parent: fc.uint8Array({ minLength: 32, maxLength: 32 }), channel: fc.constantFrom(...CHANNELS) }),
      fc.record({ kind: fc.constant('POST' as const), channel: fc.constantFrom(...CHANNELS), body: fc.string({ maxLength: 300 }) })
    )
    const created = NOW - (NOW % 60) - 60
    // one action per scope: two votes on one post are one scope (and link, by design)
    const scopeOf = (a: Action): string => a.kind === 'VOTE' ? toHex(a.parent) : `${a.kind}/${a.channel}/${a.kind === 'POST' ? a.body : ''}`
    await fc.assert(fc.asyncProperty(fc.uniqueArray(action, { minLength: 2, maxLength: 5, selector: scopeOf }), async (actions) => {
      const aliceSigner = await signerOf(alice, directory)
      const bobSigner = await signerOf(bob, directory)
      const own = await Promise.all(actions.map(async (a) => await act(aliceSigner, a, created)))
      const twins = await Promise.all(actions.map(async (a) => await act(bobSigner, a, created)))
      const seen = new Map<string, number>()
      own.forEach((built, i) => {
        for (const bytes of memberBytes(built)) {
          expect(seen.get(bytes) ?? i, 'a value shared by two actions of one member').toBe(i)
          seen.set(bytes, i)
        }
        const ring = decodeEnvelope(built.bytes).ring!.ring
        expect(ring.length).toBe(16)
        expect([...ring].sort(compareBytes).map(toHex)).toEqual(ring.map(toHex))
        // the size of an action is the size of anyone's same action: nothing of the signer in it
        expect(lengthWithoutPow(built)).toBe(lengthWithoutPow(twins[i]!))
      })
      // votes are drawn afresh: two votes of one member share no more of their rings than chance does
      const votes = own.filter((built) => built.post.kind === Post.Kind.VOTE)
      for (let i = 1; i < votes.length; i++) {
        const previous = new Set(decodeEnvelope(votes[i - 1]!.bytes).ring!.ring.map(toHex))
        expect(decodeEnvelope(votes[i]!.bytes).ring!.ring.filter((key) => previous.has(toHex(key))).length).toBeLessThan(16)
      }
    }), { numRuns: 15 })
  }, 180_000)

  it('reuses one ring for an author\'s posts in one thread, and draws another for another thread', async () => {
    const signer = await signerOf(alice, directory)
    const created = NOW - (NOW % 60) - 60
    const root = await act(signer, { kind: 'POST', channel: '#a', body: 'root' }, created)
    const digest = contentDigest('murmur/2/#a', decodeEnvelope(root.bytes).post)
    const replies = [
      await act(signer, { kind: 'REPLY', channel: '#a', thread: root.id, digest, body: 'one' }, created),
      await act(signer, { kind: 'REPLY', channel: '#a', thread: root.id, digest, body: 'two' }, created)
    ]
    const ringHex = (built: BuiltEnvelope): string[] => decodeEnvelope(built.bytes).ring!.ring.map(toHex)
    // the thread tag (the third) is the author's pseudonym in the thread: the root's
    const threadTag = (built: BuiltEnvelope): string => toHex(decodeEnvelope(built.bytes).ring!.tags[2]!)
    for (const reply of replies) {
      expect(ringHex(reply)).toEqual(ringHex(root))
      expect(threadTag(reply)).toBe(threadTag(root))
    }
    const elsewhere = await act(signer, { kind: 'POST', channel: '#a', body: 'another thread' }, created)
    expect(ringHex(elsewhere)).not.toEqual(ringHex(root))
    expect(threadTag(elsewhere)).not.toBe(threadTag(root))
  }, 60_000)

  it('counts a member\'s posts per channel and hour on disk, refusing the (K+1)-th before it is built', async () => {
    const member = await stampedMember()
    const created = NOW - (NOW % 60) - 60
    const counters = await openPostCounters({ db: member.db })
    for (let i = 0; i < POSTS_PER_EPOCH; i++) expect(await counters.take('murmur/2/#a', created)).toEqual({ epoch: i, week: i })
    await expect(counters.take('murmur/2/#a', created)).rejects.toMatchObject({ name: 'RateLimitError', code: 'ERR_RATE_LIMITED', retryAt: created - (created % EPOCH_SECONDS) + EPOCH_SECONDS })
    // after a restart the count stands; another channel and another hour are not affected
    const reopened = await openPostCounters({ db: member.db })
    await expect(reopened.take('murmur/2/#a', created)).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' })
    expect(await reopened.take('murmur/2/#b', created)).toEqual({ epoch: 0, week: 0 })
    const sameWeek = weekOf(created + EPOCH_SECONDS) === weekOf(created)
    expect(await reopened.take('murmur/2/#a', created + EPOCH_SECONDS)).toEqual({ epoch: 0, week: sameWeek ? POSTS_PER_EPOCH : 0 })
  }, 60_000)

  it('refuses a vote without a stamp out there (StampNotReadyError) and without another member (NoDecoysError)', async () => {
    const db = memoryDb()
    const state = await openMemberState({ storage: createLevelMemberStorage(db) })
    const unstamped = createRingSigner({ state, directory: { members: () => directory }, rings: await openRingBook({ db }), counters: await openPostCounters({ db }), readyAt: () => NOW + 60 })
    await expect(unstamped.vote('murmur/2/#a', NOW)).rejects.toMatchObject({ name: 'StampNotReadyError', code: 'ERR_STAMP_NOT_READY', readyAt: NOW + 60 })
    expect(await unstamped.post('murmur/2/#a', NOW)).toBeUndefined()
    // minted but not yet back from the network: no other directory holds it, so it does not sign yet
    await state.addStamp(await mintStamp({ memberKey: state.key.publicKey, week: weekOf(NOW), bits: TEST_STAMP_BITS }))
    await expect(unstamped.vote('murmur/2/#a', NOW)).rejects.toMatchObject({ name: 'StampNotReadyError' })
    expect(await unstamped.post('murmur/2/#a', NOW)).toBeUndefined()
    await state.markOut(weekOf(NOW))
    expect((await unstamped.vote('murmur/2/#a', NOW)).ring).toHaveLength(16)
    const lonely = await signerOf(alice, [])
    await expect(lonely.vote('murmur/2/#a', NOW)).rejects.toMatchObject({ name: 'NoDecoysError', code: 'ERR_NO_DECOYS' })
  }, 60_000)

  it('counts a vote budget per channel and week on disk: the (VOTE_BUDGET+1)-th vote of a week in a channel is refused before anything is built, across a restart too', async () => {
    const db = memoryDb()
    const created = NOW
    const counters = await openPostCounters({ db, clock: () => NOW })
    for (let i = 0; i < VOTE_BUDGET; i++) expect(await counters.takeVote('murmur/2/#a', created)).toBe(i)
    const nextWeek = created - (created % WEEK_SECONDS) + WEEK_SECONDS
    await expect(counters.takeVote('murmur/2/#a', created)).rejects.toMatchObject({ name: 'RateLimitError', code: 'ERR_RATE_LIMITED', limit: 'week', retryAt: nextWeek })
    // another hour of the same week draws on the same budget (a budget of the hour was refilled by backdating)
    if (weekOf(created + EPOCH_SECONDS) === weekOf(created)) await expect(counters.takeVote('murmur/2/#a', created + EPOCH_SECONDS)).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' })
    // votes and posts are counted apart; another channel and another week are not affected
    expect(await counters.take('murmur/2/#a', created)).toEqual({ epoch: 0, week: 0 })
    const reopened = await openPostCounters({ db, clock: () => NOW })
    await expect(reopened.takeVote('murmur/2/#a', created)).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' })
    expect(await reopened.takeVote('murmur/2/#b', created)).toBe(0)
    expect(await reopened.takeVote('murmur/2/#a', nextWeek)).toBe(0)
    // downvotes have their own budget: DOWNVOTE_BUDGET of them, then refused, the upvotes' spent or not
    for (let i = 0; i < DOWNVOTE_BUDGET; i++) expect(await reopened.takeVote('murmur/2/#b', created, -1)).toBe(i)
    await expect(reopened.takeVote('murmur/2/#b', created, -1)).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED', limit: 'week', retryAt: nextWeek })
    expect(await reopened.takeVote('murmur/2/#b', created, 1)).toBe(1)
    // weeks on, the spent week's counter is dropped on open (no vote of that week can be accepted any more)
    const later = await openPostCounters({ db, clock: () => NOW + 2 * WEEK_SECONDS })
    expect(await later.takeVote('murmur/2/#a', created)).toBe(0)
  }, 60_000)
})
