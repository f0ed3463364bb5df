/**
 * A vote before this node holds a member stamp: the node's StampNotReadyError crosses the control API as
 * a 409 with `readyAt`, the client turns it into a line saying when to vote again, and `murmur vote` exits 5.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
// the built package: the server reads the version from package.json, two levels above dist/src
import { ControlClient, EXIT, createControlServer } from '@murmur/cli'
import { writeApiFile } from '../src/daemon/api-file.js'
import { errorResponse } from '../src/daemon/http.js'
import { stubNode } from './stub-node.js'
import type { ControlServer } from '@murmur/cli'
import type { Murmur } from '@murmur/node'

const POST = 'ab'.repeat(32)
const BIN = resolve(import.meta.dirname, '..', 'dist', 'src', 'bin.js')

/** Runs the built `murmur` (npx tsc -b first) to completion, at most 30 s. */
async function murmur (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first with \`npx tsc -b packages/cli\``)
  const env = { ...process.env }
  delete env.DEBUG
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: unknown }).code), stdout, stderr })
    })
  })
}

/** The node's error as @murmur/node throws it (matched by name and code, as every caller does). */
class StampNotReadyError extends Error {
  static override readonly name = 'StampNotReadyError'
  override readonly name = 'StampNotReadyError'
  readonly code = 'ERR_STAMP_NOT_READY'
  constructor (message: string, readonly readyAt?: number) { super(message) }
}

/** The node's refusal of a member's (K+1)-th post of the hour in a channel (@murmur/protocol's RateLimitError). */
class RateLimitError extends Error {
  override readonly name = 'RateLimitError'
  readonly code = 'ERR_RATE_LIMITED'
  constructor (readonly limit: 'epoch' | 'week', readonly retryAt: number, message: string) { super(message) }
}

/** A node with no peers whose vote() and post() refuse with `err`: what the control API reads of it on the way (its status, the vote). */
function refusingNode (err: Error): Murmur {
  return stubNode({ vote: async () => { throw err }, post: async () => { throw err } })
}

describe('a vote before the member stamp', () => {
  let dir: string
  let api: ControlServer | undefined

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'murmur-vote-refusal-'))
  })

  afterEach(async () => {
    await api?.close()
    api = undefined
    await rm(dir, { recursive: true, force: true })
  })

  const serve = async (err: Error): Promise<ControlClient> => {
    api = await createControlServer({ node: refusingNode(err), socket: join(dir, 'api.sock') })
    await writeApiFile(dir, { pid: process.pid, ...api.address, token: api.token } as Parameters<typeof writeApiFile>[1])
    return new ControlClient({ ...api.address, token: api.token })
  }

  it('is a 409 with readyAt in the API, and the client says when to vote again', async () => {
    const readyAt = Math.floor(Date.now() / 1000) + 150
    const err = new StampNotReadyError('this node holds no member stamp yet', readyAt)
    expect(errorResponse(err)).toEqual([409, { error: { name: 'StampNotReadyError', code: 'ERR_STAMP_NOT_READY', message: err.message, readyAt } }])
    // no readyAt field when the node does not know when (not minting)
    expect(errorResponse(new StampNotReadyError('no stamp'))[1].error).not.toHaveProperty('readyAt')

    const client = await serve(err)
    const refused = await client.vote({ post: POST, vote: 1 }).then(() => undefined, (e: unknown) => e as Error & { code?: string, readyAt?: number, cause?: unknown })
    expect(refused?.name).toBe('StampNotReadyError')
    expect(refused?.code).toBe('ERR_STAMP_NOT_READY')
    expect(refused?.readyAt).toBe(readyAt)
    expect(refused?.message).toMatch(/^not voted: only members' votes count, and this node's member stamp is not ready yet: expected in about (2|3) min \(around \d{4}-\d\d-\d\d \d\d:\d\d UTC\); vote again then$/)
    expect((refused?.cause as { status?: number }).status).toBe(409)
  })

  it('murmur vote prints that line and exits 5; with --json too', async () => {
    await serve(new StampNotReadyError('this node holds no member stamp yet', Math.floor(Date.now() / 1000) + 3 * 3600))
    for (const json of [[], ['--json']]) {
      // the built command in a process of its own, against this test's API (api.json names this process)
      const result = await murmur(['vote', POST, 'down', '--data-dir', dir, ...json])
      expect(result.code, result.stderr).toBe(EXIT.NOT_MEMBER)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(/^murmur: not voted: only members' votes count, and this node's member stamp is not ready yet: expected in about 3 h \(around .+ UTC\); vote again then\n$/)
    }
  })

  it('a post past the member\'s hourly slots is a 429 with retryAt, and says when the next slot opens', async () => {
    const retryAt = Math.floor(Date.now() / 1000) + 20 * 60
    const client = await serve(new RateLimitError('epoch', retryAt, 'this member has made its 10 posts of this hour in this channel'))
    const refused = await client.post({ channel: '#lobby', body: 'one too many' }).then(() => undefined, (e: unknown) => e as Error & { code?: string, status?: number })
    expect(refused).toMatchObject({ name: 'ApiError', code: 'ERR_RATE_LIMITED', status: 429 })
    expect(refused?.message).toMatch(/^this member has made its 10 posts of this hour in this channel; the next slot opens at \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in about 20 min\)$/)
  })
})
