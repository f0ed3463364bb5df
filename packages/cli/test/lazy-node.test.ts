import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The built CLI, as users run it: bin.js and the program it runs.
const DIST = resolve(import.meta.dirname, '..', 'dist', 'src')
const FIXTURES = resolve(import.meta.dirname, 'fixtures')

/**
 * Modules that only a node needs: libp2p and its pieces, and the entries of @murmur/node that load them
 * (its light subpaths, such as ./filters or ./at-rest, are fine).
 */
const NODE_MODULE = /\/node_modules\/(?:libp2p|@libp2p|@chainsafe)\/|\/node\/dist\/src\/(?:index|internal)\.js$/

/** Commands that only talk to a daemon (none runs here: they fail on that) or read the data dir's own files. */
const CLIENT_COMMANDS: string[][] = [
  ['--version'],
  ['status'], ['status', '--json'], ['peers'], ['join', 'lobby'], ['join', '--near', '48.85,2.35'], ['leave', 'lobby'],
  ['post', 'lobby', 'hello'], ['post', 'circle:friends', 'hello'], ['reply', 'abcd', 'hi'], ['vote', 'abcd', 'up'],
  ['feed', 'lobby'], ['feed', 'lobby', '--sort', 'top'], ['thread', 'abcd'], ['watch', 'lobby'], ['peek', 'geo:u09t'],
  ['circle', 'list'], ['circle', 'create', 'friends'], ['circle', 'join', 'not-an-invite'],
  ['filter', 'word', 'spoiler'], ['filter', 'list'], ['filter', 'clear'],
  ['init'], ['wipe', '--yes']
]

/** Runs `node --import import-log.mjs <args>` with the log at `log`; resolves when it exits, whatever its code. */
async function runLogged (args: string[], log: string, dataDir: string): Promise<void> {
  await new Promise<void>((resolve) => {
    const child = execFile(process.execPath, ['--import', join(FIXTURES, 'import-log.mjs'), ...args], {
      env: { ...process.env, MURMUR_IMPORT_LOG: log, MURMUR_DATA_DIR: dataDir, DEBUG: '' },
      timeout: 60_000
    }, () => { resolve() })
    child.stdin?.end()
  })
}

/** The log's module URLs by the command that loaded them (`# <command>` lines; before the first: `(start)`). */
async function modulesByCommand (log: string): Promise<Map<string, string[]>> {
  const byCommand = new Map<string, string[]>([['(start)', []]])
  let current = '(start)'
  for (const line of (await readFile(log, 'utf8')).split('\n')) {
    if (line.startsWith('# ')) {
      current = line.slice(2)
      byCommand.set(current, [])
    } else if (line !== '') {
      byCommand.get(current)?.push(line)
    }
  }
  return byCommand
}

/** The node modules each command loaded, only for the commands that loaded any (a few each). */
function nodeModulesOf (byCommand: Map<string, string[]>): Record<string, string[]> {
  const found: Record<string, string[]> = {}
  for (const [command, urls] of byCommand) {
    const bad = urls.filter((url) => NODE_MODULE.test(url))
    if (bad.length > 0) found[command] = bad.slice(0, 3)
  }
  return found
}

describe('murmur commands that run no node load no libp2p', () => {
  let dir: string
  let help: Map<string, string[]>
  let client: Map<string, string[]>

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'murmur-lazy-node-'))
    const dataDir = join(dir, 'data')
    // two processes at once: the real entry (bin.js, which checks the Node.js version first), and every
    // client command through the same program in one process, each logged under its own heading
    await Promise.all([
      runLogged([join(DIST, 'bin.js'), '--help'], join(dir, 'help.log'), dataDir),
      runLogged([join(FIXTURES, 'run-commands.mjs'), join(DIST, 'program.js'), JSON.stringify(CLIENT_COMMANDS)], join(dir, 'client.log'), dataDir)
    ])
    help = await modulesByCommand(join(dir, 'help.log'))
    client = await modulesByCommand(join(dir, 'client.log'))
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('murmur --help', () => {
    const urls = help.get('(start)') ?? []
    // the log works: the entry and commander were seen
    expect(urls.some((url) => url.endsWith('/cli/dist/src/bin.js'))).toBe(true)
    expect(urls.some((url) => url.includes('/node_modules/commander/'))).toBe(true)
    expect(nodeModulesOf(help)).toEqual({})
  })

  it('the commands that talk to a daemon or read local files', () => {
    expect([...client.keys()].slice(1)).toEqual(CLIENT_COMMANDS.map((argv) => argv.join(' ')))
    expect(nodeModulesOf(client)).toEqual({})
  })
})
