import { STAMP_BITS, decodeStamp, equalBytes, generateAuthorKey, mintStamp, renewalSchedule, stampWindow, verifyStamp, weekOf, weekStart } from '@murmur/protocol'
import { MemoryLevel } from 'memory-level'
import { afterEach, describe, expect, it } from 'vitest'
import { openMemberState } from '../src/membership/member-state.js'
import { createWorkerMiner } from '../src/membership/miner.js'
import { createMintingService } from '../src/membership/minting.js'
import { createLevelMemberStorage } from '../src/membership/storage.js'
import { spawnNodeMintWorker } from '../src/membership/worker-node.js'
import type { MintWorkerHandle, StampMiner } from '../src/membership/miner.js'
import type { MintProgressDetail, MintingService } from '../src/membership/minting.js'
import type { MintStampOptions, Stamp, StampProgress } from '@murmur/protocol'

/** Small difficulties: each evaluation is still a real 64 MiB Argon2id. */
const EASY = 2
/** A difficulty no test reaches (2^40 evaluations expected). */
const ENDLESS = 40
const NOW = weekStart(2950) + 3600
const WEEK = weekOf(NOW)

function memoryDb (): MemoryLevel<Uint8Array, Uint8Array> {
  return new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
}

/** Resolves with the first event of `type` that `accept` takes, or rejects after `ms`. */
async function nextEvent<T> (target: EventTarget, type: string, accept: (detail: T) => boolean = () => true, ms = 60_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => { target.removeEventListener(type, listener); reject(new Error(`no ${type} within ${ms} ms`)) }, ms)
    const listener = (event: Event): void => {
      const detail = (event as CustomEvent<T>).detail
      if (!accept(detail)) return
      clearTimeout(timer)
      target.removeEventListener(type, listener)
      resolve(detail)
    }
    target.addEventListener(type, listener)
  })
}

describe('the worker miner', () => {
  it('mints in a worker thread a stamp that verifies, reporting progress with an ETA after every evaluation', async () => {
    const key = generateAuthorKey()
    const progress: StampProgress[] = []
    const stamp = await createWorkerMiner({ spawn: spawnNodeMintWorker }).mint({ memberKey: key.publicKey, week: WEEK, bits: EASY, onProgress: (p) => progress.push(p) })
    expect(equalBytes(stamp.memberKey, key.publicKey)).toBe(true)
    expect(verifyStamp(stamp, { now: NOW, bits: EASY }).ok).toBe(true)
    expect(progress.length).toBe(stamp.nonce + 1)
    expect(progress.map((p) => p.attempts)).toEqual(progress.map((_, i) => i + 1))
    expect(progress.at(-1)).toMatchObject({ chance: 1, etaSeconds: 0, nextNonce: stamp.nonce, expectedEvaluations: 4 })
    for (const p of progress.slice(0, -1)) expect(p.etaSeconds).toBeGreaterThan(0)
  })

  it('abort terminates the worker mid-mint and rejects with an AbortError', async () => {
    let exited: Promise<Error> | undefined
    const spawn = (): MintWorkerHandle => {
      const handle = spawnNodeMintWorker()
      exited = new Promise((resolve) => { handle.onFailure(resolve) })
      return handle
    }
    const controller = new AbortController()
    const progress: StampProgress[] = []
    const minting = createWorkerMiner({ spawn }).mint({
      memberKey: generateAuthorKey().publicKey,
      week: WEEK,
      bits: ENDLESS,
      signal: controller.signal,
      onProgress: (p) => {
        progress.push(p)
        if (p.attempts === 2) controller.abort()
      }
    })
    await expect(minting).rejects.toMatchObject({ name: 'AbortError' })
    expect((await exited)?.message).toMatch(/exited/)
    expect(progress.length).toBe(2)
  })

  it('a worker that dies is a MembershipError ERR_MINT_WORKER, not a hang', async () => {
    const spawn = (): MintWorkerHandle => {
      const handle = spawnNodeMintWorker()
      return { ...handle, post: () => { handle.terminate() } }
    }
    await expect(createWorkerMiner({ spawn }).mint({ memberKey: generateAuthorKey().publicKey, week: WEEK, bits: EASY }))
      .rejects.toMatchObject({ name: 'MembershipError', code: 'ERR_MINT_WORKER' })
  })
})

describe('background minting', () => {
  const services: MintingService[] = []
  afterEach(async () => {
    await Promise.all(services.splice(0).map(async (service) => { await service.stop() }))
  })

  function service (...args: Parameters<typeof createMintingService>): MintingService {
    const created = createMintingService(...args)
    services.push(created)
    return created
  }

  /** A worker miner that records where each mint started. */
  function recordingMiner (starts: number[]): StampMiner {
    const miner = createWorkerMiner({ spawn: spawnNodeMintWorker })
    return { mint: async (options: MintStampOptions) => { starts.push(options.startNonce ?? 0); return miner.mint(options) } }
  }

  it('a restart resumes at the saved nonce: no nonce is tried twice', async () => {
    const db = memoryDb()
    const starts: number[] = []
    const first = service({ state: await openMemberState({ storage: createLevelMemberStorage(db), now: NOW }), miner: recordingMiner(starts), bits: ENDLESS, clock: () => NOW, saveEveryMs: 0 })
    const tried: number[] = []
    first.addEventListener('mint:progress', (e) => { tried.push(e.detail.nextNonce - 1) })
    first.start()
    await nextEvent<MintProgressDetail>(first, 'mint:progress', (p) => p.attempts >= 3)
    await first.stop()
    const reached = Math.max(...tried) + 1

    const state = await openMemberState({ storage: createLevelMemberStorage(db), now: NOW })
    expect(state.minting()).toEqual({ week: WEEK, nextNonce: reached })
    const second = service({ state, miner: recordingMiner(starts), bits: ENDLESS, clock: () => NOW, saveEveryMs: 0 })
    second.start()
    const resumed = await nextEvent<MintProgressDetail>(second, 'mint:progress')
    await second.stop()
    expect(starts).toEqual([0, reached])
    expect(resumed.nextNonce - 1).toBe(reached)
    expect(tried).toEqual(tried.map((_, i) => i))
    await db.close()
  })

  it('a newcomer mints at once, keeps and announces its stamp, shows it in status, and plans the renewal', async () => {
    const db = memoryDb()
    const state = await openMemberState({ storage: createLevelMemberStorage(db), now: NOW })
    const minting = service({ state, miner: createWorkerMiner({ spawn: spawnNodeMintWorker }), bits: EASY, clock: () => NOW })
    const progress: MintProgressDetail[] = []
    minting.addEventListener('mint:progress', (e) => { progress.push(e.detail) })
    const minted = nextEvent<Stamp>(minting, 'mint:stamp')
    const announced = nextEvent<Uint8Array>(minting, 'announce')
    minting.start()
    expect(minting.status().minting?.week).toBe(WEEK)
    const stamp = await minted
    const bytes = await announced
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.every((p) => p.week === WEEK)).toBe(true)
    expect(verifyStamp(decodeStamp(bytes), { now: NOW, bits: EASY }).ok).toBe(true)
    expect(decodeStamp(bytes).nonce).toBe(stamp.nonce)
    expect(state.stampFor(WEEK)?.nonce).toBe(stamp.nonce)
    expect(state.minting()).toBeUndefined()
    expect(minting.status()).toEqual({
      stamp: { week: WEEK, expires: stampWindow(WEEK).notAfter },
      ahead: [],
      minting: undefined,
      nextMintAt: renewalSchedule(state.key.publicKey, WEEK).mintFrom
    })
    await db.close()
  })

  it('mints the next week before the held stamp expires, once its renewal point has passed', async () => {
    const db = memoryDb()
    const state = await openMemberState({ storage: createLevelMemberStorage(db), now: NOW })
    // the held stamp, minted on this thread at the same small difficulty
    await state.addStamp(await mintStamp({ memberKey: state.key.publicKey, week: WEEK, bits: 1 }), NOW)
    const { mintFrom, announceFrom } = renewalSchedule(state.key.publicKey, WEEK)
    const now = mintFrom + 1
    const minting = service({ state, miner: { mint: mintStamp }, bits: 1, clock: () => now })
    const minted = nextEvent<Stamp>(minting, 'mint:stamp')
    minting.start()
    const renewed = await minted
    expect(renewed.week).toBe(WEEK + 1)
    expect(now).toBeLessThan(stampWindow(WEEK).notAfter)
    expect(verifyStamp(renewed, { now: announceFrom, bits: 1 }).ok).toBe(true)
    expect(minting.status()).toMatchObject({ stamp: { week: WEEK }, ahead: [WEEK + 1], nextMintAt: renewalSchedule(state.key.publicKey, WEEK + 1).mintFrom })
    await db.close()
  })

  it('a failing worker is reported as mint:error and the service keeps running', async () => {
    const db = memoryDb()
    const state = await openMemberState({ storage: createLevelMemberStorage(db), now: NOW })
    const broken: StampMiner = { mint: async () => { throw new Error('worker exploded') } }
    const minting = service({ state, miner: broken, bits: STAMP_BITS, clock: () => NOW, retryAfterMs: 60_000 })
    const failed = nextEvent<Error>(minting, 'mint:error')
    minting.start()
    expect((await failed).message).toBe('worker exploded')
    expect(minting.status().stamp).toBeUndefined()
    await db.close()
  })
})
