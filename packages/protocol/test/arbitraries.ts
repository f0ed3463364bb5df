import fc from 'fast-check'
import { Post } from '../src/index.js'
import type { Envelope } from '../src/index.js'

const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array<ArrayBuffer>> => fc.uint8Array({ minLength: min, maxLength: max }) as fc.Arbitrary<Uint8Array<ArrayBuffer>>

/** Any Post the protobuf schema can carry, valid or not. */
export const postArb: fc.Arbitrary<Post> = fc.record({
  channel: fc.string({ maxLength: 70 }),
  kind: fc.constantFrom(Post.Kind.POST, Post.Kind.REPLY, Post.Kind.VOTE),
  parent: bytes(0, 40),
  body: fc.string({ maxLength: 300 }),
  vote: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  created: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  ttl: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  padding: bytes(0, 40),
  salt: bytes(0, 20),
  thread: bytes(0, 40)
})

/** Any Envelope the protobuf schema can carry, valid or not. */
export const envelopeArb: fc.Arbitrary<Envelope> = fc.record({
  post: bytes(0, 200),
  oneTime: fc.option(fc.record({ publicKey: bytes(0, 40), signature: bytes(0, 70) }), { nil: undefined }),
  ring: fc.option(fc.record({
    ring: fc.array(bytes(0, 33), { maxLength: 6 }),
    c0: bytes(0, 33),
    s: fc.array(bytes(0, 33), { maxLength: 6 }),
    tags: fc.array(bytes(0, 33), { maxLength: 4 }),
    epoch: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    slot: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    weekSlot: fc.integer({ min: 0, max: 2 ** 32 - 1 })
  }), { nil: undefined }),
  pow: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })
}, { requiredKeys: ['post', 'pow'] })

