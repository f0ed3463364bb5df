/**
 * The commands the CLI suggests can be pasted into a shell: with the data dir in use, quoted, and
 * through `npm run murmur --` when the CLI runs as the repository's npm script.
 */
import { describe, expect, it } from 'vitest'
import { murmurCommand } from '../src/hint.js'

const env = { XDG_DATA_HOME: '/home/ada/.data' }

describe('murmurCommand', () => {
  it('names the data dir unless it is the default, quoted for the shell', () => {
    expect(murmurCommand(['daemon'], '/home/ada/.data/murmur', env)).toBe('murmur daemon')
    expect(murmurCommand(['daemon'], '/srv/murmur', env)).toBe('murmur daemon --data-dir /srv/murmur')
    expect(murmurCommand(['daemon'], "/tmp/ada's node", env)).toBe("murmur daemon --data-dir '/tmp/ada'\\''s node'")
    // MURMUR_DATA_DIR does not make a dir the default: the hint must work in a shell without it
    expect(murmurCommand(['daemon'], '/srv/murmur', { ...env, MURMUR_DATA_DIR: '/srv/murmur' })).toBe('murmur daemon --data-dir /srv/murmur')
  })

  it('says `npm run murmur --` inside the repository\'s npm scripts', () => {
    const npm = { ...env, npm_package_name: 'murmur', npm_lifecycle_event: 'murmur' }
    expect(murmurCommand(['daemon'], '/srv/murmur', npm)).toBe('npm run murmur -- daemon --data-dir /srv/murmur')
    expect(murmurCommand(['daemon'], '/srv/murmur', { ...npm, npm_lifecycle_event: 'start' })).toBe('npm run murmur -- daemon --data-dir /srv/murmur')
    expect(murmurCommand(['daemon'], '/srv/murmur', { ...npm, npm_package_name: 'my-app' })).toBe('murmur daemon --data-dir /srv/murmur')
  })
})
