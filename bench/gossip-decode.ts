// Main-thread CPU per gossip message before the signature check (issue 12, Medium: an envelope was decoded
// three or four times per message: the post id for the stored-here check, again for the refused-ring check,
// the signature memo's key, the precheck). Each figure is µs of CPU per message through what a node runs for
// it on the main thread: gossipsub's message id, then PostIntake.verify on the 'gossip' path with the
// membership rule on, its verification pool replaced by a lookup of the verdict (the signature check itself
// runs on a worker and is not what decoding costs). Three kinds of message:
// - fresh: a new ring post (a 16-member ring and a 1 KiB post, about 2 KiB; a 64-member ring and the
//   largest post, about 7 KiB, the largest valid envelope);
// - re-mined: copies of one post under other nonces, whose signature the memo knows (the flood of last
//   session's memo reviews), same sizes;
// - junk: a 16 KiB canonical envelope whose post does not decode (refused; the attacker's cheapest large message).
// Usage: node bench/gossip-decode.ts [--small] [--no-write]
import { PostIntake, createPostStore, openDatabase } from '@murmur/node/internal'
import { buildEnvelope, channelTopic, checkPow, compareBytes, decodeEnvelope, encodeEnvelope, generateAuthorKey, gossipMessageId, powDigest, ready, requiredPowBits, validateEnvelope } from '@murmur/protocol'
import { medianFigure, writeResults } from './lib/results.ts'
import type { Figure } from './lib/results.ts'
import type { ValidateOptions, ValidationResult } from '@murmur/protocol'

const SMALL = process.argv.includes('--small')
/** Messages per run and runs per figure. */
const MESSAGES = SMALL ? 8 : 120
const RUNS = SMALL ? 2 : 7
const CHANNEL = '#bench'
const TOPIC = channelTopic(CHANNEL)
const POW = { POST: 0, REPLY: 0, VOTE: 0 }

await ready()

/** `count` distinct ring posts over one ring of `members`, each with a body of `bodyBytes`. */
async function ringPosts (members: number, bodyBytes: number, count: number): Promise<Uint8Array[]> {
  const keys = Array.from({ length: members }, () => generateAuthorKey())
  const ring = keys.map((key) => key.publicKey).sort(compareBytes)
  const now = Math.floor(Date.now() / 1000)
  const posts: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const body = `${i} `.padEnd(bodyBytes, 'x')
    // slots vary so that no two posts share a link tag (the store's rule, not what is measured)
    posts.push((await buildEnvelope({ channel: CHANNEL, body, created: now, powBits: 0, auth: { kind: 'ring', ring, secretKey: keys[0]!.secretKey, slot: i % 10, weekSlot: i } })).bytes)
  }
  return posts
}

/** `count` copies of `bytes` under other nonces that pass its proof of work. */
function remined (bytes: Uint8Array, count: number): Uint8Array[] {
  const valid = validateEnvelope(bytes, { topic: TOPIC, powBits: POW })
  if (!valid.ok) throw new Error(`bench post refused: ${valid.code}`)
  const envelope = decodeEnvelope(bytes)
  const bits = requiredPowBits(valid.post.kind, envelope.ring?.ring.length ?? 0, POW)
  const digest = powDigest(valid.id, envelope)
  const copies: Uint8Array[] = []
  for (let nonce = envelope.pow + 1n; copies.length < count; nonce++) {
    if (checkPow(digest, nonce, bits)) copies.push(encodeEnvelope({ ...envelope, pow: nonce }))
  }
  return copies
}

/** `count` distinct 16 KiB canonical envelopes with the authentication of `bytes` and a post that does not decode. */
function junk (bytes: Uint8Array, count: number): Uint8Array[] {
  const template = decodeEnvelope(bytes)
  const out: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const envelope = { ...template, post: new Uint8Array(0), pow: BigInt(i) }
    const room = 16 * 1024 - encodeEnvelope(envelope).byteLength - 3
    const post = new Uint8Array(room).fill(0xff)
    post[0] = i & 0xff
    post[1] = i >> 8
    out.push(encodeEnvelope({ ...envelope, post }))
  }
  return out
}

/** µs of CPU per message for `messages` through gossipsub's id and a fresh intake's gossip check. */
async function measure (messages: Uint8Array[], verdicts: Map<Uint8Array, ValidationResult>): Promise<number> {
  const store = createPostStore({ db: await openDatabase(undefined) })
  const intake = new PostIntake({
    store,
    powBits: POW,
    announce: () => {},
    checkRing: () => ({ ok: true }),
    offThread: async (envelope: Uint8Array, options: ValidateOptions) => verdicts.get(envelope) ?? validateEnvelope(envelope, options)
  })
  const start = process.cpuUsage()
  for (const message of messages) {
    gossipMessageId(TOPIC, message)
    await intake.verify(TOPIC, message, 'gossip', 'bench-group')
  }
  const used = process.cpuUsage(start)
  await store.close()
  return (used.user + used.system) / messages.length
}

/** The verdict of each message, computed once outside the measure (what the worker would find). */
function verdictsOf (messages: Uint8Array[]): Map<Uint8Array, ValidationResult> {
  return new Map(messages.map((message) => [message, validateEnvelope(message, { topic: TOPIC, powBits: POW, epochWindow: 1 })]))
}

const small = await ringPosts(16, 900, MESSAGES)
const large = await ringPosts(64, 2000, MESSAGES)
const cases: Array<{ name: string, note: string, messages: Uint8Array[] }> = [
  { name: 'fresh_ring16_2k', note: `a new 16-member ring post, ${small[0]!.byteLength} bytes`, messages: small },
  { name: 'fresh_ring64_7k', note: `a new 64-member ring post, ${large[0]!.byteLength} bytes`, messages: large },
  { name: 'remined_ring16_2k', note: 'a re-mined copy of a 16-member ring post (signature known to the memo)', messages: [small[0]!, ...remined(small[0]!, MESSAGES)] },
  { name: 'remined_ring64_7k', note: 'a re-mined copy of a 64-member ring post (signature known to the memo)', messages: [large[0]!, ...remined(large[0]!, MESSAGES)] },
  { name: 'junk_16k', note: 'a 16 KiB canonical envelope whose post does not decode', messages: junk(small[0]!, MESSAGES) }
]
const figures: Figure[] = []
for (const { name, note, messages } of cases) {
  const verdicts = verdictsOf(messages)
  for (const [message, verdict] of verdicts) if (!name.startsWith('junk') && !verdict.ok) throw new Error(`${name}: ${verdict.code} on ${message.byteLength} bytes`)
  const runs: number[] = []
  // one warm-up run, then RUNS measured ones, each on a fresh intake
  await measure(messages, verdicts)
  for (let run = 0; run < RUNS; run++) runs.push(await measure(messages, verdicts))
  figures.push(medianFigure({ figure: `gossip_check_${name}_us`, unit: 'µs CPU per message', note }, runs))
}
writeResults('gossip-decode', figures)
