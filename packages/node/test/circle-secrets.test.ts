/**
 * Circle secrets at rest (issue 15, the project rule "secrets 0600"; issue 18, sealed at rest): with a data
 * directory, a circle's secret and member keys live in private files (0600 in a 0700 directory), sealed
 * under the data dir's at-rest key, and in plain in no file, the node's LevelDB included; circles an earlier version kept in the database move to the files when it opens and leave the
 * database's files; a reopened storage holds the circle.
 */
import { readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateMemberKeys, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { createCircleStateStore } from '../src/circle/state.js'
import { CIRCLES_DIRECTORY, openCircleStorage } from '../src/platform/node.js'
import { openDatabase } from '../src/store/backend-node.js'
import { cleanedAfterEach } from './harness.js'
import type { CircleState } from '../src/circle/state.js'

/** A circle state with a recognisable secret. */
function circleState (name: string): CircleState {
  const secret = new Uint8Array(32).map((_, i) => 0xa0 ^ i)
  return {
    name,
    owner: new Uint8Array(32).fill(7),
    minRing: 2,
    member: generateMemberKeys(),
    generations: [{ generation: 0, secret, joins: [], invites: [], leaves: [] }]
  }
}

/** Every file under `dir`, recursively. */
async function filesUnder (dir: string): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) found.push(...await filesUnder(path))
    else found.push(path)
  }
  return found
}

/** Files under `dir` holding `secret`, raw or as hex (the record's JSON spelling). */
async function filesHolding (dir: string, secret: Uint8Array): Promise<string[]> {
  const raw = Buffer.from(secret)
  const hex = Buffer.from(toHex(secret))
  const holding: string[] = []
  for (const file of await filesUnder(dir)) {
    const bytes = await readFile(file)
    if (bytes.includes(raw) || bytes.includes(hex)) holding.push(file)
  }
  return holding
}

/** The secrets of a state: every generation's secret and the member's two secret keys. */
const secretsOf = (state: CircleState): Uint8Array[] => [...state.generations.map((g) => g.secret), state.member.ring.secretKey, state.member.box.secretKey]

describe('circle secrets at rest', () => {
  const cleanup = cleanedAfterEach()

  it('keeps a circle in a 0600 file, nowhere in the store, and opens it again', async () => {
    const dataDir = await cleanup.tempDir()
    const state = circleState('friends / école')
    let db = await openDatabase(dataDir)
    await (await openCircleStorage(dataDir, db)).put(state)
    await db.close()

    const dir = join(dataDir, CIRCLES_DIRECTORY)
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    const files = await readdir(dir)
    expect(files).toHaveLength(1)
    expect((await stat(join(dir, files[0]!))).mode & 0o777).toBe(0o600)
    // sealed under the data dir's at-rest key (issue 18): in plain in no file, the store included
    for (const secret of secretsOf(state)) {
      expect(await filesHolding(dataDir, secret)).toEqual([])
    }

    db = await openDatabase(dataDir)
    const again = await openCircleStorage(dataDir, db)
    expect(await again.all()).toEqual([state])
    await again.delete(state.name)
    expect(await again.all()).toEqual([])
    expect(await readdir(dir)).toEqual([])
    await db.close()
  })

  it('moves a circle an earlier version kept in the database to a private file, and out of the database files', async () => {
    const dataDir = await cleanup.tempDir()
    const state = circleState('old')
    let db = await openDatabase(dataDir)
    await createCircleStateStore(db).put(state)
    await db.close()

    db = await openDatabase(dataDir)
    const states = await openCircleStorage(dataDir, db)
    expect(await states.all()).toEqual([state])
    expect(await createCircleStateStore(db).all()).toEqual([])
    await db.close()
    expect(await readdir(join(dataDir, CIRCLES_DIRECTORY))).toHaveLength(1)
    for (const secret of secretsOf(state)) expect(await filesHolding(dataDir, secret)).toEqual([])

    db = await openDatabase(dataDir)
    expect(await (await openCircleStorage(dataDir, db)).all()).toEqual([state])
    await db.close()
  })

  it('skips a damaged record and opens the others', async () => {
    const dataDir = await cleanup.tempDir()
    const db = await openDatabase(dataDir)
    const damaged: string[] = []
    const states = await openCircleStorage(dataDir, db, (name) => { damaged.push(name) })
    await states.put(circleState('spoilt'))
    const [spoilt] = await readdir(join(dataDir, CIRCLES_DIRECTORY))
    await states.put(circleState('good'))
    // the sealed file of one circle overwritten with junk (its name is a keyed hash of the circle's)
    await writeFile(join(dataDir, CIRCLES_DIRECTORY, spoilt!), '{')
    expect((await states.all()).map((s) => s.name)).toEqual(['good'])
    expect(damaged).toEqual([spoilt])
    await db.close()
  })
})
