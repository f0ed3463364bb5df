/**
 * Membership logs through the app's logger (issue 16 item 14, issue 13): a node given a libp2p `logger`
 * (MurmurInit.libp2p) logs its member state, minting and directory through it, under the node's own
 * component ('murmur:node:membership:*'), and never the member key, its secret or the node's PeerId.
 */
import { format } from 'node:util'
import { authorPublicKey, toHex } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { cleanedAfterEach, startNode, waitFor } from './harness.js'
import { memberInit } from './member-fixtures.js'
import { memberKeySecret } from './member-stamp-record.js'
import type { ComponentLogger, Logger } from '@libp2p/interface'

/** A ComponentLogger that keeps every 'murmur:*' line, formatted. */
function recordingLogger (): { logger: ComponentLogger, lines: string[] } {
  const lines: string[] = []
  const make = (name: string): Logger => {
    const write = (formatter: unknown, ...args: unknown[]): void => {
      // libp2p's own formats (%p PeerId, %a multiaddr, %b base58, %t base32, %e error) as strings
      if (name.startsWith('murmur:')) lines.push(`${name} ${format(String(formatter).replaceAll(/%[pabte]/g, '%s'), ...args)}`)
    }
    return Object.assign(write, { error: write, trace: write, enabled: true, newScope: (scope: string) => make(`${name}:${scope}`) })
  }
  return { logger: { forComponent: (name) => make(name) }, lines }
}

describe('membership logging', () => {
  const { running, tempDir } = cleanedAfterEach()

  it('goes through the logger the app gives, without the member key or the PeerId', async () => {
    const { logger, lines } = recordingLogger()
    const dataDir = await tempDir()
    const node = await startNode(memberInit({ dataDir, libp2p: { logger } }))
    running.push(node)
    await waitFor(() => node.membership()?.stamp !== undefined, 'the node to mint its stamp', 120_000)
    await waitFor(() => lines.some((line) => line.startsWith('murmur:node:membership:minting minted the stamp for week')), 'the minted stamp logged')
    expect(lines).toEqual(expect.arrayContaining([
      'murmur:node:membership:state created a member key',
      'murmur:node:membership:directory loaded 0 directory items'
    ]))
    expect(lines.some((line) => line.startsWith('murmur:node:membership:minting minting the stamp for week'))).toBe(true)

    const secret = await memberKeySecret(dataDir)
    const text = lines.join('\n')
    for (const hidden of [node.peerId.toString(), toHex(secret), toHex(authorPublicKey(secret)), secret.join(','), authorPublicKey(secret).join(',')]) {
      expect(text).not.toContain(hidden)
    }
  }, 180_000)
})
