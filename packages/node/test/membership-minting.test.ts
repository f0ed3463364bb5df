import { STAMP_BITS, decodeStamp, mintStamp, renewalSchedule, stampWindow, verifyStamp, weekOf, weekStart } from '@murmur/protocol'
import { MemoryLevel } from 'memory-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openMemberState } from '../src/membership/member-state.js'
import { createMintingService } from '../src/membership/minting.js'
import { createLevelMemberStorage } from '../src/membership/storage.js'
import { createVerifyPool } from '../src/verify/index.js'
import type { MemberState } from '../src/membership/member-state.js'
import type { MintProgressDetail, MintingService, StampMiner } from '../src/membership/minting.js'
import type { VerifyPool } from '../src/verify/index.js'
import type { MintStampOptions, Stamp } from '@murmur/protocol'

/** Small difficulties: each evaluation is still a real 64 MiB Argon2id. */
const EASY = 2
/** A difficulty no test reaches (2^40 evaluations expected). */
const ENDLESS = 40
const NOW = weekStart(2950) + 3600
const WEEK = weekOf(NOW)

/**
 * NOW, or just before it when the key's renewal point falls earlier (the point is drawn from the random key and
 * lands in the week's first hour for one key in 96): then a fresh stamp would start the next week's mint at once.
 */
function beforeRenewal (state: MemberState): number {
  return Math.min(NOW, renewalSchedule(state.key.publicKey, WEEK).mintFrom - 1)
}

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

describe('background minting', () => {
  const services: MintingService[] = []
  /** The node's verification pool, one worker: minting runs there, off the event loop. */
  let pool: VerifyPool
  beforeEach(() => { pool = createVerifyPool({ size: 1 }) })
  afterEach(async () => {
    await Promise.all(services.splice(0).map(async (service) => { await service.stop() }))
    await pool.stop()
  })

  function service (...args: Parameters<typeof createMintingService>): MintingService {
    const created = createMintingService(...args)
    services.push(created)
    return created
  }

  /** The pool as a miner that records where each mint started. */
  function recordingMiner (starts: number[]): StampMiner {
    return { mintStamp: async (options: MintStampOptions) => { starts.push(options.startNonce ?? 0); return pool.mintStamp(options) } }
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

  it('stop aborts the running mint at once: the pool\'s only worker takes the next job, and no progress follows', async () => {
    const db = memoryDb()
    const state = await openMemberState({ storage: createLevelMemberStorage(db), now: NOW })
    const minting = service({ state, miner: pool, bits: ENDLESS, clock: () => NOW, saveEveryMs: 0 })
    let after = 0
    let stopped = false
    minting.addEventListener('mint:progress', () => { if (stopped) after++ })
    minting.start()
    await nextEvent<MintProgressDetail>(minting, 'mint:progress', (p) => p.attempts >= 2)
    await minting.stop()
    stopped = true
    const verdict = await pool.verifyStamp({ memberKey: state.key.publicKey, week: WEEK, nonce: 0 }, { now: NOW, bits: ENDLESS })
    expect(verdict).toMatchObject({ ok: false, code: 'ERR_BAD_STAMP' })
    expect(after).toBe(0)
    expect(minting.status().minting).toBeUndefined()
    await db.close()
  })

  it('a newcomer mints at once, keeps and announces its stamp, shows it in status, and plans the renewal', async () => {
    const db = memoryDb()
    const state = await openMemberState({ storage: createLevelMemberStorage(db), now: NOW })
    const now = beforeRenewal(state)
    const minting = service({ state, miner: pool, bits: EASY, clock: () => now, announceDelay: 0 })
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
    // the last evaluation found it; every one before showed an ETA and a growing chance
    expect(progress.at(-1)).toMatchObject({ chance: 1, etaSeconds: 0, nextNonce: stamp.nonce, expectedEvaluations: 2 ** EASY })
    for (const p of progress.slice(0, -1)) expect(p.etaSeconds).toBeGreaterThan(0)
    expect(progress.map((p) => p.attempts)).toEqual(progress.map((_, i) => i + 1))
    expect(verifyStamp(decodeStamp(bytes), { now, bits: EASY }).ok).toBe(true)
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
    const minting = service({ state, miner: { mintStamp }, bits: 1, clock: () => now })
    const minted = nextEvent<Stamp>(minting, 'mint:stamp')
    minting.start()
    const renewed = await minted
    expect(renewed.week).toBe(WEEK + 1)
    expect(now).toBeLessThan(stampWindow(WEEK).notAfter)
    expect(verifyStamp(renewed, { now: announceFrom, bits: 1 }).ok).toBe(true)
    expect(minting.status()).toMatchObject({ stamp: { week: WEEK }, ahead: [WEEK + 1], nextMintAt: renewalSchedule(state.key.publicKey, WEEK + 1).mintFrom })
    await db.close()
  })

  it('an announcement waits a random draw of up to announceDelay, and is never repeated once the stamp is known out', async () => {
    const db = memoryDb()
    const state = await openMemberState({ storage: createLevelMemberStorage(db), now: NOW })
    const now = beforeRenewal(state)
    const draws: number[] = []
    const minting = service({ state, miner: pool, bits: EASY, clock: () => now, announceDelay: 600, random: () => { draws.push(1); return 0.999 } })
    const minted = nextEvent<Stamp>(minting, 'mint:stamp')
    const announced = nextEvent<Uint8Array>(minting, 'announce')
    minting.start()
    const stamp = await minted
    const mintedAt = Date.now()
    await announced
    // not right after minting: a newcomer's first announcement does not say when it started
    expect(Date.now() - mintedAt).toBeGreaterThanOrEqual(500)
    expect(draws).toHaveLength(1)
    await minting.stop()

    // a restart while it is not known out: announced again (a crash or a lost stem may have lost it)
    const again = service({ state, miner: pool, bits: EASY, clock: () => now, announceDelay: 0 })
    const reannounced = nextEvent<Uint8Array>(again, 'announce')
    again.start()
    expect(decodeStamp(await reannounced).nonce).toBe(stamp.nonce)
    await again.stop()

    // it came back from a peer: kept across a reopen, and never announced again
    await state.markOut(WEEK)
    const reopened = await openMemberState({ storage: createLevelMemberStorage(db), now: NOW })
    expect(reopened.isOut(WEEK)).toBe(true)
    const quiet = service({ state: reopened, miner: pool, bits: EASY, clock: () => now, announceDelay: 0 })
    const heard: Uint8Array[] = []
    quiet.addEventListener('announce', (e) => { heard.push(e.detail) })
    quiet.start()
    // a 0 ms announcement timer set by start() would fire before this later, longer one
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(heard).toHaveLength(0)
    await db.close()
  })

  it('a failing worker is reported as mint:error and the service keeps running', async () => {
    const db = memoryDb()
    const state = await openMemberState({ storage: createLevelMemberStorage(db), now: NOW })
    const broken: StampMiner = { mintStamp: async () => { throw new Error('worker exploded') } }
    const minting = service({ state, miner: broken, bits: STAMP_BITS, clock: () => NOW, retryAfterMs: 60_000 })
    const failed = nextEvent<Error>(minting, 'mint:error')
    minting.start()
    expect((await failed).message).toBe('worker exploded')
    expect(minting.status().stamp).toBeUndefined()
    await db.close()
  })
})
