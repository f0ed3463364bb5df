/**
 * `fuzz_wire_*`: the fuzz at the wire, against a real daemon: stock libp2p peers (TCP, noise, yamux)
 * open streams of the stem, sync and gossipsub protocols and send hand-built length-prefixed frames:
 * mutants of valid stem frames and sync messages, random bytes, and broken length prefixes. The daemon
 * may reset such streams and cut such peers off; it must stay up, keep answering its API and take a
 * fresh honest connection afterwards, with bounded memory.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import type { TCPSocketOptions } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { buildEnvelope, channelTopic, encodeSyncMessage, ready } from '@murmur/protocol'
import * as lp from 'it-length-prefixed'
import { createLibp2p } from 'libp2p'
import { Sandbox } from '../../test/cli-harness.ts'
import { seededRandom } from '../lib/random.ts'
import { encodeStemFrame } from '../../packages/node/dist/src/stem/frame.js'
import { STEM_PROTOCOL, SYNC_PROTOCOL } from '@murmur/node'
import { apiRequest, readEndpoint, rssMb } from './api-client.ts'
import { concat, mutateBytes } from './mutate.ts'
import type { Libp2p } from '@libp2p/interface'

/** Options of {@link runWireFuzz}. */
export interface WireFuzzInit {
  /** Frames sent per protocol in all. */
  framesPerProtocol: number
  /** Frames per stream (a fresh stream, and every `framesPerPeer` frames a fresh peer). @default 20 */
  framesPerStream?: number
  /** Frames per stock peer before a fresh one dials, from another address group (a peer that sent garbage is cut off). @default 40 */
  framesPerPeer?: number
  /** Seed of the mutations. @default 1 */
  seed?: number
}

/** What {@link runWireFuzz} found. */
export interface WireFuzzOutcome {
  /** Per protocol: frames written, streams the daemon would not open or reset, peers it refused. */
  protocols: Record<string, { frames: number, streams: number, streamFailures: number, dialFailures: number, errors: Record<string, number> }>
  /** The daemon process was alive at the end and its API answered. */
  alive: boolean
  apiAnswered: boolean
  /** A fresh stock peer could connect after the fuzz (and why not, when not). */
  honestConnected: boolean
  honestError?: string
  rss: { before: number, after: number }
}

/** gossipsub's protocol ids as the daemon offers them. */
const GOSSIP_PROTOCOL = '/meshsub/1.1.0'

/**
 * Runs the wire fuzz against a fresh daemon in a sandbox of its own, cleaned up afterwards.
 *
 * @example
 * ```ts
 * const outcome = await runWireFuzz({ framesPerProtocol: 1_000 })
 * // outcome.alive && outcome.apiAnswered && outcome.honestConnected
 * ```
 */
export async function runWireFuzz (init: WireFuzzInit): Promise<WireFuzzOutcome> {
  // it builds envelopes: libsodium's WASM first (@murmur/protocol awaits nothing at import)
  await ready()
  const random = seededRandom(init.seed ?? 1)
  const perStream = init.framesPerStream ?? 20
  const perPeer = init.framesPerPeer ?? 40
  const sandbox = await Sandbox.create()
  const peers: Libp2p[] = []
  try {
    const daemon = await sandbox.daemon('wire', ['--no-mint', '--no-local-rendezvous'])
    const api = await readEndpoint(daemon.dataDir)
    const address = multiaddr(daemon.multiaddr)
    const before = await rssMb(api.pid) ?? 0
    const seeds = await wireSeeds()
    const protocols: WireFuzzOutcome['protocols'] = {}
    for (const [protocol, protocolSeeds] of Object.entries(seeds)) {
      const counts = { frames: 0, streams: 0, streamFailures: 0, dialFailures: 0, errors: {} as Record<string, number> }
      protocols[protocol] = counts
      let peer: Libp2p | undefined
      while (counts.frames < init.framesPerProtocol) {
        if (peer === undefined || counts.frames % perPeer === 0) {
          await peer?.stop()
          peer = await stockPeer(fuzzHost(peers.length))
          peers.push(peer)
        }
        const frames = Array.from({ length: Math.min(perStream, init.framesPerProtocol - counts.frames) }, () => frame(protocolSeeds, random))
        counts.frames += frames.length
        counts.streams++
        try {
          const stream = await peer.dialProtocol(address, protocol, { signal: AbortSignal.timeout(10_000) })
          for (const bytes of frames) {
            if (stream.status !== 'open') break
            stream.send(bytes)
          }
          await stream.close({ signal: AbortSignal.timeout(5_000) }).catch(() => { stream.abort(new Error('closed by the fuzz')) })
        } catch (err) {
          if ((err as Error).name === 'DialError' || (err as Error).name === 'ConnectionClosedError') counts.dialFailures++
          else counts.streamFailures++
          const kind = err instanceof Error ? `${err.name}: ${err.message.slice(0, 80)}` : String(err).slice(0, 80)
          counts.errors[kind] = (counts.errors[kind] ?? 0) + 1
        }
      }
      await peer?.stop()
    }
    const alive = daemon.proc.child.exitCode === null && daemon.proc.child.signalCode === null
    const apiAnswered = alive && (await apiRequest(api, '/v1/status').catch(() => undefined))?.status === 200
    let honestError: string | undefined
    const honest = await stockPeer('127.255.255.2')
    peers.push(honest)
    const honestConnected = await honest.dial(address, { signal: AbortSignal.timeout(20_000) }).then(() => true, (err: Error) => { honestError = `${err.name}: ${err.message}`; return false })
    return { protocols, alive, apiAnswered, honestConnected, ...(honestError === undefined ? {} : { honestError }), rss: { before, after: await rssMb(api.pid) ?? Number.NaN } }
  } finally {
    await Promise.all(peers.map(async (peer) => { await peer.stop() }))
    await sandbox.cleanup()
  }
}

/**
 * A stock libp2p peer that only dials, from `host` (any of 127.0.0.0/8 reaches the daemon on Linux): each
 * fuzzing peer from an address group of its own, so that the daemon cutting off one (as it should) leaves
 * the next frames a path to its decoders, and the honest peer from a group no fuzzer used.
 */
async function stockPeer (host: string): Promise<Libp2p> {
  // @libp2p/tcp hands dialOpts to net.connect, whose localAddress its type does not list
  const dialOpts: TCPSocketOptions & { localAddress: string } = { localAddress: host }
  return await createLibp2p({ transports: [tcp({ dialOpts })], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
}

/** The address of the `n`th fuzzing peer: 127.<1 + n % 250>.<n / 250>.1, one /24 each. */
function fuzzHost (n: number): string {
  return `127.${1 + (n % 250)}.${Math.floor(n / 250) % 256}.1`
}

/** Valid payloads per protocol, the mutants start from. */
async function wireSeeds (): Promise<Record<string, Uint8Array[]>> {
  const topic = channelTopic('#lobby')
  const post = await buildEnvelope({ channel: '#lobby', body: 'a wire seed', powBits: 8 })
  const reply = await buildEnvelope({ channel: '#lobby', kind: 'REPLY', parent: post.id, body: 'a reply', powBits: 8 })
  return {
    [STEM_PROTOCOL]: [post, reply].map((built) => encodeStemFrame({ topic, envelope: built.bytes })),
    [SYNC_PROTOCOL]: [
      encodeSyncMessage({ topic, ranges: [], need: [], envelopes: [], pending: 0 }),
      encodeSyncMessage({ topic: '', ranges: [], need: [], envelopes: [post.bytes.slice(), reply.bytes.slice()], pending: 0 })
    ],
    // a gossipsub RPC (protobuf): subscribe to the topic (field 1: SubOpts { subscribe: true, topic }), then publish the post
    [GOSSIP_PROTOCOL]: [gossipRpc(topic, post.bytes), gossipRpc(topic, reply.bytes)]
  }
}

/** One frame on the wire: mostly a length-prefixed mutant of a seed; sometimes random bytes or a lying length prefix. */
function frame (seeds: Uint8Array[], random: () => number): Uint8Array {
  const seed = seeds[Math.floor(random() * seeds.length)]!
  const roll = random()
  if (roll < 0.8) return lp.encode.single(mutateBytes(seed, random, seeds[Math.floor(random() * seeds.length)])).subarray()
  if (roll < 0.9) return Uint8Array.from({ length: Math.floor(random() * 512) }, () => Math.floor(random() * 256))
  // a length prefix that promises more than follows (up to 2^28), then a little
  const promised = Math.floor(random() * 2 ** 28)
  return concat(varint(promised), seed.subarray(0, 64))
}

/** A gossipsub RPC subscribing to `topic` and publishing `data` on it (unsigned, as Murmur's StrictNoSign). */
function gossipRpc (topic: string, data: Uint8Array): Uint8Array {
  const text = new TextEncoder().encode(topic)
  const subOpts = concat(Uint8Array.of(0x08, 0x01, 0x12), varint(text.length), text)
  const message = concat(Uint8Array.of(0x12), varint(data.length), data, Uint8Array.of(0x22), varint(text.length), text)
  return concat(Uint8Array.of(0x0a), varint(subOpts.length), subOpts, Uint8Array.of(0x12), varint(message.length), message)
}

function varint (value: number): Uint8Array {
  const out: number[] = []
  let v = value
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80)
    v = Math.floor(v / 128)
  }
  out.push(v)
  return Uint8Array.from(out)
}
