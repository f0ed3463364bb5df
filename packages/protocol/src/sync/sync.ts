import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface SyncRange {
  upperCreated: bigint
  upperId: Uint8Array<ArrayBuffer>
  mode: SyncRange.Mode
  fingerprint: Uint8Array<ArrayBuffer>
  count: number
  ids: Uint8Array<ArrayBuffer>[]
}

export namespace SyncRange {
  export enum Mode {
    SKIP = 'SKIP',
    FINGERPRINT = 'FINGERPRINT',
    ID_LIST = 'ID_LIST'
  }

  enum __ModeValues {
    SKIP = 0,
    FINGERPRINT = 1,
    ID_LIST = 2
  }

  export namespace Mode {
    export const codec = (): Codec<Mode> => {
      return enumeration<Mode>(__ModeValues)
    }
  }

  let _codec: Codec<SyncRange>

  export const codec = (): Codec<SyncRange> => {
    if (_codec == null) {
      _codec = message<SyncRange>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.upperCreated != null && obj.upperCreated !== 0n)) {
          w.uint32(8)
          w.uint64(obj.upperCreated)
        }

        if ((obj.upperId != null && obj.upperId.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.upperId)
        }

        if (obj.mode != null && __ModeValues[obj.mode] !== 0) {
          w.uint32(24)
          SyncRange.Mode.codec().encode(obj.mode, w)
        }

        if ((obj.fingerprint != null && obj.fingerprint.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.fingerprint)
        }

        if ((obj.count != null && obj.count !== 0)) {
          w.uint32(40)
          w.uint32(obj.count)
        }

        if (obj.ids != null && obj.ids.length > 0) {
          for (const value of obj.ids) {
            w.uint32(50)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          upperCreated: 0n,
          upperId: uint8ArrayAlloc(0),
          mode: Mode.SKIP,
          fingerprint: uint8ArrayAlloc(0),
          count: 0,
          ids: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.upperCreated = reader.uint64()
              break
            }
            case 2: {
              obj.upperId = reader.bytes()
              break
            }
            case 3: {
              obj.mode = SyncRange.Mode.codec().decode(reader)
              break
            }
            case 4: {
              obj.fingerprint = reader.bytes()
              break
            }
            case 5: {
              obj.count = reader.uint32()
              break
            }
            case 6: {
              if (opts.limits?.ids != null && obj.ids.length === opts.limits.ids) {
                throw new MaxLengthError('Decode error - repeated field "ids" had too many elements')
              }

              obj.ids.push(reader.bytes())
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
          ids: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.upperCreated`,
                value: reader.uint64()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.upperId`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.mode`,
                value: SyncRange.Mode.codec().decode(reader)
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.fingerprint`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.count`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              if (opts.limits?.ids != null && obj.ids === opts.limits.ids) {
                throw new MaxLengthError('Streaming decode error - repeated field "ids" had too many elements')
              }

              yield {
                field: `${prefix}.ids[]`,
                index: obj.ids,
                value: reader.bytes()
              }

              obj.ids++

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

  export interface SyncRangeUpperCreatedFieldEvent {
    field: '$.upperCreated'
    value: bigint
  }

  export interface SyncRangeUpperIdFieldEvent {
    field: '$.upperId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncRangeModeFieldEvent {
    field: '$.mode'
    value: SyncRange.Mode
  }

  export interface SyncRangeFingerprintFieldEvent {
    field: '$.fingerprint'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncRangeCountFieldEvent {
    field: '$.count'
    value: number
  }

  export interface SyncRangeIdsFieldEvent {
    field: '$.ids[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<SyncRange>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncRange.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncRange>): SyncRange {
    return decodeMessage(buf, SyncRange.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncRange>): Generator<SyncRangeUpperCreatedFieldEvent | SyncRangeUpperIdFieldEvent | SyncRangeModeFieldEvent | SyncRangeFingerprintFieldEvent | SyncRangeCountFieldEvent | SyncRangeIdsFieldEvent> {
    return streamMessage(buf, SyncRange.codec(), opts)
  }
}

export interface SyncMessage {
  topic: string
  ranges: SyncRange[]
  need: Uint8Array<ArrayBuffer>[]
  envelopes: Uint8Array<ArrayBuffer>[]
  pending: number
  sketchSalt?: Uint8Array<ArrayBuffer>
  sketchSize?: number
  sketchMore?: number
  sketchCells?: Uint8Array<ArrayBuffer>
  sketchNeed?: Uint8Array<ArrayBuffer>
}

export namespace SyncMessage {
  let _codec: Codec<SyncMessage>

  export const codec = (): Codec<SyncMessage> => {
    if (_codec == null) {
      _codec = message<SyncMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.topic != null && obj.topic !== '')) {
          w.uint32(10)
          w.string(obj.topic)
        }

        if (obj.ranges != null && obj.ranges.length > 0) {
          for (const value of obj.ranges) {
            w.uint32(18)
            SyncRange.codec().encode(value, w)
          }
        }

        if (obj.need != null && obj.need.length > 0) {
          for (const value of obj.need) {
            w.uint32(26)
            w.bytes(value)
          }
        }

        if (obj.envelopes != null && obj.envelopes.length > 0) {
          for (const value of obj.envelopes) {
            w.uint32(34)
            w.bytes(value)
          }
        }

        if ((obj.pending != null && obj.pending !== 0)) {
          w.uint32(40)
          w.uint32(obj.pending)
        }

        if (obj.sketchSalt != null) {
          w.uint32(50)
          w.bytes(obj.sketchSalt)
        }

        if (obj.sketchSize != null) {
          w.uint32(56)
          w.uint32(obj.sketchSize)
        }

        if (obj.sketchMore != null) {
          w.uint32(64)
          w.uint32(obj.sketchMore)
        }

        if (obj.sketchCells != null) {
          w.uint32(74)
          w.bytes(obj.sketchCells)
        }

        if (obj.sketchNeed != null) {
          w.uint32(82)
          w.bytes(obj.sketchNeed)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          topic: '',
          ranges: [],
          need: [],
          envelopes: [],
          pending: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.topic = reader.string()
              break
            }
            case 2: {
              if (opts.limits?.ranges != null && obj.ranges.length === opts.limits.ranges) {
                throw new MaxLengthError('Decode error - repeated field "ranges" had too many elements')
              }

              obj.ranges.push(SyncRange.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.ranges$
              }))
              break
            }
            case 3: {
              if (opts.limits?.need != null && obj.need.length === opts.limits.need) {
                throw new MaxLengthError('Decode error - repeated field "need" had too many elements')
              }

              obj.need.push(reader.bytes())
              break
            }
            case 4: {
              if (opts.limits?.envelopes != null && obj.envelopes.length === opts.limits.envelopes) {
                throw new MaxLengthError('Decode error - repeated field "envelopes" had too many elements')
              }

              obj.envelopes.push(reader.bytes())
              break
            }
            case 5: {
              obj.pending = reader.uint32()
              break
            }
            case 6: {
              obj.sketchSalt = reader.bytes()
              break
            }
            case 7: {
              obj.sketchSize = reader.uint32()
              break
            }
            case 8: {
              obj.sketchMore = reader.uint32()
              break
            }
            case 9: {
              obj.sketchCells = reader.bytes()
              break
            }
            case 10: {
              obj.sketchNeed = reader.bytes()
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
          ranges: 0,
          need: 0,
          envelopes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.topic`,
                value: reader.string()
              }
              break
            }
            case 2: {
              if (opts.limits?.ranges != null && obj.ranges === opts.limits.ranges) {
                throw new MaxLengthError('Streaming decode error - repeated field "ranges" had too many elements')
              }

              for (const evt of SyncRange.codec().stream(reader, reader.uint32(), `${prefix}.ranges[]`, {
                limits: opts.limits?.ranges$
              })) {
                yield {
                  ...evt,
                  index: obj.ranges
                }
              }

              obj.ranges++

              break
            }
            case 3: {
              if (opts.limits?.need != null && obj.need === opts.limits.need) {
                throw new MaxLengthError('Streaming decode error - repeated field "need" had too many elements')
              }

              yield {
                field: `${prefix}.need[]`,
                index: obj.need,
                value: reader.bytes()
              }

              obj.need++

              break
            }
            case 4: {
              if (opts.limits?.envelopes != null && obj.envelopes === opts.limits.envelopes) {
                throw new MaxLengthError('Streaming decode error - repeated field "envelopes" had too many elements')
              }

              yield {
                field: `${prefix}.envelopes[]`,
                index: obj.envelopes,
                value: reader.bytes()
              }

              obj.envelopes++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.pending`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.sketchSalt`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.sketchSize`,
                value: reader.uint32()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.sketchMore`,
                value: reader.uint32()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.sketchCells`,
                value: reader.bytes()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.sketchNeed`,
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

  export interface SyncMessageTopicFieldEvent {
    field: '$.topic'
    value: string
  }

  export interface SyncMessageRangesUpperCreatedFieldEvent {
    field: '$.ranges[].upperCreated'
    value: bigint
    index: number
  }

  export interface SyncMessageRangesUpperIdFieldEvent {
    field: '$.ranges[].upperId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncMessageRangesModeFieldEvent {
    field: '$.ranges[].mode'
    value: SyncRange.Mode
    index: number
  }

  export interface SyncMessageRangesFingerprintFieldEvent {
    field: '$.ranges[].fingerprint'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncMessageRangesCountFieldEvent {
    field: '$.ranges[].count'
    value: number
    index: number
  }

  export interface SyncMessageRangesIdsFieldEvent {
    field: '$.ranges[].ids[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncMessageNeedFieldEvent {
    field: '$.need[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncMessageEnvelopesFieldEvent {
    field: '$.envelopes[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncMessagePendingFieldEvent {
    field: '$.pending'
    value: number
  }

  export interface SyncMessageSketchSaltFieldEvent {
    field: '$.sketchSalt'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncMessageSketchSizeFieldEvent {
    field: '$.sketchSize'
    value: number
  }

  export interface SyncMessageSketchMoreFieldEvent {
    field: '$.sketchMore'
    value: number
  }

  export interface SyncMessageSketchCellsFieldEvent {
    field: '$.sketchCells'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncMessageSketchNeedFieldEvent {
    field: '$.sketchNeed'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<SyncMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncMessage>): SyncMessage {
    return decodeMessage(buf, SyncMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncMessage>): Generator<SyncMessageTopicFieldEvent | SyncMessageRangesUpperCreatedFieldEvent | SyncMessageRangesUpperIdFieldEvent | SyncMessageRangesModeFieldEvent | SyncMessageRangesFingerprintFieldEvent | SyncMessageRangesCountFieldEvent | SyncMessageRangesIdsFieldEvent | SyncMessageNeedFieldEvent | SyncMessageEnvelopesFieldEvent | SyncMessagePendingFieldEvent | SyncMessageSketchSaltFieldEvent | SyncMessageSketchSizeFieldEvent | SyncMessageSketchMoreFieldEvent | SyncMessageSketchCellsFieldEvent | SyncMessageSketchNeedFieldEvent> {
    return streamMessage(buf, SyncMessage.codec(), opts)
  }
}
