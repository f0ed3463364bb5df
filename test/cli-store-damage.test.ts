/**
 * A damaged post store (400 bytes overwritten in a `.ldb` table, as a disk error leaves it): the daemon
 * refuses to start, saying what is wrong and the exact `murmur repair` command; `murmur repair` moves the
 * store aside and keeps the own posts not yet sent; the daemon then starts and still shows them.
 */
import { randomBytes } from 'node:crypto'
import { open, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox, TEST_STAMP_BITS } from './cli-harness.ts'

const DAEMON = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--pow-bits', '8', '--stamp-bits', String(TEST_STAMP_BITS), '--json']

/**
 * Fills the store with other records (sorted after every sublevel of the node), about 4 MB, so that the
 * middle of its largest table holds none of the node's own records, and writes everything into tables.
 */
async function fill (location: string): Promise<void> {
  const db = new ClassicLevel<string, Uint8Array>(location, { valueEncoding: 'view' })
  await db.open()
  for (let batch = 0; batch < 8; batch++) {
    await db.batch(Array.from({ length: 500 }, (_, i) => ({ type: 'put' as const, key: `~filler~${batch}-${i}`, value: randomBytes(1024) })))
  }
  await db.close()
  // a reopen writes the log into a table
  await db.open()
  await db.close()
}

/** Overwrites 400 bytes in the middle of the largest table. */
async function damage (location: string): Promise<string> {
  const tables = (await readdir(location)).filter((name) => name.endsWith('.ldb'))
  const sizes = await Promise.all(tables.map(async (name) => (await stat(join(location, name))).size))
  const largest = tables[sizes.indexOf(Math.max(...sizes))]!
  const handle = await open(join(location, largest), 'r+')
  try {
    await handle.write(Buffer.alloc(400, 0x41), 0, 400, Math.floor(Math.max(...sizes) / 2))
  } finally {
    await handle.close()
  }
  return largest
}

describe('a damaged store', () => {
  let sandbox: Sandbox

  beforeAll(async () => {
    sandbox = await Sandbox.create()
  })

  afterAll(async () => {
    await sandbox?.cleanup()
  })

  it('stops the daemon at start with the repair command; murmur repair keeps the own posts not yet sent', async () => {
    const daemon = await sandbox.daemon('d')
    const dataDir = daemon.dataDir
    // alone: both posts stay queued, kept with the own posts not yet back from the network
    const ids: string[] = []
    for (const text of ['kept one', 'kept two']) {
      const posted = await sandbox.run(['post', 'lobby', text, '--json', '--data-dir', dataDir])
      expect(posted.code, posted.stderr).toBe(0)
      ids.push((JSON.parse(posted.stdout) as { id: string }).id)
    }
    expect(await daemon.proc.stop()).toBe(0)
    const location = join(dataDir, 'store')
    await fill(location)
    const table = await damage(location)

    const refused = sandbox.spawn(['daemon', '--data-dir', dataDir, ...DAEMON])
    expect(await refused.exited).not.toBe(0)
    const said = refused.stderr.join('\n')
    expect(said).toContain(`murmur: the post store in ${location} is damaged (${table}: the data block at byte `)
    expect(said).toContain(`fails its checksum); move it aside and re-sync from peers with \`murmur repair --data-dir ${dataDir}\``)

    const repaired = await sandbox.run(['repair', '--json', '--data-dir', dataDir])
    expect(repaired.code, repaired.stderr).toBe(0)
    const result = JSON.parse(repaired.stdout) as { movedTo: string, kept: Record<string, number>, cut: string[] }
    expect(result.movedTo).toMatch(new RegExp(`^${dataDir}/store\\.damaged-\\d{8}-\\d{6}$`))
    expect(result.kept['own-pending']).toBe(2)
    expect((await stat(result.movedTo)).isDirectory()).toBe(true)

    const again = await sandbox.daemon('d')
    const feed = JSON.parse((await sandbox.run(['feed', 'lobby', '--json', '--data-dir', dataDir])).stdout) as { posts: Array<{ id: string }> }
    expect(feed.posts.map((post) => post.id).sort()).toEqual([...ids].sort())
    expect(await again.proc.stop()).toBe(0)
  }, 180_000)
})
