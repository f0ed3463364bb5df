import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Worker } from 'node:worker_threads'
import {
  buildEnvelope, channelTopic, compareBytes, generateAuthorKey, minePow, powDigest, decodeEnvelope, ringSign, ringVerify, validateEnvelope, verifyStamp, weekOf
} from '@murmur/protocol'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_START_FAILURES, createVerifyPool, nodeWorkerHandle, spawnVerifyWorker } from '../src/verify/index.js'
import type { RingVerifyInput } from '@murmur/protocol'
import type { VerifyPool, VerifyWorkerHandle } from '../src/verify/index.js'

const TOPIC = channelTopic('#verify')
const POW = { POST: 0, REPLY: 0, VOTE: 0 }
const OPTIONS = { topic: TOPIC, powBits: POW }

const keys = Array.from({ length: 8 }, () => generateAuthorKey())
const ring = keys.map((key) => key.publicKey).sort(compareBytes)

async function ringEnvelope (size: number, body: string): Promise<Uint8Array> {
  const members = ring.slice(0, size)
  const signer = keys.find((key) => compareBytes(key.publicKey, members[0]!) === 0)!
  const built = await buildEnvelope({ channel: '#verify', body, powBits: 0, auth: { kind: 'ring', ring: members, secretKey: signer.secretKey, slot: 0, weekSlot: 0 } })
  return built.bytes
}

const envelopes = [
  await ringEnvelope(1, 'alone'),
  await ringEnvelope(3, 'three of us'),
  await ringEnvelope(8, 'eight of us'),
  (await buildEnvelope({ channel: '#verify', body: 'one-time', powBits: 0 })).bytes
]

/** A raw signature over the full ring, with the fields a liar may bend. */
const message = new Uint8Array(32).fill(7)
const scopes = [new Uint8Array([1]), new Uint8Array([2])]
const signature = ringSign({ message, ring, secretKey: keys[3]!.secretKey, scopes })
const ringInput: RingVerifyInput = { message, ring, scopes, ...signature }

/** A worker_threads Worker the test can reach, behind the pool's own Node.js handle. */
interface Spawned { worker: Worker, exited: Promise<number> }

function trackingSpawn (spawned: Spawned[], make: () => Worker): () => VerifyWorkerHandle {
  return () => {
    const worker = make()
    spawned.push({ worker, exited: new Promise((resolve) => worker.once('exit', resolve)) })
    return nodeWorkerHandle(worker)
  }
}

/** The real worker entry, started as the pool's default spawn would (from source: Node.js strips its types). */
const realWorker = (): Worker => new Worker(new URL('../src/verify/worker.ts', import.meta.url))

/** A worker that says it is ready and then dies of an uncaught error on its first job. */
const crashingWorker = (): Worker => new Worker(`
  const { parentPort } = require('node:worker_threads')
  parentPort.postMessage({ type: 'ready' })
  parentPort.on('message', () => { throw new Error('boom') })
`, { eval: true })

/** A worker that dies while loading, before it is ever ready. */
const brokenWorker = (): Worker => new Worker('throw new Error("cannot load")', { eval: true })

let pools: VerifyPool[] = []
const pool = (init: Parameters<typeof createVerifyPool>[0] = {}): VerifyPool => {
  const created = createVerifyPool({ size: 2, ...init })
  pools.push(created)
  return created
}

afterEach(async () => {
  await Promise.all(pools.map(async (p) => { await p.stop() }))
  pools = []
})

async function rejection (promise: Promise<unknown>): Promise<{ name?: string, code?: string }> {
  return await promise.then(() => { throw new Error('expected a rejection') }, (err: { name?: string, code?: string }) => err)
}

describe('verification pool: same answers as the main thread', () => {
  it('validates valid and corrupted envelopes exactly as validateEnvelope does', async () => {
    const verify = pool()
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...envelopes),
      fc.oneof(
        fc.constant({ kind: 'as-is' as const }),
        fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
        fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() })
      ),
      fc.constantFrom(TOPIC, channelTopic('#elsewhere')),
      async (envelope, change, topic) => {
        const bytes = envelope.slice()
        if (change.kind === 'flip') bytes[change.at % bytes.length]! ^= 1 << change.bit
        const input = change.kind === 'truncate' ? bytes.subarray(0, change.at % bytes.length) : bytes
        const options = { topic, powBits: POW }
        expect(await verify.validate(input, options)).toEqual(validateEnvelope(input, options))
      }
    ), { numRuns: 60 })
  })

  it('verifies valid and bent ring signatures exactly as ringVerify does', async () => {
    const verify = pool()
    const field = fc.constantFrom('message', 'c0', 's', 'tags', 'ring', 'scopes')
    await fc.assert(fc.asyncProperty(field, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 }), fc.boolean(), async (name, item, at, bit, bend) => {
      const input: RingVerifyInput = structuredClone(ringInput)
      if (bend) {
        const value = input[name as keyof RingVerifyInput]
        const bytes = Array.isArray(value) ? value[item % value.length]! : value
        bytes[at % bytes.length]! ^= 1 << bit
      }
      expect(await verify.ringVerify(input)).toBe(ringVerify(input))
    }), { numRuns: 40 })
    // shapes no honest caller sends: the worker answers false as the main thread does, never throws
    for (const broken of [{ ...ringInput, ring: 'x' }, { ...ringInput, s: [] }, { ...ringInput, tags: undefined }, {}]) {
      expect(await verify.ringVerify(broken as unknown as RingVerifyInput)).toBe(ringVerify(broken as unknown as RingVerifyInput))
    }
  })

  it('verifies stamps and mines proof of work as the main thread does', async () => {
    const verify = pool()
    const now = Math.floor(Date.now() / 1000)
    const stamp = { memberKey: keys[0]!.publicKey, week: weekOf(now), nonce: 5 }
    for (const bits of [0, 3]) {
      expect(await verify.verifyStamp(stamp, { now, bits })).toEqual(verifyStamp(stamp, { now, bits }))
    }
    expect(await verify.verifyStamp({ ...stamp, memberKey: new Uint8Array(32) }, { now })).toEqual(verifyStamp({ ...stamp, memberKey: new Uint8Array(32) }, { now }))

    const digest = powDigest(new Uint8Array(32).fill(1), decodeEnvelope(envelopes[3]!))
    const progress: number[] = []
    expect(await verify.minePow(digest, 10, { onProgress: (p) => progress.push(p.bits) })).toBe(await minePow(digest, 10))
    expect(progress.length).toBeGreaterThan(0)
    const minted = await verify.mintStamp({ memberKey: keys[1]!.publicKey, week: weekOf(now), bits: 1 })
    expect(verifyStamp(minted, { now, bits: 1 }).ok).toBe(true)
    // a thrown error keeps its name and message across the thread
    const thrown = await rejection(verify.minePow(digest, 300))
    expect(thrown.name).toBe('RangeError')
  })
})

describe('verification pool: limits and failures', () => {
  it('refuses a job beyond maxQueue with ERR_VERIFY_QUEUE_FULL and runs the rest', async () => {
    const verify = pool({ size: 1, maxQueue: 2 })
    // the worker cannot be ready yet (its first message needs a turn of the event loop): both jobs wait
    const waiting = [verify.validate(envelopes[0]!, OPTIONS), verify.validate(envelopes[3]!, OPTIONS)]
    expect(verify.queued).toBe(2)
    expect(await rejection(verify.validate(envelopes[1]!, OPTIONS))).toMatchObject({ name: 'VerifyQueueFullError', code: 'ERR_VERIFY_QUEUE_FULL' })
    expect((await Promise.all(waiting)).map((result) => result.ok)).toEqual([true, true])
    // a bound that would refuse every job is refused itself
    expect(() => createVerifyPool({ maxQueue: 0 })).toThrow(RangeError)
  })

  it('shares a full queue by address group: the group with most jobs waiting gives way, not a newcomer', async () => {
    const verify = pool({ size: 1, maxQueue: 4 })
    // the worker cannot be ready yet: every job waits. One group fills the queue (a flood)
    const flood = [0, 1, 2, 3].map((i) => verify.validate(envelopes[i % envelopes.length]!, OPTIONS, { group: 'flood' }))
    expect(verify.queued).toBe(4)
    // more of the flood is refused
    expect(await rejection(verify.validate(envelopes[0]!, OPTIONS, { group: 'flood' }))).toMatchObject({ code: 'ERR_VERIFY_QUEUE_FULL' })
    // an honest group's job gets in: the flood's newest waiting job is refused in its place
    const honest = verify.validate(envelopes[3]!, OPTIONS, { group: 'honest' })
    expect(verify.queued).toBe(4)
    expect(await rejection(flood[3]!)).toMatchObject({ name: 'VerifyQueueFullError', code: 'ERR_VERIFY_QUEUE_FULL' })
    // a second honest job too (the flood still holds 2 against 1), a third no longer (2 against 2)
    const honest2 = verify.validate(envelopes[0]!, OPTIONS, { group: 'honest' })
    expect(await rejection(flood[2]!)).toMatchObject({ code: 'ERR_VERIFY_QUEUE_FULL' })
    expect(await rejection(verify.validate(envelopes[1]!, OPTIONS, { group: 'honest' }))).toMatchObject({ code: 'ERR_VERIFY_QUEUE_FULL' })
    expect((await Promise.all([flood[0]!, flood[1]!, honest, honest2])).map((result) => result.ok)).toEqual([true, true, true, true])
    expect(verify.queued).toBe(0)
  })

  it('aborts a waiting job and a running mine; the worker goes on, and mines a post beside a stamp mint', async () => {
    const verify = pool({ size: 1 })
    const controller = new AbortController()
    const waiting = verify.validate(envelopes[2]!, OPTIONS, { signal: controller.signal })
    const other = verify.validate(envelopes[1]!, OPTIONS)
    controller.abort()
    expect(await rejection(waiting)).toMatchObject({ name: 'AbortError', code: 'ERR_ABORTED' })
    expect((await other).ok).toBe(true)

    const mining = new AbortController()
    let started: () => void = () => {}
    const running = new Promise<void>((resolve) => { started = resolve })
    // 200 bits: never found; aborted once it reports its first slice
    const mine = verify.minePow(new Uint8Array(32), 200, { signal: mining.signal, onProgress: () => { started() } })
    await running
    mining.abort()
    expect(await rejection(mine)).toMatchObject({ name: 'AbortError' })
    expect(await verify.minePow(new Uint8Array(32), 4)).toBe(await minePow(new Uint8Array(32), 4))

    // a post's proof of work is mined beside a running stamp mint, not after it (a week's stamp takes
    // minutes; this one, of 60 bits, is never found): before, it waited (here until its signal gave up)
    const minting = new AbortController()
    let minted: () => void = () => {}
    const mintRunning = new Promise<void>((resolve) => { minted = resolve })
    const mint = verify.mintStamp({ memberKey: keys[2]!.publicKey, week: weekOf(Math.floor(Date.now() / 1000)), bits: 60, signal: minting.signal, onProgress: () => { minted() } })
    await mintRunning
    const digest = new Uint8Array(32).fill(9)
    expect(await verify.minePow(digest, 6, { signal: AbortSignal.timeout(10_000) })).toBe(await minePow(digest, 6))
    minting.abort()
    expect(await rejection(mint)).toMatchObject({ name: 'AbortError' })
  })

  it('fails the jobs of a worker that crashes, replaces it, and keeps verifying', async () => {
    const spawned: Spawned[] = []
    const verify = pool({ size: 1, spawn: trackingSpawn(spawned, () => spawned.length === 0 ? crashingWorker() : realWorker()) })
    expect(await rejection(verify.validate(envelopes[0]!, OPTIONS))).toMatchObject({ name: 'VerifyWorkerCrashedError', code: 'ERR_VERIFY_WORKER_CRASHED' })
    expect((await verify.validate(envelopes[1]!, OPTIONS)).ok).toBe(true)
    expect(spawned).toHaveLength(2)

    // a worker killed from outside while it mines: the same
    let started: () => void = () => {}
    const running = new Promise<void>((resolve) => { started = resolve })
    const mine = verify.minePow(new Uint8Array(32), 200, { onProgress: () => { started() } })
    await running
    await spawned[1]!.worker.terminate()
    expect(await rejection(mine)).toMatchObject({ code: 'ERR_VERIFY_WORKER_CRASHED' })
    expect((await verify.validate(envelopes[2]!, OPTIONS)).ok).toBe(true)
    expect(spawned).toHaveLength(3)
  })

  it('gives up with ERR_VERIFY_POOL_STOPPED when workers die before they start, instead of respawning forever', async () => {
    const spawned: Spawned[] = []
    const verify = pool({ size: 1, spawn: trackingSpawn(spawned, brokenWorker) })
    expect(await rejection(verify.validate(envelopes[0]!, OPTIONS))).toMatchObject({ name: 'VerifyPoolStoppedError', code: 'ERR_VERIFY_POOL_STOPPED' })
    expect(spawned).toHaveLength(MAX_START_FAILURES)
    expect(await rejection(verify.ringVerify(ringInput))).toMatchObject({ code: 'ERR_VERIFY_POOL_STOPPED' })
  })

  it('leaves the caller\'s bytes alone: a Buffer or a view into a larger buffer is copied, never moved', async () => {
    const verify = pool({ size: 1 })
    const envelope = envelopes[2]!
    // Buffer#slice is a view, not a copy: moving its buffer would detach the caller's (and a pooled slab)
    const buffer = Buffer.from(envelope)
    const larger = new Uint8Array(envelope.length + 64)
    larger.set(envelope, 32)
    const view = larger.subarray(32, 32 + envelope.length)
    for (const bytes of [buffer, view]) {
      expect((await verify.validate(bytes, OPTIONS)).ok).toBe(true)
      expect(bytes.buffer.byteLength).toBeGreaterThan(0)
      expect(Uint8Array.from(bytes)).toEqual(envelope)
    }
  })

  it('refuses input that cannot cross to a worker as a TypeError, and keeps the worker', async () => {
    const verify = pool({ size: 1 })
    expect(await rejection(verify.ringVerify({ ...ringInput, message: (() => {}) as unknown as Uint8Array }))).toMatchObject({ name: 'TypeError' })
    expect(await verify.ringVerify(ringInput)).toBe(true)
  })

  it('stops every worker: jobs waiting or running reject, none is left behind', async () => {
    const spawned: Spawned[] = []
    const verify = pool({ size: 2, spawn: trackingSpawn(spawned, realWorker) })
    expect(await verify.ringVerify(ringInput)).toBe(true)
    const pending = [verify.minePow(new Uint8Array(32), 200), verify.validate(envelopes[2]!, OPTIONS), verify.validate(envelopes[1]!, OPTIONS), verify.validate(envelopes[0]!, OPTIONS)].map(rejection)
    await verify.stop()
    for (const outcome of await Promise.all(pending)) expect(outcome).toMatchObject({ code: 'ERR_VERIFY_POOL_STOPPED' })
    expect(spawned).toHaveLength(2)
    // every worker has exited (a bounded wait: each exit was awaited by stop already)
    await Promise.all(spawned.map(async ({ exited }) => await exited))
    expect(await rejection(verify.validate(envelopes[0]!, OPTIONS))).toMatchObject({ code: 'ERR_VERIFY_POOL_STOPPED' })
  })

  it('keeps a Node.js process alive while a job waits or runs, and lets it exit when idle (no stop needed)', async () => {
    // the built pool, in a process of its own that never calls stop(): it must print the nonce and exit
    const built = new URL('../dist/src/verify/index.js', import.meta.url).href
    const script = `import { createVerifyPool } from '${built}'
      const pool = createVerifyPool({ size: 1 })
      console.log(String(await pool.minePow(new Uint8Array(32), 4)))`
    const dir = await mkdtemp(join(tmpdir(), 'murmur-verify-'))
    try {
      await writeFile(join(dir, 'idle.mjs'), script)
      const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'idle.mjs')], { timeout: 60_000 })
      expect(stdout.trim()).toBe(String(await minePow(new Uint8Array(32), 4)))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('starts workers with the default spawn on this platform', async () => {
    const verify = pool({ size: 1, spawn: spawnVerifyWorker })
    expect((await verify.validate(envelopes[2]!, OPTIONS)).ok).toBe(true)
  })
})
