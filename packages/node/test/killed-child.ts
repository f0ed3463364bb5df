/**
 * Runs a piece of store code in a child process that kills itself (SIGKILL) right after a named step: the
 * crash at the worst moment that store-repair and at-rest-store play. The code is bundled from
 * packages/node/src/store/ with esbuild and gets the data dir as argv[2] and the step as argv[3].
 */
import { spawn } from 'node:child_process'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { expect } from 'vitest'

const CHILD_DIR = fileURLToPath(new URL('../../../node_modules/.cache/murmur-test/', import.meta.url))

/**
 * Runs `body` (module code resolved from src/store/; it calls the code under test with
 * `onStep: (step) => { if (step === process.argv[3]) process.kill(process.pid, 'SIGKILL') }`) and asserts
 * that the child died by SIGKILL, not by finishing.
 */
export async function killedAfter (name: string, body: string, dataDir: string, step: string): Promise<void> {
  const script = await build({
    stdin: { contents: `${body}\nprocess.exit(3)`, resolveDir: fileURLToPath(new URL('../src/store/', import.meta.url)), sourcefile: `${name}.ts`, loader: 'ts' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    write: false,
    logLevel: 'silent'
  })
  await mkdir(CHILD_DIR, { recursive: true })
  const file = join(CHILD_DIR, `${name}-${process.pid}-${step}.mjs`)
  await writeFile(file, script.outputFiles[0]!.contents)
  try {
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => {
      spawn(process.execPath, [file, dataDir, step], { stdio: ['ignore', 'ignore', 'inherit'] }).once('exit', (_code, signal) => { resolve(signal) })
    })
    expect(signal).toBe('SIGKILL')
  } finally {
    await rm(file, { force: true })
  }
}
