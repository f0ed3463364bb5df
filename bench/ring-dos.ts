// Issue 12, High 4: does an invalid ring envelope cost its maker at least what it costs its victim to reject?
// The attacker builds a ring envelope, corrupts one response and mines its proof of work at the default
// difficulty (base + ring term) with the fastest SHA-256 on this machine (one native OpenSSL compression per
// nonce through a small C program when gcc and libcrypto are there, else node:crypto; CPU time on both sides,
// so a loaded machine skews neither): the envelope passes every cheap check and fails
// only after the victim has verified the whole ring. The proof of work covers the signature (powDigest), so
// this is the price of every distinct invalid envelope: a copy with another byte flipped, or re-signed with
// fresh randomness, fails the proof of work in one hash unless mined again. Figure = attacker CPU for one more
// distinct invalid envelope (expected 2^bits native hashes) ÷ victim CPU (median validateEnvelope CPU time of
// that envelope); the unmined copy's rejection time is reported beside it. `npm exec -- node bench/ring-dos.ts [--quick]`.
import { execFileSync } from 'node:child_process'
import { hash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  authBinding, buildEnvelope, channelTopic, compareBytes, contentDigest, decodeEnvelope, encodeEnvelope, generateAuthorKey, minePow, postId, powDigest,
  ready, requiredPowBits, validateEnvelope, DEFAULT_POW_BITS
} from '@murmur/protocol'
import type { PostKind } from '@murmur/protocol'
import { median, writeResults } from './lib/results.ts'
import type { Figure } from './lib/results.ts'

// libsodium's WASM before the first key or hash (@murmur/protocol awaits nothing at import)
await ready()

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } })
const QUICK = values.quick
const TOPIC = channelTopic('#bench')
// the exact proof-of-work input: "murmur/v2/pow" (13 bytes) || w = powDigest (32) || u64be(nonce) (8), one compression
const POW_INPUT_BYTES = 53

/** CPU milliseconds spent by this process in `work`. */
function cpuMs (work: () => void): number {
  const start = process.cpuUsage()
  work()
  const { user, system } = process.cpuUsage(start)
  return (user + system) / 1000
}

/** CPU ns per SHA-256 of a PoW input with node:crypto's one-shot hash, in a tight loop. */
function nodeCryptoNs (count: number): number {
  const input = Buffer.alloc(POW_INPUT_BYTES, 7)
  return cpuMs(() => {
    for (let i = 0; i < count; i++) {
      input.writeUInt32BE(i, POW_INPUT_BYTES - 4)
      hash('sha256', input, 'buffer')
    }
  }) * 1e6 / count
}

// one SHA-256 compression per nonce, as a native miner does it: the 53-byte input padded to one 64-byte
// block once, the nonce written into it, SHA256_Transform (SHA-NI where the CPU has it). CPU time, not wall
// time, so that a loaded machine does not flatter the attacker or the victim.
const NATIVE_MINER = `
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
int main(int argc, char **argv) {
  unsigned long count = strtoul(argv[1], 0, 10), hits = 0;
  unsigned char block[64];
  memset(block, 7, ${POW_INPUT_BYTES}); block[${POW_INPUT_BYTES}] = 0x80; memset(block + ${POW_INPUT_BYTES + 1}, 0, ${63 - POW_INPUT_BYTES});
  block[62] = (${POW_INPUT_BYTES} * 8) >> 8; block[63] = (${POW_INPUT_BYTES} * 8) & 255;
  SHA256_CTX init, ctx;
  SHA256_Init(&init);
  struct timespec a, b;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
  for (unsigned long i = 0; i < count; i++) {
    memcpy(block + ${POW_INPUT_BYTES - 8}, &i, 8);
    ctx = init; SHA256_Transform(&ctx, block);
    hits += (ctx.h[0] >> 24) == 0;
  }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
  printf("%f %lu\\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / count, hits);
  return 0;
}
`

/** CPU ns per PoW nonce with OpenSSL's one-block compression from C (SHA-NI where the CPU has it), or undefined without gcc/libcrypto. */
function nativeNs (count: number): number | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'murmur-ring-dos-'))
  try {
    writeFileSync(join(dir, 'miner.c'), NATIVE_MINER)
    execFileSync('gcc', ['-O2', '-o', join(dir, 'miner'), join(dir, 'miner.c'), '-lcrypto'], { stdio: 'pipe' })
    const [ns, hits] = execFileSync(join(dir, 'miner'), [String(count)], { encoding: 'utf8' }).trim().split(' ').map(Number)
    // a hash that works has a zero first byte about once in 256 tries
    if (!(hits! > count / 512 && hits! < count / 128)) throw new Error(`native miner looks wrong: ${hits} zero bytes in ${count}`)
    return ns
  } catch (err) {
    console.warn(`no native miner (${(err as Error).message.split('\n')[0]}); pricing the attacker at node:crypto speed`)
    return undefined
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const HASHES = QUICK ? 200_000 : 2_000_000
const nodeNs = median([0, 1, 2].map(() => nodeCryptoNs(HASHES / 4)))
const opensslNs = median([0, 1, 2].map(() => nativeNs(HASHES) ?? Infinity))
const attackerNs = Math.min(nodeNs, opensslNs)

/** ns per hash of the miner honest nodes run (libsodium in WASM, as in browsers): hashes done in `ms` of mining. */
async function jsMinerNs (ms: number): Promise<number> {
  let attempts = 0
  const start = performance.now()
  await minePow(new Uint8Array(32).fill(9), 256, { signal: AbortSignal.timeout(ms), onProgress: (p) => { attempts = p.attempts } }).catch(() => {})
  return (performance.now() - start) * 1e6 / attempts
}
const honestNs = median([await jsMinerNs(QUICK ? 200 : 1000), await jsMinerNs(QUICK ? 200 : 1000), await jsMinerNs(QUICK ? 200 : 1000)])

const figures: Figure[] = [
  { figure: 'sha256_pow_js_miner_ns', value: honestNs, unit: 'ns/hash' },
  { figure: 'sha256_pow_input_node_crypto_ns', value: nodeNs, unit: 'ns/hash' },
  ...(Number.isFinite(opensslNs) ? [{ figure: 'sha256_pow_input_native_openssl_ns', value: opensslNs, unit: 'ns/hash' }] : [])
]

/**
 * An invalid ring envelope at the default difficulty (or a lower base with --quick), one response corrupted
 * and the proof of work mined over it, as the attacker must; and the same corruption left unmined.
 */
async function invalidRingEnvelope (kind: PostKind, n: number, base: number): Promise<{ mined: Uint8Array, unmined: Uint8Array }> {
  const keys = Array.from({ length: n }, () => generateAuthorKey()).sort((a, b) => compareBytes(a.publicKey, b.publicKey))
  const vote = kind === 'VOTE'
  const built = await buildEnvelope({
    channel: '#bench', kind, body: vote ? '' : 'an ordinary post of ordinary length', vote: vote ? 1 : undefined,
    parent: kind === 'POST' ? undefined : new Uint8Array(32).fill(3), powBits: base,
    auth: { kind: 'ring', ring: keys.map((k) => k.publicKey), secretKey: keys[n >> 1]!.secretKey, slot: 0, weekSlot: 0 }
  })
  const envelope = decodeEnvelope(built.bytes)
  envelope.ring!.s[n - 1] = envelope.ring!.s[0]!
  const unmined = encodeEnvelope(envelope)
  // the proof of work covers the responses: the corrupted envelope needs its own
  const id = postId(contentDigest(TOPIC, envelope.post), authBinding(envelope))
  envelope.pow = await minePow(powDigest(id, envelope), requiredPowBits(kind, n, { [kind]: base }))
  return { mined: encodeEnvelope(envelope), unmined }
}

const cases: Array<{ kind: PostKind, n: number, name: string }> = [
  { kind: 'POST', n: 4, name: 'invalid_ring_attacker_vs_victim_cpu_n4' },
  { kind: 'POST', n: 16, name: 'invalid_ring_attacker_vs_victim_cpu_n16' },
  { kind: 'POST', n: 64, name: 'invalid_ring_attacker_vs_victim_cpu_n64' },
  { kind: 'VOTE', n: 4, name: 'invalid_ring_vote_attacker_vs_victim_cpu_n4' },
  { kind: 'VOTE', n: 64, name: 'invalid_ring_vote_attacker_vs_victim_cpu_n64' }
]
for (const { kind, n, name } of cases) {
  // --quick mines at a low base so the check runs in seconds; the ratio is still priced at the default
  const base = QUICK ? 4 : DEFAULT_POW_BITS[kind]
  const { mined, unmined } = await invalidRingEnvelope(kind, n, base)
  const options = { topic: TOPIC, powBits: { [kind]: base } }
  const first = validateEnvelope(mined, options)
  if (first.ok || first.code !== 'ERR_BAD_SIGNATURE') throw new Error(`expected the victim to reach ring verification, got ${first.ok ? 'ok' : first.code}`)
  const free = validateEnvelope(unmined, options)
  if (free.ok || free.code !== 'ERR_POW_TOO_LOW') throw new Error(`expected an unmined copy to fail the proof of work, got ${free.ok ? 'ok' : free.code}`)
  const reps = Math.max(5, Math.round((QUICK ? 100 : 400) / n))
  const timeMs = (bytes: Uint8Array, count: number): number => median(Array.from({ length: count }, () => cpuMs(() => validateEnvelope(bytes, options))))
  const victimMs = timeMs(mined, reps)
  const unminedMs = timeMs(unmined, 50)
  const bits = requiredPowBits(kind, n)
  const attackerMs = 2 ** bits * attackerNs / 1e6
  figures.push(
    { figure: name, value: attackerMs / victimMs, unit: 'ratio', target: '>= 1', baseline: victimMs },
    { figure: `${name.replace('attacker_vs_victim_cpu', 'victim_reject')}_ms`, value: victimMs, unit: 'ms' },
    // what a copy with a flipped response but the original's nonce costs the victim (it fails the proof of work)
    { figure: `${name.replace('attacker_vs_victim_cpu', 'unmined_copy_reject')}_ms`, value: unminedMs, unit: 'ms' },
    { figure: `${name.replace('invalid_ring', 'pow').replace('_attacker_vs_victim_cpu', '')}_bits`, value: bits, unit: 'bits' },
    // what the same difficulty costs an honest member with the JS miner, on average
    { figure: `${name.replace('invalid_ring', 'honest_ring').replace('_attacker_vs_victim_cpu', '')}_mining_ms`, value: 2 ** bits * honestNs / 1e6, unit: 'ms' }
  )
}

writeResults('ring-dos', figures)
