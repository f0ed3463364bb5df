import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  EARTH_RADIUS_METERS, LOCATION_LEVELS, MAX_COVER_CELLS, TARGET_COVER_CELLS, distanceToCell, encodeGeohash, geohashBounds,
  greatCircleMeters, locationCell, locationChannel, locationCover, pointChannel, validateChannel, type LocationLevel
} from '../src/index.js'

/** The point `meters` from (lat, lon) on `bearing` degrees (the spherical destination formula). */
function destination (lat: number, lon: number, meters: number, bearing: number): [number, number] {
  const φ1 = lat * Math.PI / 180
  const λ1 = lon * Math.PI / 180
  const δ = meters / EARTH_RADIUS_METERS
  const θ = bearing * Math.PI / 180
  const φ2 = Math.asin(Math.sin(φ1) * Math.cos(δ) + Math.cos(φ1) * Math.sin(δ) * Math.cos(θ))
  const λ2 = λ1 + Math.atan2(Math.sin(θ) * Math.sin(δ) * Math.cos(φ1), Math.cos(δ) - Math.sin(φ1) * Math.sin(φ2))
  const lonOut = ((λ2 * 180 / Math.PI + 540) % 360) - 180
  return [Math.max(-90, Math.min(90, φ2 * 180 / Math.PI)), lonOut]
}

/**
 * The smallest distance from a point to dense samples of a cell's edges, the points level with it among
 * them (0 inside the cell): an independent check of distanceToCell, over by at most half a sample step.
 */
function sampledDistance (lat: number, lon: number, cell: string): number {
  const b = geohashBounds(cell)
  if (lat >= b.south && lat <= b.north && lon >= b.west && lon <= b.east) return 0
  const level = Math.min(b.north, Math.max(b.south, lat))
  const across = Math.min(b.east, Math.max(b.west, lon))
  let least = Math.min(greatCircleMeters(lat, lon, level, b.west), greatCircleMeters(lat, lon, level, b.east), greatCircleMeters(lat, lon, b.south, across), greatCircleMeters(lat, lon, b.north, across))
  for (let i = 0; i <= SAMPLES; i++) {
    const t = i / SAMPLES
    const la = b.south + (b.north - b.south) * t
    const lo = b.west + (b.east - b.west) * t
    for (const [pa, po] of [[la, b.west], [la, b.east], [b.south, lo], [b.north, lo]] as Array<[number, number]>) {
      least = Math.min(least, greatCircleMeters(lat, lon, pa, po))
    }
  }
  return least
}

/** Samples along each edge of a cell. */
const SAMPLES = 200

/** How far a sampled distance may be over the exact one: half the longest sample step, a metre for rounding. */
function samplingError (cell: string): number {
  const b = geohashBounds(cell)
  return Math.max(b.north - b.south, b.east - b.west) * 111_195 / SAMPLES / 2 + 1
}

const latArb = fc.double({ min: -90, max: 90, noNaN: true })
const lonArb = fc.double({ min: -180, max: 180, noNaN: true })
const radiusArb = fc.double({ min: 100, max: 100_000, noNaN: true })
const levelArb = fc.constantFrom<LocationLevel>(...LOCATION_LEVELS)

describe('geohash', () => {
  it('encodes and bounds the reference point (Niemeyer\'s example)', () => {
    expect(encodeGeohash(57.64911, 10.40744, 11)).toBe('u4pruydqqvj')
    const b = geohashBounds('u4pruydqqvj')
    expect(b.south).toBeLessThanOrEqual(57.64911)
    expect(b.north).toBeGreaterThan(57.64911)
    expect(b.west).toBeLessThanOrEqual(10.40744)
    expect(b.east).toBeGreaterThan(10.40744)
    expect(encodeGeohash(90, 180, 2)).toBe('zz')
    expect(encodeGeohash(-90, -180, 2)).toBe('00')
  })

  it('puts every point inside the bounds of its cell', () => {
    fc.assert(fc.property(latArb, lonArb, fc.integer({ min: 1, max: 12 }), (lat, lon, length) => {
      const b = geohashBounds(encodeGeohash(lat, lon, length))
      expect(lat).toBeGreaterThanOrEqual(b.south)
      expect(lat).toBeLessThanOrEqual(b.north)
      expect(lon).toBeGreaterThanOrEqual(b.west)
      expect(lon).toBeLessThanOrEqual(b.east)
    }))
  })

  it('refuses what is not a geohash or a point', () => {
    expect(() => geohashBounds('u4pa')).toThrow(RangeError)
    expect(() => geohashBounds('')).toThrow(RangeError)
    expect(() => encodeGeohash(91, 0, 5)).toThrow(RangeError)
    expect(() => encodeGeohash(0, Number.NaN, 5)).toThrow(RangeError)
  })
})

describe('location channels', () => {
  it('names a cell geo:<cell>, a valid channel, and reads it back', () => {
    expect(locationChannel('U4PRU')).toBe('geo:u4pru')
    expect(pointChannel(57.64911, 10.40744, 5)).toBe('geo:u4pru')
    expect(locationCell('geo:u4pru')).toBe('u4pru')
    expect(locationCell('#lobby')).toBeUndefined()
    expect(locationCell('geo:u4pa')).toBeUndefined()
    for (const level of LOCATION_LEVELS) expect(() => { validateChannel(pointChannel(-33.9, 151.2, level)) }).not.toThrow()
    expect(() => locationChannel('u4pa')).toThrow(expect.objectContaining({ name: 'LocationError', code: 'ERR_NOT_A_PLACE' }))
  })

  it('refuses bad coordinates, radii and levels with stable codes', () => {
    const code = (f: () => unknown): string | undefined => { try { f() } catch (err) { return (err as { code?: string }).code } return undefined }
    expect(code(() => locationCover({ lat: 91, lon: 0, radiusMeters: 5000 }))).toBe('ERR_BAD_COORDINATES')
    expect(code(() => locationCover({ lat: 0, lon: -181, radiusMeters: 5000 }))).toBe('ERR_BAD_COORDINATES')
    expect(code(() => locationCover({ lat: 0, lon: 0, radiusMeters: 50 }))).toBe('ERR_BAD_RADIUS')
    expect(code(() => locationCover({ lat: 0, lon: 0, radiusMeters: 100_001 }))).toBe('ERR_BAD_RADIUS')
    expect(code(() => locationCover({ lat: 0, lon: 0, radiusMeters: Number.NaN }))).toBe('ERR_BAD_RADIUS')
    expect(code(() => locationCover({ lat: 0, lon: 0, radiusMeters: 5000 }, { level: 3 as LocationLevel }))).toBe('ERR_BAD_LEVEL')
    expect(code(() => locationCover({ lat: 0, lon: 0, radiusMeters: 100_000 }, { level: 6 }))).toBe('ERR_COVER_TOO_LARGE')
  })

  it('covers 5 km in Aalborg with town or city cells around the home cell', () => {
    const cover = locationCover({ lat: 57.64911, lon: 10.40744, radiusMeters: 5000 })
    expect(cover.channels).toContain(cover.home)
    expect(cover.channels.length).toBeLessThanOrEqual(TARGET_COVER_CELLS)
    expect(cover.level === 5 || cover.level === 4).toBe(true)
    // never finer than asked
    expect(locationCover({ lat: 57.64911, lon: 10.40744, radiusMeters: 100 }).level).toBe(5)
    expect(locationCover({ lat: 57.64911, lon: 10.40744, radiusMeters: 100 }, { finestLevel: 6 }).level).toBe(6)
  })

  it('covers a circle round a pole with every cell of the polar row', () => {
    for (const lat of [90, -90, 89.9999]) {
      const cover = locationCover({ lat, lon: 12, radiusMeters: 5000 })
      expect(cover.level).toBe(2)
      expect(cover.channels).toHaveLength(32)
    }
  })

  it('covers both sides of the antimeridian', () => {
    const cover = locationCover({ lat: -16.7, lon: 179.99, radiusMeters: 5000 }, { level: 4 })
    const cells = cover.channels.map((c) => locationCell(c) ?? '')
    expect(cells.some((c) => geohashBounds(c).east === 180)).toBe(true)
    expect(cells.some((c) => geohashBounds(c).west === -180)).toBe(true)
    expect(cover.channels).toContain(pointChannel(-16.7, -179.995, 4))
  })

  it('holds every point of the circle, only cells the circle touches, and at most the bound (property)', () => {
    fc.assert(fc.property(latArb, lonArb, radiusArb, fc.option(levelArb, { nil: undefined }), fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 360, noNaN: true })), { minLength: 8, maxLength: 8 }), (lat, lon, radiusMeters, level, samples) => {
      let cover
      try {
        cover = locationCover({ lat, lon, radiusMeters }, { level })
      } catch (err) {
        // only a level forced finer than the radius allows
        expect(level).toBeDefined()
        expect((err as { code: string }).code).toBe('ERR_COVER_TOO_LARGE')
        return
      }
      expect(cover.channels.length).toBeLessThanOrEqual(MAX_COVER_CELLS)
      if (level === undefined && cover.level !== 2) expect(cover.channels.length).toBeLessThanOrEqual(TARGET_COVER_CELLS)
      expect(new Set(cover.channels).size).toBe(cover.channels.length)
      expect(cover.channels).toContain(cover.home)
      // every point within the radius (the rim included) is in a cell of the cover
      for (const [fraction, bearing] of [...samples, [1, 0], [1, 90], [1, 180], [1, 270]] as Array<[number, number]>) {
        const [pLat, pLon] = destination(lat, lon, radiusMeters * fraction * 0.999999, bearing)
        expect(cover.channels).toContain(pointChannel(pLat, pLon, cover.level))
      }
      // every cell is touched: its nearest point, found by sampling, is within the radius
      for (const channel of cover.channels) {
        const cell = locationCell(channel) ?? ''
        expect(distanceToCell(lat, lon, cell)).toBeLessThanOrEqual(radiusMeters)
        expect(sampledDistance(lat, lon, cell)).toBeLessThanOrEqual(radiusMeters + samplingError(cell))
      }
    }), { numRuns: 300 })
  })

  it('measures the distance to a cell as dense sampling does (property)', () => {
    fc.assert(fc.property(latArb, lonArb, latArb, lonArb, fc.constantFrom(2, 3, 4), (lat, lon, cLat, cLon, length) => {
      const cell = encodeGeohash(cLat, cLon, length)
      const exact = distanceToCell(lat, lon, cell)
      const sampled = sampledDistance(lat, lon, cell)
      // never more than a sampled point's distance, never less than it by more than the sampling step
      expect(exact).toBeLessThanOrEqual(sampled * (1 + 1e-9) + 1e-6)
      expect(exact).toBeGreaterThanOrEqual(sampled - samplingError(cell))
    }), { numRuns: 300 })
  })
})
