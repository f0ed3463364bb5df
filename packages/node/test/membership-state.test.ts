import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateAuthorKey, toHex, weekOf, weekStart } from '@murmur/protocol'
import { build } from 'esbuild'
import { MemoryLevel } from 'memory-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openMemberState } from '../src/membership/member-state.js'
import { createFileMemberStorage } from '../src/membership/storage-file.js'
import { createLevelMemberStorage } from '../src/membership/storage.js'
import type { MemberStorage } from '../src/membership/storage.js'

const NOW = weekStart(2950) + 3600
const WEEK = weekOf(NOW)

describe('member state in files', () => {
  let dataDir: string
  let dir: string

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'murmur-member-'))
    dir = join(dataDir, 'membership')
  })

  afterEach(async () => { await rm(dataDir, { recursive: true, force: true }) })

  it('creates the member key once, in a 0700 dir and 0600 files, and a restart keeps key, stamps and the mint position', async () => {
    const first = await openMemberState({ storage: await createFileMemberStorage({ dir }), now: NOW })
    await first.addStamp({ memberKey: first.key.publicKey, week: WEEK, nonce: 77 }, NOW)
    await first.saveProgress({ week: WEEK + 1, nextNonce: 1234 })

    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    for (const file of await readdir(dir)) expect((await stat(join(dir, file))).mode & 0o777, file).toBe(0o600)
    expect((await readdir(dir)).sort()).toEqual(['member-key', 'member-stamps'])

    const again = await openMemberState({ storage: await createFileMemberStorage({ dir }), now: NOW })
    expect(toHex(again.key.secretKey)).toBe(toHex(first.key.secretKey))
    expect(toHex(again.key.publicKey)).toBe(toHex(first.key.publicKey))
    expect(again.stampFor(WEEK)?.nonce).toBe(77)
    expect(again.minting()).toEqual({ week: WEEK + 1, nextNonce: 1234 })
    expect(again.startNonce(WEEK + 1)).toBe(1234)
    expect(again.startNonce(WEEK + 2)).toBe(0)
  })

  it('a crash mid-write (a truncated temp file left behind) loses nothing that was written, and the leftover is removed', async () => {
    const first = await openMemberState({ storage: await createFileMemberStorage({ dir }), now: NOW })
    await first.addStamp({ memberKey: first.key.publicKey, week: WEEK, nonce: 5 }, NOW)
    await first.saveProgress({ week: WEEK + 1, nextNonce: 40 })
    // what a process killed between opening the temp file and renaming it leaves
    await writeFile(join(dir, 'member-stamps.0123456789ab.tmp'), '{"v":1,"minting":{"we', { mode: 0o600 })
    await writeFile(join(dir, 'member-key.ba9876543210.tmp'), new Uint8Array(7), { mode: 0o600 })

    const again = await openMemberState({ storage: await createFileMemberStorage({ dir }), now: NOW })
    expect(toHex(again.key.secretKey)).toBe(toHex(first.key.secretKey))
    expect(again.stampFor(WEEK)?.nonce).toBe(5)
    expect(again.startNonce(WEEK + 1)).toBe(40)
    expect((await readdir(dir)).sort()).toEqual(['member-key', 'member-stamps'])
  })

  it('a process killed (SIGKILL) while it rewrites the state keeps the key and a whole record', async () => {
    // a real crash: a child process saves progress as fast as it can and is killed at a random moment
    const script = await build({
      stdin: {
        contents: `
          import { ready } from '@murmur/protocol'
          import { openMemberState } from './member-state.ts'
          import { createFileMemberStorage } from './storage-file.ts'
          await ready()
          const state = await openMemberState({ storage: await createFileMemberStorage({ dir: process.argv[2] }), now: ${NOW} })
          await state.addStamp({ memberKey: state.key.publicKey, week: ${WEEK}, nonce: 9 }, ${NOW})
          process.stdout.write(Buffer.from(state.key.secretKey).toString('hex') + '\\n')
          for (let nonce = 1; ; nonce++) {
            await state.saveProgress({ week: ${WEEK + 1}, nextNonce: nonce })
            if (nonce % 20 === 0) process.stdout.write(nonce + '\\n')
          }`,
        resolveDir: fileURLToPath(new URL('../src/membership/', import.meta.url)),
        sourcefile: 'crash-writer.ts',
        loader: 'ts'
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" }
    })
    const file = join(dataDir, 'crash-writer.mjs')
    await writeFile(file, script.outputFiles[0]!.contents)

    const child = spawn(process.execPath, [file, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
    const lines: string[] = []
    const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
    await new Promise<void>((resolve, reject) => {
      let buffered = ''
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString()
        const parts = buffered.split('\n')
        buffered = parts.pop() ?? ''
        lines.push(...parts)
        // killed in the middle of its writes, after a few dozen of them
        if (lines.length >= 3) resolve()
      })
      child.once('exit', (code) => { reject(new Error(`crash writer exited early with ${code}`)) })
    })
    child.kill('SIGKILL')
    await exited

    const again = await openMemberState({ storage: await createFileMemberStorage({ dir }), now: NOW })
    expect(toHex(again.key.secretKey)).toBe(lines[0])
    expect(again.stampFor(WEEK)?.nonce).toBe(9)
    const lastReported = Number(lines[lines.length - 1])
    expect(again.startNonce(WEEK + 1)).toBeGreaterThanOrEqual(lastReported)
    expect((await readdir(dir)).sort()).toEqual(['member-key', 'member-stamps'])
  })

  it('refuses a corrupt member key with ERR_MEMBER_KEY_CORRUPT instead of replacing it', async () => {
    await openMemberState({ storage: await createFileMemberStorage({ dir }), now: NOW })
    await writeFile(join(dir, 'member-key'), new Uint8Array(31))
    await expect(openMemberState({ storage: await createFileMemberStorage({ dir }), now: NOW })).rejects.toMatchObject({ name: 'MembershipError', code: 'ERR_MEMBER_KEY_CORRUPT' })
  })

  it('starts minting afresh, keeping the key, when the stamps record is unreadable', async () => {
    const first = await openMemberState({ storage: await createFileMemberStorage({ dir }), now: NOW })
    await writeFile(join(dir, 'member-stamps'), '{"v":1,"stamps":[{"week":-1}]}')
    const again = await openMemberState({ storage: await createFileMemberStorage({ dir }), now: NOW })
    expect(toHex(again.key.publicKey)).toBe(toHex(first.key.publicKey))
    expect(again.stamps()).toEqual([])
    expect(again.minting()).toBeUndefined()
  })
})

describe('member state in an abstract-level database (the browser path)', () => {
  it('a reopened database keeps the key, the stamps and the mint position', async () => {
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
    const storage: MemberStorage = createLevelMemberStorage(db)
    const first = await openMemberState({ storage, now: NOW })
    await first.addStamp({ memberKey: first.key.publicKey, week: WEEK, nonce: 3 }, NOW)
    await first.saveProgress({ week: WEEK + 1, nextNonce: 99 })
    const again = await openMemberState({ storage: createLevelMemberStorage(db), now: NOW })
    expect(toHex(again.key.secretKey)).toBe(toHex(first.key.secretKey))
    expect(again.stampFor(WEEK)?.nonce).toBe(3)
    expect(again.startNonce(WEEK + 1)).toBe(99)
    await db.close()
  })

  it('changes made at the same time are all kept (each applies to what the previous one left)', async () => {
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
    const state = await openMemberState({ storage: createLevelMemberStorage(db), now: NOW })
    await Promise.all([
      state.addStamp({ memberKey: state.key.publicKey, week: WEEK, nonce: 8 }, NOW),
      state.saveProgress({ week: WEEK + 1, nextNonce: 50 })
    ])
    const again = await openMemberState({ storage: createLevelMemberStorage(db), now: NOW })
    expect(again.stampFor(WEEK)?.nonce).toBe(8)
    expect(again.minting()).toEqual({ week: WEEK + 1, nextNonce: 50 })
    await db.close()
  })

  it('drops stamps whose window closed and refuses a stamp of another key', async () => {
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
    const state = await openMemberState({ storage: createLevelMemberStorage(db), now: NOW })
    await state.addStamp({ memberKey: state.key.publicKey, week: WEEK, nonce: 1 }, NOW)
    await state.addStamp({ memberKey: state.key.publicKey, week: WEEK + 1, nonce: 2 }, NOW)
    const later = await openMemberState({ storage: createLevelMemberStorage(db), now: weekStart(WEEK + 2) + 3600 })
    expect(later.stamps().map((s) => s.week)).toEqual([WEEK + 1])
    await expect(state.addStamp({ memberKey: generateAuthorKey().publicKey, week: WEEK, nonce: 1 }, NOW)).rejects.toThrow(RangeError)
    await db.close()
  })
})
