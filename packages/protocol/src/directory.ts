import { decodeMessage, encodeMessage, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface MemberStamp {
  memberKey: Uint8Array<ArrayBuffer>
  week: number
  nonce: number
}

export namespace MemberStamp {
  let _codec: Codec<MemberStamp>

  export const codec = (): Codec<MemberStamp> => {
    if (_codec == null) {
      _codec = message<MemberStamp>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.memberKey != null && obj.memberKey.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.memberKey)
        }

        if ((obj.week != null && obj.week !== 0)) {
          w.uint32(16)
          w.uint32(obj.week)
        }

        if ((obj.nonce != null && obj.nonce !== 0)) {
          w.uint32(24)
          w.uint32(obj.nonce)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          memberKey: uint8ArrayAlloc(0),
          week: 0,
          nonce: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.memberKey = reader.bytes()
              break
            }
            case 2: {
              obj.week = reader.uint32()
              break
            }
            case 3: {
              obj.nonce = reader.uint32()
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
                field: `${prefix}.memberKey`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.week`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.nonce`,
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

  export interface MemberStampMemberKeyFieldEvent {
    field: '$.memberKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface MemberStampWeekFieldEvent {
    field: '$.week'
    value: number
  }

  export interface MemberStampNonceFieldEvent {
    field: '$.nonce'
    value: number
  }

  export function encode (obj: Partial<MemberStamp>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, MemberStamp.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MemberStamp>): MemberStamp {
    return decodeMessage(buf, MemberStamp.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MemberStamp>): Generator<MemberStampMemberKeyFieldEvent | MemberStampWeekFieldEvent | MemberStampNonceFieldEvent> {
    return streamMessage(buf, MemberStamp.codec(), opts)
  }
}
