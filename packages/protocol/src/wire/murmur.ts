import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Post {
  channel: string
  kind: Post.Kind
  parent: Uint8Array<ArrayBuffer>
  body: string
  vote: number
  created: bigint
  ttl: number
  padding: Uint8Array<ArrayBuffer>
  salt: Uint8Array<ArrayBuffer>
  thread: Uint8Array<ArrayBuffer>
}

export namespace Post {
  export enum Kind {
    POST = 'POST',
    REPLY = 'REPLY',
    VOTE = 'VOTE'
  }

  enum __KindValues {
    POST = 0,
    REPLY = 1,
    VOTE = 2
  }

  export namespace Kind {
    export const codec = (): Codec<Kind> => {
      return enumeration<Kind>(__KindValues)
    }
  }

  let _codec: Codec<Post>

  export const codec = (): Codec<Post> => {
    if (_codec == null) {
      _codec = message<Post>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.channel != null && obj.channel !== '')) {
          w.uint32(10)
          w.string(obj.channel)
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(16)
          Post.Kind.codec().encode(obj.kind, w)
        }

        if ((obj.parent != null && obj.parent.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.parent)
        }

        if ((obj.body != null && obj.body !== '')) {
          w.uint32(34)
          w.string(obj.body)
        }

        if ((obj.vote != null && obj.vote !== 0)) {
          w.uint32(40)
          w.sint32(obj.vote)
        }

        if ((obj.created != null && obj.created !== 0n)) {
          w.uint32(48)
          w.uint64(obj.created)
        }

        if ((obj.ttl != null && obj.ttl !== 0)) {
          w.uint32(56)
          w.uint32(obj.ttl)
        }

        if ((obj.padding != null && obj.padding.byteLength > 0)) {
          w.uint32(66)
          w.bytes(obj.padding)
        }

        if ((obj.salt != null && obj.salt.byteLength > 0)) {
          w.uint32(74)
          w.bytes(obj.salt)
        }

        if ((obj.thread != null && obj.thread.byteLength > 0)) {
          w.uint32(82)
          w.bytes(obj.thread)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          channel: '',
          kind: Kind.POST,
          parent: uint8ArrayAlloc(0),
          body: '',
          vote: 0,
          created: 0n,
          ttl: 0,
          padding: uint8ArrayAlloc(0),
          salt: uint8ArrayAlloc(0),
          thread: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.channel = reader.string()
              break
            }
            case 2: {
              obj.kind = Post.Kind.codec().decode(reader)
              break
            }
            case 3: {
              obj.parent = reader.bytes()
              break
            }
            case 4: {
              obj.body = reader.string()
              break
            }
            case 5: {
              obj.vote = reader.sint32()
              break
            }
            case 6: {
              obj.created = reader.uint64()
              break
            }
            case 7: {
              obj.ttl = reader.uint32()
              break
            }
            case 8: {
              obj.padding = reader.bytes()
              break
            }
            case 9: {
              obj.salt = reader.bytes()
              break
            }
            case 10: {
              obj.thread = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.channel`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.kind`,
                value: Post.Kind.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.parent`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.body`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.vote`,
                value: reader.sint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.created`,
                value: reader.uint64()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.ttl`,
                value: reader.uint32()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.padding`,
                value: reader.bytes()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.salt`,
                value: reader.bytes()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.thread`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PostChannelFieldEvent {
    field: '$.channel'
    value: string
  }

  export interface PostKindFieldEvent {
    field: '$.kind'
    value: Post.Kind
  }

  export interface PostParentFieldEvent {
    field: '$.parent'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PostBodyFieldEvent {
    field: '$.body'
    value: string
  }

  export interface PostVoteFieldEvent {
    field: '$.vote'
    value: number
  }

  export interface PostCreatedFieldEvent {
    field: '$.created'
    value: bigint
  }

  export interface PostTtlFieldEvent {
    field: '$.ttl'
    value: number
  }

  export interface PostPaddingFieldEvent {
    field: '$.padding'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PostSaltFieldEvent {
    field: '$.salt'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PostThreadFieldEvent {
    field: '$.thread'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Post>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Post.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Post>): Post {
    return decodeMessage(buf, Post.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Post>): Generator<PostChannelFieldEvent | PostKindFieldEvent | PostParentFieldEvent | PostBodyFieldEvent | PostVoteFieldEvent | PostCreatedFieldEvent | PostTtlFieldEvent | PostPaddingFieldEvent | PostSaltFieldEvent | PostThreadFieldEvent> {
    return streamMessage(buf, Post.codec(), opts)
  }
}

export interface OneTimeAuth {
  publicKey: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace OneTimeAuth {
  let _codec: Codec<OneTimeAuth>

  export const codec = (): Codec<OneTimeAuth> => {
    if (_codec == null) {
      _codec = message<OneTimeAuth>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.publicKey != null && obj.publicKey.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.publicKey)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          publicKey: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.publicKey = reader.bytes()
              break
            }
            case 2: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.publicKey`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface OneTimeAuthPublicKeyFieldEvent {
    field: '$.publicKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface OneTimeAuthSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<OneTimeAuth>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, OneTimeAuth.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<OneTimeAuth>): OneTimeAuth {
    return decodeMessage(buf, OneTimeAuth.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<OneTimeAuth>): Generator<OneTimeAuthPublicKeyFieldEvent | OneTimeAuthSignatureFieldEvent> {
    return streamMessage(buf, OneTimeAuth.codec(), opts)
  }
}

export interface RingAuth {
  ring: Uint8Array<ArrayBuffer>[]
  c0: Uint8Array<ArrayBuffer>
  s: Uint8Array<ArrayBuffer>[]
  tags: Uint8Array<ArrayBuffer>[]
  epoch: bigint
  slot: number
  weekSlot: number
}

export namespace RingAuth {
  let _codec: Codec<RingAuth>

  export const codec = (): Codec<RingAuth> => {
    if (_codec == null) {
      _codec = message<RingAuth>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.ring != null && obj.ring.length > 0) {
          for (const value of obj.ring) {
            w.uint32(10)
            w.bytes(value)
          }
        }

        if ((obj.c0 != null && obj.c0.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.c0)
        }

        if (obj.s != null && obj.s.length > 0) {
          for (const value of obj.s) {
            w.uint32(26)
            w.bytes(value)
          }
        }

        if (obj.tags != null && obj.tags.length > 0) {
          for (const value of obj.tags) {
            w.uint32(34)
            w.bytes(value)
          }
        }

        if ((obj.epoch != null && obj.epoch !== 0n)) {
          w.uint32(40)
          w.uint64(obj.epoch)
        }

        if ((obj.slot != null && obj.slot !== 0)) {
          w.uint32(48)
          w.uint32(obj.slot)
        }

        if ((obj.weekSlot != null && obj.weekSlot !== 0)) {
          w.uint32(56)
          w.uint32(obj.weekSlot)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          ring: [],
          c0: uint8ArrayAlloc(0),
          s: [],
          tags: [],
          epoch: 0n,
          slot: 0,
          weekSlot: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.ring != null && obj.ring.length === opts.limits.ring) {
                throw new MaxLengthError('Decode error - repeated field "ring" had too many elements')
              }

              obj.ring.push(reader.bytes())
              break
            }
            case 2: {
              obj.c0 = reader.bytes()
              break
            }
            case 3: {
              if (opts.limits?.s != null && obj.s.length === opts.limits.s) {
                throw new MaxLengthError('Decode error - repeated field "s" had too many elements')
              }

              obj.s.push(reader.bytes())
              break
            }
            case 4: {
              if (opts.limits?.tags != null && obj.tags.length === opts.limits.tags) {
                throw new MaxLengthError('Decode error - repeated field "tags" had too many elements')
              }

              obj.tags.push(reader.bytes())
              break
            }
            case 5: {
              obj.epoch = reader.uint64()
              break
            }
            case 6: {
              obj.slot = reader.uint32()
              break
            }
            case 7: {
              obj.weekSlot = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          ring: 0,
          s: 0,
          tags: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.ring != null && obj.ring === opts.limits.ring) {
                throw new MaxLengthError('Streaming decode error - repeated field "ring" had too many elements')
              }

              yield {
                field: `${prefix}.ring[]`,
                index: obj.ring,
                value: reader.bytes()
              }

              obj.ring++

              break
            }
            case 2: {
              yield {
                field: `${prefix}.c0`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              if (opts.limits?.s != null && obj.s === opts.limits.s) {
                throw new MaxLengthError('Streaming decode error - repeated field "s" had too many elements')
              }

              yield {
                field: `${prefix}.s[]`,
                index: obj.s,
                value: reader.bytes()
              }

              obj.s++

              break
            }
            case 4: {
              if (opts.limits?.tags != null && obj.tags === opts.limits.tags) {
                throw new MaxLengthError('Streaming decode error - repeated field "tags" had too many elements')
              }

              yield {
                field: `${prefix}.tags[]`,
                index: obj.tags,
                value: reader.bytes()
              }

              obj.tags++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.epoch`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.slot`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.weekSlot`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface RingAuthRingFieldEvent {
    field: '$.ring[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface RingAuthC0FieldEvent {
    field: '$.c0'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RingAuthSFieldEvent {
    field: '$.s[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface RingAuthTagsFieldEvent {
    field: '$.tags[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface RingAuthEpochFieldEvent {
    field: '$.epoch'
    value: bigint
  }

  export interface RingAuthSlotFieldEvent {
    field: '$.slot'
    value: number
  }

  export interface RingAuthWeekSlotFieldEvent {
    field: '$.weekSlot'
    value: number
  }

  export function encode (obj: Partial<RingAuth>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RingAuth.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RingAuth>): RingAuth {
    return decodeMessage(buf, RingAuth.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RingAuth>): Generator<RingAuthRingFieldEvent | RingAuthC0FieldEvent | RingAuthSFieldEvent | RingAuthTagsFieldEvent | RingAuthEpochFieldEvent | RingAuthSlotFieldEvent | RingAuthWeekSlotFieldEvent> {
    return streamMessage(buf, RingAuth.codec(), opts)
  }
}

export interface Envelope {
  post: Uint8Array<ArrayBuffer>
  oneTime?: OneTimeAuth
  ring?: RingAuth
  pow: bigint
}

export namespace Envelope {
  let _codec: Codec<Envelope>

  export const codec = (): Codec<Envelope> => {
    if (_codec == null) {
      _codec = message<Envelope>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.post != null && obj.post.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.post)
        }

        if (obj.oneTime != null) {
          w.uint32(18)
          OneTimeAuth.codec().encode(obj.oneTime, w)
        }

        if (obj.ring != null) {
          w.uint32(26)
          RingAuth.codec().encode(obj.ring, w)
        }

        if ((obj.pow != null && obj.pow !== 0n)) {
          w.uint32(32)
          w.uint64(obj.pow)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          post: uint8ArrayAlloc(0),
          pow: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.post = reader.bytes()
              break
            }
            case 2: {
              obj.oneTime = OneTimeAuth.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.oneTime
              })
              break
            }
            case 3: {
              obj.ring = RingAuth.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.ring
              })
              break
            }
            case 4: {
              obj.pow = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.post`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield * OneTimeAuth.codec().stream(reader, reader.uint32(), `${prefix}.oneTime`, {
                limits: opts.limits?.oneTime
              })

              break
            }
            case 3: {
              yield * RingAuth.codec().stream(reader, reader.uint32(), `${prefix}.ring`, {
                limits: opts.limits?.ring
              })

              break
            }
            case 4: {
              yield {
                field: `${prefix}.pow`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface EnvelopePostFieldEvent {
    field: '$.post'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeOneTimePublicKeyFieldEvent {
    field: '$.oneTime.publicKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeOneTimeSignatureFieldEvent {
    field: '$.oneTime.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeRingRingFieldEvent {
    field: '$.ring.ring[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeRingC0FieldEvent {
    field: '$.ring.c0'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeRingSFieldEvent {
    field: '$.ring.s[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeRingTagsFieldEvent {
    field: '$.ring.tags[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeRingEpochFieldEvent {
    field: '$.ring.epoch'
    value: bigint
  }

  export interface EnvelopeRingSlotFieldEvent {
    field: '$.ring.slot'
    value: number
  }

  export interface EnvelopeRingWeekSlotFieldEvent {
    field: '$.ring.weekSlot'
    value: number
  }

  export interface EnvelopePowFieldEvent {
    field: '$.pow'
    value: bigint
  }

  export function encode (obj: Partial<Envelope>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Envelope.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelope>): Envelope {
    return decodeMessage(buf, Envelope.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelope>): Generator<EnvelopePostFieldEvent | EnvelopeOneTimePublicKeyFieldEvent | EnvelopeOneTimeSignatureFieldEvent | EnvelopeRingRingFieldEvent | EnvelopeRingC0FieldEvent | EnvelopeRingSFieldEvent | EnvelopeRingTagsFieldEvent | EnvelopeRingEpochFieldEvent | EnvelopeRingSlotFieldEvent | EnvelopeRingWeekSlotFieldEvent | EnvelopePowFieldEvent> {
    return streamMessage(buf, Envelope.codec(), opts)
  }
}
