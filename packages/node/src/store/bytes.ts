/** Byte helpers shared by the key and value codecs. */

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

const TWO_32 = 2 ** 32

/** UTF-8 bytes of a string. */
export function utf8 (text: string): Uint8Array {
  return encoder.encode(text)
}

/** The string of UTF-8 bytes; throws a TypeError on malformed input. */
export function fromUtf8 (bytes: Uint8Array): string {
  return decoder.decode(bytes)
}

/** Whether a string survives a UTF-8 round trip (it holds no lone surrogate). */
export function isWellFormed (text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)
}

/** Write a non-negative safe integer as 8 big-endian bytes at `offset`. */
export function writeU64 (view: DataView, offset: number, value: number): void {
  view.setUint32(offset, Math.floor(value / TWO_32))
  view.setUint32(offset + 4, value % TWO_32)
}

/** Read 8 big-endian bytes at `offset` as a number (exact up to 2^53 - 1). */
export function readU64 (view: DataView, offset: number): number {
  return view.getUint32(offset) * TWO_32 + view.getUint32(offset + 4)
}

/** A DataView over exactly the bytes of `bytes`. */
export function viewOf (bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * A plain `Uint8Array` copy of `bytes[start, end)`. Backends may hand out Node `Buffer`s, whose
 * `slice` is a view rather than a copy, so never rely on `slice` to detach bytes.
 */
export function copyBytes (bytes: Uint8Array, start = 0, end = bytes.byteLength): Uint8Array {
  return new Uint8Array(bytes.subarray(start, end))
}

/** The concatenation of `parts`. */
export function concat (parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.byteLength
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}
