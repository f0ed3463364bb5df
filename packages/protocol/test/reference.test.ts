// An independent reading of the normative spec (docs/PROTOCOL.md), written with other libraries
// (@noble/curves ristretto255, @noble/ciphers XChaCha20-Poly1305, node:crypto SHA-2) and none of this package's crypto code: it checks that
// our committed vectors are what the spec says, byte for byte, not merely what our code agrees with. The slot
// schedule (§5) is a builder's secret, not on the wire: its reading is compared with ringSlots directly.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { ristretto255, ristretto255_hasher as hasher } from '@noble/curves/ed25519.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { describe, expect, it } from 'vitest'
import { Envelope, Post } from '../src/wire/murmur.js'
import { ringSlots, voteSlot } from '../src/slots.js'

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

interface Vector { name: string, topic: string, id: string, envelope: string, circleKey?: string }
const vectors = JSON.parse(readFileSync(new URL('./fixtures/vectors.json', import.meta.url), 'utf8')) as Vector[]
const BUCKETS = [256, 512, 1024, 2560]

describe('vectors against an independent reading of the spec', () => {
  for (const v of vectors) {
    it(v.name, () => {
      const env = Envelope.decode(Buffer.from(v.envelope, 'hex'))
      const c = sha256(te.encode('murmur/v2/content'), te.encode(v.topic), new Uint8Array([0]), env.post)
      let binding: Uint8Array
      if (env.oneTime !== undefined) {
        binding = sha256(te.encode('murmur/v2/auth'), new Uint8Array([0]), env.oneTime.publicKey)
      } else {
        const r = env.ring!
        binding = sha256(te.encode('murmur/v2/auth'), new Uint8Array([1]), sha256(...r.ring), u64be(r.epoch), u32be(r.slot), u32be(r.weekSlot), u32be(r.tags.length), ...r.tags)
      }
      const m = sha256(te.encode('murmur/v2/id'), c, binding)
      expect(hex(m)).toBe(v.id)
      // the proof of work covers the id and the signature (one-time: Ed25519 signature; ring: c0 || s_0 || ... || s_{n-1})
      const signature = env.oneTime !== undefined ? env.oneTime.signature : cat(env.ring!.c0, ...env.ring!.s)
      const w = sha256(te.encode('murmur/v2/pow-input'), m, sha256(signature))
      const pow = sha256(te.encode('murmur/v2/pow'), w, u64be(env.pow))
      expect(pow[0]).toBe(0) // vectors are mined at 8 bits or more

      // the plaintext Post: on the minute grid and padded to a bucket
      const plain = v.circleKey === undefined
        ? env.post
        : xchacha20poly1305(Buffer.from(v.circleKey, 'hex'), env.post.subarray(0, 24), te.encode(v.topic)).decrypt(env.post.subarray(24))
      const post = Post.decode(plain)
      expect(post.created % 60n).toBe(0n)
      expect(BUCKETS).toContain(plain.byteLength)
      expect(post.padding.every((b) => b === 0)).toBe(true)
      expect(post.salt.byteLength).toBe(16)

      if (env.oneTime !== undefined) {
        expect(post.thread.byteLength).toBe(0) // only a ring-signed REPLY names its thread
        expect(ed25519.verify(env.oneTime.signature, m, env.oneTime.publicKey)).toBe(true)
        return
      }
      const r = env.ring!
      let S: Uint8Array[]
      const t = te.encode(v.topic)
      expect(r.epoch).toBe(post.created / 3600n)
      if (post.kind === Post.Kind.VOTE) {
        // one vote per member per post, and a budget slot of the week per member and channel: an upvote's
        // below 500 in the vote budget, a downvote's below 14 in the downvote budget
        const down = post.vote === -1
        expect(r.slot).toBeLessThan(down ? 14 : 500)
        expect(r.weekSlot).toBe(0)
        const budget = te.encode(down ? 'murmur/v2/scope/downvote-budget' : 'murmur/v2/scope/vote-budget')
        S = [cat(te.encode('murmur/v2/scope/vote'), post.parent), cat(budget, u32be(t.byteLength), t, u64be(post.created / 604800n), u32be(r.slot))]
      } else {
        // the thread: a POST's own content digest, a REPLY's thread field (its root's content digest)
        const thread = post.kind === Post.Kind.POST ? c : post.thread
        expect(thread.byteLength).toBe(32)
        S = [
          cat(te.encode('murmur/v2/scope/post'), u32be(t.byteLength), t, u64be(r.epoch), u32be(r.slot)),
          cat(te.encode('murmur/v2/scope/week'), u32be(t.byteLength), t, u64be(post.created / 604800n), u32be(r.weekSlot)),
          cat(te.encode('murmur/v2/scope/thread'), u32be(t.byteLength), t, thread)
        ]
      }
      expect(referenceRingVerify(m, r.ring, S, r.c0, r.s, r.tags)).toBe(true)
      const tampered = Uint8Array.from(m)
      tampered[0]! ^= 1
      expect(referenceRingVerify(tampered, r.ring, S, r.c0, r.s, r.tags)).toBe(false)
    })
  }
})

// The slot schedule of §5, read from the spec: a Fisher–Yates shuffle from the last position down, driven by
// big-endian 32-bit words of SHA-256(k || u32be(counter)), each block's words taken last first.
function referenceSchedule (x: Uint8Array, topic: string, which: 0 | 1 | 2, period: bigint, size: number): number[] {
  const t = te.encode(topic)
  const k = sha256(te.encode('murmur/v2/slot'), x, u32be(t.byteLength), t, new Uint8Array([which]), u64be(period), u32be(size))
  const words: number[] = []
  let counter = 0
  const next = (): number => {
    if (words.length === 0) {
      const block = Buffer.from(sha256(k, u32be(counter++)))
      for (let i = 0; i < 8; i++) words.push(block.readUInt32BE(4 * i))
    }
    return words.pop()!
  }
  const slots = Array.from({ length: size }, (_, i) => i)
  for (let i = size - 1; i > 0; i--) {
    const limit = Math.floor(2 ** 32 / (i + 1)) * (i + 1)
    let v = next()
    while (v >= limit) v = next()
    const j = v % (i + 1)
    const tmp = slots[i]!
    slots[i] = slots[j]!
    slots[j] = tmp
  }
  return slots
}

describe('the slot schedule against an independent reading of the spec', () => {
  it('ringSlots and voteSlot are position n of the permutation of §5, for the hour, the week and the vote budget', () => {
    for (let a = 0; a < 4; a++) {
      const x = sha256(te.encode(`schedule-${a}`))
      const topic = a % 2 === 0 ? 'murmur/2/#lobby' : 'murmur/2/geo:u4pruyd'
      const created = 1_767_225_600n + BigInt(a) * 5000n
      const hour = referenceSchedule(x, topic, 0, created / 3600n, 10)
      const week = referenceSchedule(x, topic, 1, created / 604800n, 256)
      for (let n = 0; n < 10; n++) {
        expect(ringSlots(x, topic, created, { epoch: n, week: n * 25 })).toEqual({ slot: hour[n], weekSlot: week[n * 25] })
      }
      // the vote budget is the week's (VOTE_BUDGET = 500 slots)
      const votes = referenceSchedule(x, topic, 2, created / 604800n, 500)
      for (let n = 0; n < 500; n += 7) expect(voteSlot(x, topic, created, n)).toBe(votes[n])
    }
  })
})
