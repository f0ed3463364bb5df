import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
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

  it('refuses a snappy length more than 32 times its input before allocating it', () => {
    // claims 2^27 bytes from 5: a literal "ab" and a copy
    expect(unsnappy(Uint8Array.from([0x80, 0x80, 0x80, 0x40, 0x04, 0x61, 0x62, 0x01, 0x02]))).toBeUndefined()
  })

  it('finds a bit flipped in the filter block the meta-index names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'murmur-table-'))
    try {
      const db = new ClassicLevel<string, string>(dir)
      await db.open()
      await db.batch(Array.from({ length: 3000 }, (_, i) => ({ type: 'put' as const, key: `k${String(i).padStart(6, '0')}`, value: randomBytes(12).toString('hex') })))
      await db.compactRange('k', 'l')
      await db.close()
      const name = (await readdir(dir)).find((file) => file.endsWith('.ldb'))!
      const table = new Uint8Array(await readFile(join(dir, name)))
      expect(checkTableBytes(table)).toBeUndefined()
      // the footer's first handle is the meta-index; its one entry ("filter.leveldb.BuiltinBloomFilter2") names the filter block
      const varint = (bytes: Uint8Array, at: number): [number, number] => {
        let value = 0
        for (let shift = 0; ; shift += 7) {
          const byte = bytes[at++]!
          value += (byte & 0x7f) * 2 ** shift
          if ((byte & 0x80) === 0) return [value, at]
        }
      }
      const footer = table.subarray(table.length - 48)
      const [metaOffset, next] = varint(footer, 0)
      const [metaSize] = varint(footer, next)
      const meta = table.subarray(metaOffset, metaOffset + metaSize)
      expect(new TextDecoder().decode(meta)).toContain('filter.')
      // the handle is the entry's value, the last two varints before the restart array
      const [, afterShared] = varint(meta, 0)
      const [keyLength, afterKey] = varint(meta, afterShared)
      const [, afterValueLength] = varint(meta, afterKey)
      const [filterOffset, afterOffset] = varint(meta, afterValueLength + keyLength)
      const [filterSize] = varint(meta, afterOffset)
      expect(filterSize).toBeGreaterThan(1000)
      const damaged = Uint8Array.from(table)
      damaged[filterOffset + Math.floor(filterSize / 2)]! ^= 0x10
      expect(checkTableBytes(damaged)).toBe(`the filter block at byte ${filterOffset} fails its checksum`)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('refuses bytes that are no table', () => {
    expect(checkTableBytes(new Uint8Array(10))).toBe('shorter than a table footer')
    expect(checkTableBytes(new Uint8Array(100))).toBe('its footer is overwritten')
  })
})
