/**
 * The node's public lifecycle: stop() idempotent and safe when called concurrently, a failed or aborted
 * start that leaves no listener behind, Symbol.asyncDispose, and AbortSignal on start, join, syncChannel
 * and post (mining).
 */
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { STEM_PROTOCOL } from '../src/index.js'
import { LOOPBACK, SHARED_VERIFY_POOL, TEST_POW_BITS, TEST_STAMP_BITS, startNode, cleanedAfterEach } from './harness.js'
import { createMurmur } from '../src/index.js'
import type { MurmurInit } from '../src/index.js'
import type { Libp2pEvents, TypedEventTarget } from '@libp2p/interface'

/** The part of libp2p's registrar (an internal component) the probe uses. */
interface Registrar { handle(protocol: string, handler: () => void): Promise<void> }

/** What a start that fails after libp2p started leaves reachable: the TCP ports it listened on. */
interface Listened { ports: number[] }

/** Whether something still accepts TCP connections on 127.0.0.1:`port`. */
async function accepts (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => { resolve(false) })
  })
}

/**
 * An extra libp2p service that records the TCP ports the node listens on and runs `afterStart` once
 * libp2p has started (abort the start, or take the stem's protocol so that the stem cannot start).
 */
function probe (listened: Listened, afterStart: (registrar: Registrar) => Promise<void> | void): NonNullable<MurmurInit['libp2p']> {
  return {
    services: {
      probe: (components: { registrar: Registrar, events: TypedEventTarget<Libp2pEvents> }) => ({
        // libp2p calls afterStart only on services that are Startable (start and stop)
        start () {
          components.events.addEventListener('transport:listening', (evt) => {
            for (const address of evt.detail.getAddrs()) {
              const port = /\/tcp\/(\d+)/.exec(address.toString())?.[1]
              if (port !== undefined) listened.ports.push(Number(port))
            }
          })
        },
        stop () {},
        async afterStart () {
          await afterStart(components.registrar)
        }
      })
    }
  } as unknown as NonNullable<MurmurInit['libp2p']>
}

/** A loopback node's options as the harness sets them, with `libp2p` extras. */
function loopbackInit (libp2p: NonNullable<MurmurInit['libp2p']>): MurmurInit {
  return { listen: LOOPBACK, powBits: TEST_POW_BITS, verify: SHARED_VERIFY_POOL, membership: { stampBits: TEST_STAMP_BITS }, libp2p }
}

describe('node lifecycle', () => {
  const { running, tempDir } = cleanedAfterEach()

  it('a second stop() called while the first runs resolves only once the node has stopped', async () => {
    const node = await startNode({ dataDir: await tempDir() })
    running.push(node)
    const first = node.stop()
    const second = node.stop()
    await second
    // the old stop() returned at once to a second caller, with libp2p and the store still open
    expect(node.libp2p.status).toBe('stopped')
    await first
    await node.stop()
    await expect(node.join('#later')).rejects.toMatchObject({ name: 'NotStartedError' })
  })

  it('Symbol.asyncDispose stops the node (await using)', async () => {
    let disposed: Awaited<ReturnType<typeof startNode>> | undefined
    {
      await using node = await startNode()
      disposed = node
      expect(node.libp2p.status).toBe('started')
    }
    expect(disposed.libp2p.status).toBe('stopped')
  })

  it('a start that fails after libp2p started stops libp2p: no listener is left', async () => {
    const listened: Listened = { ports: [] }
    // an app service that took the stem's protocol: the stem's handler cannot be registered
    const init = loopbackInit(probe(listened, async (registrar) => { await registrar.handle(STEM_PROTOCOL, () => {}) }))
    const err = await createMurmur({ ...init, dataDir: await tempDir() }).then(() => undefined, (e: unknown) => e as Error)
    expect(err?.name).toBe('DuplicateProtocolHandlerError')
    expect(listened.ports.length).toBeGreaterThan(0)
    for (const port of listened.ports) expect(await accepts(port)).toBe(false)
  })

  it('an abort during start rejects with AbortError (the reason as cause) and leaves no listener', async () => {
    const listened: Listened = { ports: [] }
    const controller = new AbortController()
    const reason = new Error('the user gave up')
    const init = loopbackInit(probe(listened, () => { controller.abort(reason) }))
    const err = await createMurmur({ ...init, dataDir: await tempDir() }, { signal: controller.signal }).then(() => undefined, (e: unknown) => e as Error)
    expect(err).toMatchObject({ name: 'AbortError', code: 'ERR_ABORTED' })
    expect(err?.cause).toBe(reason)
    expect(listened.ports.length).toBeGreaterThan(0)
    for (const port of listened.ports) expect(await accepts(port)).toBe(false)
  })

  it('a start aborted before it began opens nothing', async () => {
    const dataDir = await tempDir()
    await expect(createMurmur(loopbackInit({}), { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
    // the store was never opened, or was closed: another node can open the same directory now
    const node = await startNode({ dataDir })
    running.push(node)
  })

  it('join and syncChannel take a signal: aborted, they reject with AbortError and change nothing', async () => {
    const node = await startNode()
    running.push(node)
    await expect(node.join('#aborted', { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError', code: 'ERR_ABORTED' })
    expect(node.channels()).not.toContain('#aborted')
    await node.join('#lobby')
    await expect(node.syncChannel('#lobby', { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('an abort during proof-of-work mining rejects post() with AbortError; nothing is announced, queued or kept', async () => {
    // a one-time post pays more bits on top of these: seconds of mining, aborted at its first progress report
    const node = await startNode({ powBits: { POST: 26, REPLY: 26, VOTE: 26 } })
    running.push(node)
    const seen: string[] = []
    for (const type of ['post', 'queued', 'released', 'dropped'] as const) node.addEventListener(type, () => { seen.push(type) })
    const controller = new AbortController()
    const posting = node.post('#lobby', 'never mind', { signal: controller.signal, onProgress: () => { controller.abort() } })
    await expect(posting).rejects.toMatchObject({ name: 'AbortError', code: 'ERR_ABORTED' })
    expect(seen).toEqual([])
    expect(await node.feed('#lobby')).toEqual([])
    const reason = new Error('too late')
    await expect(node.post('#lobby', 'x', { signal: AbortSignal.abort(reason) })).rejects.toMatchObject({ name: 'AbortError', cause: reason })
  })
})
