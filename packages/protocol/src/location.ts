/**
 * Location channels: a `geo:<geohash>` channel per cell, at four levels from region to neighbourhood,
 * and the cells that cover a circle (a point and a radius). Coordinates stay in the caller: only cell
 * names come out of here, and only they ever reach the network.
 */
import { GEOHASH_ALPHABET, MAX_GEOHASH_LENGTH, checkPoint, encodeGeohash, geohashAt, geohashBounds, geohashGrid, type CellBounds } from './geohash.js'

/**
 * The cell lengths a location channel is joined at from coordinates: 2 (a region, ~1,250 × 625 km at
 * the equator), 4 (a city, ~39 × 20 km), 5 (a town, ~4.9 × 4.9 km), 6 (a neighbourhood, ~1.2 × 0.6 km).
 * Cells narrow east–west towards the poles.
 */
export const LOCATION_LEVELS = [2, 4, 5, 6] as const

/** A level of {@link LOCATION_LEVELS}. */
export type LocationLevel = typeof LOCATION_LEVELS[number]

/** The finest level a cover picks by itself: a town cell, so that what mesh peers see of a subscription is a few km wide at least. */
export const DEFAULT_FINEST_LEVEL: LocationLevel = 5

/** A cover of more cells than this is taken at a coarser level, when there is one. */
export const TARGET_COVER_CELLS = 9

/**
 * The most cells a cover ever holds: a circle of at most {@link MAX_RADIUS_METERS} around a pole
 * touches every one of the 32 level-2 cells of the polar row.
 */
export const MAX_COVER_CELLS = 32

/** The smallest radius of a cover, in metres. */
export const MIN_RADIUS_METERS = 100

/** The largest radius of a cover, in metres: under a level-2 cell's height, so a cover holds two rows at most. */
export const MAX_RADIUS_METERS = 100_000

/** Mean Earth radius in metres (IUGG), for great-circle distances. */
export const EARTH_RADIUS_METERS = 6_371_008.8

/** The code of a {@link LocationError}. */
export type LocationErrorCode = 'ERR_BAD_COORDINATES' | 'ERR_BAD_RADIUS' | 'ERR_BAD_LEVEL' | 'ERR_COVER_TOO_LARGE' | 'ERR_NOT_A_PLACE'

/** Thrown when coordinates, a radius, a level or a place name cannot be used; `code` says which. */
export class LocationError extends Error {
  static override readonly name = 'LocationError'
  override readonly name = 'LocationError'
  readonly code: LocationErrorCode

  constructor (code: LocationErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** A circle on the globe: its centre in degrees and its radius in metres. */
export interface Circle {
  lat: number
  lon: number
  radiusMeters: number
}

/** Options of {@link locationCover}. */
export interface LocationCoverOptions {
  /** Take the cover at this level, whatever its size (up to {@link MAX_COVER_CELLS}). */
  level?: LocationLevel
  /**
   * The finest level picked when `level` is not given.
   *
   * @default DEFAULT_FINEST_LEVEL (5)
   */
  finestLevel?: LocationLevel
}

/** The location channels covering a circle. */
export interface LocationCover {
  /** The level of every cell. */
  level: LocationLevel
  /** `geo:<cell>` of every cell the circle touches, sorted; the home channel among them. */
  channels: string[]
  /** `geo:<cell>` of the cell holding the centre: where posts from here go. */
  home: string
}

/**
 * The location channel of a geohash cell: `geo:<cell>`.
 *
 * @example
 * ```ts
 * locationChannel('u4pru') // 'geo:u4pru'
 * ```
 */
export function locationChannel (cell: string): string {
  return `geo:${cellOf(cell)}`
}

/**
 * The geohash cell of a location channel (`geo:u4pru` → `u4pru`), or undefined for any other channel.
 *
 * @example
 * ```ts
 * locationCell('geo:u4pru') // 'u4pru'
 * locationCell('#lobby')    // undefined
 * ```
 */
export function locationCell (channel: string): string | undefined {
  if (typeof channel !== 'string' || !channel.startsWith('geo:')) return undefined
  const cell = channel.slice(4)
  return isCell(cell) ? cell : undefined
}

/**
 * The location channel at `level` of the cell holding a point. Throws a LocationError
 * (`ERR_BAD_COORDINATES`, `ERR_BAD_LEVEL`).
 *
 * @example
 * ```ts
 * pointChannel(57.64911, 10.40744, 5) // 'geo:u4pru'
 * ```
 */
export function pointChannel (lat: number, lon: number, level: LocationLevel): string {
  checkCoordinates(lat, lon)
  checkLevel(level)
  return `geo:${encodeGeohash(lat, lon, level)}`
}

/**
 * The location channels covering a circle: every cell at one level the circle touches (great-circle
 * distance, so right at the poles and across the antimeridian). Without `level`, the finest level up to
 * `finestLevel` whose cover holds at most {@link TARGET_COVER_CELLS} cells, else level 2. Throws a
 * LocationError: `ERR_BAD_COORDINATES`, `ERR_BAD_RADIUS` (outside 100 m..100 km), `ERR_BAD_LEVEL`,
 * `ERR_COVER_TOO_LARGE` (a `level` too fine for the radius).
 *
 * @example
 * ```ts
 * const { level, channels, home } = locationCover({ lat: 57.64911, lon: 10.40744, radiusMeters: 5000 })
 * // level 5 (or 4 when 5 needs more than 9 cells), channels ['geo:u4prg', 'geo:u4pru', …], home 'geo:u4pru'
 * ```
 */
export function locationCover (circle: Circle, options: LocationCoverOptions = {}): LocationCover {
  const { lat, lon, radiusMeters } = circle
  checkCoordinates(lat, lon)
  if (typeof radiusMeters !== 'number' || !Number.isFinite(radiusMeters) || radiusMeters < MIN_RADIUS_METERS || radiusMeters > MAX_RADIUS_METERS) {
    throw new LocationError('ERR_BAD_RADIUS', `expected a radius of ${MIN_RADIUS_METERS} m to ${MAX_RADIUS_METERS / 1000} km, got ${String(radiusMeters)} m`)
  }
  if (options.level !== undefined) {
    checkLevel(options.level)
    const cells = coverCells(circle, options.level, MAX_COVER_CELLS)
    if (cells === undefined) {
      throw new LocationError('ERR_COVER_TOO_LARGE', `a radius of ${radiusMeters} m covers more than ${MAX_COVER_CELLS} cells of level ${options.level}: choose a coarser level or a smaller radius`)
    }
    return coverOf(circle, options.level, cells)
  }
  const finest = options.finestLevel ?? DEFAULT_FINEST_LEVEL
  checkLevel(finest)
  for (const level of [...LOCATION_LEVELS].reverse()) {
    if (level > finest) continue
    const cells = coverCells(circle, level, TARGET_COVER_CELLS)
    if (cells !== undefined) return coverOf(circle, level, cells)
  }
  // only near a pole, where every level-2 cell of the polar row meets at one point
  const cells = coverCells(circle, 2, MAX_COVER_CELLS)
  if (cells === undefined) throw new LocationError('ERR_COVER_TOO_LARGE', `a radius of ${radiusMeters} m covers more than ${MAX_COVER_CELLS} cells`)
  return coverOf(circle, 2, cells)
}

/**
 * The great-circle distance in metres from a point to the nearest point of a cell (0 inside it).
 *
 * @example
 * ```ts
 * distanceToCell(57.64911, 10.40744, 'u4pru') // 0
 * ```
 */
export function distanceToCell (lat: number, lon: number, cell: string): number {
  checkCoordinates(lat, lon)
  return distanceToBounds(lat, lon, geohashBounds(cellOf(cell)))
}

/**
 * The great-circle distance in metres between two points (haversine).
 *
 * @example
 * ```ts
 * Math.round(greatCircleMeters(0, 0, 0, 1)) // 111195
 * ```
 */
export function greatCircleMeters (lat1: number, lon1: number, lat2: number, lon2: number): number {
  const φ1 = radians(lat1)
  const φ2 = radians(lat2)
  const dφ = φ2 - φ1
  const dλ = radians(lon2 - lon1)
  const h = Math.sin(dφ / 2) ** 2 + Math.cos(φ1) * Math.cos(φ2) * Math.sin(dλ / 2) ** 2
  return 2 * EARTH_RADIUS_METERS * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** The cover of `cells` at `level`, with the home cell. */
function coverOf (circle: Circle, level: LocationLevel, cells: string[]): LocationCover {
  return { level, channels: cells.map((cell) => `geo:${cell}`).sort(), home: `geo:${encodeGeohash(circle.lat, circle.lon, level)}` }
}

/**
 * The cells of `level` that a circle touches, or undefined past `most` cells. Candidates are the cells
 * of the circle's latitude band and longitude span (all longitudes when the circle holds a pole or
 * reaches round it), each kept if its nearest point is within the radius.
 */
function coverCells (circle: Circle, level: LocationLevel, most: number): string[] | undefined {
  const { lat, lon, radiusMeters } = circle
  const grid = geohashGrid(level)
  const angle = radiusMeters / EARTH_RADIUS_METERS
  const reach = angle * 180 / Math.PI
  const south = Math.max(-90, lat - reach)
  const north = Math.min(90, lat + reach)
  const firstRow = rowOf(south, grid.rows, grid.height)
  const lastRow = rowOf(north, grid.rows, grid.height)
  // the widest longitude span of a spherical cap: asin(sin r / cos φ), all round when that exceeds 1
  const spread = Math.sin(angle) / Math.cos(radians(lat))
  const allRound = north >= 90 || south <= -90 || spread >= 1
  const span = allRound ? 180 : Math.asin(spread) * 180 / Math.PI
  const firstColumn = allRound ? 0 : Math.floor((lon - span + 180) / grid.width)
  const columns = allRound ? grid.columns : Math.min(grid.columns, Math.floor((lon + span + 180) / grid.width) - firstColumn + 1)
  if ((lastRow - firstRow + 1) * columns > most * 4) {
    // far more candidates than could be kept: the circle is much wider than a cell
    return undefined
  }
  const cells: string[] = []
  for (let row = firstRow; row <= lastRow; row++) {
    for (let i = 0; i < columns; i++) {
      const column = ((firstColumn + i) % grid.columns + grid.columns) % grid.columns
      const cell = geohashAt(column, row, level)
      if (distanceToBounds(lat, lon, geohashBounds(cell)) <= radiusMeters) {
        if (cells.length === most) return undefined
        cells.push(cell)
      }
    }
  }
  return cells
}

/** The row holding a latitude (90 in the last row). */
function rowOf (lat: number, rows: number, height: number): number {
  return Math.min(rows - 1, Math.floor((lat + 90) / height))
}

/**
 * The great-circle distance from a point to a cell. Inside the cell's longitudes the nearest point is
 * straight north or south; outside them it is on the nearer meridian edge (along a parallel the
 * distance grows with the longitude difference), where the distance to the edge's points has one
 * maximum and one minimum: the minimum is at the foot of the perpendicular, clamped to the edge, or at
 * an end.
 */
function distanceToBounds (lat: number, lon: number, bounds: CellBounds): number {
  if (withinLongitudes(lon, bounds)) {
    if (lat < bounds.south) return greatCircleMeters(lat, lon, bounds.south, lon)
    if (lat > bounds.north) return greatCircleMeters(lat, lon, bounds.north, lon)
    return 0
  }
  return Math.min(distanceToMeridian(lat, lon, bounds.west, bounds), distanceToMeridian(lat, lon, bounds.east, bounds))
}

/** The distance from a point to a cell's edge on meridian `edge`. */
function distanceToMeridian (lat: number, lon: number, edge: number, bounds: CellBounds): number {
  const φ = radians(lat)
  const foot = Math.atan2(Math.sin(φ), Math.cos(φ) * Math.cos(radians(lon - edge))) * 180 / Math.PI
  const clamped = Math.min(bounds.north, Math.max(bounds.south, foot))
  return Math.min(
    greatCircleMeters(lat, lon, clamped, edge),
    greatCircleMeters(lat, lon, bounds.south, edge),
    greatCircleMeters(lat, lon, bounds.north, edge)
  )
}

/** Whether a longitude is within a cell's longitudes (−180 and 180 are one meridian). */
function withinLongitudes (lon: number, bounds: CellBounds): boolean {
  return (lon >= bounds.west && lon <= bounds.east) || (lon === -180 && bounds.east === 180) || (lon === 180 && bounds.west === -180)
}

/** Degrees to radians. */
function radians (degrees: number): number {
  return degrees * Math.PI / 180
}

/** Whether a string is a geohash of 1..12 characters. */
function isCell (cell: string): boolean {
  if (cell.length < 1 || cell.length > MAX_GEOHASH_LENGTH) return false
  for (const char of cell) {
    if (!GEOHASH_ALPHABET.includes(char)) return false
  }
  return true
}

/** A cell as given, lower-cased; a LocationError `ERR_NOT_A_PLACE` if it is not a geohash. */
function cellOf (cell: string): string {
  const lower = typeof cell === 'string' ? cell.toLowerCase() : ''
  if (!isCell(lower)) {
    throw new LocationError('ERR_NOT_A_PLACE', `expected a geohash cell of 1..${MAX_GEOHASH_LENGTH} characters of ${GEOHASH_ALPHABET}, got ${JSON.stringify(String(cell).slice(0, 40))}`)
  }
  return lower
}

/** A LocationError `ERR_BAD_COORDINATES` unless (lat, lon) is a point. */
function checkCoordinates (lat: number, lon: number): void {
  try {
    checkPoint(lat, lon)
  } catch (err) {
    throw new LocationError('ERR_BAD_COORDINATES', (err as Error).message, { cause: err })
  }
}

/** A LocationError `ERR_BAD_LEVEL` unless `level` is one of {@link LOCATION_LEVELS}. */
function checkLevel (level: number): void {
  if (!(LOCATION_LEVELS as readonly number[]).includes(level)) {
    throw new LocationError('ERR_BAD_LEVEL', `expected a level of ${LOCATION_LEVELS.join(', ')} characters, got ${String(level)}`)
  }
}
