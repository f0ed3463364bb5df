/**
 * A post to a channel only peeked at: the node's PeekOnlyError names no command (it is a library, used by
 * the page and embedders too); the control API passes the channel on and the CLI's client adds the
 * command that joins it, for the data dir in use (`murmur post`, `reply`, `vote` and the chat).
 * test/cli-places.test.ts checks the line `murmur post` prints against real daemons.
 */
import { PeekOnlyError } from '@murmur/node'
import { afterEach, describe, expect, it } from 'vitest'
// the built package: the server reads the version from package.json, two levels above dist/src
import { ControlClient, createControlServer } from '@murmur/cli'
import { errorResponse } from '../src/daemon/http.js'
import { stubNode } from './stub-node.js'
import type { ControlServer } from '@murmur/cli'

const CELL = 'geo:u4pru'
const NODE_LINE = `${CELL} is only peeked at: join it to post, reply or vote there`

describe('a post where the node only peeks', () => {
  let api: ControlServer | undefined

  afterEach(async () => {
    await api?.close()
    api = undefined
  })

  it('the node says what is wrong in its own words, naming no command', () => {
    const err = new PeekOnlyError(CELL)
    expect(err).toMatchObject({ name: 'PeekOnlyError', code: 'ERR_PEEK_ONLY', channel: CELL, message: NODE_LINE })
    expect(errorResponse(err)).toEqual([409, { error: { name: 'PeekOnlyError', code: 'ERR_PEEK_ONLY', message: NODE_LINE, channel: CELL } }])
  })

  it('the CLI\'s client adds `murmur join` for its data dir, quoted for a shell', async () => {
    const refuse = async (): Promise<never> => { throw new PeekOnlyError(CELL) }
    api = await createControlServer({ node: stubNode({ post: refuse, reply: refuse }), port: 0 })
    const client = new ControlClient({ ...api.address, token: api.token, dataDir: '/tmp/my murmur' })
    await expect(client.post({ channel: CELL, body: 'not from here' })).rejects.toMatchObject({
      name: 'ApiError', code: 'ERR_PEEK_ONLY', status: 409, message: `${NODE_LINE} (\`murmur join ${CELL} --data-dir '/tmp/my murmur'\`)`
    })
    await expect(client.reply({ parent: 'ab'.repeat(32), body: 'nor this' })).rejects.toMatchObject({ message: expect.stringContaining(`murmur join ${CELL} --data-dir`) as string })
  })
})
