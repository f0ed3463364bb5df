/**
 * Places as a person types them on the command line: `LAT,LON` coordinates, a radius with its unit
 * (`5km`, `800m`), a level, a cell. Each parser throws a UsageError that says what is wrong.
 */
import { LOCATION_LEVELS, MAX_RADIUS_METERS, MIN_RADIUS_METERS, locationChannel, pointChannel, type LocationLevel } from '@murmur/protocol'
import { UsageError } from './errors.js'

/** A point typed as `LAT,LON` in decimal degrees. */
export interface TypedPoint {
  lat: number
  lon: number
}

const NUMBER = '[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)'
const POINT = new RegExp(`^\\s*(${NUMBER})\\s*,\\s*(${NUMBER})\\s*$`, 'u')
const RADIUS = new RegExp(`^\\s*(${NUMBER})\\s*(km|m)?\\s*$`, 'iu')

/**
 * Whether a typed place is coordinates (`LAT,LON`) rather than a cell.
 *
 * @example
 * ```ts
 * isTypedPoint('57.649,10.407') // true
 * isTypedPoint('geo:u4pru')     // false
 * ```
 */
export function isTypedPoint (value: string): boolean {
  return POINT.test(value)
}

/**
 * Coordinates typed as `LAT,LON` in decimal degrees (latitude −90..90, longitude −180..180).
 *
 * @example
 * ```ts
 * parsePoint('57.649,10.407') // { lat: 57.649, lon: 10.407 }
 * parsePoint('10.407')        // throws UsageError
 * ```
 */
export function parsePoint (value: string): TypedPoint {
  const match = POINT.exec(value)
  if (match === null) {
    throw new UsageError(`bad coordinates ${JSON.stringify(value.slice(0, 40))}: write LAT,LON in decimal degrees, e.g. 57.649,10.407 (south and west are negative)`)
  }
  const lat = Number(match[1])
  const lon = Number(match[2])
  if (lat < -90 || lat > 90) throw new UsageError(`bad latitude ${match[1]}: it is −90..90 (did you swap LAT and LON?)`)
  if (lon < -180 || lon > 180) throw new UsageError(`bad longitude ${match[2]}: it is −180..180`)
  return { lat, lon }
}

/**
 * A radius typed with its unit, `m` or `km` (metres when there is none), in metres; 100 m..100 km.
 *
 * @example
 * ```ts
 * parseRadius('5km')  // 5000
 * parseRadius('800m') // 800
 * parseRadius('5mi')  // throws UsageError
 * ```
 */
export function parseRadius (value: string): number {
  const match = RADIUS.exec(value)
  if (match === null) {
    throw new UsageError(`bad radius ${JSON.stringify(value.slice(0, 40))}: write a distance in m or km, e.g. 5km or 800m`)
  }
  const meters = Number(match[1]) * ((match[2] ?? 'm').toLowerCase() === 'km' ? 1000 : 1)
  if (!(meters >= MIN_RADIUS_METERS && meters <= MAX_RADIUS_METERS)) {
    throw new UsageError(`bad radius ${value.trim()}: it is ${MIN_RADIUS_METERS} m to ${MAX_RADIUS_METERS / 1000} km`)
  }
  return meters
}

/**
 * A cell level typed as its length in characters: 2, 4, 5 or 6.
 *
 * @example
 * ```ts
 * parseLevel('5') // 5
 * ```
 */
export function parseLevel (value: string): LocationLevel {
  const level = Number(value)
  if (!(LOCATION_LEVELS as readonly number[]).includes(level)) {
    throw new UsageError(`bad level ${JSON.stringify(value.slice(0, 20))}: it is ${LOCATION_LEVELS.join(', ')} (region, city, town, neighbourhood)`)
  }
  return level as LocationLevel
}

/**
 * The location channel a typed place names: `geo:<cell>`, a bare geohash, or `LAT,LON` at `level`.
 *
 * @example
 * ```ts
 * placeChannel('DR5R', 4)          // 'geo:dr5r'
 * placeChannel('40.71,-74.0', 4)   // 'geo:dr5r'
 * ```
 */
export function placeChannel (value: string, level: LocationLevel): string {
  if (isTypedPoint(value)) {
    const { lat, lon } = parsePoint(value)
    return pointChannel(lat, lon, level)
  }
  const trimmed = value.trim().toLowerCase()
  try {
    return locationChannel(trimmed.startsWith('geo:') ? trimmed.slice(4) : trimmed)
  } catch (err) {
    throw new UsageError(`bad place ${JSON.stringify(value.slice(0, 40))}: write a location channel (geo:dr5r), a geohash (dr5r) or LAT,LON`, { cause: err })
  }
}
