/**
 * Circle secrets at rest on real nodes (issue 15): after create and join, each node's circle secret and
 * member keys are in a 0600 file under <dataDir>/circles, sealed under the data dir's at-rest key (issue 18),
 * and in plain in no file of the data directory (the LevelDB store included); a restart opens the circle. Needs murmur.ts to pass `dataDir` to openNodeCircles.
 */
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { CIRCLE_SHARED_TOPIC } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { dataDirKeys } from '../src/at-rest/sealed-file.js'
import { decodeCircleState } from '../src/circle/state.js'
import { createPrivateRecordStorage } from '../src/membership/storage-file.js'
import { CIRCLES_DIRECTORY } from '../src/platform/node.js'
import { addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import type { Murmur, MurmurInit } from '../src/index.js'

async function filesUnder (dir: string): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) found.push(...await filesUnder(path))
    else found.push(path)
  }
  return found
}

/** Every file under `dataDir` holding one of the secrets of its circle files, by secret; and the circle files. */
async function secretsAt (dataDir: string): Promise<{ circleFiles: string[], holders: string[][] }> {
  const dir = join(dataDir, CIRCLES_DIRECTORY)
  const circleFiles = (await readdir(dir)).map((name) => join(dir, name))
  const secrets: Uint8Array[] = []
  // sealed, named by a keyed hash of the circle's name (issue 18): read as the node reads them
  const records = await createPrivateRecordStorage({ dir, seal: { keys: await dataDirKeys(dataDir), place: CIRCLES_DIRECTORY, hideNames: true } })
  for (const name of await records.names()) {
    const state = decodeCircleState(new TextDecoder().decode(await records.get(name)))
    secrets.push(...state.generations.map((g) => g.secret), state.member.ring.secretKey, state.member.box.secretKey)
  }
  const files = await filesUnder(dataDir)
  const holders: string[][] = []
  for (const secret of secrets) {
    const raw = Buffer.from(secret)
    const hex = Buffer.from(Buffer.from(secret).toString('hex'))
    const holding: string[] = []
    for (const file of files) {
      const bytes = await readFile(file)
      if (bytes.includes(raw) || bytes.includes(hex)) holding.push(file)
    }
    holders.push(holding)
  }
  return { circleFiles, holders }
}

describe('circle secrets at rest on real nodes', () => {
  const cleanup = cleanedAfterEach()
  const start = async (init: MurmurInit): Promise<Murmur> => {
    const node = await startNode({ membership: false, circles: { newcomerDelay: 0 }, ...init })
    cleanup.running.push(node)
    return node
  }

  it('keeps secrets and member keys sealed in 0600 files, in plain in no file, and opens the circle after a restart', async () => {
    const ownerDir = await cleanup.tempDir()
    const memberDir = await cleanup.tempDir()
    const owner = await start({ dataDir: ownerDir })
    const member = await start({ dataDir: memberDir, bootstrap: [addressOf(owner)] })
    await waitFor(() => member.libp2p.services.pubsub.getSubscribers(CIRCLE_SHARED_TOPIC).length > 0, 'a peer on the shared topic')
    await owner.circles.create('club', { minRing: 2 })
    await member.circles.join((await owner.circles.invite('club')).invite)
    await waitFor(async () => (await owner.circles.members('club')).length === 2, 'the join at the owner', 30_000)
    await owner.stop()
    await member.stop()
    for (const dataDir of [ownerDir, memberDir]) {
      const { circleFiles, holders } = await secretsAt(dataDir)
      expect(circleFiles).toHaveLength(1)
      expect((await stat(join(dataDir, CIRCLES_DIRECTORY))).mode & 0o777).toBe(0o700)
      expect((await stat(circleFiles[0]!)).mode & 0o777).toBe(0o600)
      for (const holding of holders) expect(holding).toEqual([])
    }
    const again = await start({ dataDir: memberDir })
    expect(again.circles.list()).toEqual([expect.objectContaining({ name: 'club', members: 2 })])
  }, 90_000)
})
