// Benchmarks of @murmur/protocol (issue 2): validation against native Ed25519, ring verification,
// proof-of-work mining and the hash backends. Run with `npm run bench` (Node 22 from node@22).
import { createHash, createPublicKey, verify } from 'node:crypto'
import { ristretto255 } from '@noble/curves/ed25519.js'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import {
  buildEnvelope, channelTopic, compareBytes, generateAuthorKey, minePow, postScope, ready, ringSign, ringVerify, validateEnvelope
} from '@murmur/protocol'
import sodium from 'libsodium-wrappers-sumo'
import { median, opsPerSecond, writeResults } from './lib/results.ts'
import type { Figure } from './lib/results.ts'

// the package awaits nothing at import: libsodium is initialised here, for it and for the direct calls below
await ready()
await sodium.ready
const figures: Figure[] = []
const TOPIC = channelTopic('#bench')
const ROUNDS = 5

// --- one-time validation vs raw node:crypto Ed25519 -----------------------------------------------
const ENVELOPES = 2000
const envelopes = await Promise.all(Array.from({ length: ENVELOPES }, (_, i) =>
  buildEnvelope({ channel: '#bench', body: `benchmark post number ${i} with a body of ordinary length`, powBits: 8 })))
const now = Math.floor(Date.now() / 1000)
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const native = await Promise.all(Array.from({ length: ENVELOPES }, async (_, i) => {
  const key = sodium.crypto_sign_keypair()
  const message = envelopes[i]!.id
  const der = Buffer.concat([SPKI_PREFIX, key.publicKey])
  return { der, key: createPublicKey({ key: der, format: 'der', type: 'spki' }), message, signature: sodium.crypto_sign_detached(message, key.privateKey) }
}))
const validateRates: number[] = []
const nativeRates: number[] = []
const verifyOnlyRates: number[] = []
for (let round = 0; round < ROUNDS; round++) {
  validateRates.push(opsPerSecond(ENVELOPES, (i) => {
    if (!validateEnvelope(envelopes[i]!.bytes, { topic: TOPIC, now, powBits: { POST: 8 } }).ok) throw new Error('benchmark envelope did not validate')
  }))
  // each post has a fresh key, so the native baseline imports a fresh public key per verification
  nativeRates.push(opsPerSecond(ENVELOPES, (i) => {
    const n = native[i]!
    if (!verify(null, n.message, createPublicKey({ key: n.der, format: 'der', type: 'spki' }), n.signature)) throw new Error('native verify failed')
  }))
  // the verification alone, the keys imported before the timed loop: OpenSSL's Ed25519 at its best
  verifyOnlyRates.push(opsPerSecond(ENVELOPES, (i) => {
    const n = native[i]!
    if (!verify(null, n.message, n.key, n.signature)) throw new Error('native verify failed')
  }))
}
const validatePerS = median(validateRates)
const nativePerS = median(nativeRates)
const verifyOnlyPerS = median(verifyOnlyRates)
figures.push(
  { figure: 'validate_one_time_vs_native_ed25519', value: validatePerS / nativePerS, unit: 'ratio (native: key import + verify)', target: '>= 0.8', baseline: nativePerS },
  { figure: 'validate_one_time_vs_native_ed25519_verify_only', value: validatePerS / verifyOnlyPerS, unit: 'ratio (native: verify, key imported before)', baseline: verifyOnlyPerS },
  { figure: 'validate_one_time_per_s', value: validatePerS, unit: 'envelopes/s' },
  { figure: 'native_ed25519_verify_per_s', value: nativePerS, unit: 'verifications/s (key import included)' },
  { figure: 'native_ed25519_verify_only_per_s', value: verifyOnlyPerS, unit: 'verifications/s' }
)

// --- ring verification (one link tag, and two as a post carries with its weekly tag) ------------------
for (const n of [4, 16, 64]) {
  const keys = Array.from({ length: n }, () => generateAuthorKey()).sort((a, b) => compareBytes(a.publicKey, b.publicKey))
  const ring = keys.map((k) => k.publicKey)
  const message = envelopes[n]!.id
  for (const scopes of [[postScope(TOPIC, 490_000, 0)], [postScope(TOPIC, 490_000, 0), postScope(TOPIC, 2_900, 1)]]) {
    const sig = ringSign({ message, ring, secretKey: keys[n >> 1]!.secretKey, scopes })
    const count = Math.max(20, Math.round(2000 / n))
    const rate = median(Array.from({ length: ROUNDS }, () => opsPerSecond(count, () => {
      if (!ringVerify({ message, ring, scopes, ...sig })) throw new Error('ring signature did not verify')
    })))
    const suffix = scopes.length === 1 ? '' : '_two_tags'
    figures.push({ figure: `ring_verify_n${n}${suffix}_per_s`, value: rate, unit: 'verifications/s' })
    figures.push({ figure: `ring_verify_n${n}${suffix}_ms`, value: 1000 / rate, unit: 'ms' })
  }
}

// --- where a ring verification could save (issue 14 §1) ---------------------------------------------
// Per member and link tag, bLSAG verification computes s·Hp(scope) + c·I, and Hp(scope) and the tag I are
// the same for every member of the ring: a table for those two points would turn two of every member's
// variable-base multiplications into fixed-base ones. libsodium has no tables (and no double-scalar
// multiplication); noble has both but slower arithmetic. Measured per operation, so a change is kept
// only if it pays: the estimate replaces libsodium's variable-base cost by noble's table cost for the
// 2 × tags multiplications by fixed points of each member, plus building the tables once per verification.
const MULTS = 400
const scalarBytes = Array.from({ length: MULTS }, () => sodium.crypto_core_ristretto255_scalar_random())
const scalarOf = (bytes: Uint8Array): bigint => BigInt('0x' + Buffer.from(bytes).reverse().toString('hex'))
const scalars = scalarBytes.map(scalarOf)
const fixed = sodium.crypto_core_ristretto255_from_hash(sodium.randombytes_buf(64))
const usPer = (count: number, fn: (i: number) => unknown): number => median(Array.from({ length: ROUNDS }, () => 1e6 / opsPerSecond(count, fn)))
const sodiumVariableUs = usPer(MULTS, (i) => sodium.crypto_scalarmult_ristretto255(scalarBytes[i]!, fixed))
const sodiumBaseUs = usPer(MULTS, (i) => sodium.crypto_scalarmult_ristretto255_base(scalarBytes[i]!))
const noblePoint = ristretto255.Point.fromBytes(fixed)
const nobleVariableUs = usPer(MULTS, (i) => noblePoint.multiplyUnsafe(scalars[i]!).toBytes())
// a table per fixed point, built once per verification (a fresh point each time: tables are cached by identity)
const TABLES = 20
const nobleTableBuildUs = usPer(TABLES, () => ristretto255.Point.fromBytes(fixed).precompute(8, false))
const tabled = ristretto255.Point.fromBytes(fixed).precompute(8, false)
const nobleTableUs = usPer(MULTS, (i) => tabled.multiply(scalars[i]!).toBytes())
// n = 16, two tags: per member 1 base + 1 variable (its key) + 2 × 2 by the fixed Hp(scope_j) and I_j
const fixedMults = 16 * 2 * 2
const estimateUs = 16 * (sodiumBaseUs + sodiumVariableUs) + fixedMults * nobleTableUs + 4 * nobleTableBuildUs
const todayUs = 16 * (sodiumBaseUs + sodiumVariableUs) + fixedMults * sodiumVariableUs
figures.push(
  { figure: 'ristretto_mult_us_libsodium', value: sodiumVariableUs, unit: 'µs per variable-base multiplication (libsodium)' },
  { figure: 'ristretto_mult_base_us_libsodium', value: sodiumBaseUs, unit: 'µs per base-point multiplication (libsodium)' },
  { figure: 'ristretto_mult_us_noble', value: nobleVariableUs, unit: 'µs per variable-base multiplication, encoded (noble, public scalar)' },
  { figure: 'ristretto_mult_us_noble_table', value: nobleTableUs, unit: 'µs per multiplication of a point with a window-8 table, encoded (noble)', note: `table build ${nobleTableBuildUs.toFixed(0)} µs per point` },
  {
    figure: 'ring_verify_n16_two_tags_fixed_point_tables_vs_v1',
    value: estimateUs / todayUs,
    unit: 'ratio (estimated time with noble tables for Hp(scope) and I ÷ all-libsodium, multiplications only)',
    note: `${(estimateUs / 1000).toFixed(2)} ms against ${(todayUs / 1000).toFixed(2)} ms: below 1 would be worth building; the additions and hashing are left out of both`
  }
)

// --- proof of work ----------------------------------------------------------------------------------
for (const [bits, runs] of [[12, 41], [16, 21], [20, 11]] as const) {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const digest = envelopes[i]!.id
    const start = performance.now()
    await minePow(digest, bits)
    times.push(performance.now() - start)
  }
  figures.push({ figure: `pow_${bits}_ms`, value: median(times), unit: 'ms (median)' })
}

// --- hash backends (why the package hashes with libsodium) ---------------------------------------------
const input = envelopes[0]!.bytes
const HASHES = 200_000
figures.push(
  { figure: 'sha256_envelope_per_s_libsodium', value: median(Array.from({ length: ROUNDS }, () => opsPerSecond(HASHES, () => sodium.crypto_hash_sha256(input)))), unit: 'hashes/s' },
  { figure: 'sha256_envelope_per_s_noble', value: median(Array.from({ length: ROUNDS }, () => opsPerSecond(HASHES, () => nobleSha256(input)))), unit: 'hashes/s' },
  { figure: 'sha256_envelope_per_s_node_crypto', value: median(Array.from({ length: ROUNDS }, () => opsPerSecond(HASHES, () => createHash('sha256').update(input).digest()))), unit: 'hashes/s (Node only)' }
)
const webStart = performance.now()
for (let i = 0; i < HASHES / 10; i++) await crypto.subtle.digest('SHA-256', input as Uint8Array<ArrayBuffer>)
figures.push({ figure: 'sha256_envelope_per_s_webcrypto', value: (HASHES / 10) / ((performance.now() - webStart) / 1000), unit: 'hashes/s (async, awaited)' })

writeResults('protocol', figures)
