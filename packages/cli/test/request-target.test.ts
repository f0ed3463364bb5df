/**
 * The control API reads a request target as a path under its own origin (S7H bug B2): a target of
 * slashes was parsed as a scheme-relative URL, so `//` and `///…` threw (500 ERR_INTERNAL) and
 * `//x/v1/status` was served as `/v1/status` of a host `x`; a target that is no path is refused.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// the built package: the server reads the version from package.json, two levels above dist/src
import { createControlServer } from '@murmur/cli'
import { apiRequest } from '../src/api-request.js'
import { stubNode } from './stub-node.js'
import type { ControlServer } from '@murmur/cli'

describe('control API request targets', () => {
  let dir: string
  let api: ControlServer

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'murmur-target-'))
    api = await createControlServer({ node: stubNode(), socket: join(dir, 'api.sock') })
  })

  afterAll(async () => {
    await api?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const status = async (path: string): Promise<number> => {
    const res = await apiRequest(api.address, { method: 'GET', path, headers: { authorization: `Bearer ${api.token}`, host: 'localhost' } })
    await res.body?.cancel()
    return res.status
  }

  it('answers a target of slashes with 404, never 500, and never routes //host/v1/… as /v1/…', async () => {
    expect(await status('/v1/status')).toBe(200)
    for (const path of ['//', '///', '///////', '//x/v1/status', '//v1/status']) {
      expect({ path, status: await status(path) }).toEqual({ path, status: 404 })
    }
  })

  it('refuses a target that is not a path (absolute form) with 400', async () => {
    expect(await status('http://evil/v1/status')).toBe(400)
  })
})
