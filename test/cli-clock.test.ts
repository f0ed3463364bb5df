/**
 * A daemon whose clock is ten minutes ahead (issue 12, 12b): its posts would be refused everywhere,
 * so the user is told: `murmur status` shows the offset and a warning, the daemon prints one as soon
 * as it knows, and post, reply and vote fail with one actionable line and exit code 4.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sandbox, clockShiftEnv } from './cli-harness.ts'
import type { Daemon } from './cli-harness.ts'

interface Status { clock: { offset: number | null, skewed: boolean } }

const SHIFT = 600

describe('murmur with a clock that is off', () => {
  let sandbox: Sandbox
  let honest: Daemon
  let skewed: Daemon

  beforeAll(async () => {
    sandbox = await Sandbox.create()
    ;[honest, skewed] = await sandbox.daemonPair('honest', 'skewed', clockShiftEnv(SHIFT))
  })

  afterAll(async () => {
    await sandbox?.cleanup()
  })

  it('says the offset is not known before posts of others arrived', async () => {
    const json = await sandbox.run(['status', '--json', '--data-dir', skewed.dataDir])
    expect(json.code).toBe(0)
    expect((JSON.parse(json.stdout) as Status).clock).toEqual({ offset: null, skewed: false })
    const text = await sandbox.run(['status', '--data-dir', skewed.dataDir])
    expect(text.stdout).toContain('clock     offset not known yet (estimated from the first posts of others)')
  })

  it('warns in the daemon and in status once posts of others show the offset, and refuses to post with exit 4', async () => {
    let rootId = ''
    for (let i = 0; i < 6; i++) {
      const posted = await sandbox.run(['post', 'lobby', `tick ${i}`, '--json', '--data-dir', honest.dataDir])
      expect(posted.code, posted.stderr).toBe(0)
      rootId = (JSON.parse(posted.stdout) as { id: string }).id
    }
    const warning = JSON.parse(await skewed.proc.waitForLine((line) => line.includes('"event":"clock-skew"'))) as { offset: number, skewed: boolean }
    expect(warning.skewed).toBe(true)
    // each sample is off by up to a minute (created is coarse), the median much less
    expect(warning.offset).toBeGreaterThan(SHIFT - 120)
    expect(warning.offset).toBeLessThan(SHIFT + 120)

    const json = await sandbox.run(['status', '--json', '--data-dir', skewed.dataDir])
    expect(json.code, json.stderr).toBe(0)
    // the estimate moves with each post that arrives after the warning
    const { clock } = JSON.parse(json.stdout) as Status
    expect(clock.skewed).toBe(true)
    expect(Math.abs((clock.offset ?? 0) - SHIFT)).toBeLessThan(120)
    const text = await sandbox.run(['status', '--data-dir', skewed.dataDir])
    expect(text.stdout).toContain(`clock     WARNING: this device's clock is about ${clock.offset ?? ''} s ahead of the network's (120 s are accepted): your posts are refused until you set it right`)

    for (const args of [['post', 'lobby', 'from the future'], ['reply', rootId, 'from the future'], ['vote', rootId, 'up']]) {
      const result = await sandbox.run([...args, '--data-dir', skewed.dataDir])
      expect(result.code, args[0]).toBe(4)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(/^murmur: this device's clock is about \d+ s ahead of the other nodes' \(120 s are accepted\): .*set the clock right.*\n$/)
      expect(result.stderr.split('\n')).toHaveLength(2)
    }
  })
})
