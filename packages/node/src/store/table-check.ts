/**
 * A check of a LevelDB directory's live tables (`.ldb` files) against their own block checksums, run
 * when the store opens. LevelDB (classic-level) reads without verifying checksums and offers no switch
 * for it, so bytes overwritten inside a stored value come back as they are, and the damage shows only
 * when a feed decodes that record; a full read through the database (measured on 10,000 posts: 0.3–2 s,
 * most of it per-entry overhead) misses that case all the same. This reads each table once and checks
 * the CRC32C of every block the table's index names (format: leveldb doc/table_format.md), which finds
 * any overwritten byte; measured on 10,000 posts (17 MB of tables), see bench/store-check.ts.
 */
import { open, readdir } from 'node:fs/promises'
import { join } from 'node:path'

/** Where a table failed its check. */
export interface TableDamage {
  /** The table's file name, e.g. `000009.ldb`. */
  file: string
  /** What is wrong with it, in words. */
  reason: string
}

/** A table's footer: two block handles, padding, and this magic number (little-endian). */
const FOOTER_BYTES = 48
const TABLE_MAGIC = [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb]
/** Each block is followed by its compression type (1 byte) and masked CRC32C (4 bytes). */
const TRAILER_BYTES = 5
const MASK_DELTA = 0xa282ead8

/** CRC32C lookup tables for slicing by 8 bytes (table k: the CRC of a byte followed by k zero bytes). */
const CRC_TABLES = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256))
  const first = tables[0]!
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    first[n] = c >>> 0
  }
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) tables[k]![n] = (tables[k - 1]![n]! >>> 8) ^ first[tables[k - 1]![n]! & 0xff]!
  }
  return tables as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array]
})()

/** CRC32C (Castagnoli) of `bytes[start, end)`, as LevelDB computes it; eight bytes a step. */
export function crc32c (bytes: Uint8Array, start: number, end: number): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC_TABLES
  let crc = 0xffffffff
  let i = start
  for (; i + 8 <= end; i += 8) {
    crc ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    crc = t7[crc & 0xff]! ^ t6[(crc >>> 8) & 0xff]! ^ t5[(crc >>> 16) & 0xff]! ^ t4[crc >>> 24]! ^
      t3[bytes[i + 4]!]! ^ t2[bytes[i + 5]!]! ^ t1[bytes[i + 6]!]! ^ t0[bytes[i + 7]!]!
  }
  for (; i < end; i++) crc = t0[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/** Reads a varint at `at`: the value and the offset past it; undefined when it runs off the end or past 2^53. */
function varint (bytes: Uint8Array, at: number): [number, number] | undefined {
  let value = 0
  for (let shift = 0, i = at; i < bytes.length && shift < 53; shift += 7, i++) {
    value += (bytes[i]! & 0x7f) * 2 ** shift
    if ((bytes[i]! & 0x80) === 0) return [value, i + 1]
  }
  return undefined
}

/** Whether the block at `offset` (of `size` bytes, trailer after it) is inside the file and matches its checksum. */
function blockIntact (file: Uint8Array, offset: number, size: number): boolean {
  const end = offset + size
  if (end + TRAILER_BYTES > file.length) return false
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength)
  const crc = crc32c(file, offset, end + 1)
  const masked = (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0
  return view.getUint32(end + 1, true) === masked
}

/**
 * Snappy's raw format decompressed (LevelDB's only compression, compression type 1): a varint length,
 * then literals and back-references; undefined when the bytes do not decode.
 */
export function unsnappy (input: Uint8Array): Uint8Array | undefined {
  const header = varint(input, 0)
  // snappy expands at most about 21 times (a 3-byte copy of 64 bytes): a larger claim is a lie
  if (header === undefined || header[0] > 1 << 28 || header[0] > 32 * input.length) return undefined
  const out = new Uint8Array(header[0])
  let at = header[1]
  let written = 0
  while (at < input.length) {
    const tag = input[at++]!
    if ((tag & 3) === 0) {
      let length = tag >>> 2
      if (length >= 60) {
        const bytes = length - 59
        if (at + bytes > input.length) return undefined
        length = 0
        for (let i = 0; i < bytes; i++) length += input[at + i]! * 2 ** (8 * i)
        at += bytes
      }
      length += 1
      if (at + length > input.length || written + length > out.length) return undefined
      out.set(input.subarray(at, at + length), written)
      at += length
      written += length
      continue
    }
    let length: number
    let distance: number
    if ((tag & 3) === 1) {
      length = ((tag >>> 2) & 7) + 4
      distance = ((tag >>> 5) << 8) | (input[at++] ?? 0)
    } else {
      const bytes = (tag & 3) === 2 ? 2 : 4
      if (at + bytes > input.length) return undefined
      length = (tag >>> 2) + 1
      distance = 0
      for (let i = 0; i < bytes; i++) distance += input[at + i]! * 2 ** (8 * i)
      at += bytes
    }
    if (distance === 0 || distance > written || written + length > out.length) return undefined
    // byte by byte: a copy may overlap what it writes
    for (let i = 0; i < length; i++, written++) out[written] = out[written - distance]!
  }
  return written === out.length ? out : undefined
}

/** The block handles an index (or meta-index) block lists; undefined when the block does not parse. */
function indexHandles (file: Uint8Array, offset: number, size: number): Array<[number, number]> | undefined {
  const type = file[offset + size]
  const block = type === 0 ? file.subarray(offset, offset + size) : type === 1 ? unsnappy(file.subarray(offset, offset + size)) : undefined
  if (block === undefined || block.length < 4) return undefined
  const restarts = new DataView(block.buffer, block.byteOffset, block.byteLength).getUint32(block.length - 4, true)
  const end = block.length - 4 * (restarts + 1)
  if (end < 0) return undefined
  const handles: Array<[number, number]> = []
  let at = 0
  while (at < end) {
    const shared = varint(block, at)
    const unshared = shared === undefined ? undefined : varint(block, shared[1])
    const length = unshared === undefined ? undefined : varint(block, unshared[1])
    if (length === undefined || unshared === undefined) return undefined
    const value = length[1] + unshared[0]
    const blockOffset = varint(block, value)
    const blockSize = blockOffset === undefined ? undefined : varint(block, blockOffset[1])
    if (blockOffset === undefined || blockSize === undefined) return undefined
    handles.push([blockOffset[0], blockSize[0]])
    at = value + length[0]
  }
  return handles
}

/** Checks one table's bytes: footer, index block, and every data block it names. */
export function checkTableBytes (file: Uint8Array): string | undefined {
  if (file.length < FOOTER_BYTES) return 'shorter than a table footer'
  const footer = file.subarray(file.length - FOOTER_BYTES)
  if (TABLE_MAGIC.some((byte, i) => footer[FOOTER_BYTES - 8 + i] !== byte)) return 'its footer is overwritten'
  const meta = varint(footer, 0)
  const metaSize = meta === undefined ? undefined : varint(footer, meta[1])
  const index = metaSize === undefined ? undefined : varint(footer, metaSize[1])
  const indexSize = index === undefined ? undefined : varint(footer, index[1])
  if (meta === undefined || metaSize === undefined || index === undefined || indexSize === undefined) return 'its footer does not parse'
  if (!blockIntact(file, meta[0], metaSize[0])) return 'its meta-index block fails its checksum'
  if (!blockIntact(file, index[0], indexSize[0])) return 'its index block fails its checksum'
  // the meta-index names the filter block (bloom filter): damage there drops keys from reads silently
  const metaHandles = indexHandles(file, meta[0], metaSize[0])
  if (metaHandles === undefined) return 'its meta-index block does not parse'
  for (const [offset, size] of metaHandles) {
    if (!blockIntact(file, offset, size)) return `the filter block at byte ${offset} fails its checksum`
  }
  const handles = indexHandles(file, index[0], indexSize[0])
  if (handles === undefined) return 'its index block does not parse'
  // data blocks follow one another: an index naming one block again and again would be checked again and again
  let next = 0
  for (const [offset, size] of handles) {
    if (offset < next) return `its index names the data block at byte ${offset} out of order`
    if (!blockIntact(file, offset, size)) return `the data block at byte ${offset} fails its checksum`
    next = offset + size + TRAILER_BYTES
  }
  return undefined
}

/**
 * The damaged tables of LevelDB directory `dir` (every `.ldb` file in it; none when it does not exist).
 * A table gone meanwhile (merged away by a compaction) is skipped.
 *
 * @example
 * ```ts
 * for (const damage of await checkTables('/data/store')) console.error(`${damage.file}: ${damage.reason}`)
 * ```
 */
export async function checkTables (dir: string): Promise<TableDamage[]> {
  let files: string[]
  try {
    files = (await readdir(dir)).filter((name) => /^\d+\.(ldb|sst)$/.test(name)).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const damaged: TableDamage[] = []
  for (const file of files) {
    let bytes: Uint8Array
    try {
      const handle = await open(join(dir, file), 'r')
      try {
        bytes = await handle.readFile()
      } finally {
        await handle.close()
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw err
    }
    const reason = checkTableBytes(bytes)
    if (reason !== undefined) damaged.push({ file, reason })
  }
  return damaged
}

/**
 * The numbers of the live tables LevelDB lists in its `leveldb.sstables` property (a table left over from
 * an interrupted compaction is not listed).
 */
export function liveTables (sstables: string): Set<number> {
  return new Set([...sstables.matchAll(/^\s*(\d+):\d+\[/gm)].map((match) => Number(match[1])))
}
