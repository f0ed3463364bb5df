/**
 * Issue 12 item 15 (final read, RV8D L1): a stem frame's topic is network text (any UTF-8 up to 255 bytes),
 * so the DEBUG line that names it must escape it: a peer must not write newlines or terminal escapes into
 * the user's log.
 */
import { format } from 'node:util'
import { lpStream } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { STEM_PROTOCOL } from '../src/index.js'
import { encodeStemFrame } from '../src/stem/index.js'
import { cleanedAfterEach, startNode, startStockPeer, waitFor } from './harness.js'
import type { ComponentLogger, Logger } from '@libp2p/interface'

function recordingLogger (): { logger: ComponentLogger, lines: string[] } {
  const lines: string[] = []
  const make = (name: string): Logger => {
    const write = (formatter: unknown, ...args: unknown[]): void => {
      if (name.startsWith('murmur:')) lines.push(format(String(formatter).replaceAll(/%[pabte]/g, '%s'), ...args))
    }
    return Object.assign(write, { error: write, trace: write, enabled: true, newScope: (scope: string) => make(`${name}:${scope}`) })
  }
  return { logger: { forComponent: (name) => make(name) }, lines }
}

describe('stem log lines', () => {
  const { running } = cleanedAfterEach()

  it('escape the topic of an invalid stem frame', async () => {
    const { logger, lines } = recordingLogger()
    const node = await startNode({ channels: ['#escaped'], libp2p: { logger } })
    running.push(node)
    const attacker = await startStockPeer()
    running.push(attacker)
    await attacker.dial(node.getMultiaddrs()[0]!)
    const topic = 'murmur/2/#escaped\n\u001b[2Jforged line'
    const stream = await attacker.dialProtocol(node.peerId, STEM_PROTOCOL)
    await lpStream(stream).write(encodeStemFrame({ topic, envelope: new Uint8Array(200).fill(1) }))
    await waitFor(() => lines.some((line) => line.includes('invalid stem post')), 'the refusal to be logged', 30_000)
    const line = lines.find((line) => line.includes('invalid stem post'))!
    expect(line).not.toContain('\n')
    expect(line).not.toContain('\u001b')
  }, 60_000)
})
