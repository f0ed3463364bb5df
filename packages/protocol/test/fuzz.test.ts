import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { buildEnvelope, channelTopic, compareBytes, encodeEnvelope, generateAuthorKey, isErrorCode, validateEnvelope } from '../src/index.js'
import { envelopeArb } from './arbitraries.js'
import { seededRandom, VECTOR_NOW } from './helpers.js'

const TOPIC = channelTopic('#lobby')
const RUNS = 20_000

function mutate (bytes: Uint8Array, rand: () => number): Uint8Array {
  const out = Array.from(bytes)
  const edits = 1 + Math.floor(rand() * 4)
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (out.length + 1))
    switch (Math.floor(rand() * 6)) {
      case 0: if (out.length > 0) out[at % out.length]! ^= 1 << Math.floor(rand() * 8); break
      case 1: out.splice(at, 0, Math.floor(rand() * 256)); break
      case 2: out.splice(at, 1); break
      case 3: out.length = at; break
      case 4: out.splice(at, 0, ...out.slice(0, Math.floor(rand() * 16))); break
      default: if (out.length > 0) out[at % out.length] = Math.floor(rand() * 256)
    }
  }
  return Uint8Array.from(out)
}

describe('fuzz', () => {
  it(`${RUNS} random and mutated envelopes: no throw, every failure a known code`, async () => {
    const members = Array.from({ length: 3 }, (_, i) => generateAuthorKey(seededRandom(`fuzz-${i}`)))
    const ring = members.map((m) => m.publicKey).sort(compareBytes)
    const seeds = await Promise.all([
      buildEnvelope({ channel: '#lobby', body: 'seed one', created: VECTOR_NOW, powBits: 2 }),
      buildEnvelope({ channel: '#lobby', kind: 'VOTE', parent: new Uint8Array(32), vote: 1, created: VECTOR_NOW, powBits: 2 }),
      buildEnvelope({ channel: '#lobby', kind: 'REPLY', parent: new Uint8Array(32), thread: new Uint8Array(32).fill(3), body: 'r', created: VECTOR_NOW, powBits: 2, auth: { kind: 'ring', ring, secretKey: members[0]!.secretKey, sequence: { epoch: 0, week: 0 } } })
    ])
    const random = fc.sample(envelopeArb, { numRuns: RUNS / 4, seed: 42 }).map((e) => encodeEnvelope(e))
    const raw = fc.sample(fc.uint8Array({ maxLength: 400 }), { numRuns: RUNS / 4, seed: 43 })
    let state = 7
    const rand = (): number => { state = (state * 1103515245 + 12345) % 2 ** 31; return state / 2 ** 31 }
    const mutated = Array.from({ length: RUNS / 2 }, (_, i) => mutate(seeds[i % seeds.length]!.bytes, rand))
    const inputs = [...random, ...raw, ...mutated]
    expect(inputs.length).toBe(RUNS)

    const codes = new Map<string, number>()
    for (const input of inputs) {
      const result = validateEnvelope(input, { topic: TOPIC, now: VECTOR_NOW, powBits: { POST: 2, REPLY: 2, VOTE: 2 } })
      const key = result.ok ? 'ok' : result.code
      if (!result.ok) expect(isErrorCode(result.code), result.code).toBe(true)
      codes.set(key, (codes.get(key) ?? 0) + 1)
    }
    // the fuzzer reaches deep into the pipeline, not only the decoder
    for (const deep of ['ERR_MALFORMED', 'ERR_NOT_CANONICAL', 'ERR_BAD_AUTH', 'ERR_BAD_SIGNATURE']) {
      expect(codes.get(deep) ?? 0, deep).toBeGreaterThan(0)
    }
  })
})
