/**
 * Logging through the app's logger (issue 16 item 14): a node given a libp2p `logger` (MurmurInit.libp2p)
 * logs its own parts ('murmur:*') through it, as libp2p's components do, and never its own PeerId or
 * the author's keys.
 */
import { format } from 'node:util'
import { describe, expect, it } from 'vitest'
import { generateAuthorKey, toHex } from '@murmur/protocol'
import { addressOf, cleanedAfterEach, nextPost, startNode } from './harness.js'
import type { ComponentLogger, Logger } from '@libp2p/interface'

/** A ComponentLogger that keeps every component name asked for and every 'murmur:*' line, formatted. */
function recordingLogger (): { logger: ComponentLogger, components: Set<string>, lines: string[] } {
  const components = new Set<string>()
  const lines: string[] = []
  const make = (name: string): Logger => {
    const write = (formatter: unknown, ...args: unknown[]): void => {
      // libp2p's own formats (%p PeerId, %a multiaddr, %b base58, %t base32, %e error) as strings
      if (name.startsWith('murmur:')) lines.push(`${name} ${format(String(formatter).replaceAll(/%[pabte]/g, '%s'), ...args)}`)
    }
    return Object.assign(write, { error: write, trace: write, enabled: true, newScope: (scope: string) => make(`${name}:${scope}`) })
  }
  return { logger: { forComponent: (name) => { components.add(name); return make(name) } }, components, lines }
}

describe('node logger', () => {
  const { running } = cleanedAfterEach()

  it("logs through the libp2p logger an app gives, never this node's PeerId or author keys", async () => {
    const { logger, components, lines } = recordingLogger()
    const authorKey = generateAuthorKey()
    const node = await startNode({ channels: ['#logged'], authorKey, libp2p: { logger } })
    running.push(node)
    const peer = await startNode({ bootstrap: [addressOf(node)], channels: ['#logged'] })
    running.push(peer)

    const heard = nextPost(node, (post) => post.body === 'from the peer')
    await peer.post('#logged', 'from the peer')
    await heard
    const echoed = nextPost(peer, (post) => post.body === 'from the node')
    await node.post('#logged', 'from the node')
    await echoed

    expect([...components].filter((name) => name.startsWith('murmur:')).sort()).toEqual(expect.arrayContaining(['murmur:node', 'murmur:store']))
    expect(lines).toEqual(expect.arrayContaining(['murmur:node started', 'murmur:node joined #logged']))
    const text = lines.join('\n')
    for (const secret of [node.peerId.toString(), toHex(authorKey.secretKey), toHex(authorKey.publicKey), authorKey.secretKey.join(','), authorKey.publicKey.join(',')]) {
      expect(text).not.toContain(secret)
    }
  })
})
