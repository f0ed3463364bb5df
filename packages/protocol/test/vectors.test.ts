import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { channelTopic, circleChannel, compareBytes, contentDigest, decodeEnvelope, fromHex, generateAuthorKey, oneTimeKey, pseudonymSeed, threadPseudonymSeed, toHex, validateEnvelope } from '../src/index.js'
import type { BuildEnvelopeOptions } from '../src/index.js'
import { buildEnvelopeWith } from '../src/build.js'
import { seededRandom, VECTOR_NOW } from './helpers.js'

// Fixed keys and randomness -> fixed bytes. Run with UPDATE_VECTORS=1 to rewrite the fixture after a
// deliberate, documented change of the wire format (docs/PROTOCOL.md).
const FIXTURE = new URL('./fixtures/vectors.json', import.meta.url)

interface Vector { name: string, topic: string, now: number, circleKey?: string, id: string, envelope: string }

const members = Array.from({ length: 5 }, (_, i) => generateAuthorKey(seededRandom(`member-${i}`)))
const ring = members.map((m) => m.publicKey).sort(compareBytes)
const signer = members[2]!
const circleKey = seededRandom('circle-key')(32)
const ROOT = fromHex('11'.repeat(32))
const THREAD_ROOT = 'post-one-time-pseudonym'

type Case = { name: string, circleKey?: Uint8Array, options: BuildEnvelopeOptions | ((built: Map<string, Uint8Array>) => BuildEnvelopeOptions) }

function cases (): Case[] {
  const base = { created: VECTOR_NOW, ttl: 3600, powBits: 8 }
  const oneTime = (label: string) => ({ kind: 'one-time' as const, seed: seededRandom(label)(32) })
  const ringAuth = (slot = 0, weekSlot = 0) => ({ kind: 'ring' as const, ring, secretKey: signer.secretKey, slot, weekSlot })
  return [
    { name: 'post-one-time', options: { ...base, channel: '#lobby', body: 'hello, murmur', auth: oneTime('post') } },
    { name: THREAD_ROOT, options: { ...base, channel: '#lobby', body: 'a thread of mine', auth: { kind: 'one-time', seed: (content) => pseudonymSeed(signer.secretKey, content) } } },
    {
      name: 'reply-one-time-pseudonym',
      options: (built) => {
        const root = built.get(THREAD_ROOT)!
        return { ...base, channel: '#lobby', kind: 'REPLY', parent: idOf(root), body: 'a reply ✓', auth: { kind: 'one-time', seed: threadPseudonymSeed(signer.secretKey, { topic: channelTopic('#lobby'), envelope: root }) } }
      }
    },
    { name: 'vote-one-time', options: { ...base, channel: 'geo:u4pruyd', kind: 'VOTE', parent: ROOT, vote: -1, auth: oneTime('vote') } },
    { name: 'post-ring', options: { ...base, channel: '#lobby', body: 'ring-signed', auth: ringAuth(3, 201) } },
    {
      name: 'reply-ring',
      options: (built) => {
        // the signer's reply in its own ring-signed thread: the thread field names the root's content digest
        const root = built.get('post-ring')!
        return { ...base, channel: '#lobby', kind: 'REPLY', parent: idOf(root), thread: contentDigest(channelTopic('#lobby'), decodeEnvelope(root).post), body: 'ring reply', auth: ringAuth(0, 7) }
      }
    },
    { name: 'vote-ring', options: { ...base, channel: '#lobby', kind: 'VOTE', parent: ROOT, vote: 1, auth: ringAuth(17) } },
    // a downvote's budget slot is in the downvote budget's scope (S9C)
    { name: 'downvote-ring', options: { ...base, channel: '#lobby', kind: 'VOTE', parent: ROOT, vote: -1, auth: ringAuth(5) } },
    { name: 'post-circle', circleKey, options: { ...base, channel: circleChannel(circleKey), body: 'only for the circle', auth: ringAuth(1, 42), circleKey } },
    { name: 'post-long-body', options: { ...base, channel: '#lobby', body: 'x'.repeat(600), auth: oneTime('long') } }
  ]
}

const ids = new Map<Uint8Array, Uint8Array>()
const idOf = (bytes: Uint8Array): Uint8Array => ids.get(bytes)!

async function produce (): Promise<Vector[]> {
  const out: Vector[] = []
  const built = new Map<string, Uint8Array>()
  for (const c of cases()) {
    const options = typeof c.options === 'function' ? c.options(built) : c.options
    const result = await buildEnvelopeWith(options, seededRandom(c.name))
    built.set(c.name, result.bytes)
    ids.set(result.bytes, result.id)
    out.push({
      name: c.name,
      topic: channelTopic(options.channel),
      now: VECTOR_NOW,
      ...(c.circleKey !== undefined ? { circleKey: toHex(c.circleKey) } : {}),
      id: toHex(result.id),
      envelope: toHex(result.bytes)
    })
  }
  return out
}

const committed = (): Vector[] => JSON.parse(readFileSync(FIXTURE, 'utf8')) as Vector[]

describe('test vectors', () => {
  it('we produce exactly the committed bytes for every kind and auth', async () => {
    const produced = await produce()
    if (process.env.UPDATE_VECTORS === '1') writeFileSync(FIXTURE, JSON.stringify(produced, null, 2) + '\n')
    expect(produced).toEqual(committed())
  })

  it('we accept the committed bytes', () => {
    const vectors = committed()
    expect(vectors.map((v) => v.name)).toEqual(cases().map((c) => c.name))
    for (const v of vectors) {
      const result = validateEnvelope(fromHex(v.envelope), {
        topic: v.topic,
        now: v.now,
        powBits: { POST: 8, REPLY: 8, VOTE: 8 },
        ...(v.circleKey !== undefined ? { circleKey: fromHex(v.circleKey) } : {})
      })
      expect(result, v.name).toMatchObject({ ok: true })
      if (result.ok) expect(toHex(result.id)).toBe(v.id)
    }
  })

  it("a thread's root and its author's replies carry the same pseudonym, derived before the root was signed", () => {
    const vectors = committed()
    const keyOf = (name: string): string => toHex(decodeEnvelope(fromHex(vectors.find((c) => c.name === name)!.envelope)).oneTime!.publicKey)
    const root = vectors.find((c) => c.name === THREAD_ROOT)!
    const own = oneTimeKey(threadPseudonymSeed(signer.secretKey, { topic: root.topic, envelope: fromHex(root.envelope) })).publicKey
    expect(keyOf(THREAD_ROOT)).toBe(toHex(own))
    expect(keyOf('reply-one-time-pseudonym')).toBe(toHex(own))
  })

  it("a member's ring-signed root and its reply there carry one thread tag; another thread's differs", () => {
    const vectors = committed()
    const tagsOf = (name: string): string[] => decodeEnvelope(fromHex(vectors.find((c) => c.name === name)!.envelope)).ring!.tags.map(toHex)
    const [rootHour, rootWeek, rootThread] = tagsOf('post-ring')
    const [replyHour, replyWeek, replyThread] = tagsOf('reply-ring')
    expect(replyThread).toBe(rootThread)
    expect([replyHour, replyWeek]).not.toContain(rootHour)
    expect(rootWeek).not.toBe(replyWeek)
    expect(tagsOf('post-circle')[2]).not.toBe(rootThread)
  })
})
