/**
 * Location channels put only cell names on the wire (issue 18: "only channel names leave the node, never
 * coordinates"), through the CLI as a user runs it: a real `murmur daemon` whose user ran `murmur join --near
 * LAT,LON --radius 5km` and `murmur peek` of a far place. A stock libp2p peer (gossipsub, Kademlia on
 * Murmur's protocol, and a handler for each of Murmur's own protocols, so that the daemon sends it
 * everything it sends a peer) records every byte the daemon sends it after decryption (a tap on the noise
 * session): subscriptions, gossip and stem frames, DHT messages, sync requests. The cell topics are in it,
 * the peeked one too; the stock peer's post in the far cell reaches the daemon, whose `murmur feed` reads
 * it and whose `murmur post` there is refused; the daemon's own post in its home cell reaches the peer.
 * Neither place's coordinates nor the radius are in any frame, in any encoding a program would use
 * (decimal text at any precision, float32/64).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@chainsafe/libp2p-yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { buildEnvelope, channelTopic } from '@murmur/protocol'
import { MemoryDatastore } from 'datastore-core'
import { createLibp2p } from 'libp2p'
import { afterAll, describe, expect, it } from 'vitest'
import { LOOPBACK, TEST_UNVERIFIED_POW_BITS, waitFor } from '../packages/node/test/harness.ts'
import { Sandbox } from './cli-harness.ts'
import type { ConnectionEncrypter, SecuredConnection } from '@libp2p/interface'
import type { Key } from 'interface-datastore'
import type { Libp2p } from 'libp2p'

/** A place in Zurich, as `murmur join --near` takes it, and a radius of 5 km (`--radius 5km`). */
const LAT = 47.376887
const LON = 8.541694
const RADIUS_M = 5_000
/** A far place (Tokyo station) that the user peeks at. */
const FAR_LAT = 35.681236
const FAR_LON = 139.767125

/** Murmur's protocols the stock peer answers (reading what comes, answering nothing), besides gossipsub and Kademlia. */
const SYNC_PROTOCOL = '/murmur/sync/2.1.0'
const MURMUR_PROTOCOLS = [SYNC_PROTOCOL, '/murmur/stem/3.0.0']
const KAD_PROTOCOL = '/murmur/kad/2.0.0'

/** What a leak of a number could look like on the wire. */
function numberForms (value: number): Buffer[] {
  const forms = new Set<string>()
  for (let digits = 1; digits <= 8; digits++) forms.add(value.toFixed(digits))
  forms.add(String(value))
  // 4 digits and more; a whole number only with a decimal point (a bare "5000" is in port numbers)
  const text = [...forms].filter((form) => form.replace(/\D/g, '').length >= 4 && form.includes('.')).map((form) => Buffer.from(form))
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

/** `promise`, or a failure naming `what` after 30 s. */
async function bounded (promise: Promise<void>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`the daemon sent no ${what} in 30 s`)) }, 30_000) })
  try {
    await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

describe('location channels on the wire, through the CLI daemon', () => {
  let sandbox: Sandbox | undefined
  let stock: Libp2p | undefined

  afterAll(async () => {
    await stock?.stop()
    await sandbox?.cleanup()
  })

  it('a peer of a daemon that joined near a place and peeks at a far one receives cell names, never coordinates or the radius', async () => {
    let seen = Buffer.alloc(0)
    const waiters = new Set<() => void>()
    const record = (bytes: Uint8Array): void => {
      seen = Buffer.concat([seen, bytes])
      for (const wake of waiters) wake()
    }
    /** Resolves once the recorded bytes hold `text`. */
    const recorded = async (text: string, timeout = 30_000): Promise<void> => new Promise((resolve, reject) => {
      const timer = setTimeout(() => { waiters.delete(wake); reject(new Error(`the daemon never sent ${JSON.stringify(text)} in ${timeout} ms`)) }, timeout)
      const wake = (): void => { if (seen.includes(text)) { clearTimeout(timer); waiters.delete(wake); resolve() } }
      waiters.add(wake)
      wake()
    })

    const box = sandbox = await Sandbox.create()
    const records = new ProviderRecords()
    const [daemon, peer] = await Promise.all([box.daemon('d'), createLibp2p({
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
    })])
    stock = peer
    const opened = new Map<string, Promise<void>>()
    for (const protocol of MURMUR_PROTOCOLS) {
      let streamOpened = (): void => {}
      opened.set(protocol, new Promise((resolve) => { streamOpened = resolve }))
      await peer.handle(protocol, async (stream) => {
        streamOpened()
        // read whatever the daemon sends (the tap records it), answer nothing
        for await (const chunk of stream) void chunk
        await stream.close().catch(() => {})
      })
    }
    /** Runs murmur on the daemon and parses its --json output, failing with its stderr on a non-zero exit. */
    const json = async <T>(args: string[]): Promise<T> => {
      const result = await box.run([...args, '--data-dir', daemon.dataDir, '--json'])
      if (result.code !== 0) throw new Error(`murmur ${args.join(' ')} exited ${result.code}: ${result.stderr}`)
      return JSON.parse(result.stdout) as T
    }

    const [cover, far] = await Promise.all([
      json<{ channels: string[], home: string }>(['join', '--near', `${LAT},${LON}`, '--radius', '5km']),
      json<{ channel: string }>(['peek', `${FAR_LAT},${FAR_LON}`])
    ])
    expect(cover.channels).toContain(cover.home)
    expect(cover.channels).not.toContain(far.channel)
    const pubsub = (peer.services as { pubsub: { subscribe(topic: string): void, getSubscribers(topic: string): Array<{ toString(): string }>, publish(topic: string, data: Uint8Array): Promise<unknown> } }).pubsub
    for (const channel of [...cover.channels, far.channel]) pubsub.subscribe(channelTopic(channel))
    await peer.dial(multiaddr(daemon.multiaddr))

    // every cell's subscription, the peeked one too
    for (const channel of [...cover.channels, far.channel]) await recorded(channelTopic(channel))
    // someone in the far place posts; the peeking daemon reads it, and may not post there
    const farTopic = channelTopic(far.channel)
    await waitFor(() => pubsub.getSubscribers(farTopic).some((p) => p.toString() === daemon.ready.peerId), 'the daemon in the far cell\'s mesh')
    const farPost = await buildEnvelope({ channel: far.channel, body: 'the last train is gone', powBits: TEST_UNVERIFIED_POW_BITS })
    await pubsub.publish(farTopic, farPost.bytes)
    await waitFor(async () => (await json<{ posts: Array<{ body: string }> }>(['feed', far.channel])).posts.some((p) => p.body === 'the last train is gone'),
      'murmur feed to read the far cell', 30_000, 250)
    // the daemon's own post in its home cell (stem or gossip), a DHT provider record, a sync request
    const [refused] = await Promise.all([box.run(['post', far.channel, 'not from here', '--data-dir', daemon.dataDir]), json(['post', cover.home, 'anyone near the lake?'])])
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/only peeked at/)
    await recorded('anyone near the lake?')
    await bounded(records.provided, 'a DHT provider record')
    await bounded(opened.get(SYNC_PROTOCOL) ?? Promise.reject(new Error('no handler')), 'a sync stream')

    const leaks: string[] = []
    const values = [['latitude', LAT], ['longitude', LON], ['radius', RADIUS_M], ['far latitude', FAR_LAT], ['far longitude', FAR_LON]] as const
    for (const [name, value] of values) {
      for (const form of numberForms(value)) {
        if (seen.includes(form)) leaks.push(`${name} as ${JSON.stringify(form.toString('latin1'))} (${form.toString('hex')})`)
      }
    }
    expect(leaks, `recorded ${seen.byteLength} bytes`).toEqual([])
  }, 90_000)
})
