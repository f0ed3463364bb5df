// Thread pseudonyms of members (issue 13): a ring-signed POST or REPLY carries a third link tag scoped to its
// thread (the root's content digest), the same for every post of one member in one thread and unlinkable
// across threads; it limits nothing. A ring-signed REPLY must name its thread; no other post may.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  buildEnvelope, channelTopic, compareBytes, contentDigest, decodeEnvelope, decodePost, encodeEnvelope, encodePost, generateAuthorKey,
  linkTag, memberThread, oneTimeKey, padPost, Post, postId, authBinding, requiredPowBits, ringPowBits, ringSign, signOneTime, threadScope, toHex, validateEnvelope
} from '../src/index.js'
import type { BuildEnvelopeOptions, ValidationResult } from '../src/index.js'
import { ringScopeOf } from '../src/auth.js'
import { remine, seededRandom, VECTOR_NOW } from './helpers.js'

const CHANNEL = '#lobby'
const TOPIC = channelTopic(CHANNEL)
const NOW = VECTOR_NOW
const LOW = { POST: 0, REPLY: 0, VOTE: 0 }
const members = Array.from({ length: 4 }, (_, i) => generateAuthorKey(seededRandom(`thread-${i}`)))
const ring = members.map((m) => m.publicKey).sort(compareBytes)
const ringAuth = (member: number, slot = 0, weekSlot = 0): BuildEnvelopeOptions['auth'] =>
  ({ kind: 'ring', ring, secretKey: members[member]!.secretKey, slot, weekSlot })
const check = (bytes: Uint8Array): ValidationResult => validateEnvelope(bytes, { topic: TOPIC, now: NOW, powBits: LOW })
const codeOf = (r: ValidationResult): string => r.ok ? 'ok' : r.code

/** A member's ring-signed root, with its content digest (what its thread's replies name). */
async function root (member: number, body: string): Promise<{ id: Uint8Array, digest: Uint8Array, bytes: Uint8Array }> {
  const built = await buildEnvelope({ channel: CHANNEL, body, created: NOW, powBits: 0, auth: ringAuth(member) })
  return { id: built.id, digest: contentDigest(TOPIC, decodeEnvelope(built.bytes).post), bytes: built.bytes }
}

async function reply (member: number, parent: Uint8Array, thread: Uint8Array, slot: number, hoursAgo = 0): Promise<Uint8Array> {
  const created = NOW - hoursAgo * 3600
  return (await buildEnvelope({ channel: CHANNEL, kind: 'REPLY', parent, thread, body: 're', created, powBits: 0, auth: ringAuth(member, slot, slot) })).bytes
}

/** The thread tag of a valid ring-signed post, in hex. */
function threadTag (bytes: Uint8Array): string {
  const result = check(bytes)
  if (!result.ok || result.auth.kind !== 'ring' || result.auth.thread === undefined) throw new Error(`no thread link: ${codeOf(result)}`)
  return toHex(result.auth.thread.tag)
}

describe('thread tags of ring-signed posts', () => {
  it("one member's posts in one thread share the thread tag, whatever the hour and slot; in two threads they do not", async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 5 }), async (member, slot, hoursAgo) => {
      const a = await root(member, `a-${slot}`)
      const b = await root(member, `b-${slot}`)
      const inA = await reply(member, a.id, a.digest, slot, hoursAgo)
      const inB = await reply(member, b.id, b.digest, slot, hoursAgo)
      expect(threadTag(inA)).toBe(threadTag(a.bytes))
      expect(threadTag(inB)).toBe(threadTag(b.bytes))
      expect(threadTag(inA)).not.toBe(threadTag(inB))
    }), { numRuns: 8 })
  })

  it("another member's reply in the thread carries another tag", async () => {
    const a = await root(0, 'mine')
    const tags = await Promise.all([1, 2, 3].map(async (m) => threadTag(await reply(m, a.id, a.digest, 0))))
    expect(new Set([threadTag(a.bytes), ...tags]).size).toBe(4)
  })

  it('the thread link is no limit: auth.links holds hour and week, auth.thread the thread scope of the root digest', async () => {
    const a = await root(1, 'root')
    const result = check(await reply(1, a.id, a.digest, 2))
    if (!result.ok || result.auth.kind !== 'ring') throw new Error('expected a valid ring reply')
    expect(result.auth.links).toHaveLength(2)
    expect(result.auth.thread?.scope).toEqual(threadScope(TOPIC, a.digest))
    expect(result.auth.links.map((l) => toHex(l.tag))).not.toContain(toHex(result.auth.thread!.tag))
    const vote = check((await buildEnvelope({ channel: CHANNEL, kind: 'VOTE', parent: a.id, vote: 1, created: NOW, powBits: 0, auth: ringAuth(1) })).bytes)
    expect(vote.ok && vote.auth.kind === 'ring' && vote.auth.thread).toBeUndefined()
  })

  it('a reply whose thread lies is valid but its tag matches nobody: not the root author\'s', async () => {
    const a = await root(0, 'real')
    const lie = await reply(0, a.id, new Uint8Array(32).fill(0xaa), 1)
    expect(threadTag(lie)).not.toBe(threadTag(a.bytes))
  })
})

describe('memberThread: what a member\'s reply names', () => {
  it("the root's content digest for its author (OP), the root's id for anyone else", async () => {
    const a = await root(0, 'mine')
    const at = { topic: TOPIC, envelope: a.bytes }
    expect(toHex(memberThread(members[0]!.secretKey, at))).toBe(toHex(a.digest))
    for (const other of [1, 2, 3]) expect(toHex(memberThread(members[other]!.secretKey, at))).toBe(toHex(a.id))
    // the author's reply carries the root's tag; another member's none of the thread's
    const own = await reply(0, a.id, memberThread(members[0]!.secretKey, at), 1)
    const theirs = await reply(1, a.id, memberThread(members[1]!.secretKey, at), 1)
    expect(threadTag(own)).toBe(threadTag(a.bytes))
    expect(threadTag(theirs)).not.toBe(threadTag(a.bytes))
  })

  it("a copy of a root re-signed by another member is another thread: a replier's tags in the two are unlinkable", async () => {
    const original = await root(0, 'say it once')
    // the same post bytes (same content digest), ring-signed again by member 3: what a relay in the ring can do
    const env = decodeEnvelope(original.bytes)
    const r = env.ring!
    const content = contentDigest(TOPIC, env.post)
    const { scopes } = ringScopeOf(TOPIC, decodePost(env.post), r.slot, r.weekSlot, content)
    const tags = scopes.map((scope) => linkTag(members[3]!.secretKey, scope)) as Array<Uint8Array<ArrayBuffer>>
    const id = postId(content, authBinding({ ring: { ...r, tags } }))
    const sig = ringSign({ message: id, ring, secretKey: members[3]!.secretKey, scopes })
    const resignedEnvelope = { ...env, ring: { ...r, tags, c0: sig.c0 as Uint8Array<ArrayBuffer>, s: sig.s as Array<Uint8Array<ArrayBuffer>> } }
    const resigned = { id, bytes: remine(resignedEnvelope, TOPIC, ringPowBits('POST', ring.length)) }
    expect(check(resigned.bytes)).toMatchObject({ ok: true })
    const copyRoot = { topic: TOPIC, envelope: resigned.bytes }
    const originalRoot = { topic: TOPIC, envelope: original.bytes }
    // member 1 replies in both: the threads it names differ, and so do its tags
    const inOriginal = await reply(1, original.id, memberThread(members[1]!.secretKey, originalRoot), 2)
    const inCopy = await reply(1, resigned.id, memberThread(members[1]!.secretKey, copyRoot), 3)
    expect(threadTag(inOriginal)).not.toBe(threadTag(inCopy))
    // the original's author replying in the copy is not its OP there
    const authorInCopy = await reply(0, resigned.id, memberThread(members[0]!.secretKey, copyRoot), 4)
    expect(threadTag(authorInCopy)).not.toBe(threadTag(resigned.bytes))
  })
})

describe('the thread field', () => {
  it('a builder refuses a ring REPLY without a thread (ERR_BAD_SCOPE) and a one-time post with one (ERR_BAD_FIELD)', async () => {
    await expect(buildEnvelope({ channel: CHANNEL, kind: 'REPLY', parent: new Uint8Array(32), body: 'r', created: NOW, powBits: 0, auth: ringAuth(0) }))
      .rejects.toMatchObject({ code: 'ERR_BAD_SCOPE' })
    await expect(buildEnvelope({ channel: CHANNEL, kind: 'REPLY', parent: new Uint8Array(32), thread: new Uint8Array(32), body: 'r', created: NOW, powBits: 0 }))
      .rejects.toMatchObject({ code: 'ERR_BAD_FIELD' })
  })

  it('a validator refuses a ring REPLY whose thread was stripped (ERR_BAD_SCOPE), before any proof of work or curve operation', async () => {
    const a = await root(0, 'root')
    const env = decodeEnvelope(await reply(0, a.id, a.digest, 0))
    const post = decodePost(env.post)
    const stripped = encodePost(padPost({ ...post, padding: new Uint8Array(0), thread: new Uint8Array(0) }))
    expect(codeOf(check(encodeEnvelope({ ...env, post: stripped as Uint8Array<ArrayBuffer> })))).toBe('ERR_BAD_SCOPE')
  })

  /** A hand-built, one-time-signed envelope of any Post: what a stock peer could send. */
  const signRaw = (post: Post): Uint8Array => {
    const bytes = encodePost(padPost(post))
    const key = oneTimeKey()
    const id = postId(contentDigest(TOPIC, bytes), authBinding({ oneTime: key }))
    const envelope = { post: bytes as Uint8Array<ArrayBuffer>, oneTime: { publicKey: key.publicKey as Uint8Array<ArrayBuffer>, signature: signOneTime(id, key.secretKey) as Uint8Array<ArrayBuffer> }, pow: 0n }
    return remine(envelope, TOPIC, requiredPowBits(post.kind, 0, LOW))
  }

  it('refuses a thread on a one-time post, on a POST or VOTE, or of a length other than 32 (ERR_BAD_FIELD)', () => {
    const base = { channel: CHANNEL, body: 'x', vote: 0, created: BigInt(NOW), ttl: 3600, padding: new Uint8Array(0), salt: new Uint8Array(16).fill(5) }
    const asReply = { ...base, kind: Post.Kind.REPLY, parent: new Uint8Array(32) }
    expect(codeOf(check(signRaw({ ...asReply, thread: new Uint8Array(0) })))).toBe('ok')
    expect(codeOf(check(signRaw({ ...asReply, thread: new Uint8Array(32) })))).toBe('ERR_BAD_FIELD')
    expect(codeOf(check(signRaw({ ...asReply, thread: new Uint8Array(31) })))).toBe('ERR_BAD_FIELD')
    expect(codeOf(check(signRaw({ ...base, kind: Post.Kind.POST, parent: new Uint8Array(0), thread: new Uint8Array(32) })))).toBe('ERR_BAD_FIELD')
    expect(codeOf(check(signRaw({ ...base, body: '', vote: 1, kind: Post.Kind.VOTE, parent: new Uint8Array(32), thread: new Uint8Array(32) })))).toBe('ERR_BAD_FIELD')
  })
})
