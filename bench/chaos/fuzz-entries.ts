/**
 * The entry points the fuzz scenario feeds, in process: the node's gossip validator (protocol validation,
 * the post intake and its store behind it; without membership, and with it: rings of unknown members
 * held for their stamps), member directory announcements, stem frames (decoding, then the stem's judgement), sync
 * messages (decoding, then every envelope they carry through the sync intake), circle invites, and the
 * option strings of the CLI and node. Each entry has valid seeds to mutate and a generator of its own
 * kind of input; running one input resolves 'accepted' or 'refused', or throws what the harness judges.
 */
import { logger } from '@libp2p/logger'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  buildEnvelope, channelTopic, compareBytes, decodeInvite, decodeSyncMessage, encodeInvite, encodeSyncMessage, generateAuthorKey, generateInviteSeed,
  INFINITY_CREATED, SyncRange, encodeStamp, mintStamp, parseLifetime, validateChannel, weekOf
} from '@murmur/protocol'
import { InvalidMessageTracker, PostIntake, createPostStore, memberGatedValidator, openDatabase, openMemberDirectory } from '@murmur/node/internal'
import type { PostIntakeComponents } from '@murmur/node/internal'
import type { AuthorKey } from '@murmur/protocol'
import fc from 'fast-check'
import { decodeStemFrame, encodeStemFrame } from '../../packages/node/dist/src/stem/frame.js'
import { isPrivateMultiaddr } from '../../packages/node/dist/src/libp2p.js'
import { parseBody, parseChannel, parsePositiveInt, parseVote } from '../../packages/cli/dist/src/commands/options.js'
import { parseMetricsAddress } from '../../packages/cli/dist/src/daemon/metrics.js'
import { mutateBytes, mutateText } from './mutate.ts'
import type { Message } from '@libp2p/gossipsub'

/** What one input did: `accepted` (taken as valid), or a label of the result it was refused (or passed over) with. */
export type FuzzVerdict = string

/** One entry point under fuzz. */
export interface FuzzEntry<T = unknown> {
  name: string
  /** Valid inputs, the mutations start from. */
  seeds: T[]
  /** Generated inputs of the entry's kind. */
  arbitrary: fc.Arbitrary<T>
  /** A mutant of `seed` (`donor`: another seed to splice from). */
  mutate(seed: T, random: () => number, donor: T): T
  /** Feeds one input; resolves 'accepted' or the label of another result; throws whatever the entry point threw. */
  run(input: T): Promise<FuzzVerdict>
  /** The input in a form a report can quote (hex or JSON), cut short. */
  show(input: T): string
}

/** Proof of work the fuzzed node requires (and its seeds carry): low, so that valid mutants are stored too. */
const POW = { POST: 4, REPLY: 4, VOTE: 4 }
const CHANNEL = '#fuzz'
/** Member stamp difficulty of the fuzzed directory (the network's is 10: a minute of a core). */
const STAMP_BITS = 1
/** The address group every fuzzed input is charged to. */
const GROUP = '/ip4/127.0.0.0/24'
const TOPIC = channelTopic(CHANNEL)

/**
 * Builds the entries around a fresh in-memory node intake (store, validator), with valid seeds.
 *
 * @example
 * ```ts
 * const entries = await createFuzzEntries()
 * await entries[0].run(entries[0].seeds[0]) // 'accepted'
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- entries of different input types in one list
export async function createFuzzEntries (): Promise<Array<FuzzEntry<any>>> {
  const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  // each entry its own node: a seed stored through one entry is no duplicate in the next
  const [gossip, stem, sync] = await Promise.all([nodeIntake(), nodeIntake(), nodeIntake()])
  const validator = memberGatedValidator({
    validate: async (topic, envelope) => await gossip.verify(topic, envelope, 'gossip', GROUP),
    membership: (valid, from, { topic, data }) => gossip.membership(valid, from.toString(), { topic, envelope: data, path: 'gossip', from: GROUP }),
    accept: async (_topic, envelope, valid) => await gossip.receiveGossip(envelope, valid, GROUP),
    tracker: new InvalidMessageTracker(),
    log: logger('murmur:chaos:fuzz')
  })

  // a node with membership on: its directory holds the stamps of the seed ring's members, so a ring
  // naming others is held for their stamps (bounded) and asked for, as from a real peer
  const ring = sortedRing()
  const directory = await openMemberDirectory({ db: await openDatabase(undefined), bits: STAMP_BITS })
  const week = weekOf(Math.floor(Date.now() / 1000))
  const stamps = await Promise.all(ring.map(async (key) => encodeStamp(await mintStamp({ memberKey: key.publicKey, week, bits: STAMP_BITS }))))
  for (const stamp of stamps) {
    const verdict = await directory.receive(stamp)
    if (verdict.action !== 'accept') throw new Error(`a seed stamp was refused: ${verdict.code}`)
  }
  const gated = await nodeIntake((members, created, from) => directory.checkRing(members, { created, from }))
  const gatedValidator = memberGatedValidator({
    validate: async (topic, envelope) => await gated.verify(topic, envelope, 'gossip', GROUP),
    membership: (valid, from, { topic, data }) => gated.membership(valid, from.toString(), { topic, envelope: data, path: 'gossip', from: GROUP }),
    accept: async (_topic, envelope, valid) => await gated.receiveGossip(envelope, valid, GROUP),
    tracker: new InvalidMessageTracker(),
    log: logger('murmur:chaos:fuzz')
  })
  // a second directory for the announcements, so that the one the gate reads keeps its seed members only
  const announcements = await openMemberDirectory({ db: await openDatabase(undefined), bits: STAMP_BITS })
  let senders = 0

  const envelopes = await seedEnvelopes(ring)
  const bytes = fc.uint8Array({ maxLength: 2_048 })
  const bytesEntry = (name: string, seeds: Uint8Array[], run: (input: Uint8Array) => Promise<FuzzVerdict>): FuzzEntry<Uint8Array> => ({
    name,
    seeds,
    arbitrary: bytes,
    mutate: mutateBytes,
    run,
    show: (input) => Buffer.from(input.subarray(0, 256)).toString('hex')
  })
  const textEntry = (name: string, seeds: string[], run: (input: string) => Promise<FuzzVerdict>): FuzzEntry<string> => ({
    name,
    seeds,
    arbitrary: fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 100 }), fc.string({ unit: 'binary', maxLength: 100 })),
    mutate: (seed, random) => mutateText(seed, random),
    run,
    show: (input) => JSON.stringify(input.slice(0, 200))
  })

  const invites = Array.from({ length: 3 }, (_, i) => encodeInvite({
    secret: new Uint8Array(32).fill(i + 1),
    generation: i,
    owner: generateAuthorKey().publicKey,
    // all zero: an invite with no key
    inviteSeed: i === 0 ? new Uint8Array(16) : generateInviteSeed(),
    minRing: 3 + i,
    name: `circle ${i}`,
    hints: i === 2 ? ['/ip4/127.0.0.1/tcp/4001'] : []
  }))

  return [
    bytesEntry('gossip-validator', envelopes, async (data) => {
      const result = await validator(peer, { type: 'unsigned', topic: TOPIC, data } as unknown as Message)
      return result === 'accept' ? 'accepted' : `gossip ${result}`
    }),
    bytesEntry('gossip-members', [...envelopes, ...await seedEnvelopes(sortedRing())], async (data) => {
      const result = await gatedValidator(peer, { type: 'unsigned', topic: TOPIC, data } as unknown as Message)
      return result === 'accept' ? 'accepted' : `gossip ${result}`
    }),
    bytesEntry('directory-announce', stamps, async (data) => {
      // each from a sender of its own: one sender's invalid announcements cut it off, and the rest would be ignored unread
      const sender = `fuzz-sender-${senders++}`
      const verdict = await announcements.receive(data, { from: sender, group: sender })
      return verdict.action === 'accept' ? 'accepted' : `${verdict.action} ${verdict.code}`
    }),
    bytesEntry('stem-frame', envelopes.map((envelope) => encodeStemFrame({ topic: TOPIC, envelope })), async (frame) => {
      const { topic, envelope } = decodeStemFrame(frame)
      const verdict = await stem.judge(topic, envelope, GROUP, peer.toString())
      return verdict === 'accept' ? 'accepted' : `stem ${verdict}`
    }),
    bytesEntry('sync-message', syncSeeds(envelopes), async (data) => {
      const message = decodeSyncMessage(data)
      const verdicts = new Set<string>()
      for (const envelope of message.envelopes) {
        verdicts.add(await sync.ingest(message.topic === '' ? TOPIC : message.topic, envelope, GROUP, peer.toString()))
      }
      if (verdicts.has('accept')) return 'accepted'
      return verdicts.size === 0 ? 'decoded' : `sync ${[...verdicts].sort().join('/')}`
    }),
    textEntry('circle-invite', invites, async (text) => {
      decodeInvite(text)
      return 'accepted'
    }),
    textEntry('config-strings', ['#lobby', 'lobby', 'geo:u4pruyd', '3600', '16', 'up', 'down', 'hello', '127.0.0.1:9464', '[::1]:9464', '/ip4/127.0.0.1/tcp/4001', '/dns4/localhost/tcp/1/ws'], async (text) => {
      // every parser of a string the user or a config hands the node: each refuses with its typed error
      let accepted = 0
      const attempts: Array<() => unknown> = [
        () => parseChannel(text), () => validateChannel(text), () => parseBody(text), () => parseVote(text),
        () => parsePositiveInt(text), () => parseLifetime(text), () => parseMetricsAddress(text), () => parseMetricsAddress(text, true)
      ]
      for (const attempt of attempts) {
        try {
          attempt()
          accepted++
        } catch (err) {
          if (!isTypedError(err)) throw err
        }
      }
      // answers a yes or no for any string, never throws
      if (typeof isPrivateMultiaddr(text) !== 'boolean') throw new Error('isPrivateMultiaddr answered no boolean')
      return accepted > 0 ? 'accepted' : 'refused by every parser'
    })
  ]
}

/** A node's intake (validation, store) on an in-memory store; without `checkRing`, membership is off (rings pass unchecked). */
async function nodeIntake (checkRing?: PostIntakeComponents['checkRing']): Promise<PostIntake> {
  return new PostIntake({ store: createPostStore({ db: await openDatabase(undefined) }), powBits: POW, announce: () => {}, announcing: () => false, checkRing })
}

/** Three fresh member keys, sorted as a ring is. */
function sortedRing (): AuthorKey[] {
  return Array.from({ length: 3 }, () => generateAuthorKey()).sort((a, b) => compareBytes(a.publicKey, b.publicKey))
}

/** Valid envelopes of each kind and auth: one-time POST, REPLY and VOTE, and a post ring-signed by `ring` (sorted by key). */
async function seedEnvelopes (ring: AuthorKey[]): Promise<Array<Uint8Array<ArrayBuffer>>> {
  const post = await buildEnvelope({ channel: CHANNEL, body: 'a seed post of ordinary length', powBits: POW.POST })
  const seeds = [
    post,
    await buildEnvelope({ channel: CHANNEL, kind: 'REPLY', parent: post.id, body: 'a reply', powBits: POW.REPLY }),
    await buildEnvelope({ channel: CHANNEL, kind: 'VOTE', parent: post.id, vote: 1, powBits: POW.VOTE }),
    await buildEnvelope({ channel: CHANNEL, body: 'a ring post', powBits: POW.POST, auth: { kind: 'ring', ring: ring.map((k) => k.publicKey), secretKey: ring[0]!.secretKey, slot: 0, weekSlot: 0 } })
  ]
  return seeds.map((built) => built.bytes.slice())
}

/** Valid sync messages: a first message with ranges of each mode, a request, and an answer with envelopes. */
function syncSeeds (envelopes: Array<Uint8Array<ArrayBuffer>>): Uint8Array[] {
  const id = new Uint8Array(32).fill(7)
  return [
    encodeSyncMessage({
      topic: TOPIC,
      ranges: [
        { upperCreated: 1_000n, upperId: id.subarray(0, 4), mode: SyncRange.Mode.FINGERPRINT, fingerprint: new Uint8Array(16).fill(1), count: 3, ids: [] },
        { upperCreated: 2_000n, upperId: new Uint8Array(0), mode: SyncRange.Mode.ID_LIST, fingerprint: new Uint8Array(0), count: 0, ids: [id, id.slice().fill(8)] },
        { upperCreated: INFINITY_CREATED, upperId: new Uint8Array(0), mode: SyncRange.Mode.SKIP, fingerprint: new Uint8Array(0), count: 0, ids: [] }
      ],
      need: [],
      envelopes: [],
      pending: 0
    }),
    encodeSyncMessage({ topic: '', ranges: [], need: [id], envelopes: [], pending: 0, sketchSalt: new Uint8Array(16), sketchSize: 10 }),
    encodeSyncMessage({ topic: '', ranges: [], need: [], envelopes, pending: 2 })
  ]
}

/**
 * Whether a thrown value is a typed error: an Error of its own name (not a bare Error, TypeError,
 * RangeError or SyntaxError) with a stable string code (`ERR_*`, or commander's `commander.*`).
 *
 * @example
 * ```ts
 * isTypedError(new InvalidStemFrameError()) // true
 * isTypedError(new TypeError('x is undefined')) // false
 * ```
 */
export function isTypedError (err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const code = (err as { code?: unknown }).code
  return !GENERIC_ERRORS.has(err.name) && typeof code === 'string' && /^(ERR_[A-Z0-9_]+|commander\.[A-Za-z]+)$/.test(code)
}

const GENERIC_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'URIError', 'EvalError'])
