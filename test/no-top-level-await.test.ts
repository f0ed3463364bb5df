/**
 * No top-level await in published modules (issue 16 item 15): a module that awaits at load makes every
 * importer async (bundlers need an ES module worker, `require(esm)` refuses it, a slow await stalls the
 * whole import graph). Every built module of the three packages is parsed and searched for an await
 * outside any function, but for the programs (the `murmur` command's scripts, the verification worker),
 * which nobody imports. Then every other module is imported in a fresh process that never calls ready():
 * nothing may touch libsodium at load.
 */
import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '..')
const PACKAGES = ['packages/protocol', 'packages/node', 'packages/cli']
/**
 * Programs, never imported: the `murmur` command's scripts, and the verification worker, which a pool starts
 * as a module worker and which awaits ready() before it tells the pool it is ready. Their awaits are a program's.
 */
const ENTRIES = new Set(['packages/cli/dist/src/bin.js', 'packages/cli/dist/src/main.js', 'packages/node/dist/src/verify/worker.js'])
const run = promisify(execFile)

async function builtModules (): Promise<string[]> {
  const files: string[] = []
  for (const pkg of PACKAGES) {
    const dir = join(ROOT, pkg, 'dist', 'src')
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.js')) files.push(relative(ROOT, join(entry.parentPath, entry.name)))
    }
  }
  return files.sort()
}

/** The awaits of a module that run at its load: outside every function, method and accessor body. */
function topLevelAwaits (file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
  const found: string[] = []
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) || ts.isClassStaticBlockDeclaration(node)) return
    const isAwait = ts.isAwaitExpression(node) ||
      (ts.isForOfStatement(node) && node.awaitModifier !== undefined) ||
      (ts.isVariableDeclarationList(node) && (node.flags & ts.NodeFlags.AwaitUsing) === ts.NodeFlags.AwaitUsing)
    if (isAwait) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source))
      found.push(`${file}:${line + 1}: ${node.getText(source).split('\n')[0]}`)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

describe('published modules', () => {
  it('await nothing at load (no top-level await outside the murmur command\'s entry scripts)', async () => {
    const modules = await builtModules()
    expect(modules.length).toBeGreaterThan(100)
    const awaits: string[] = []
    for (const file of modules) {
      if (!ENTRIES.has(file)) awaits.push(...topLevelAwaits(file, await readFile(join(ROOT, file), 'utf8')))
    }
    expect(awaits).toEqual([])
    // the scan itself finds what it looks for
    expect(topLevelAwaits('entry.js', 'import x from "y"\nawait x.ready\nfor await (const a of b) {}\nasync function f () { await g() }\n')).toHaveLength(2)
  })

  it('load without ready(): no module touches libsodium at import', async () => {
    const modules = (await builtModules()).filter((file) => !ENTRIES.has(file))
    const script = `
      const failed = []
      for (const url of ${JSON.stringify(modules.map((file) => pathToFileURL(join(ROOT, file)).href))}) {
        try { await import(url) } catch (err) { failed.push(url + ': ' + err.name + ': ' + err.message) }
      }
      process.stdout.write(JSON.stringify(failed))
      process.exit(0)
    `
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 })
    expect(JSON.parse(stdout)).toEqual([])
  }, 150_000)
})
