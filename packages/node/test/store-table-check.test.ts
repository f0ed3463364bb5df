import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { checkTableBytes, crc32c, unsnappy } from '../src/store/table-check.js'

/** CRC32C one byte at a time, the textbook way. */
function slowCrc32c (bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = (crc & 1) !== 0 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

describe('the store\'s table check', () => {
  it('computes CRC32C as LevelDB does (RFC 3720 vector, any length and offset)', () => {
    expect(crc32c(new TextEncoder().encode('123456789'), 0, 9)).toBe(0xe3069283)
    for (let length = 0; length < 40; length++) {
      const bytes = randomBytes(length + 3)
      expect(crc32c(bytes, 3, bytes.length)).toBe(slowCrc32c(bytes.subarray(3)))
    }
  })

  it('decodes snappy literals and overlapping copies, and refuses a copy before the start', () => {
    // length 6; literal "ab"; copy (1-byte offset form) of 4 bytes at distance 2
    expect(unsnappy(Uint8Array.from([6, 0x04, 0x61, 0x62, 0x01, 0x02]))).toEqual(new TextEncoder().encode('ababab'))
    expect(unsnappy(Uint8Array.from([4, 0x01, 0x05]))).toBeUndefined()
  })

  it('refuses bytes that are no table', () => {
    expect(checkTableBytes(new Uint8Array(10))).toBe('shorter than a table footer')
    expect(checkTableBytes(new Uint8Array(100))).toBe('its footer is overwritten')
  })
})
