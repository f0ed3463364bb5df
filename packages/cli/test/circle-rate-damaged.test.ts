/**
 * S11 CLI: the circles' rotation rate, several members removed in one rotation, and a circle this node
 * cannot read, through a real control API over a stub node and the built `murmur`. A removal past the
 * rate members follow (the node's CircleError ERR_CIRCLE_RATE) answers 429 and exits 12; `circle remove
 * NAME KEY KEY…` removes them in one call of the node (the API takes `members`, and `member` as before);
 * a damaged circle is listed as such with what to do, is refused (409 ERR_CIRCLE_DAMAGED, exit 13)
 * before anything reaches the node, and stops no request about other circles' or channels' posts.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ControlClient, EXIT, createControlServer } from '@murmur/cli'
import { CircleError } from '@murmur/node'
import { CIRCLE_ROTATIONS_PER_DAY, CIRCLE_ROTATIONS_PER_HOUR } from '@murmur/node/circle-rate'
import { MAX_CIRCLE_MEMBERS } from '@murmur/protocol'
import { CIRCLE_EXIT, CIRCLE_EXIT_BY_CODE } from '../src/circle-errors.js'
import { writeApiFile } from '../src/daemon/api-file.js'
import { errorResponse } from '../src/daemon/http.js'
import { stubNode } from './stub-node.js'
import type { CircleMember, CircleSummary, ControlServer } from '@murmur/cli'

const BIN = resolve(import.meta.dirname, '..', 'dist', 'src', 'bin.js')
const ME = 'a'.repeat(64)
const ANA = 'b1'.repeat(32)
const BEA = 'c2'.repeat(32)
const CY = 'd3'.repeat(32)
/** The node's refusal past the rate, worded as the node words it. */
const RATE = `friends was rotated ${CIRCLE_ROTATIONS_PER_HOUR} times this hour or ${CIRCLE_ROTATIONS_PER_DAY} today: remove again from 2026-12-01T03:00:00.000Z, or several members at once`

/** Runs the built `murmur` (npx tsc -b first) to completion, at most 30 s. */
async function murmur (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first with \`npx tsc -b packages/cli\``)
  const env = { ...process.env }
  delete env.DEBUG
  return await new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: unknown }).code), stdout, stderr })
    })
  })
}

const friends: CircleSummary = { name: 'friends', generation: 2, members: 4, minRing: 2, owner: true, canPost: true, warnings: [] }
/** A circle whose record the node cannot read, as `circles.list()` lists it. */
const broken: CircleSummary = { name: 'old crew', generation: 0, members: 0, minRing: 5, owner: false, canPost: false, warnings: [], damaged: true }
const roster: CircleMember[] = [ME, ANA, BEA, CY].map((key) => ({ key, joinedAt: 1_800_000_000, self: key === ME, eligible: true }))

describe('circle removals at the rate, and a damaged circle', () => {
  let dir: string
  let api: ControlServer
  let client: ControlClient
  /** Each `node.circles.remove` call's member argument; the next call refuses with `refuse` when set. */
  const removals: Array<string | string[]> = []
  let refuse: Error | undefined
  /** Circles whose feed or members the node was asked for. */
  const read: string[] = []

  /** The node's circles: reading a damaged one throws as the node's does (its keys cannot be derived). */
  const readCircle = (name: string): void => {
    read.push(name)
    if (name === broken.name) throw new TypeError('expected a 32-byte circle secret')
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'murmur-circle-rate-'))
    const node = stubNode({
      postIdsWithPrefix: async () => [],
      circles: {
        list: () => [friends, broken],
        members: async (name: string) => { readCircle(name); return roster },
        feed: async (name: string) => { readCircle(name); return [] },
        remove: async (_name: string, member: string | string[]) => {
          removals.push(member)
          if (refuse !== undefined) throw refuse
          return { ...friends, generation: friends.generation + 1, members: roster.length - (Array.isArray(member) ? member.length : 1) }
        }
      }
    })
    api = await createControlServer({ node, socket: join(dir, 'api.sock') })
    await writeApiFile(dir, { pid: process.pid, ...api.address, token: api.token } as Parameters<typeof writeApiFile>[1])
    client = new ControlClient({ ...api.address, token: api.token })
  })

  afterAll(async () => {
    await api?.close()
    await rm(dir, { recursive: true, force: true })
  })

  beforeEach(() => {
    removals.length = 0
    read.length = 0
    refuse = undefined
  })

  it('exit codes 12 and 13 are free; ERR_CIRCLE_RATE is a 429 with the node\'s message, other circle refusals stay 409', () => {
    const codes = [...Object.values(EXIT), ...Object.values(CIRCLE_EXIT)]
    expect(new Set(codes).size).toBe(codes.length)
    expect(CIRCLE_EXIT_BY_CODE.ERR_CIRCLE_RATE).toBe(12)
    expect(CIRCLE_EXIT_BY_CODE.ERR_CIRCLE_DAMAGED).toBe(13)
    expect(errorResponse(new CircleError('ERR_CIRCLE_RATE', RATE))).toEqual([429, { error: { name: 'CircleError', code: 'ERR_CIRCLE_RATE', message: RATE } }])
    expect(errorResponse(new CircleError('ERR_CIRCLE_MEMBER', 'no member'))[0]).toBe(409)
    // a code alone names no status: an error of unknown name stays a 500 that says nothing of it
    expect(errorResponse(Object.assign(new Error('x'), { code: 'ERR_CIRCLE_RATE' }))[0]).toBe(500)
  })

  it('the API removes a list of members in one call, a single member as before, and refuses a malformed list', async () => {
    await client.request('POST', '/circles/remove', { circle: 'friends', members: [ANA, BEA.slice(0, 8)] })
    await client.request('POST', '/circles/remove', { circle: 'friends', member: CY })
    expect(removals).toEqual([[ANA, BEA.slice(0, 8)], CY])
    const tooMany = Array.from({ length: MAX_CIRCLE_MEMBERS + 1 }, (_, i) => i.toString(16).padStart(4, '0'))
    for (const body of [{ members: [] }, { members: tooMany }, { members: [ANA, 7] }, { members: ANA }, { member: ANA, members: [BEA] }]) {
      const refused = await client.request('POST', '/circles/remove', { circle: 'friends', ...body }).then(() => undefined, (err: unknown) => err)
      expect(refused, JSON.stringify(body)).toMatchObject({ name: 'ApiError', code: 'ERR_BAD_REQUEST', status: 400 })
    }
    expect(removals).toHaveLength(2)
  })

  it(`the API's cap on /circles/remove: ${MAX_CIRCLE_MEMBERS} members reach the node in one call, ${MAX_CIRCLE_MEMBERS + 1} are a 400 before anything does, and the daemon serves on`, async () => {
    const keys = (n: number): string[] => Array.from({ length: n }, (_, i) => i.toString(16).padStart(64, '0'))
    await client.request('POST', '/circles/remove', { circle: 'friends', members: keys(MAX_CIRCLE_MEMBERS) })
    expect(removals).toEqual([keys(MAX_CIRCLE_MEMBERS)])
    // one more: refused with the stable code before the node is asked (a guard removed, the stub would take it)
    const refused = await client.request('POST', '/circles/remove', { circle: 'friends', members: keys(MAX_CIRCLE_MEMBERS + 1) }).then(() => undefined, (err: unknown) => err)
    expect(refused).toMatchObject({ name: 'ApiError', code: 'ERR_BAD_REQUEST', status: 400, message: `field "members" must list 1 to ${MAX_CIRCLE_MEMBERS} members` })
    expect(removals).toHaveLength(1)
    // the daemon serves on: a listing, and the next removal
    expect(await client.request('GET', '/circles')).toMatchObject({ circles: [friends, broken] })
    await client.request('POST', '/circles/remove', { circle: 'friends', member: CY })
    expect(removals).toEqual([keys(MAX_CIRCLE_MEMBERS), CY])
  })

  it('murmur circle remove NAME KEY KEY: one removal of both (a key named twice once); --help says the rate', async () => {
    const done = await murmur(['circle', 'remove', 'friends', ANA.slice(0, 6), BEA.slice(0, 12), ANA, '--data-dir', dir, '--json'])
    expect(done.code, done.stderr).toBe(EXIT.OK)
    expect(removals).toEqual([[ANA, BEA]])
    expect(JSON.parse(done.stdout)).toMatchObject({ removed: [ANA, BEA], circle: { name: 'friends', generation: 3, members: 2 } })

    const help = await murmur(['circle', 'remove', '--help'])
    expect(help.stdout).toContain('<name> <member...>')
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(`members follow at most ${CIRCLE_ROTATIONS_PER_HOUR} key changes an hour and ${CIRCLE_ROTATIONS_PER_DAY} a day: removals past that are refused (exit code 12, saying from when). Members named together are removed in one key change, counted once`)
  })

  it('a removal past the rate: 429 in the API, "not removed" and exit 12 from murmur', async () => {
    refuse = new CircleError('ERR_CIRCLE_RATE', RATE)
    const refused = await client.request('POST', '/circles/remove', { circle: 'friends', member: CY }).then(() => undefined, (err: unknown) => err)
    expect(refused).toMatchObject({ name: 'ApiError', code: 'ERR_CIRCLE_RATE', status: 429, message: RATE })
    const run = await murmur(['circle', 'remove', 'friends', CY.slice(0, 8), '--data-dir', dir])
    expect(run.stderr).toBe(`murmur: not removed: ${RATE}\n`)
    expect(run.code).toBe(CIRCLE_EXIT.RATE)
    expect(run.stdout).toBe('')
  })

  it('circle list shows a damaged circle as such with what to do; --json marks it damaged', async () => {
    const text = await murmur(['circle', 'list', '--data-dir', dir])
    expect(text.code, text.stderr).toBe(EXIT.OK)
    const lines = text.stdout.trimEnd().split('\n')
    expect(lines).toEqual([
      'circle:friends  4 members  min ring 2  owner  key 3  can post',
      'circle:old crew  DAMAGED: unreadable here',
      `  circle:old crew: this node cannot read its record of this circle (its keys), so it reads and posts nothing there: leave it (murmur circle leave 'old crew' --data-dir ${dir}) and ask a member for a new invite`
    ])
    const json = await murmur(['circle', 'list', '--data-dir', dir, '--json'])
    expect(JSON.parse(json.stdout)).toEqual({ circles: [friends, broken] })
  })

  it('a damaged circle is refused before anything reaches the node (exit 13; 409 in the API); other posts are still found', async () => {
    const members = await murmur(['circle', 'members', 'old crew', '--data-dir', dir])
    expect(members.stderr).toMatch(/^murmur: circle:old crew: this node cannot read its record of this circle \(its keys\), so it reads and posts nothing there: leave it \(murmur circle leave 'old crew' --data-dir [^)]+\) and ask a member for a new invite\n$/)
    expect(members.code).toBe(CIRCLE_EXIT.DAMAGED)
    for (const [method, path] of [['GET', '/circles/members?circle=old%20crew'], ['GET', '/feed?channel=circle:old%20crew']] as const) {
      const refused = await client.request(method, path).then(() => undefined, (err: unknown) => err)
      expect(refused, path).toMatchObject({ name: 'ApiError', code: 'ERR_CIRCLE_DAMAGED', status: 409, message: expect.stringMatching(/^circle:old crew: this node cannot read its record/) })
    }
    // a post id prefix is looked up in every circle the node can read (the damaged one threw a 500 before)
    expect(await client.request('GET', '/ids?prefix=abcd')).toEqual({ prefix: 'abcd', ids: [] })
    expect(read).toEqual(['friends'])
  })
})
