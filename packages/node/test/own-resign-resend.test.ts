/**
 * Issue 12, second read of the own-post fixes (F12e M1, L2). An own vote that waited past its epoch is
 * signed again at release (OwnPosts.current): the new envelope B replaces the old A among the posts not
 * yet back. M1: when that release could not leave after all (its `next` answered undefined: the only
 * subscriber left during the re-signing's proof of work), the outbox kept A, and the next release sent A
 * as it was — refused everywhere as ERR_STALE_EPOCH (and a relay never sends a stale vote, so it named
 * its sender as the author) — while B waited in the records until a restart. L2: B was added and A
 * dropped in two writes (the drop deferred a turn): a crash in between left both, and after the restart A
 * was signed again beside B, two votes under one member-and-post tag, another budget slot spent.
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
/** Event-loop turns a flush is given to finish (it needs a handful; a bound, not a wait on the clock). */
const TURNS = 10_000

/** A member signing among four stamped members, its vote slots counted (`signed`). */
function fakeSigner (): RingSigner & { signed: number } {
  const keys = Array.from({ length: 4 }, () => generateAuthorKey())
  const me = keys[0]!
  const ring = keys.map((key) => key.publicKey).sort(compareBytes)
  const signer = {
    signed: 0,
    stamped: () => true,
    post: async () => ({ kind: 'ring' as const, ring, secretKey: me.secretKey, sequence: { epoch: 0, week: 0 } }),
    vote: async () => ({ kind: 'ring' as const, ring, secretKey: me.secretKey, sequence: { epoch: signer.signed++, week: 0 } }),
    voteLink: (parent: Uint8Array) => ({ scope: voteScope(parent), tag: linkTag(me.secretKey, voteScope(parent)) }),
    keep: async () => {}
  }
  return signer
}

interface Node {
  own: OwnPosts
  inStem: InStem
  outbox: Outbox
  /** Makes the channel reachable and runs the outbox's heartbeat (its flush, unless one is under way). */
  heartbeat(): void
  /** Ids `next` was handed, in order. */
  tried: string[]
  /** What the peer behind `next` took. */
  arrived: string[]
  /** What the peer behind `next` refused, with the code. */
  lost: Array<{ id: string, code: string }>
  /** The id of another member's post stored here, to vote on. */
  target: string
}

/**
 * An author's node parts over `db` with the clock `now` (unix ms), its outbox's release wired as the node
 * wires it; the way out answers undefined (could not leave) while `cannotLeave` counts down.
 */
async function node (db: StoreDatabase, now: () => number, signer: RingSigner, cannotLeave = { times: 0 }): Promise<Node> {
  const store = createPostStore({ db })
  const intake = new PostIntake({ store, powBits: POW, announce: () => {}, now })
  const peer = new PostIntake({ store: createPostStore({ db: memoryDatabase() }), powBits: POW, announce: () => {}, now })
  const inStem = await InStem.open(db)
  const reachable = new Set<string>()
  let beat: (() => void) | undefined
  const pubsub = {
    getSubscribers: (topic: string) => reachable.has(topic) ? [{ toString: () => 'peer' }] : [],
    addEventListener: (_: string, listener: () => void) => { beat = listener },
    removeEventListener: () => {}
  } as unknown as GossipSub
  const parts = { inStem, tried: [], arrived: [], lost: [], target: '', heartbeat: () => { reachable.add(TOPIC); beat?.() } } as unknown as Node
  const next = async (topic: string, envelope: Uint8Array): Promise<SendResult | undefined> => {
    parts.tried.push(toHex(messageId(topic, envelope)))
    if (cannotLeave.times > 0) {
      cannotLeave.times--
      return undefined
    }
    const judged = peer.validate(topic, envelope, 'stem')
    if (judged.ok) parts.arrived.push(toHex(judged.id))
    else parts.lost.push({ id: toHex(messageId(topic, envelope)), code: judged.code })
    return { status: 'sent', recipients: 1 }
  }
  parts.outbox = new Outbox({
    pubsub,
    connectionCount: () => 1,
    release: async (topic, envelope, expires) => await parts.own.release(topic, envelope, expires, next),
    log: logger('murmur:test')
  })
  const components = {
    intake,
    inStem,
    direct: parts.outbox,
    outbound: parts.outbox,
    store,
    reads: { get: async (id: Uint8Array) => await store.get(id, Math.floor(now() / 1000)) },
    votes: new OwnVotes(db, now),
    channelOf: () => CHANNEL,
    join: async () => {},
    assertRunning: () => {},
    signer: () => signer,
    log: logger('murmur:test')
  } as unknown as OwnPostsComponents
  parts.own = new OwnPosts(components, { powBits: POW, authorKey: generateAuthorKey(), clock: now })
  const target = await buildEnvelope({ channel: CHANNEL, body: 'vote on me', powBits: POW.POST, now: now() / 1000 })
  expect(await intake.ingest(TOPIC, target.bytes)).toBe('accept')
  parts.target = toHex(target.id)
  return parts
}

/** Runs one heartbeat (a flush), then waits, within a bound of turns, until `next` was tried `count` times and the outbox holds `queued` posts. */
async function flushUntil (author: Node, count: number, queued: number): Promise<void> {
  author.heartbeat()
  for (let turn = 0; turn < TURNS; turn++) {
    // a flush ends within the microtasks after its last release: seen between two turns, it is over
    if (author.tried.length >= count && author.outbox.queued === queued) return
    await new Promise((resolve) => setImmediate(resolve))
  }
  throw new Error(`next was tried ${author.tried.length} times, not ${count}; the outbox holds ${author.outbox.queued}, not ${queued}`)
}

describe('an own vote signed again at a release that could not leave', () => {
  beforeAll(async () => { await ready() })

  it('the next release sends the vote signed again, not the stale one the outbox kept', async () => {
    let offset = 0
    const now = (): number => Date.now() + offset
    const author = await node(memoryDatabase(), now, fakeSigner(), { times: 1 })
    const vote = await author.own.vote(author.target, 1, {})
    expect(vote.status).toBe('queued')

    offset = 2 * HOUR_MS
    // release 1: signed again as B, but B cannot leave: the outbox keeps what it held (A)
    await flushUntil(author, 1, 1)
    const [b] = author.tried
    expect(b).not.toBe(vote.id)
    expect(author.inStem.pending().map((own) => toHex(own.id))).toEqual([b])
    // release 2
    await flushUntil(author, 2, 0)
    // B left (before the fix: A, as it was, refused ERR_STALE_EPOCH, and B stranded)
    expect(author.tried).toEqual([b, b])
    expect(author.lost).toEqual([])
    expect(author.arrived).toEqual([b])
    expect(author.outbox.queued).toBe(0)
  }, 60_000)

  it('a crash right after the vote was signed again keeps one record: after the restart one vote leaves, signed once', async () => {
    let offset = 0
    const now = (): number => Date.now() + offset
    const db = memoryDatabase()
    const signer = fakeSigner()
    const cannotLeave = { times: 1 }
    const before = await node(db, now, signer, cannotLeave)
    await before.own.vote(before.target, -1, {})
    await before.inStem.flush()
    expect(signer.signed).toBe(1)

    offset = 2 * HOUR_MS
    // the records on disk at the moment B is handed on: what a crash then leaves behind
    let crashed: Promise<InStem> | undefined
    const release = before.own.release.bind(before.own)
    before.own.release = async (topic, envelope, expires, next) => await release(topic, envelope, expires, async (t, e, x) => {
      crashed ??= InStem.open(db)
      return await next(t, e, x)
    })
    await flushUntil(before, 1, 1)
    expect(signer.signed).toBe(2)
    const restarted = await crashed
    if (restarted === undefined) throw new Error('the vote was never handed on')
    // before the fix: A and B (A's deletion deferred a turn), and A signed again as C beside B
    expect(restarted.pending().map((own) => toHex(own.id))).toEqual([before.tried[0]])
  }, 60_000)
})
