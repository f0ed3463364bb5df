import { concat } from 'uint8arrays/concat'
import { equals } from 'uint8arrays/equals'
import { compare } from 'uint8arrays/compare'
import { fromString } from 'uint8arrays/from-string'
import { toString } from 'uint8arrays/to-string'

export { concat as concatBytes, equals as equalBytes, compare as compareBytes }

const encoder = new TextEncoder()

/** UTF-8 bytes of a string. */
export function utf8 (s: string): Uint8Array {
  return encoder.encode(s)
}

/** 4-byte big-endian encoding of an unsigned 32-bit integer. */
export function u32be (n: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n, false)
  return out
}

/** 8-byte big-endian encoding of an unsigned 64-bit integer. */
export function u64be (n: bigint | number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(n), false)
  return out
}

/**
 * Lowercase hex of bytes.
 *
 * @example
 * ```ts
 * toHex(new Uint8Array([1, 255])) // '01ff'
 * ```
 */
export function toHex (bytes: Uint8Array): string {
  return toString(bytes, 'base16')
}

/**
 * Bytes of a hex string; throws a TypeError on anything but an even-length hex string.
 *
 * @example
 * ```ts
 * fromHex('01ff') // Uint8Array [1, 255]
 * ```
 */
export function fromHex (hex: string): Uint8Array {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError('expected an even-length hex string')
  }
  return fromString(hex.toLowerCase(), 'base16')
}

/**
 * The same bytes typed as backed by a plain ArrayBuffer (what the generated protobuf types ask for);
 * copies only when the input is backed by a SharedArrayBuffer.
 */
export function plainBytes (bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? bytes as Uint8Array<ArrayBuffer> : new Uint8Array(bytes)
}

/** Whether a value is a Uint8Array of exactly `length` bytes. */
export function isBytes (value: unknown, length?: number): value is Uint8Array {
  return value instanceof Uint8Array && (length === undefined || value.byteLength === length)
}
