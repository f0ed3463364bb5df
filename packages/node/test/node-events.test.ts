/**
 * The node's own-post events (queued, released, dropped, unprotected) and channel peers (the
 * `channel-peers` event, `channelPeers()`), on real nodes and stock libp2p peers over loopback.
 */
import { describe, expect, it } from 'vitest'
import { channelTopic } from '@murmur/protocol'
import { addressOf, startNode, startStockPeer, waitFor, cleanedAfterEach } from './harness.js'
import type { Murmur, MurmurEvents } from '../src/index.js'

type EventName = keyof MurmurEvents

/** Every event of `types` the node sends, in order, as `[type, detail]`. */
function record (node: Murmur, types: EventName[]): Array<[EventName, Record<string, unknown>]> {
  const seen: Array<[EventName, Record<string, unknown>]> = []
  for (const type of types) {
    node.addEventListener(type, (evt: CustomEvent) => { seen.push([type, evt.detail as Record<string, unknown>]) })
  }
  return seen
}

describe('node events', () => {
  const { running } = cleanedAfterEach()

  it('an own post queued while nobody is in its channel: queued, then released (no stem: unprotected, stem-off)', async () => {
    const alone = await startNode({ stem: false })
    running.push(alone)
    const seen = record(alone, ['queued', 'released', 'dropped', 'unprotected'])
    const { id, status } = await alone.post('#events', 'anyone?')
    expect(status).toBe('queued')
    expect(seen).toEqual([['queued', { id, reason: 'no-connections' }]])

    const neighbour = await startNode({ bootstrap: [addressOf(alone)], channels: ['#events'] })
    running.push(neighbour)
    await waitFor(() => seen.some(([type]) => type === 'released'), 'the queued post released')
    expect(seen).toEqual([
      ['queued', { id, reason: 'no-connections' }],
      ['unprotected', { id, reason: 'stem-off' }],
      ['released', { id }]
    ])
    // the details name the post and nothing else: no PeerId of this node, no key
    const text = JSON.stringify(seen)
    expect(text).not.toContain(alone.peerId.toString())
  })

  it('with the stem and no stem-capable peer, an own post goes out unprotected (no-stem-peer), then released', async () => {
    const node = await startNode({ channels: ['#events'] })
    running.push(node)
    // a stock gossipsub peer speaks no stem protocol: it can receive the post, not hide it
    const stock = await startStockPeer()
    running.push(stock)
    stock.services.pubsub.subscribe(channelTopic('#events'))
    await stock.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => node.channelPeers('#events').length > 0, 'the stock peer in #events')
    const seen = record(node, ['queued', 'released', 'dropped', 'unprotected'])
    const received = new Promise<void>((resolve) => {
      stock.services.pubsub.addEventListener('message', () => { resolve() })
    })
    const { id, status } = await node.post('#events', 'through nobody')
    expect(status).toBe('sent')
    await received
    expect(seen).toEqual([
      ['unprotected', { id, reason: 'no-stem-peer' }],
      ['released', { id }]
    ])
  })

  it('an own post that expires in the outbox is dropped (expired) at the next heartbeat', async () => {
    let offset = 0
    const alone = await startNode({ clock: () => Date.now() + offset })
    running.push(alone)
    const seen = record(alone, ['queued', 'released', 'dropped'])
    const { id, status } = await alone.post('#events', 'short-lived', { ttl: 3600 })
    expect(status).toBe('queued')
    // an hour later by the node's clock (which the outbox reads): 2 s left of a post of the shortest lifetime
    offset = 3_598_000
    await waitFor(() => seen.some(([type]) => type === 'dropped'), 'the expired post dropped', 20_000)
    expect(seen).toEqual([['queued', { id, reason: 'no-connections' }], ['dropped', { id, reason: 'expired' }]])
  })

  it('channel-peers tells who joined and who left a joined channel; channelPeers() agrees', async () => {
    const node = await startNode({ channels: ['#room'] })
    running.push(node)
    const seen = record(node, ['channel-peers'])
    const other = await startNode({ bootstrap: [addressOf(node)], channels: ['#room'] })
    running.push(other)
    const joined = await waitFor(() => seen.find(([, detail]) => (detail.peers as unknown[]).length === 1), 'a channel-peers event with the other node')
    expect(joined[1].channel).toBe('#room')
    expect((joined[1].peers as Array<{ toString(): string }>).map(String)).toEqual([other.peerId.toString()])
    expect(node.channelPeers('#room').map(String)).toEqual([other.peerId.toString()])
    expect(() => node.channelPeers('two words')).toThrow(expect.objectContaining({ name: 'InvalidChannelError' }))

    await other.stop()
    await waitFor(() => seen.at(-1)?.[1] !== undefined && (seen.at(-1)![1].peers as unknown[]).length === 0, 'a channel-peers event without it')
    expect(node.channelPeers('#room')).toEqual([])
  })
})
