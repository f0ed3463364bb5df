import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import type { Plugin } from 'esbuild'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const entry = fileURLToPath(new URL('../src/store/index.ts', import.meta.url))

/**
 * Resolve `#store-backend` through the package.json `imports` map exactly as a bundler does, then
 * read the TypeScript source of the chosen file (as tsc maps dist/ back to src/), so the test needs
 * no build.
 */
const fromSource: Plugin = {
  name: 'store-backend-from-source',
  setup (b) {
    b.onResolve({ filter: /^#store-backend$/ }, async (args) => {
      if (args.pluginData === 'resolving') return undefined
      const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'resolving' })
      if (resolved.errors.length > 0) return { errors: resolved.errors }
      return { path: resolved.path.replace(`${packageDir}dist/src/`, `${packageDir}src/`).replace(/\.js$/, '.ts') }
    })
  }
}

async function bundleInputs (platform: 'browser' | 'node'): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform,
    logLevel: 'silent',
    plugins: [fromSource],
    // Only which files get pulled in matters here. Node built-ins and the native addon stay visible
    // as external imports; abstract-level's own `require('events')` expects the app's bundler to
    // provide the `events` shim, so it is left external in the browser build too.
    external: platform === 'node' ? ['classic-level'] : ['events']
  })
  const inputs = Object.keys(result.metafile.inputs)
  const imports = Object.values(result.metafile.outputs).flatMap(o => o.imports.map(i => i.path))
  return [...inputs, ...imports]
}

describe('#store-backend selection', () => {
  it('gives browsers browser-level and never classic-level or node:path', async () => {
    const files = await bundleInputs('browser')
    expect(files.some(f => f.endsWith('src/store/backend-browser.ts'))).toBe(true)
    expect(files.some(f => f.includes('node_modules/browser-level/'))).toBe(true)
    expect(files.filter(f => /classic-level|backend-node|node:path/.test(f))).toEqual([])
  })

  it('gives Node classic-level and node:path', async () => {
    const files = await bundleInputs('node')
    expect(files.some(f => f.endsWith('src/store/backend-node.ts'))).toBe(true)
    expect(files).toContain('classic-level')
    expect(files).toContain('node:path')
    expect(files.filter(f => /browser-level|backend-browser/.test(f))).toEqual([])
  })
})
