// History-sync benchmark (issues 5 and 14 §4): a newcomer holding 9,000 (or 0) of a channel's 10,000 posts
// reconciles with a peer holding all of them: ranges, switching to the sketch when the first split shows
// differences spread over the set (the sync_bytes_ratio rows); the sketch alone is measured beside them. Both ends run the node's own HistorySync and PostIntake (validation and
// store included) over an in-memory libp2p stream pair; bytes are the sync protocol's own (messages and
// their length prefixes), the same bytes a TCP or WebRTC connection would carry inside noise.
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { logger } from '@libp2p/logger'
import { HistorySync, PostIntake, createPostStore, openDatabase } from '@murmur/node/internal'
import { buildEnvelope, channelTopic, ready, toHex } from '@murmur/protocol'
import { sketchSession } from './lib/sync-sketch.ts'
import { seededRandom, shuffle } from './lib/random.ts'
import { writeResults } from './lib/results.ts'
import type { Figure } from './lib/results.ts'
import type { PostStore, StoredPost, SyncComponents } from '@murmur/node/internal'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { SyncItem } from '@murmur/protocol'

const CHANNEL = '#bench'
const TOPIC = channelTopic(CHANNEL)
// SYNC_BENCH_TOTAL shrinks the run to check the script; the figures are for 10,000
const TOTAL = Number(process.env.SYNC_BENCH_TOTAL ?? 10_000)
const POW_BITS = 8
/** Seed of the random tenth the `_random` newcomer misses. */
const SEED = 1
const powBits = { POST: POW_BITS, REPLY: POW_BITS, VOTE: POW_BITS }

// deterministic bodies of 40..280 characters, like short social posts
const body = (i: number): string => `post ${i} `.padEnd(40 + ((i * 7919) % 241), 'lorem ipsum dolor sit amet ')

await ready()
console.log(`building ${TOTAL} envelopes…`)
const now = Math.floor(Date.now() / 1000)
const posts: StoredPost[] = []
for (let i = 0; i < TOTAL; i++) {
  const built = await buildEnvelope({ channel: CHANNEL, body: body(i), created: now - TOTAL + i, ttl: 86_400, powBits: POW_BITS })
  // protocol v2 rounds created down to the minute grid: the store keeps what the envelope carries
  const created = Number(built.post.created)
  posts.push({ id: built.id, channel: CHANNEL, kind: 'POST', body: body(i), vote: 0, created, expires: created + 86_400, envelope: built.bytes })
}

interface Side { store: PostStore, sync: HistorySync, peerId: PeerId, handler?: (stream: Stream, connection: Connection) => void | Promise<void> }

async function side (held: StoredPost[]): Promise<Side> {
  const store = createPostStore({ db: await openDatabase(undefined) })
  for (const post of held) await store.put(post, now)
  const intake = new PostIntake({ store, powBits, announce: () => {} })
  const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const s: Partial<Side> = { store, peerId }
  const components: SyncComponents = {
    handle: async (_protocol, handler) => { s.handler = handler },
    unhandle: async () => {},
    dialProtocol: async (peer) => {
      const remote = sides.get(peer.toString())!
      const [outbound, inbound] = await streamPair({ delay: 0 })
      void remote.handler!(inbound, { remotePeer: peerId, remoteAddr: multiaddr('/ip4/127.0.0.1/tcp/4001') } as unknown as Connection)
      return outbound
    }
  }
  s.sync = new HistorySync(components, {
    channelOf: (topic) => topic === TOPIC ? CHANNEL : undefined,
    items: async (channel) => { const items: SyncItem[] = []; for await (const item of store.ids(channel)) items.push(item); return items },
    envelope: async (id) => (await store.get(id))?.envelope,
    ingest: async (topic, envelope) => intake.ingest(topic, envelope),
    penalise: () => { throw new Error('an honest peer was penalised') },
    topics: () => [TOPIC],
    members: () => []
  }, { log: logger('bench:sync'), interval: 3_600_000 })
  await s.sync.start()
  sides.set(peerId.toString(), s as Side)
  return s as Side
}

/** Goals of issue 14 §4 for the bytes ratio of each case. */
const TARGETS: Record<string, string> = { '9000_of_10000': '<= 1.05', '9000_of_10000_random': '<= 1.25', '0_of_10000': '<= 1.1' }

const sides = new Map<string, Side>()
const figures: Figure[] = []
const full = await side(posts)

async function run (name: string, held: StoredPost[]): Promise<void> {
  const newcomer = await side(held)
  const missing = posts.filter((p) => !held.includes(p))
  const missingBytes = missing.reduce((sum, p) => sum + p.envelope.byteLength, 0)
  const start = performance.now()
  const cpu0 = process.cpuUsage()
  const report = await newcomer.sync.syncWith(full.peerId, TOPIC)
  const cpu = process.cpuUsage(cpu0)
  const ms = performance.now() - start
  const cpuMs = (cpu.user + cpu.system) / 1000
  if (report.stored !== missing.length) throw new Error(`${name}: stored ${report.stored} of ${missing.length} missing posts`)
  let after = 0
  for await (const item of newcomer.store.ids(CHANNEL)) after += item.id.byteLength === 32 ? 1 : 0
  if (after !== TOTAL) throw new Error(`${name}: newcomer holds ${after} posts, not ${TOTAL}`)
  const bytes = report.bytesIn + report.bytesOut
  console.log(`${name}: ${missing.length} missing (${missingBytes} B), exchanged ${bytes} B (${report.bytesOut} out, ${report.bytesIn} in), ${report.roundTrips} round trips, ${ms.toFixed(0)} ms, ${cpuMs.toFixed(0)} ms CPU`)
  figures.push(
    { figure: `sync_bytes_ratio_${name}`, value: bytes / missingBytes, unit: 'bytes exchanged / bytes of missing envelopes', ...(TARGETS[name] === undefined ? {} : { target: TARGETS[name] }), baseline: missingBytes },
    { figure: `sync_round_trips_${name}`, value: report.roundTrips, unit: 'round trips' },
    { figure: `sync_ms_${name}`, value: ms, unit: 'ms (validation and store included)' },
    { figure: `sync_cpu_ms_${name}`, value: cpuMs, unit: 'ms CPU, both ends in one process (reconciliation, validation and store)' }
  )
  await newcomer.sync.stop()
  await newcomer.store.close()
  sketchRun(name, held, missing, missingBytes)
}


const envelopes = new Map(posts.map((p) => [toHex(p.id), p.envelope]))

/**
 * The same case through sketch reconciliation alone (issue 14 §4), without the node's opening range round
 * or its choice between ranges and the sketch: a session in memory with the bytes its messages would take
 * (bench/lib/sync-sketch.ts).
 */
function sketchRun (name: string, held: StoredPost[], missing: StoredPost[], missingBytes: number): void {
  const outcome = sketchSession(TOPIC, held.map((p) => p.id), posts.map((p) => p.id), (id) => envelopes.get(toHex(id))!)
  const want = new Set(missing.map((p) => toHex(p.id)))
  if (!outcome.fallback && (outcome.need.length !== want.size || outcome.need.some((id) => !want.has(toHex(id))))) {
    throw new Error(`${name}: the sketch decoded ${outcome.need.length} ids, not the ${want.size} missing`)
  }
  console.log(`${name} (sketch): ${outcome.fallback ? 'fell back to ranges after' : 'decoded with'} ${outcome.cells} cells, exchanged ${outcome.bytes} B (${outcome.reconcileBytes} B reconciling), ${outcome.roundTrips} round trips, ${outcome.ms.toFixed(0)} ms CPU`)
  figures.push(
    { figure: `sync_sketch_bytes_ratio_${name}`, value: outcome.bytes / missingBytes, unit: 'bytes exchanged / bytes of missing envelopes (sketch, simulated wire)', ...(TARGETS[name] === undefined ? {} : { target: TARGETS[name] }), baseline: missingBytes, ...(outcome.fallback ? { note: 'past the sketch bound: the node would reconcile with ranges' } : {}) },
    { figure: `sync_sketch_reconcile_bytes_${name}`, value: outcome.reconcileBytes, unit: 'bytes before the envelopes (salt, cells, short-id need)', note: `${outcome.cells} cells for ${missing.length} differences` },
    { figure: `sync_sketch_round_trips_${name}`, value: outcome.roundTrips, unit: 'round trips (sketch)' },
    { figure: `sync_sketch_cpu_ms_${name}`, value: outcome.ms, unit: 'ms CPU, both ends, reconciliation only (sketch)' }
  )
}

// a newcomer that was away for the last tenth of the channel's life
await run('9000_of_10000', posts.slice(0, Math.floor(TOTAL * 0.9)))
// one that missed a random tenth (lost gossip, say): differences spread over the whole set, drawn
// with a seeded PRNG so every run misses the same posts
const randomMissing = new Set(shuffle(posts.map((_, i) => i), seededRandom(SEED)).slice(0, TOTAL / 10))
await run('9000_of_10000_random', posts.filter((_, i) => !randomMissing.has(i)))
// one that missed every tenth post: evenly spread, so every leaf range holds exactly its share
await run('9000_of_10000_stride', posts.filter((_, i) => i % 10 !== 3))
await run('0_of_10000', [])
await full.sync.stop()
// a shrunk check run does not overwrite the figures
if (TOTAL === 10_000) writeResults('sync', figures)
