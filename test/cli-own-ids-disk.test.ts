/**
 * The attacker who takes the device (issue 18: "a node knows its own posts", GET /v1/mine): after the
 * daemon received another node's post, posted and replied to it, and stopped cleanly, they read every
 * file of its data dir. The ids of the
 * user's own posts may be on disk only as any post's id is (post ids are public: every node holding a post
 * holds its id), never as a record of their own: no file outside the store names an own id in any
 * encoding, and within the store's files an own post's id is filed under no sublevel that another node's
 * post is not filed under.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ControlClient } from '@murmur/cli'
import { buildEnvelope, channelTopic, toHex } from '@murmur/protocol'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_UNVERIFIED_POW_BITS, startStockPeer, waitFor } from '../packages/node/test/harness.ts'
import { Sandbox } from './cli-harness.ts'
import type { StockPeer } from '../packages/node/test/harness.ts'
import type { Daemon } from './cli-harness.ts'

const TOPIC = channelTopic('#lobby')

/** Every file under `dir`, with its bytes. */
async function filesUnder (dir: string): Promise<Array<{ path: string, bytes: Buffer }>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return Promise.all(entries.filter((e) => e.isFile()).map(async (e) => {
    const path = join(e.parentPath, e.name)
    return { path, bytes: await readFile(path) }
  }))
}

/** The encodings an id can be written in: hex, raw bytes, base64, base64url. */
function encodings (id: string): Buffer[] {
  const raw = Buffer.from(id, 'hex')
  return [Buffer.from(id), raw, Buffer.from(raw.toString('base64')), Buffer.from(raw.toString('base64url'))]
}

/** Every offset of `needle` in `haystack`. */
function offsets (haystack: Buffer, needle: Buffer): number[] {
  const found: number[] = []
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) found.push(at)
  return found
}

/**
 * The sublevels an id is filed under in the store's files: the last `!name!` prefix (abstract-level's
 * sublevel separator) in the 48 bytes before each place it occurs.
 */
function sublevelsOf (files: Array<{ bytes: Buffer }>, id: string): Set<string> {
  const names = new Set<string>()
  for (const { bytes } of files) {
    for (const needle of encodings(id)) {
      for (const at of offsets(bytes, needle)) {
        const before = bytes.subarray(Math.max(0, at - 48), at).toString('latin1')
        const prefixes = [...before.matchAll(/!([a-z][a-z0-9-]*)!/g)]
        names.add(prefixes.at(-1)?.[1] ?? '(none)')
      }
    }
  }
  return names
}

describe('own post ids on disk', () => {
  let sandbox: Sandbox
  let a: Daemon
  let stock: StockPeer | undefined
  /** What the attacker reads after the stop: the store's files and every other file of A's data dir. */
  const disk = { store: [] as Array<{ path: string, bytes: Buffer }>, others: [] as Array<{ path: string, bytes: Buffer }> }
  const ids = { mine: '', reply: '', theirs: '' }

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    // the daemon A, and another node's post brought to it by a stock peer (cheaper than a second daemon)
    ;[a, stock] = await Promise.all([sandbox.daemon('a'), startStockPeer()])
    const client = await ControlClient.connect(a.dataDir)
    stock.services.pubsub.subscribe(TOPIC)
    await stock.dial(multiaddr(a.multiaddr))
    const peerOfA = peerIdFromString(a.ready.peerId)
    await waitFor(() => stock?.services.pubsub.getSubscribers(TOPIC).some((p) => p.equals(peerOfA)), 'A in the topic, as the stock peer sees it')
    const built = await buildEnvelope({ channel: '#lobby', body: 'a post of another node', powBits: TEST_UNVERIFIED_POW_BITS })
    ids.theirs = toHex(built.id)
    await stock.services.pubsub.publish(TOPIC, built.bytes)
    await waitFor(async () => (await client.get(ids.theirs).catch(() => undefined)) !== undefined, 'A holds the other node\'s post')
    ids.mine = (await client.post({ channel: '#lobby', body: 'a post of mine' })).id
    ids.reply = (await client.reply({ parent: ids.theirs, body: 'a reply of mine' })).id
    expect(new Set(await client.mine())).toEqual(new Set([ids.mine, ids.reply]))
    expect(await a.proc.stop('SIGTERM')).toBe(0)
    const files = await filesUnder(a.dataDir)
    disk.store = files.filter((f) => f.path.startsWith(`${join(a.dataDir, 'store')}/`))
    disk.others = files.filter((f) => !disk.store.includes(f))
  }, 180_000)

  afterAll(async () => {
    await stock?.stop()
    await sandbox?.cleanup()
  })

  it('no file outside the store (settings, keys, the API file, logs) names an own post or reply in any encoding', () => {
    expect(disk.store.length).toBeGreaterThan(0)
    for (const id of [ids.mine, ids.reply]) {
      for (const { path, bytes } of disk.others) {
        for (const needle of encodings(id)) expect(bytes.includes(needle), `${path} holds own id ${id}`).toBe(false)
      }
    }
  })

  // the store's `own-pending` sublevel (own posts not yet back from the network, packages/node/src/in-stem.ts)
  // once kept each own post under its id in plain, and LevelDB keeps a deleted key in its log until a
  // compaction: the disk named the post as the user's own. Its keys are sealed whole now (SealedDatabase).
  it('within the store, an own post is filed under no sublevel that another node\'s post is not', () => {
    const filedTheirs = sublevelsOf(disk.store, ids.theirs)
    expect(filedTheirs.size).toBeGreaterThan(0)
    expect([...sublevelsOf(disk.store, ids.mine)].filter((name) => !filedTheirs.has(name)), `sublevels only the own post ${ids.mine} is filed under`).toEqual([])
  })
})
