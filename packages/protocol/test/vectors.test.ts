import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildEnvelope, channelTopic, circleChannel, compareBytes, fromHex, generateAuthorKey, oneTimeKey, pseudonymSeed, toHex, validateEnvelope } from '../src/index.js'
import type { BuildEnvelopeOptions } from '../src/index.js'
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

function cases (): Array<{ name: string, circleKey?: Uint8Array, options: BuildEnvelopeOptions }> {
  const base = { created: VECTOR_NOW, ttl: 3600, powBits: 8 }
  const oneTime = (label: string) => ({ kind: 'one-time' as const, seed: seededRandom(label)(32) })
  const ringAuth = (slot = 0) => ({ kind: 'ring' as const, ring, secretKey: signer.secretKey, slot })
  return [
    { name: 'post-one-time', options: { ...base, channel: '#lobby', body: 'hello, murmur', auth: oneTime('post') } },
    { name: 'reply-one-time-pseudonym', options: { ...base, channel: '#lobby', kind: 'REPLY', parent: ROOT, body: 'a reply ✓', auth: { kind: 'one-time', seed: pseudonymSeed(signer.secretKey, ROOT) } } },
    { name: 'vote-one-time', options: { ...base, channel: 'geo:u4pruyd', kind: 'VOTE', parent: ROOT, vote: -1, auth: oneTime('vote') } },
    { name: 'post-ring', options: { ...base, channel: '#lobby', body: 'ring-signed', auth: ringAuth(3), random: seededRandom('post-ring') } },
    { name: 'reply-ring', options: { ...base, channel: '#lobby', kind: 'REPLY', parent: ROOT, body: 'ring reply', auth: ringAuth(0), random: seededRandom('reply-ring') } },
    { name: 'vote-ring', options: { ...base, channel: '#lobby', kind: 'VOTE', parent: ROOT, vote: 1, auth: ringAuth(), random: seededRandom('vote-ring') } },
    { name: 'post-circle', circleKey, options: { ...base, channel: circleChannel(circleKey), body: 'only for the circle', auth: ringAuth(1), circleKey, random: seededRandom('post-circle') } }
  ]
}

async function produce (): Promise<Vector[]> {
  const out: Vector[] = []
  for (const c of cases()) {
    const built = await buildEnvelope(c.options)
    out.push({
      name: c.name,
      topic: channelTopic(c.options.channel),
      now: VECTOR_NOW,
      ...(c.circleKey !== undefined ? { circleKey: toHex(c.circleKey) } : {}),
      id: toHex(built.id),
      envelope: toHex(built.bytes)
    })
  }
  return out
}

describe('test vectors', () => {
  it('we produce exactly the committed bytes for every kind and auth', async () => {
    const produced = await produce()
    if (process.env.UPDATE_VECTORS === '1') writeFileSync(FIXTURE, JSON.stringify(produced, null, 2) + '\n')
    const committed = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Vector[]
    expect(produced).toEqual(committed)
  })

  it('we accept the committed bytes', () => {
    const committed = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Vector[]
    expect(committed.map((v) => v.name)).toEqual(cases().map((c) => c.name))
    for (const v of committed) {
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

  it('a pseudonym reply carries the key derived from the author and the thread root', () => {
    const committed = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Vector[]
    const v = committed.find((c) => c.name === 'reply-one-time-pseudonym')!
    const result = validateEnvelope(fromHex(v.envelope), { topic: v.topic, now: v.now, powBits: { REPLY: 8 } })
    expect(result.ok && result.auth.kind === 'one-time' && toHex(result.auth.publicKey)).toBe(toHex(oneTimeKey(pseudonymSeed(signer.secretKey, ROOT)).publicKey))
  })
})
