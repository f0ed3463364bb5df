import { readFileSync, writeFileSync } from 'node:fs'
import { blake2b } from '@noble/hashes/blake2.js'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { describe, expect, it } from 'vitest'
import { fromHex, generateAuthorKey, ready, toHex } from '../src/index.js'
import { decodeInvite, deriveCircleKeys, encodeInvite, openCircleFrame } from '../src/circle/index.js'
import { CircleRecordType, sealCircleFrameWith } from '../src/circle/frame.js'
import { seededRandom } from './helpers.js'
import { fromString } from 'uint8arrays/from-string'

await ready()

// Fixed inputs -> fixed bytes of circle format 1, checked again by an independent reading of
// docs/PROTOCOL.md §6 with @noble/hashes and @noble/ciphers. UPDATE_VECTORS=1 rewrites the fixture after
// a deliberate, documented change of the format.
const FIXTURE = new URL('./fixtures/circle-vectors.json', import.meta.url)

interface CircleVectors {
  secret: string
  generations: Array<{ generation: number, sealKey: string, postKey: string, rosterKey: string, topic: string, channel: string }>
  invite: { fields: { generation: number, owner: string, inviteSeed: string, minRing: number, name: string, hints: string[] }, text: string }
  frame: { generation: number, type: number, body: string, powBits: number, bytes: string }
}

async function produce (): Promise<CircleVectors> {
  const secret = seededRandom('circle-vector-secret')(32)
  const owner = generateAuthorKey(seededRandom('circle-vector-owner')).publicKey
  const inviteSeed = seededRandom('circle-vector-invite')(16)
  const fields = { generation: 0, owner, inviteSeed, minRing: 5, name: 'book club', hints: ['/dns4/relay.example/tcp/443/wss'] }
  const body = new TextEncoder().encode('a join body stand-in')
  const keys = deriveCircleKeys(secret, 0, owner)
  const frame = await sealCircleFrameWith(keys, CircleRecordType.JOIN, body, seededRandom('circle-vector-frame'), { powBits: 8 })
  return {
    secret: toHex(secret),
    generations: [0, 1, 4294967295].map((generation) => {
      const k = deriveCircleKeys(secret, generation, owner)
      return { generation, sealKey: toHex(k.sealKey), postKey: toHex(k.postKey), rosterKey: toHex(k.rosterKey), topic: k.topic, channel: k.channel }
    }),
    invite: { fields: { ...fields, owner: toHex(owner), inviteSeed: toHex(inviteSeed) }, text: encodeInvite({ ...fields, secret }) },
    frame: { generation: 0, type: CircleRecordType.JOIN, body: toHex(body), powBits: 8, bytes: toHex(frame) }
  }
}

const committed = (): CircleVectors => JSON.parse(readFileSync(FIXTURE, 'utf8')) as CircleVectors
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const u32be = (n: number): Uint8Array => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff)
const cat = (...parts: Uint8Array[]): Uint8Array => { const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0)); let at = 0; for (const p of parts) { out.set(p, at); at += p.byteLength } return out }

describe('circle test vectors', () => {
  it('we produce exactly the committed bytes', async () => {
    const produced = await produce()
    if (process.env.UPDATE_VECTORS === '1') writeFileSync(FIXTURE, JSON.stringify(produced, null, 2) + '\n')
    expect(produced).toEqual(committed())
  })

  it('an independent reading of the draft derives the same keys and topic, and opens the frame', async () => {
    const v = committed()
    const secret = fromHex(v.secret)
    const owner = fromHex(v.invite.fields.owner)
    const derive = (label: string, generation: number, length = 32): string => toHex(blake2b(cat(utf8(`murmur/v2/circle/${label}`), u32be(generation), owner), { key: secret, dkLen: length }))
    for (const g of v.generations) {
      expect(g.sealKey).toBe(derive('seal', g.generation))
      expect(g.postKey).toBe(derive('post', g.generation))
      expect(g.rosterKey).toBe(derive('roster', g.generation))
      expect(g.topic).toBe(`murmur/2/circle1/${derive('topic', g.generation, 16)}`)
    }
    // frame: 0x01 || u64be(pow) || nonce(24) || XChaCha20-Poly1305(sealKey, nonce, type || u16be(len) || body || zeros, ad = topic)
    const frame = fromHex(v.frame.bytes)
    const g0 = v.generations[0]!
    expect(frame[0]).toBe(1)
    expect([1024, 2048, 4096, 8192, 16384]).toContain(frame.byteLength)
    const plaintext = xchacha20poly1305(fromHex(g0.sealKey), frame.subarray(9, 33), utf8(g0.topic)).decrypt(frame.subarray(33))
    const length = (plaintext[1]! << 8) | plaintext[2]!
    expect(plaintext[0]).toBe(v.frame.type)
    expect(toHex(plaintext.subarray(3, 3 + length))).toBe(v.frame.body)
    expect(plaintext.subarray(3 + length).every((b) => b === 0)).toBe(true)
    // relay proof of work: SHA-256("murmur/v2/pow" || SHA-256("murmur/v2/circle/pow-input" || sealed) || u64be(pow))
    const { createHash } = await import('node:crypto')
    const sha = (...parts: Uint8Array[]): Uint8Array => { const h = createHash('sha256'); for (const p of parts) h.update(p); return new Uint8Array(h.digest()) }
    const w = sha(utf8('murmur/v2/circle/pow-input'), frame.subarray(9))
    const hash = sha(utf8('murmur/v2/pow'), w, frame.subarray(1, 9))
    expect(hash[0]).toBe(0) // 8 bits
    expect(openCircleFrame(deriveCircleKeys(secret, 0, owner), frame, v.frame.powBits)).toMatchObject({ ok: true, type: v.frame.type })
  })

  it('the committed invite reads back to its fields, and its checksum is BLAKE2b of the payload', () => {
    const v = committed()
    const invite = decodeInvite(v.invite.text)
    expect({ ...invite, secret: toHex(invite.secret), owner: toHex(invite.owner), inviteSeed: toHex(invite.inviteSeed) }).toEqual({ ...v.invite.fields, secret: v.secret })
    expect(v.invite.text.startsWith('MURMUR:CIRCLE:')).toBe(true)
    const bytes = fromString(v.invite.text.slice('MURMUR:CIRCLE:'.length), 'base32upper')
    const payload = bytes.subarray(0, -4)
    expect(toHex(blake2b(cat(utf8('murmur/v2/circle/invite-checksum'), payload), { dkLen: 32 }).subarray(0, 4))).toBe(toHex(bytes.subarray(-4)))
    expect(payload[0]).toBe(1)
  })
})
