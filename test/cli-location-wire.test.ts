/**
 * Location channels put only cell names on the wire (issue 18: "only channel names leave the node, never
 * coordinates"). A stock libp2p peer (gossipsub, Kademlia on Murmur's protocol, and a handler for each of
 * Murmur's own protocols, so that the node sends it everything it sends a peer) connects to a node whose
 * user ran `join --near` through the control API and posted in the home cell. Every byte the node sends
 * it is recorded after decryption (a tap on the noise session): subscriptions, gossip and stem frames,
 * DHT messages, sync requests. The cell topics are in it (the tap sees plaintext); the coordinates and
 * the radius are not, in any encoding a program would use (decimal text at any precision, float32/64).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@chainsafe/libp2p-yamux'
import { ControlClient, createControlServer } from '@murmur/cli'
import { channelTopic } from '@murmur/protocol'
import { MemoryDatastore } from 'datastore-core'
import { createLibp2p } from 'libp2p'
import { afterAll, describe, expect, it } from 'vitest'
import { LOOPBACK, startNode } from '../packages/node/test/harness.ts'
import type { ConnectionEncrypter, SecuredConnection } from '@libp2p/interface'
import type { ControlServer } from '@murmur/cli'
import type { Murmur } from '@murmur/node'
import type { Key } from 'interface-datastore'
import type { Libp2p } from 'libp2p'

/** A place in Zurich and a radius whose digits no port number of the run starts with (ephemeral ports are 32768..60999). */
const LAT = 47.376887
const LON = 8.541694
const RADIUS = 1_234

/** Murmur's protocols the stock peer answers (reading what comes, answering nothing), besides gossipsub and Kademlia. */
const SYNC_PROTOCOL = '/murmur/sync/2.1.0'
const MURMUR_PROTOCOLS = [SYNC_PROTOCOL, '/murmur/stem/3.0.0']
const KAD_PROTOCOL = '/murmur/kad/2.0.0'

/** What a leak of a number could look like on the wire. */
function numberForms (value: number): Buffer[] {
  const forms = new Set<string>()
  for (let digits = 1; digits <= 8; digits++) forms.add(value.toFixed(digits))
  forms.add(String(value))
  const text = [...forms].filter((form) => form.replace(/\D/g, '').length >= 4).map((form) => Buffer.from(form))
  const binary: Buffer[] = []
  for (const little of [true, false]) {
    const f64 = Buffer.alloc(8)
    const f32 = Buffer.alloc(4)
    if (little) {
      f64.writeDoubleLE(value)
      f32.writeFloatLE(value)
    } else {
      f64.writeDoubleBE(value)
      f32.writeFloatBE(value)
    }
    binary.push(f64, f32)
  }
  return [...text, ...binary]
}

/** A datastore that tells when a DHT provider record is first stored in it (a peer's ADD_PROVIDER). */
class ProviderRecords extends MemoryDatastore {
  readonly provided: Promise<void>
  private resolve = (): void => {}

  constructor () {
    super()
    this.provided = new Promise((resolve) => { this.resolve = resolve })
  }

  override put (key: Key, value: Uint8Array): ReturnType<MemoryDatastore['put']> {
    if (key.toString().split('/').includes('provider')) this.resolve()
    return super.put(key, value)
  }
}

type NoiseComponents = Parameters<ReturnType<typeof noise>>[0]

/** The noise encrypter, with every decrypted byte the remote sends handed to `record`. */
function tappedNoise (record: (bytes: Uint8Array) => void): (components: NoiseComponents) => ConnectionEncrypter {
  const factory = noise()
  return (components) => {
    const encrypter = factory(components)
    const tap = async (secured: Promise<SecuredConnection>): Promise<SecuredConnection> => {
      const result = await secured
      result.connection.addEventListener('message', (evt) => { record(evt.data.subarray()) })
      return result
    }
    return {
      protocol: encrypter.protocol,
      secureInbound: async (connection, options) => tap(encrypter.secureInbound(connection, options)),
      secureOutbound: async (connection, options) => tap(encrypter.secureOutbound(connection, options))
    }
  }
}

/** `promise`, or a failure naming `what` after 60 s. */
async function bounded (promise: Promise<void>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`the node sent no ${what} in 60 s`)) }, 60_000) })
  try {
    await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

describe('location channels on the wire', () => {
  const running: Array<{ stop(): Promise<void> | void }> = []
  let api: ControlServer | undefined

  afterAll(async () => {
    await api?.close()
    await Promise.all(running.map(async (r) => { await r.stop() }))
  })

  it('a peer of a node that joined near a place receives cell names, never its coordinates or radius', async () => {
    let seen = Buffer.alloc(0)
    const waiters = new Set<() => void>()
    const record = (bytes: Uint8Array): void => {
      seen = Buffer.concat([seen, bytes])
      for (const wake of waiters) wake()
    }
    /** Resolves once the recorded bytes hold `text`. */
    const recorded = async (text: string, timeout = 60_000): Promise<void> => new Promise((resolve, reject) => {
      const timer = setTimeout(() => { waiters.delete(wake); reject(new Error(`the node never sent ${JSON.stringify(text)} in ${timeout} ms`)) }, timeout)
      const wake = (): void => { if (seen.includes(text)) { clearTimeout(timer); waiters.delete(wake); resolve() } }
      waiters.add(wake)
      wake()
    })

    const node: Murmur = await startNode({ channels: ['#lobby'] })
    running.push(node)
    const records = new ProviderRecords()
    const stock: Libp2p = await createLibp2p({
      datastore: records,
      addresses: { listen: LOOPBACK },
      transports: [tcp()],
      connectionEncrypters: [tappedNoise(record)],
      streamMuxers: [yamux()],
      services: {
        identify: identify(),
        ping: ping(),
        pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign' }),
        dht: kadDHT({ protocol: KAD_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper, allowQueryWithZeroPeers: true })
      }
    })
    running.push(stock)
    const opened = new Map<string, Promise<void>>()
    for (const protocol of MURMUR_PROTOCOLS) {
      let streamOpened = (): void => {}
      opened.set(protocol, new Promise((resolve) => { streamOpened = resolve }))
      await stock.handle(protocol, async (stream) => {
        streamOpened()
        // read whatever the node sends (the tap records it), answer nothing
        for await (const chunk of stream) void chunk
        await stream.close().catch(() => {})
      })
    }

    api = await createControlServer({ node, port: 0 })
    const client = new ControlClient({ ...api.address, token: api.token })
    // what `murmur join --near 47.376887,8.541694 --radius 1234m` asks of the daemon
    const cover = await client.request<{ channels: string[], home: string }>('POST', '/places/near', { lat: LAT, lon: LON, radius: RADIUS })
    expect(cover.channels.length).toBeGreaterThan(1)
    const pubsub = (stock.services as { pubsub: { subscribe(topic: string): void } }).pubsub
    for (const channel of cover.channels) pubsub.subscribe(channelTopic(channel))
    await stock.dial(node.getMultiaddrs().find((a) => String(a).startsWith('/ip4/127.0.0.1/tcp/'))!)

    // every cell's subscription, a post in the home cell (stem or gossip), a DHT message, a sync request
    for (const channel of cover.channels) await recorded(channelTopic(channel))
    await client.post({ channel: cover.home, body: 'anyone near the lake?', ttl: 3_600 })
    await recorded('anyone near the lake?')
    // a DHT provider record (the rendezvous) stored here, and a sync request read
    await bounded(records.provided, 'a DHT provider record')
    await bounded(opened.get(SYNC_PROTOCOL) ?? Promise.reject(new Error('no handler')), 'a sync stream')

    const leaks: string[] = []
    for (const [name, value] of [['latitude', LAT], ['longitude', LON], ['radius', RADIUS]] as const) {
      for (const form of numberForms(value)) {
        if (seen.includes(form)) leaks.push(`${name} as ${JSON.stringify(form.toString('latin1'))} (${form.toString('hex')})`)
      }
    }
    expect(leaks, `recorded ${seen.byteLength} bytes`).toEqual([])
  }, 180_000)
})
