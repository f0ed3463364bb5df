/**
 * Where the CLI keeps its files: the runtime dir is never a predictable name in the shared temporary
 * directory (issue 12 final read, L2), which another user could create first.
 */
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { rendezvousDir, runtimeDir } from '../src/paths.js'

describe('runtimeDir', () => {
  it('is $XDG_RUNTIME_DIR/murmur when set', () => {
    expect(runtimeDir({ XDG_RUNTIME_DIR: '/run/user/1000' })).toBe('/run/user/1000/murmur')
    expect(rendezvousDir({ XDG_RUNTIME_DIR: '/run/user/1000' })).toBe('/run/user/1000/murmur/peers')
  })

  it('falls back to the user\'s cache dir, never to the shared temporary directory', () => {
    expect(runtimeDir({ XDG_CACHE_HOME: '/home/ada/.cache' })).toBe('/home/ada/.cache/murmur/run')
    const fallback = runtimeDir({ XDG_RUNTIME_DIR: '', XDG_CACHE_HOME: '' })
    expect(fallback).toBe(join(homedir(), '.cache', 'murmur', 'run'))
    expect(fallback).not.toBe(join(tmpdir(), `murmur-${process.getuid?.() ?? 'user'}`))
  })
})
