import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { JOINED_CHANNELS_FILE } from '../src/constants.js'
import { joinedChannelsPath, readJoinedChannels, saveJoinedChannels } from '../src/daemon/joined-channels.js'
import { writeSealedPrivateFile } from '../src/files.js'

describe('channels.json', () => {
  let dataDir: string

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'murmur-channels-'))
    await chmod(dataDir, 0o700)
  })

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true })
  })

  const read = async (text: string): Promise<string[]> => {
    // edited as the file is kept: sealed (a plain one in a sealed data dir is refused, see at-rest-planted)
    await writeSealedPrivateFile(dataDir, JOINED_CHANNELS_FILE, text)
    return await readJoinedChannels(dataDir)
  }

  it('a hand-edited file never stops the daemon: null, numbers, strings and no list keep nothing', async () => {
    for (const text of ['null', '1', '"x"', '[]', '{"channels":{"length":1e9}}', '{"channels":null}', '{not json']) {
      expect(await read(text)).toEqual([])
    }
  })

  it('keeps only names as the CLI folds them, each once: no look-alike joined', async () => {
    expect(await read(JSON.stringify({ channels: ['#ok', '#Bad', '#ｂａｄ', '#a b', 'lobby', 7, null, `#${'x'.repeat(300)}`, '#ok', 'geo:u4pruyd'] }))).toEqual(['#ok', 'geo:u4pruyd'])
  })

  it('concurrent saves are written in the order they were asked for', async () => {
    const saves = Array.from({ length: 20 }, async (_, i) => { await saveJoinedChannels(dataDir, Array.from({ length: i + 1 }, (_, k) => `#c${k}`)) })
    await Promise.all(saves)
    expect(await readJoinedChannels(dataDir)).toHaveLength(20)
    expect(await readFile(joinedChannelsPath(dataDir), 'utf8')).not.toContain('#c19')
  })
})
