import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../..', import.meta.url))

describe('browser bundle', () => {
  it('bundles @murmur/node for browsers without Node built-ins or Node-only modules', async () => {
    // esbuild's browser platform refuses to resolve node: built-ins (fs, net, dgram...), so a
    // successful build is the proof; the input list shows which platform modules were picked.
    const result = await build({
      stdin: { contents: "export * from '@murmur/node'", resolveDir: root, sourcefile: 'browser-entry.js' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent'
    })
    expect(result.errors).toEqual([])
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.some((input) => input.endsWith('platform/browser.js'))).toBe(true)
    expect(inputs.some((input) => input.endsWith('store/backend-browser.js'))).toBe(true)
    expect(inputs.some((input) => input.endsWith('membership/index.js'))).toBe(true)
    for (const nodeOnly of ['@libp2p/tcp', '@libp2p/mdns', 'classic-level', 'platform/node.js', 'store/backend-node.js', 'membership/storage-file.js']) {
      expect(inputs.filter((input) => input.includes(nodeOnly))).toEqual([])
    }
  })
})
