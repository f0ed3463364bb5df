import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
/** The Node 22 binary of the `node@22` devDependency, whatever node runs the tests. */
const node22 = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url))

describe('examples/embed', () => {
  it('runs with Node 22 against the workspace build of @murmur/node and prints the conversation', async () => {
    const { stdout: version } = await promisify(execFile)(node22, ['--version'])
    expect(version).toMatch(/^v22\./)
    const { stdout } = await promisify(execFile)(node22, ['examples/embed/index.js'], { cwd: root, timeout: 60_000 })
    expect(stdout.trim().split('\n')).toEqual([
      'alice posted',
      'bob received: is the library open late tonight?',
      'alice got a reply: until midnight during exams (op: false)',
      'thread: 2 posts, score 1, 1 reply'
    ])
  })
})
