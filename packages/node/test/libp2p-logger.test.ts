/**
 * Murmur's own libp2p components log through the libp2p's component logger (issue 16 item 14), so an
 * embedder's `MurmurInit.libp2p.logger` (a prefix, a sink, a test's capture) receives their lines too:
 * they used module-level `logger(...)` instances, which only ever wrote to the global `debug` output.
 */
import { defaultLogger } from '@libp2p/logger'
import { describe, expect, it } from 'vitest'
import { InvalidMessageTracker } from '../src/gossip.js'
import { createMurmurLibp2p } from '../src/libp2p.js'
import type { ComponentLogger } from '@libp2p/interface'

describe('the libp2p composition logs through the libp2p logger', () => {
  it('asks the given component logger for the inbound share and gossip stream loggers', async () => {
    const components: string[] = []
    const base = defaultLogger()
    const logger: ComponentLogger = { forComponent: (name) => { components.push(name); return base.forComponent(name) } }
    const node = await createMurmurLibp2p({ listen: [], bootstrap: [], mdns: false, allowPrivateAddresses: true, iceServers: [], dhtServer: false, tracker: new InvalidMessageTracker(), extra: { logger } })
    expect(node.logger).toBe(logger)
    expect(components).toEqual(expect.arrayContaining(['murmur:inbound', 'murmur:gossip']))
    await node.stop()
  })
})
