// An independent reading of the normative spec (docs/PROTOCOL.md), written with other libraries
// (@noble/curves ristretto255, node:crypto SHA-2) and none of this package's crypto code: it checks that
// our committed vectors are what the spec says, byte for byte, not merely what our code agrees with.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { ristretto255, ristretto255_hasher as hasher } from '@noble/curves/ed25519.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import { Envelope, Post } from '../src/wire/murmur.js'

const Point = ristretto255.Point
const ORDER = Point.Fn.ORDER
const te = new TextEncoder()
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts))
const sha256 = (...p: Uint8Array[]): Uint8Array => new Uint8Array(createHash('sha256').update(cat(...p)).digest())
const sha512 = (...p: Uint8Array[]): Uint8Array => new Uint8Array(createHash('sha512').update(cat(...p)).digest())
const leToInt = (b: Uint8Array): bigint => BigInt('0x' + hex(Uint8Array.from(b).reverse()) || '0')
const u32be = (n: number): Uint8Array => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b }
const u64be = (n: bigint): Uint8Array => { const b = Buffer.alloc(8); b.writeBigUInt64BE(n); return b }
const Hs = (b: Uint8Array): bigint => leToInt(sha512(te.encode('murmur/v2/hs'), b)) % ORDER
const Hp = (b: Uint8Array): InstanceType<typeof Point> => hasher.deriveToCurve!(sha512(te.encode('murmur/v2/hp'), b)) as InstanceType<typeof Point>
const scalarBytes = (n: bigint): Uint8Array => Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse())

function referenceRingVerify (m: Uint8Array, ring: Uint8Array[], S: Uint8Array[], c0: Uint8Array, s: Uint8Array[], tags: Uint8Array[]): boolean {
  const P = ring.map((r) => Point.fromBytes(r))
  const I = tags.map((t) => Point.fromBytes(t))
  if (I.some((p) => p.is0())) return false
  const H = S.map(Hp)
  const context = cat(m, sha256(...ring), u32be(S.length), ...S.flatMap((x) => [u32be(x.byteLength), x]), ...I.map((p) => p.toBytes()))
  let c = leToInt(c0)
  if (c >= ORDER || s.some((x) => leToInt(x) >= ORDER)) return false
  for (let i = 0; i < ring.length; i++) {
    const si = leToInt(s[i]!)
    const L = Point.BASE.multiplyUnsafe(si).add(P[i]!.multiplyUnsafe(c))
    const R = H.map((h, j) => h.multiplyUnsafe(si).add(I[j]!.multiplyUnsafe(c)))
    c = Hs(cat(context, L.toBytes(), ...R.map((r) => r.toBytes())))
  }
  return hex(scalarBytes(c)) === hex(c0)
}

interface Vector { name: string, topic: string, id: string, envelope: string }
const vectors = JSON.parse(readFileSync(new URL('./fixtures/vectors.json', import.meta.url), 'utf8')) as Vector[]

describe('vectors against an independent reading of the spec', () => {
  for (const v of vectors) {
    it(v.name, () => {
      const env = Envelope.decode(Buffer.from(v.envelope, 'hex'))
      const m = sha256(te.encode('murmur/v2/sig'), te.encode(v.topic), new Uint8Array([0]), env.post)
      expect(hex(m)).toBe(v.id)
      const pow = sha256(te.encode('murmur/v2/pow'), m, u64be(env.pow))
      expect(pow[0]).toBe(0) // vectors are mined at 8 bits
      if (env.oneTime !== undefined) {
        expect(ed25519.verify(env.oneTime.signature, m, env.oneTime.publicKey)).toBe(true)
        return
      }
      const r = env.ring!
      let S: Uint8Array
      if (r.epoch === 0n) {
        const post = Post.decode(env.post)
        S = cat(te.encode('murmur/v2/scope/vote'), post.parent)
      } else {
        const t = te.encode(v.topic)
        S = cat(te.encode('murmur/v2/scope/post'), u32be(t.byteLength), t, u64be(r.epoch), u32be(r.slot))
      }
      expect(referenceRingVerify(m, r.ring, [S], r.c0, r.s, [r.tag])).toBe(true)
      const tampered = Uint8Array.from(m)
      tampered[0]! ^= 1
      expect(referenceRingVerify(tampered, r.ring, [S], r.c0, r.s, [r.tag])).toBe(false)
    })
  }
})
