/**
 * Geohash cells (the public-domain scheme of G. Niemeyer, 2008): a cell of `n` characters splits the
 * globe `5n` times, longitude first, into a grid of `2^ceil(5n/2)` columns and `2^floor(5n/2)` rows.
 * Pure arithmetic: encode a point, a cell's bounds, a cell at a grid position.
 */

/** The 32 characters of a geohash, in value order (no a, i, l, o). */
export const GEOHASH_ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz'

/** The longest geohash a `geo:` channel may name (channel.ts). */
export const MAX_GEOHASH_LENGTH = 12

/** A cell's bounds in degrees: south ≤ latitude ≤ north, west ≤ longitude ≤ east (never wrapping). */
export interface CellBounds {
  south: number
  west: number
  north: number
  east: number
}

/** The grid of cells of one length: how many columns (longitude) and rows (latitude), and their size in degrees. */
export interface CellGrid {
  columns: number
  rows: number
  width: number
  height: number
}

/**
 * The grid of geohash cells of `length` characters.
 *
 * @example
 * ```ts
 * geohashGrid(2) // { columns: 32, rows: 32, width: 11.25, height: 5.625 }
 * ```
 */
export function geohashGrid (length: number): CellGrid {
  checkLength(length)
  const columns = 2 ** Math.ceil(length * 5 / 2)
  const rows = 2 ** Math.floor(length * 5 / 2)
  return { columns, rows, width: 360 / columns, height: 180 / rows }
}

/**
 * The geohash of `length` characters of the cell holding a point (a point on a cell's edge is in the
 * cell north or east of it; latitude 90 and longitude 180 are in the last row and column).
 *
 * @example
 * ```ts
 * encodeGeohash(57.64911, 10.40744, 6) // 'u4pruy'
 * ```
 */
export function encodeGeohash (lat: number, lon: number, length: number): string {
  checkPoint(lat, lon)
  const grid = geohashGrid(length)
  return geohashAt(gridIndex(lon, -180, grid.width, grid.columns), gridIndex(lat, -90, grid.height, grid.rows), length)
}

/**
 * The geohash of `length` characters at a grid position (column 0 at longitude −180, row 0 at latitude −90).
 *
 * @example
 * ```ts
 * geohashAt(0, 0, 1) // '0'
 * ```
 */
export function geohashAt (column: number, row: number, length: number): string {
  const grid = geohashGrid(length)
  if (!Number.isInteger(column) || column < 0 || column >= grid.columns) throw new RangeError(`expected a column 0..${grid.columns - 1}, got ${column}`)
  if (!Number.isInteger(row) || row < 0 || row >= grid.rows) throw new RangeError(`expected a row 0..${grid.rows - 1}, got ${row}`)
  const lonBits = Math.log2(grid.columns)
  const latBits = Math.log2(grid.rows)
  let hash = ''
  let value = 0
  let lonAt = lonBits
  let latAt = latBits
  for (let bit = 0; bit < length * 5; bit++) {
    // even bits are longitude, odd bits latitude, most significant first
    const next = bit % 2 === 0 ? (column >> --lonAt) & 1 : (row >> --latAt) & 1
    value = value * 2 + next
    if (bit % 5 === 4) {
      hash += GEOHASH_ALPHABET[value]
      value = 0
    }
  }
  return hash
}

/**
 * The bounds of a geohash cell. Throws a RangeError for a string that is not a geohash.
 *
 * @example
 * ```ts
 * geohashBounds('u4pruy') // { south: 57.645263671875, west: 10.404052734375, north: 57.6507568359375, east: 10.4150390625 }
 * ```
 */
export function geohashBounds (hash: string): CellBounds {
  if (typeof hash !== 'string') throw new TypeError('expected a geohash string')
  checkLength(hash.length)
  let column = 0
  let row = 0
  let bit = 0
  for (const char of hash) {
    const value = GEOHASH_ALPHABET.indexOf(char)
    if (value < 0) throw new RangeError(`expected geohash characters (${GEOHASH_ALPHABET}), got ${JSON.stringify(char)}`)
    for (let at = 4; at >= 0; at--, bit++) {
      const next = (value >> at) & 1
      if (bit % 2 === 0) column = column * 2 + next
      else row = row * 2 + next
    }
  }
  const grid = geohashGrid(hash.length)
  return {
    south: row * grid.height - 90,
    west: column * grid.width - 180,
    north: (row + 1) * grid.height - 90,
    east: (column + 1) * grid.width - 180
  }
}

/**
 * The grid index of a coordinate: the last index at the far edge, and one lower when rounding
 * (−1e-300 + 180 is 180) put it on the cell just past it.
 */
function gridIndex (value: number, origin: number, size: number, count: number): number {
  const index = Math.min(count - 1, Math.floor((value - origin) / size))
  return index > 0 && value < origin + index * size ? index - 1 : index
}

/** Throws a RangeError unless `length` is a geohash length, 1..12. */
function checkLength (length: number): void {
  if (!Number.isInteger(length) || length < 1 || length > MAX_GEOHASH_LENGTH) {
    throw new RangeError(`expected a geohash length 1..${MAX_GEOHASH_LENGTH}, got ${length}`)
  }
}

/** Throws a RangeError unless (lat, lon) is a point: latitude −90..90, longitude −180..180. */
export function checkPoint (lat: number, lon: number): void {
  if (typeof lat !== 'number' || !Number.isFinite(lat) || lat < -90 || lat > 90) throw new RangeError(`expected a latitude −90..90, got ${String(lat)}`)
  if (typeof lon !== 'number' || !Number.isFinite(lon) || lon < -180 || lon > 180) throw new RangeError(`expected a longitude −180..180, got ${String(lon)}`)
}
