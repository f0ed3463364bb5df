import { describe, expect, it } from 'vitest'
import { isTypedPoint, parseLevel, parsePoint, parseRadius, placeChannel } from '../src/place-input.js'

describe('place input', () => {
  it('reads coordinates, radii, levels and places as typed', () => {
    expect(parsePoint('57.649,10.407')).toEqual({ lat: 57.649, lon: 10.407 })
    expect(parsePoint(' -33.87 , 151.21 ')).toEqual({ lat: -33.87, lon: 151.21 })
    expect(parseRadius('5km')).toBe(5000)
    expect(parseRadius('800m')).toBe(800)
    expect(parseRadius('2.5KM')).toBe(2500)
    expect(parseRadius('300')).toBe(300)
    expect(parseLevel('6')).toBe(6)
    expect(isTypedPoint('40.71,-74.0')).toBe(true)
    expect(isTypedPoint('dr5r')).toBe(false)
    expect(placeChannel('DR5R', 4)).toBe('geo:dr5r')
    expect(placeChannel('geo:dr5r', 4)).toBe('geo:dr5r')
    expect(placeChannel('40.71,-74.0', 4)).toBe('geo:dr5r')
  })

  it.each([
    [() => parsePoint('57.649'), /LAT,LON/],
    [() => parsePoint('57.649;10.407'), /LAT,LON/],
    [() => parsePoint('91,10'), /latitude .*swap/],
    [() => parsePoint('10,181'), /longitude/],
    [() => parsePoint('NaN,1'), /LAT,LON/],
    [() => parseRadius('5mi'), /m or km/],
    [() => parseRadius('50m'), /100 m to 100 km/],
    [() => parseRadius('101km'), /100 m to 100 km/],
    [() => parseRadius('-5km'), /100 m to 100 km/],
    [() => parseLevel('3'), /2, 4, 5, 6/],
    [() => placeChannel('#lobby', 4), /bad place/],
    [() => placeChannel('geo:u4pa', 4), /bad place/]
  ])('refuses bad input with a UsageError saying what is wrong (%#)', (parse, message) => {
    expect(parse).toThrow(expect.objectContaining({ name: 'UsageError', code: 'ERR_USAGE', message: expect.stringMatching(message) }))
  })
})
