/**
 * The flooders of the flood scenario (flood.ts), in a process of their own: two Murmur nodes that join
 * the honest network from outside (bootstrapping from its nodes' addresses) and, once told, publish
 * straight into gossip as fast as this process mines them (at most `floodPerSecond` each): one valid
 * one-time-signed posts, the other the same with one byte of the signature or proof flipped. Mining here,
 * not in the honest nodes' process, keeps its CPU off their event loop: a real flooder runs on its own
 * machine. Talks to the parent over the IPC channel ({@link ToFlooder}, {@link FromFlooder}).
 */
import { buildEnvelope, channelTopic } from '@murmur/protocol'
import { seededRandom } from '../lib/random.ts'
import { CHAOS_CHANNEL, CHAOS_POW_BITS, ChaosNet, waitMeshed } from './net.ts'
import type { Murmur } from '@murmur/node'

/** What the parent asks of the flooder process. */
export type ToFlooder =
  | { type: 'start', bootstrap: string[], floodPerSecond: number, seed: number, waitMs: number }
  | { type: 'flood' }
  | { type: 'stop' }

/** What the flooder process answers. */
export type FromFlooder =
  | { type: 'ready' }
  | { type: 'stopped', valid: number, invalid: number, seconds: number }
  | { type: 'error', message: string }

let net: ChaosNet | undefined
let random = seededRandom(1)
let floodPerSecond = 1
let flooding = false
let floods: Array<Promise<void>> = []
let valid = 0
let invalid = 0
let started = 0

function send (message: FromFlooder): void {
  process.send!(message)
}

/** One flooder's loop until told to stop: builds (mines) a post, flips a byte if `good` is false, publishes. */
async function flood (node: Murmur, good: boolean): Promise<void> {
  const gap = 1000 / floodPerSecond
  const topic = channelTopic(CHAOS_CHANNEL)
  while (flooding) {
    const begun = performance.now()
    // the base bits, as the honest nodes' (buildEnvelope adds the one-time extra: passing requiredPowBits
    // here added it twice, 16 bits mined where 12 pass, and slowed the flood 16-fold)
    const built = await buildEnvelope({ channel: CHAOS_CHANNEL, body: `flood ${valid + invalid}`, powBits: CHAOS_POW_BITS })
    const bytes = built.bytes.slice()
    // invalid: one byte of the signature or proof flipped (same size and shape, fails its check)
    if (!good) bytes[bytes.length - 1 - Math.floor(random() * 32)]! ^= 0x01
    await node.libp2p.services.pubsub.publish(topic, bytes).catch(() => undefined)
    if (good) valid++
    else invalid++
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, gap - (performance.now() - begun))))
  }
}

async function handle (message: ToFlooder): Promise<void> {
  switch (message.type) {
    case 'start': {
      random = seededRandom(message.seed)
      floodPerSecond = message.floodPerSecond
      net = await ChaosNet.create({ nodes: 2, random, external: message.bootstrap })
      await waitMeshed(net, message.waitMs)
      send({ type: 'ready' })
      return
    }
    case 'flood': {
      const [good, bad] = net!.running() as [Murmur, Murmur]
      flooding = true
      started = performance.now()
      floods = [flood(good, true), flood(bad, false)]
      return
    }
    case 'stop': {
      flooding = false
      await Promise.all(floods)
      const seconds = started === 0 ? 0 : (performance.now() - started) / 1000
      await net?.close()
      send({ type: 'stopped', valid, invalid, seconds })
    }
  }
}

process.on('message', (message: ToFlooder) => {
  handle(message).catch((err: unknown) => {
    send({ type: 'error', message: `${message.type}: ${(err as Error).stack ?? String(err)}` })
  })
})
// the parent is gone (done, or crashed): nothing of this run may outlive it
process.on('disconnect', () => { process.exit() })
