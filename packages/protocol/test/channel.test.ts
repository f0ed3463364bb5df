import { describe, expect, it } from 'vitest'
import { channelTopic, circleChannel, isCircleChannel, validateChannel, ProtocolError } from '../src/index.js'

describe('channels and topics', () => {
  it('maps channels to topics', () => {
    expect(channelTopic('#lobby')).toBe('murmur/2/#lobby')
    expect(channelTopic('geo:u4pruyd')).toBe('murmur/2/geo:u4pruyd')
    const circle = circleChannel(new Uint8Array(32).fill(7))
    expect(circle).toMatch(/^circle:[0-9a-f]{32}$/)
    expect(isCircleChannel(circle)).toBe(true)
    expect(channelTopic(circle)).toBe(`murmur/2/circle/${circle.slice(7)}`)
  })

  it.each([
    [''], ['lobby'], ['#'], ['#two words'], ['#a/b'], ['geo:aaaa'], ['geo:'], ['circle:xyz'], ['#' + 'a'.repeat(64)],
    ['#cafe\u0301'], // not NFC
    ['#\uD800'] // a lone surrogate
  ])('rejects %j with ERR_BAD_CHANNEL', (name) => {
    let caught: unknown
    try { validateChannel(name) } catch (err) { caught = err }
    expect(caught).toBeInstanceOf(ProtocolError)
    expect((caught as ProtocolError).code).toBe('ERR_BAD_CHANNEL')
  })

  it.each([['#lobby'], ['#Café'], ['#' + 'a'.repeat(63)], ['geo:u4pruydqqvj8'], ['#日本']])('accepts %j', (name) => {
    expect(() => { validateChannel(name) }).not.toThrow()
  })
})
