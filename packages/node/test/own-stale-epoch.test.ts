/**
 * Issue 12, final read H2: a member's ring-signed post or vote that waits in the outbox (made offline, or
 * left queued by a restart) past the live epoch window was released all the same, refused by every stem hop
 * and gossip peer (ERR_STALE_EPOCH, Ignore) and lost in silence: never stored, never synced, shown to its
 * author as released, and a lost vote could not be cast again (ERR_ALREADY_VOTED). Now an own post time
 * overtook is given up at release: reported dropped (ERR_STALE_EPOCH), forgotten, and a vote may be cast
 * again. The outbox is the node's (over a stand-in for gossipsub), its release wired as the node wires it.
 */
import { logger } from '@libp2p/logger'
import { buildEnvelope, channelTopic, compareBytes, generateAuthorKey, linkTag, messageId, ready, toHex, voteScope } from '@murmur/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { InStem } from '../src/in-stem.js'
import { PostIntake } from '../src/intake.js'
import { Outbox } from '../src/outbound.js'
import { OwnPosts } from '../src/own-posts.js'
import { OwnVotes } from '../src/own-votes.js'
import { createPostStore } from '../src/store/index.js'
import { memoryDatabase } from './store-fixtures.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { RingSigner } from '../src/membership/index.js'
import type { OwnPostsComponents } from '../src/own-posts.js'
import type { SendResult } from '../src/outbound.js'
import type { StoreDatabase } from '../src/store/index.js'

const CHANNEL = '#offline'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: 8, REPLY: 8, VOTE: 8 }
const HOUR_MS = 3_600_000

/** A member signing among four stamped members while `stamped.now`, its slots counted in memory (the node's are on disk). */
function fakeSigner (stamped = { now: true }): RingSigner {
  const keys = Array.from({ length: 4 }, () => generateAuthorKey())
  const me = keys[0]!
  const ring = keys.map((key) => key.publicKey).sort(compareBytes)
  let posts = 0
  let votes = 0
  return {
    stamped: () => stamped.now,
    post: async () => ({ kind: 'ring', ring, secretKey: me.secretKey, sequence: { epoch: posts, week: posts++ } }),
    vote: async () => ({ kind: 'ring', ring, secretKey: me.secretKey, sequence: { epoch: votes++, week: 0 } }),
    voteLink: (parent) => ({ scope: voteScope(parent), tag: linkTag(me.secretKey, voteScope(parent)) }),
    keep: async () => {}
  }
}

interface Node {
  own: OwnPosts
  inStem: InStem
  votes: OwnVotes
  /** Makes the channel reachable and runs the outbox's heartbeat (its flush). */
  heartbeat(): void
  /** Runs the outbox's heartbeat, the channel as reachable as it was. */
  beat(): void
  /** Why the outbox dropped each post it dropped. */
  reasons: string[]
  /** Posts the outbox reported dropped, with the error's code. */
  dropped: Array<{ id: string, code?: string }>
  /** Posts the outbox reported released. */
  released: string[]
  /** What the peer behind the release took (valid by its clock, the same as ours). */
  arrived: string[]
  /** What the peer behind the release refused, with the code: lost in silence. */
  lost: Array<{ id: string, code: string }>
  /** Posts handed to the outbox's send (a restart's resend). */
  resent: number
  /** Resolves once the outbox reported `count` posts dropped or released (arrived at the peer or lost there). */
  settled(count: number): Promise<void>
  /** The id of another member's post stored here, to vote on. */
  target: string
}

/**
 * An author's node parts over `db` with the clock `now` (unix ms); `deadlines`: the outbox waits no longer
 * than a post may leave and gives up what it drops, as the node wires it.
 */
async function node (db: StoreDatabase, now: () => number, signer: RingSigner, deadlines = false): Promise<Node> {
  const store = createPostStore({ db })
  const intake = new PostIntake({ store, powBits: POW, announce: () => {}, now })
  // a peer whose clock agrees with ours judges what arrives as a stem hop does
  const peer = new PostIntake({ store: createPostStore({ db: memoryDatabase() }), powBits: POW, announce: () => {}, now })
  const inStem = await InStem.open(db)
  const votes = new OwnVotes(db, now)
  const reachable = new Set<string>()
  let beat: (() => void) | undefined
  const pubsub = {
    getSubscribers: (topic: string) => reachable.has(topic) ? [{ toString: () => 'peer' }] : [],
    addEventListener: (_: string, listener: () => void) => { beat = listener },
    removeEventListener: () => {}
  } as unknown as GossipSub
  const waiters: Array<{ count: number, resolve: () => void }> = []
  const parts: Node = {
    own: undefined as unknown as OwnPosts,
    inStem,
    votes,
    dropped: [],
    released: [],
    arrived: [],
    lost: [],
    resent: 0,
    heartbeat: () => { reachable.add(TOPIC); beat?.() },
    beat: () => { beat?.() },
    reasons: [],
    settled: async (count) => { await new Promise<void>((resolve) => { waiters.push({ count, resolve }); settle() }) },
    target: ''
  }
  const settle = (): void => {
    for (const waiter of [...waiters]) {
      if (parts.dropped.length + parts.released.length >= waiter.count) waiter.resolve()
    }
  }
  const stem = async (topic: string, envelope: Uint8Array): Promise<SendResult> => {
    const judged = peer.validate(topic, envelope, 'stem')
    if (judged.ok) parts.arrived.push(toHex(judged.id))
    else parts.lost.push({ id: toHex(messageId(topic, envelope)), code: judged.code })
    return { status: 'sent', recipients: 1 }
  }
  const outbox = new Outbox({
    pubsub,
    connectionCount: () => 1,
    // as the node wires it: own posts leave through OwnPosts.release
    release: async (topic, envelope, expires) => await parts.own.release(topic, envelope, expires, stem),
    onReleased: (topic, envelope) => {
      parts.released.push(toHex(messageId(topic, envelope)))
      settle()
    },
    onDropped: (topic, envelope, reason, err) => {
      parts.dropped.push({ id: toHex(messageId(topic, envelope)), code: (err as { code?: string } | undefined)?.code })
      parts.reasons.push(reason)
      if (deadlines) void parts.own.dropped(topic, envelope, reason).then(settle)
      else settle()
    },
    ...(deadlines ? { deadline: (topic: string, envelope: Uint8Array, expires: number) => parts.own.deadline(topic, envelope, expires), clock: now } : {}),
    log: logger('murmur:test')
  })
  const send = outbox.send.bind(outbox)
  outbox.send = async (...args) => { parts.resent++; return await send(...args) }
  const components = {
    intake,
    inStem,
    direct: outbox,
    outbound: outbox,
    store,
    reads: { get: async (id: Uint8Array) => await store.get(id, Math.floor(now() / 1000)) },
    votes,
    channelOf: () => CHANNEL,
    join: async () => {},
    assertRunning: () => {},
    signer: () => signer,
    log: logger('murmur:test')
  } as unknown as OwnPostsComponents
  parts.own = new OwnPosts(components, { powBits: POW, authorKey: generateAuthorKey(), clock: now })
  // a post of another member to vote on, stored here
  const target = await buildEnvelope({ channel: CHANNEL, body: 'vote on me', powBits: POW.POST, now: now() / 1000 })
  expect(await intake.ingest(TOPIC, target.bytes)).toBe('accept')
  parts.target = toHex(target.id)
  return parts
}

describe('an own ring post or vote that waited past its epoch window', () => {
  beforeAll(async () => { await ready() })

  it('a post is reported dropped (ERR_STALE_EPOCH) at release instead of lost in silence; a vote is signed again for now and arrives', async () => {
    let offset = 0
    const now = (): number => Date.now() + offset
    const author = await node(memoryDatabase(), now, fakeSigner())
    // offline: both wait in the outbox
    const post = await author.own.post(CHANNEL, 'written on the train', {})
    const vote = await author.own.vote(author.target, 1, {})
    expect([post, vote].map((made) => [made.status, made.ring])).toEqual([['queued', 4], ['queued', 4]])

    // two hours later a peer can be reached
    offset = 2 * HOUR_MS
    author.heartbeat()
    await author.settled(2)
    // each either arrived at the peer or was reported dropped: none is lost in silence
    expect(author.lost).toEqual([])
    expect(author.dropped).toEqual([{ id: post.id, code: 'ERR_STALE_EPOCH' }])
    // the vote left, as the same vote signed for now (a new id), reported released under the id vote() gave
    expect(author.arrived).toHaveLength(1)
    expect(author.arrived[0]).not.toBe(vote.id)
    expect(author.released).toEqual([vote.id])
    expect(author.inStem.pending().map((own) => toHex(own.id))).toEqual(author.arrived)
    // it stands: a second vote on the post is refused
    expect(await author.votes.get(Buffer.from(author.target, 'hex'))).toBe(1)
    await expect(author.own.vote(author.target, 1, {})).rejects.toMatchObject({ name: 'AlreadyVotedError' })
  }, 60_000)

  it('made in hour E - 1, released in the last 180 s of hour E: given up (ERR_STALE_EPOCH), a vote signed again; never sent to a peer whose clock may be ahead', async () => {
    // ninth read of issue 12, H1: acceptable here (an epoch away), not at a clock up to MAX_CLOCK_SKEW + FORWARD_SLACK ahead
    const hourStart = Math.floor(Date.now() / HOUR_MS) * HOUR_MS + 10 * HOUR_MS
    let offset = hourStart + HOUR_MS / 2 - Date.now()
    const now = (): number => Date.now() + offset
    const author = await node(memoryDatabase(), now, fakeSigner())
    const post = await author.own.post(CHANNEL, 'written in hour E - 1', {})
    const vote = await author.own.vote(author.target, 1, {})
    expect([post.status, vote.status]).toEqual(['queued', 'queued'])

    offset = hourStart + 2 * HOUR_MS - 100_000 - Date.now()
    author.heartbeat()
    await author.settled(2)
    expect(author.lost).toEqual([])
    expect(author.dropped).toEqual([{ id: post.id, code: 'ERR_STALE_EPOCH' }])
    expect(author.released).toEqual([vote.id])
    expect(author.arrived).toHaveLength(1)
    expect(author.arrived[0]).not.toBe(vote.id)
  }, 60_000)

  it('waiting for a reachable peer past the last second its epoch may leave, a post is dropped (stale) and forgotten, a vote waits on', async () => {
    const hourStart = Math.floor(Date.now() / HOUR_MS) * HOUR_MS + 10 * HOUR_MS
    let offset = hourStart + HOUR_MS / 2 - Date.now()
    const now = (): number => Date.now() + offset
    const author = await node(memoryDatabase(), now, fakeSigner(), true)
    const post = await author.own.post(CHANNEL, 'written in hour E - 1', {})
    const vote = await author.own.vote(author.target, 1, {})

    // still no peer, 100 s before hour E ends: the post's epoch may no longer leave, the vote's may be signed again
    offset = hourStart + 2 * HOUR_MS - 100_000 - Date.now()
    author.beat()
    await author.settled(1)
    expect(author.dropped).toEqual([{ id: post.id, code: undefined }])
    expect(author.reasons).toEqual(['stale'])
    expect(author.inStem.pending().map((own) => toHex(own.id))).toEqual([vote.id])
    // a peer comes: the vote leaves, signed for now
    author.heartbeat()
    await author.settled(2)
    expect(author.released).toEqual([vote.id])
    expect(author.arrived).toHaveLength(1)
    expect(author.lost).toEqual([])
  }, 60_000)

  it('a vote that cannot be signed again (no stamp now) is reported dropped, and may be cast again', async () => {
    let offset = 0
    const now = (): number => Date.now() + offset
    const stamped = { now: true }
    const author = await node(memoryDatabase(), now, fakeSigner(stamped))
    const vote = await author.own.vote(author.target, -1, {})
    expect(vote.status).toBe('queued')

    offset = 2 * HOUR_MS
    stamped.now = false
    author.heartbeat()
    await author.settled(1)
    expect(author.lost).toEqual([])
    expect(author.dropped).toEqual([{ id: vote.id, code: 'ERR_STALE_EPOCH' }])
    expect(author.inStem.pending()).toEqual([])
    // the vote never left: the user may cast it again once the member can sign
    expect(await author.votes.get(Buffer.from(author.target, 'hex'))).toBeUndefined()
    stamped.now = true
    const again = await author.own.vote(author.target, -1, {})
    expect(again).toMatchObject({ status: 'sent' })
    expect(author.arrived).toEqual([again.id])
  }, 60_000)

  it('held in the stem past its epoch (its embargo fluffs it), it is given up instead of left waiting until it expires', async () => {
    let offset = 0
    const now = (): number => Date.now() + offset
    const author = await node(memoryDatabase(), now, fakeSigner())
    await author.own.vote(author.target, 1, {})
    const [held] = author.inStem.pending()
    if (held === undefined) throw new Error('the vote is not recorded')
    await author.inStem.sent(held.id)

    offset = 2 * HOUR_MS
    await expect(author.own.fluff(TOPIC, held.envelope, held.expires)).rejects.toMatchObject({ name: 'PostValidationError', code: 'ERR_STALE_EPOCH' })
    expect(author.inStem.pending()).toEqual([])
    expect(await author.votes.get(Buffer.from(author.target, 'hex'))).toBeUndefined()
  }, 60_000)

  it('left queued by a restart, a post is reported dropped when it is released and a vote is signed again', async () => {
    let offset = 0
    const now = (): number => Date.now() + offset
    const db = memoryDatabase()
    const signer = fakeSigner()
    const before = await node(db, now, signer)
    const post = await before.own.post(CHANNEL, 'posted before the stop', {})
    const vote = await before.own.vote(before.target, -1, {})
    await before.inStem.flush()

    offset = 2 * HOUR_MS
    const after = await node(db, now, signer)
    expect(after.inStem.queued()).toHaveLength(2)
    await after.own.resendQueued()
    expect(after.resent).toBe(2)
    after.heartbeat()
    await after.settled(2)
    expect(after.lost).toEqual([])
    expect(after.dropped).toEqual([{ id: post.id, code: 'ERR_STALE_EPOCH' }])
    expect(after.released).toEqual([vote.id])
    expect(after.arrived).toHaveLength(1)
    expect(await after.votes.get(Buffer.from(before.target, 'hex'))).toBe(-1)
  }, 60_000)
})
