// Membership in use (issue 13): `ring_vote_validate_per_s_n16`, ring-signed votes over rings of 16 stamped
// members through the gossip pipeline a node runs (its channel validator: decode, proof of work and bLSAG on
// the verification pool, the ring's members against a directory holding their stamps, the store's rules),
// beside `validate_one_time_per_s_pipeline`, one-time votes through the same pipeline in the same run; and
// `spam_posts_per_member_hour`, a flooding member against real nodes on loopback.
// `npm run build && node bench/membership.ts [--quick] [--no-write]`.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { logger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { createMurmur, createVerifyPool } from '@murmur/node'
import { InvalidMessageTracker, PostIntake, createPostStore, memberGatedValidator, openDatabase, openMemberDirectory } from '@murmur/node/internal'
import {
  EPOCH_SECONDS, POSTS_PER_EPOCH, authorPublicKey, buildEnvelope, channelTopic, compareBytes, encodeStamp, generateAuthorKey, ready, ringSlots, toHex,
  validateEnvelope, weekOf, VOTE_BUDGET
} from '@murmur/protocol'
import { createLibp2p } from 'libp2p'
import { median, writeResults } from './lib/results.ts'
import type { Figure } from './lib/results.ts'
import type { Message, TopicValidatorFn } from '@libp2p/gossipsub'
import type { Murmur } from '@murmur/node'
import type { AuthorKey, BuiltEnvelope } from '@murmur/protocol'

const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 3 : 5
/** Votes of each kind per round, all given to the validator at once (as a burst from gossip is). */
const VOTES = quick ? 48 : 400
const RING = 16
const CHANNEL = '#bench-members'
const TOPIC = channelTopic(CHANNEL)
/**
 * Base proof of work of the pipeline's votes: checking it is one hash at any difficulty, so a low one keeps
 * building thousands of votes short (a ring vote of 16 adds its ring term, 7 bits, on top).
 */
const PIPELINE_POW = { POST: 4, REPLY: 4, VOTE: 4 }
/** Stamp difficulty of the bench's members: stamps are verified once, when the directory takes them, never per vote. */
const STAMP_BITS = 1
/** Posts the flooding member tries to make in one channel and hour. */
const FLOOD = 100
const figures: Figure[] = []
const pool = createVerifyPool()
await ready()

// --- the gossip pipeline: ring votes of 16 against one-time votes ------------------------------------------
const members = Array.from({ length: RING }, () => generateAuthorKey())
const ring = members.map((key) => key.publicKey).sort(compareBytes)
const directoryDb = await openDatabase(undefined)
const directory = await openMemberDirectory({ db: directoryDb, bits: STAMP_BITS, verify: async (stamp, options) => await pool.verifyStamp(stamp, options) })
const week = weekOf(Math.floor(Date.now() / 1000))
for (const key of members) {
  const verdict = await directory.receive(encodeStamp(await pool.mintStamp({ memberKey: key.publicKey, week, bits: STAMP_BITS })))
  if (verdict.action !== 'accept') throw new Error(`a bench stamp was refused: ${verdict.code}`)
}
const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

/** A node's channel validator as MurmurNode builds it, over a fresh store (what a round stores stays out of the next). */
async function pipeline (): Promise<TopicValidatorFn> {
  const store = createPostStore({ db: await openDatabase(undefined) })
  const intake = new PostIntake({
    store,
    powBits: PIPELINE_POW,
    announce: () => {},
    announcing: () => false,
    offThread: async (envelope, options, group) => await pool.validate(envelope, options, { group }),
    checkRing: (members, created, from) => directory.checkRing(members, { created, from })
  })
  const group = 'ip4/10.0.0.1'
  return memberGatedValidator({
    validate: async (topic, envelope) => await intake.verify(topic, envelope, 'gossip', group),
    membership: (valid, from, { topic, data }) => intake.membership(valid, from.toString(), { topic, envelope: data, path: 'gossip', from: group }),
    accept: async (_topic, envelope, valid) => await intake.receiveGossip(envelope, valid, group),
    tracker: new InvalidMessageTracker(),
    log: logger('murmur:bench:membership')
  })
}

const minuteAgo = (): number => {
  const now = Math.floor(Date.now() / 1000)
  return now - (now % 60) - 60
}
const parent = (): Uint8Array => crypto.getRandomValues(new Uint8Array(32))
const ringVotes = async (count: number): Promise<BuiltEnvelope[]> => await Promise.all(Array.from({ length: count }, async (_, i) =>
  await buildEnvelope({ channel: CHANNEL, kind: 'VOTE', parent: parent(), vote: 1, created: minuteAgo(), powBits: PIPELINE_POW.VOTE, auth: { kind: 'ring', ring, secretKey: members[i % RING]!.secretKey, slot: Math.floor(i / RING) % VOTE_BUDGET } })))
const oneTimeVotes = async (count: number): Promise<BuiltEnvelope[]> => await Promise.all(Array.from({ length: count }, async () =>
  await buildEnvelope({ channel: CHANNEL, kind: 'VOTE', parent: parent(), vote: 1, powBits: PIPELINE_POW.VOTE })))

/** Votes per second through a fresh pipeline, all given at once; every one must be accepted. */
async function rate (votes: BuiltEnvelope[]): Promise<number> {
  const validator = await pipeline()
  const start = performance.now()
  const results = await Promise.all(votes.map(async (vote) => await validator(peer, { type: 'unsigned', topic: TOPIC, data: vote.bytes } as unknown as Message)))
  const seconds = (performance.now() - start) / 1000
  const refused = results.filter((result) => result !== 'accept').length
  if (refused > 0) throw new Error(`${refused} of ${votes.length} votes were not accepted: the bench is broken`)
  return votes.length / seconds
}

// warm-up: workers started, libsodium loaded, code compiled
await rate(await ringVotes(8))
await rate(await oneTimeVotes(8))
const ringRates: number[] = []
const oneTimeRates: number[] = []
for (let round = 0; round < ROUNDS; round++) {
  // interleaved, so that a change of load on the machine touches both series alike
  ringRates.push(await rate(await ringVotes(VOTES)))
  oneTimeRates.push(await rate(await oneTimeVotes(VOTES)))
}
const ringRate = median(ringRates)
const oneTimeRate = median(oneTimeRates)
const span = (values: number[]): Figure['spread'] => ({ min: Math.min(...values), max: Math.max(...values), runs: values.length })
figures.push(
  { figure: 'ring_vote_validate_per_s_n16', value: ringRate, unit: `votes/s; ${VOTES} ring-signed votes (16 stamped members) at once through a node's channel validator: decode, proof of work and bLSAG on the verification pool (${pool.size} workers), the ring against the directory, the store's rules; median of ${ROUNDS}`, spread: span(ringRates) },
  { figure: 'validate_one_time_per_s_pipeline', value: oneTimeRate, unit: `votes/s; ${VOTES} one-time-signed votes through the same pipeline, the same run; median of ${ROUNDS}`, spread: span(oneTimeRates) },
  { figure: 'ring_vote_validate_vs_one_time_n16', value: ringRate / oneTimeRate, unit: 'ratio; ring_vote_validate_per_s_n16 ÷ validate_one_time_per_s_pipeline (protocol.json\'s validate_one_time_per_s is validateEnvelope alone on the main thread)' }
)

// --- a flooding member against real nodes --------------------------------------------------------------------
const LOOPBACK = ['/ip4/127.0.0.1/tcp/0']
const LOOPBACK_CONNECTIONS = { inboundConnectionThreshold: 1_000, inboundUpgradeTimeout: 30_000 }
const FLOOD_POW = 8
const dirs: string[] = []
const nodes: Murmur[] = []

async function waitFor (check: () => boolean | Promise<boolean>, what: string, timeout = 120_000): Promise<void> {
  const deadline = Date.now() + timeout
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

async function startNode (mint: boolean, bootstrap: Murmur[]): Promise<{ node: Murmur, dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'murmur-bench-members-'))
  dirs.push(dataDir)
  const node = await createMurmur({
    listen: LOOPBACK,
    dataDir,
    channels: [CHANNEL],
    powBits: FLOOD_POW,
    allowPrivateAddresses: true,
    bootstrap: bootstrap.map((other) => `${other.getMultiaddrs().map(String).find((a) => a.startsWith('/ip4/127.0.0.1/tcp/'))!}`),
    verify: pool,
    membership: { mint, stampBits: 2 },
    libp2p: { connectionManager: LOOPBACK_CONNECTIONS }
  })
  nodes.push(node)
  return { node, dataDir }
}

try {
  const receiver = await startNode(true, [])
  const flooder = await startNode(true, [receiver.node])
  const other = await startNode(false, [receiver.node, flooder.node])
  const receivers = [receiver.node, other.node]
  await waitFor(() => flooder.node.membership()?.signing === true && receiver.node.membership()?.signing === true, 'both members to sign', 300_000)
  await waitFor(() => receivers.every((node) => node.membership()?.members === 2), 'both stamps in every directory')

  // through the member's own node: its ring signer counts the posts of the hour before building them
  const sent: string[] = []
  const refusedHere = new Map<string, number>()
  for (let i = 0; i < FLOOD; i++) {
    try {
      const result = await flooder.node.post(CHANNEL, `flood ${i}`)
      if (result.ring === undefined) throw new Error('a flood post went out unverified: the member does not sign')
      sent.push(result.id)
    } catch (err) {
      const code = (err as { code?: string }).code ?? String(err)
      refusedHere.set(code, (refusedHere.get(code) ?? 0) + 1)
    }
  }
  await waitFor(async () => (await Promise.all(receivers.flatMap((node) => sent.map(async (id) => await node.get(id) !== undefined)))).every(Boolean), 'the sent posts on both receivers')

  // a member that changed its node (or runs two): the same member key, posts built by hand past its counter,
  // published by a stock libp2p peer
  const secretKey = new Uint8Array(await readFile(join(flooder.dataDir, 'membership', 'member-key')))
  const self: AuthorKey = { secretKey, publicKey: authorPublicKey(secretKey) }
  const decoy = authorPublicKey(new Uint8Array(await readFile(join(receiver.dataDir, 'membership', 'member-key'))))
  const floodRing = [self.publicKey, decoy].sort(compareBytes)
  const created = minuteAgo()
  const handBuilt: BuiltEnvelope[] = []
  for (let i = 0; i < FLOOD; i++) {
    handBuilt.push(await buildEnvelope({
      channel: CHANNEL,
      body: `hand-built flood ${i}`,
      created,
      powBits: FLOOD_POW,
      // the hour's slots cycle (there are K of them); the week's go on (W = 256)
      auth: { kind: 'ring', ring: floodRing, secretKey, ...ringSlots(secretKey, TOPIC, BigInt(created), { epoch: i % POSTS_PER_EPOCH, week: i }) }
    }))
  }
  const stock = await createLibp2p({
    addresses: { listen: LOOPBACK },
    connectionManager: LOOPBACK_CONNECTIONS,
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign' }) }
  })
  try {
    stock.services.pubsub.subscribe(TOPIC)
    for (const node of receivers) await stock.dial(node.getMultiaddrs()[0]!)
    await waitFor(() => stock.services.pubsub.getSubscribers(TOPIC).length === receivers.length, 'the stock peer to see both receivers in the channel')
    for (const built of handBuilt) await stock.services.pubsub.publish(TOPIC, built.bytes)
    // then a marker, and what the receivers hold settles (refusals leave no trace to wait on)
    const marker = await buildEnvelope({ channel: CHANNEL, body: 'marker', powBits: FLOOD_POW })
    await stock.services.pubsub.publish(TOPIC, marker.bytes)
    await waitFor(async () => (await Promise.all(receivers.map(async (node) => await node.get(toHex(marker.id)) !== undefined))).every(Boolean), 'the marker on both receivers')
  } finally {
    await stock.stop()
  }
  const handIds = handBuilt.map((built) => toHex(built.id))
  const heldBy = async (node: Murmur): Promise<string[]> => (await Promise.all([...sent, ...handIds].map(async (id) => await node.get(id) !== undefined ? id : undefined))).filter((id) => id !== undefined)
  let last = ''
  let stable = 0
  await waitFor(async () => {
    const now = JSON.stringify(await Promise.all(receivers.map(heldBy)))
    stable = now === last ? stable + 1 : 0
    last = now
    return stable >= 10
  }, 'the receivers\' stores to settle')

  // per receiver and hour: the member's posts held (its API posts and the hand-built ones)
  let perHour = 0
  let handHeld = 0
  const hourOf = new Map<string, number>()
  for (const node of receivers) {
    const held = await heldBy(node)
    const hours = new Map<number, number>()
    for (const id of held) {
      const view = await node.get(id)
      const hour = Math.floor(view!.created / EPOCH_SECONDS)
      hourOf.set(id, hour)
      hours.set(hour, (hours.get(hour) ?? 0) + 1)
    }
    perHour = Math.max(perHour, ...hours.values())
    handHeld = Math.max(handHeld, held.filter((id) => handIds.includes(id)).length)
  }
  // why a hand-built post was not taken: valid on its own (so not a protocol refusal), its hour's link tag is
  // one of the member's K of that hour, all held by its other posts: the store's tag rule (ERR_DUPLICATE_TAG)
  const refusedThere = new Map<string, number>()
  const heldOnReceiver = new Set(await heldBy(receiver.node))
  for (const built of handBuilt) {
    if (heldOnReceiver.has(toHex(built.id))) continue
    const result = validateEnvelope(built.bytes, { topic: TOPIC, powBits: { POST: FLOOD_POW, REPLY: FLOOD_POW, VOTE: FLOOD_POW } })
    const code = result.ok ? 'ERR_DUPLICATE_TAG' : result.code
    refusedThere.set(code, (refusedThere.get(code) ?? 0) + 1)
  }
  const codes = (counts: Map<string, number>): string => [...counts].map(([code, n]) => `${n} ${code}`).join(', ') || 'none'
  figures.push(
    { figure: 'spam_posts_per_member_hour', value: perHour, unit: `posts; most posts of one member in one channel and hour held by either of 2 other real nodes after it tried ${FLOOD} through its node's API and ${FLOOD} hand-built past its counter (same member key, the hour's slots reused)`, target: `= ${POSTS_PER_EPOCH}` },
    { figure: 'spam_api_refused_rate_limited', value: refusedHere.get('ERR_RATE_LIMITED') ?? 0, unit: `posts; of the ${FLOOD} API posts, refused by the member's own node before anything was sent (all refusals: ${codes(refusedHere)})` },
    { figure: 'spam_hand_built_held', value: handHeld, unit: `posts; of the ${FLOOD} hand-built, held by a receiver (each in place of the member's post of the same slot, the smaller id kept); refused on the first receiver: ${codes(refusedThere)}` }
  )
} finally {
  await Promise.allSettled(nodes.map(async (node) => await node.stop()))
  await pool.stop()
  await Promise.all(dirs.map(async (dir) => await rm(dir, { recursive: true, force: true })))
}

writeResults('membership', figures)
