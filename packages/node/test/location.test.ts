import { describe, expect, it } from 'vitest'
import { locationCover } from '@murmur/protocol'
import { MemoryLevel } from 'memory-level'
import { PLACES_SUBLEVEL, createPlaces, placesKeep, type PlacesComponents } from '../src/location.js'

/** A node's channels and posts, in memory. */
function fakeNode (posts: Record<string, string> = {}): PlacesComponents & { joined: Set<string> } {
  const joined = new Set<string>()
  return {
    joined,
    join: async (channel) => { joined.add(channel) },
    leave: async (channel) => { joined.delete(channel) },
    channels: () => [...joined],
    get: async (id) => posts[id] === undefined ? undefined : { channel: posts[id] }
  }
}

const AALBORG = { lat: 57.64911, lon: 10.40744 }

describe('places', () => {
  it('joins the cover of a place and moves with it, keeping channels joined by name', async () => {
    const node = fakeNode()
    node.joined.add('#lobby')
    const places = createPlaces(node)
    const cover = await places.joinNear({ ...AALBORG, radiusMeters: 5000 })
    expect(cover).toEqual(locationCover({ ...AALBORG, radiusMeters: 5000 }))
    expect([...node.joined].sort()).toEqual(['#lobby', ...cover.channels].sort())
    const far = await places.joinNear({ lat: -33.87, lon: 151.21, radiusMeters: 2000 })
    expect([...node.joined].sort()).toEqual(['#lobby', ...far.channels].sort())
    expect(places.state().near).toEqual(far)
    await places.leaveNear()
    expect([...node.joined]).toEqual(['#lobby'])
    expect(places.state()).toEqual({ peeked: [] })
  })

  it('never leaves a cover channel the user had joined by name', async () => {
    const node = fakeNode()
    const home = locationCover({ ...AALBORG, radiusMeters: 5000 }).home
    node.joined.add(home)
    const places = createPlaces(node)
    await places.joinNear({ ...AALBORG, radiusMeters: 5000 })
    await places.joinNear({ lat: 0, lon: 0, radiusMeters: 1000 })
    expect(node.joined.has(home)).toBe(true)
  })

  it('peeks at a far place by cell or coordinates, and refuses posts, replies and votes there', async () => {
    const node = fakeNode({ ['a'.repeat(64)]: 'geo:dr5r', ['b'.repeat(64)]: '#lobby' })
    const places = createPlaces(node)
    expect(await places.peek('geo:DR5R')).toBe('geo:dr5r')
    expect(await places.peek({ lat: 40.71, lon: -74.0 })).toBe('geo:dr5r')
    expect(await places.peek('u4pru')).toBe('geo:u4pru')
    expect(node.joined.has('geo:dr5r')).toBe(true)
    expect(places.state().peeked).toEqual(['geo:dr5r', 'geo:u4pru'])
    // in the node's own words, naming no UI's command (the CLI adds its `murmur join`, the page its panel)
    expect(() => { places.assertPostable('geo:dr5r') }).toThrow(expect.objectContaining({ name: 'PeekOnlyError', code: 'ERR_PEEK_ONLY', channel: 'geo:dr5r', message: 'geo:dr5r is only peeked at: join it to post, reply or vote there' }))
    await expect(places.assertAnswerable('a'.repeat(64))).rejects.toMatchObject({ code: 'ERR_PEEK_ONLY' })
    await places.assertAnswerable('b'.repeat(64))
    await places.assertAnswerable('c'.repeat(64))
    places.assertPostable('#lobby')
    await places.leave('geo:dr5r')
    expect(node.joined.has('geo:dr5r')).toBe(false)
    places.assertPostable('geo:dr5r')
  })

  it('refuses what is not a place with a stable code', async () => {
    const places = createPlaces(fakeNode())
    for (const bad of ['#lobby', 'geo:u4pa', 'circle:00', '', { lat: 91, lon: 0 }]) {
      await expect(places.peek(bad)).rejects.toMatchObject({ name: 'LocationError' })
    }
    await expect(places.joinNear({ ...AALBORG, radiusMeters: 10 })).rejects.toMatchObject({ code: 'ERR_BAD_RADIUS' })
  })

  it('keeps a channel joined by name postable when it is peeked, and a peeked one postable once joined near', async () => {
    const node = fakeNode()
    node.joined.add('geo:u4pr')
    const places = createPlaces(node)
    await places.peek('geo:u4pr')
    places.assertPostable('geo:u4pr')
    const cover = await places.joinNear({ ...AALBORG, radiusMeters: 5000, level: 4 })
    await places.peek(cover.home)
    places.assertPostable(cover.home)
    const other = await places.peek('geo:u4')
    expect(places.isPeeked(other)).toBe(true)
    await places.joinNear({ ...AALBORG, radiusMeters: 100_000, level: 2 })
    places.assertPostable('geo:u4')
  })

  it('takes back a kept state, peeked channels still peeked; a channel left by name loses its mark', async () => {
    const node = fakeNode()
    const first = createPlaces(node)
    await first.joinNear({ ...AALBORG, radiusMeters: 5000 })
    await first.peek('geo:dr5r')
    const kept = JSON.parse(JSON.stringify(first.state()))
    const again = fakeNode()
    const second = createPlaces(again)
    await second.restore(kept)
    expect(second.state()).toEqual(kept)
    expect(second.isPeeked('geo:dr5r')).toBe(true)
    await again.leave('geo:dr5r')
    expect(second.isPeeked('geo:dr5r')).toBe(false)
  })
})

describe('placesKeep', () => {
  it('keeps the state in the database across runs, and reads a damaged record as nothing', async () => {
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
    const first = createPlaces({ ...fakeNode(), keep: placesKeep(db) })
    await first.joinNear({ ...AALBORG, radiusMeters: 5000 })
    await first.peek('geo:dr5r')
    const node = fakeNode()
    const second = createPlaces({ ...node, keep: placesKeep(db) })
    await second.restore()
    expect(second.state()).toEqual(first.state())
    expect(node.joined.has('geo:dr5r')).toBe(true)
    expect(() => { second.assertPostable('geo:dr5r') }).toThrow(expect.objectContaining({ code: 'ERR_PEEK_ONLY' }))
    // no coordinates anywhere in what is kept
    const kept = await db.sublevel<string, string>(PLACES_SUBLEVEL, { keyEncoding: 'utf8', valueEncoding: 'utf8' }).get('state')
    expect(kept).not.toMatch(/57\.6|10\.4/)
    await db.sublevel<string, string>(PLACES_SUBLEVEL, { keyEncoding: 'utf8', valueEncoding: 'utf8' }).put('state', '{"peeked":["#lobby","geo:u4pa","geo:dr5r"],"near":{"level":3}')
    expect(await placesKeep(db).load()).toBeUndefined()
    await db.sublevel<string, string>(PLACES_SUBLEVEL, { keyEncoding: 'utf8', valueEncoding: 'utf8' }).put('state', '{"peeked":["#lobby","geo:u4pa","geo:dr5r"],"near":{"level":3,"channels":["geo:u4"],"home":"geo:u4"}}')
    expect(await placesKeep(db).load()).toEqual({ peeked: ['geo:dr5r'] })
  })
})
