import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
/** The Node 22 binary of the `node@22` devDependency, whatever node runs the tests. */
const node22 = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url))

describe('examples/embed', () => {
  it('runs with Node 22 against the workspace build of @murmur/node and prints the conversation with a member\'s vote counted', async () => {
    const { stdout: version } = await promisify(execFile)(node22, ['--version'])
    expect(version).toMatch(/^v22\./)
    const { stdout } = await promisify(execFile)(node22, ['examples/embed/index.js'], { cwd: root, timeout: 150_000 })
    const lines = stdout.trim().split('\n')
    // Bob's stamp may still be minting or on its way back when he votes: the example then says why his vote waits
    const waits = lines.filter((line) => line.startsWith('bob\'s vote waits'))
    for (const line of waits) expect(line).toMatch(/^bob's vote waits until bob is a member \((ERR_STAMP_NOT_READY|ERR_NO_DECOYS)\)$/)
    expect(lines.filter((line) => !waits.includes(line))).toEqual([
      'alice posted',
      'bob received: is the library open late tonight?',
      'alice got a reply: until midnight during exams (op: false)',
      // a member's vote, counted on Alice's node: the ring is both members of this two-node network
      'bob voted as a member, hidden among 2 members',
      'thread: 2 posts, score 1, 1 reply'
    ])
  }, 180_000)
})
