// One process of the crowd benchmark (bench/crowd.ts): runs the Murmur nodes the parent assigns to it,
// all on 127.0.0.1, and answers the parent over the IPC channel (see crowd-messages.ts). A real crowd
// has one event loop per machine; a few of these, each with its own loop, stand in for that.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { channelTopic } from '@murmur/protocol'
import { addressOf, startNode, stopAll } from '../../packages/node/dist/test/harness.js'
import { CROWD_CHANNEL, LOADED_LOOP_LIBP2P } from './crowd-messages.ts'
import type { Murmur } from '@murmur/node'
import type { ToParent, ToWorker } from './crowd-messages.ts'

const nodes = new Map<number, Murmur>()
const topic = channelTopic(CROWD_CHANNEL)
const lag = monitorEventLoopDelay({ resolution: 20 })
lag.enable()
let cpu = process.cpuUsage()
let cpuSince = performance.now()

function send (message: ToParent): void {
  process.send!(message)
}

async function handle (message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'start': {
      const node = await startNode({
        channels: [CROWD_CHANNEL],
        bootstrap: message.bootstrap,
        libp2p: LOADED_LOOP_LIBP2P,
        ...(message.stem ? {} : { stem: false })
      })
      nodes.set(message.index, node)
      node.addEventListener('post', (evt) => {
        send({ type: 'delivered', index: message.index, body: evt.detail.body, at: performance.timeOrigin + performance.now() })
      })
      send({ type: 'started', index: message.index, address: addressOf(node) })
      return
    }
    case 'status': {
      const list = [...nodes.values()]
      send({
        type: 'status',
        nodes: list.length,
        inChannel: list.filter((node) => node.libp2p.services.pubsub.getSubscribers(topic).length >= 1).length,
        connections: list.map((node) => node.libp2p.getConnections().length),
        outbound: list.map((node) => node.libp2p.getConnections().filter((c) => c.direction === 'outbound').length),
        channelPeers: list.map((node) => node.libp2p.services.pubsub.getSubscribers(topic).length),
        lagP50: lag.percentile(50) / 1e6,
        lagP99: lag.percentile(99) / 1e6,
        lagMax: lag.max / 1e6,
        cpuShare: (() => {
          const used = process.cpuUsage(cpu)
          const share = (used.user + used.system) / 1e3 / (performance.now() - cpuSince)
          cpu = process.cpuUsage()
          cpuSince = performance.now()
          return share
        })()
      })
      lag.reset()
      return
    }
    case 'post': {
      const result = await nodes.get(message.index)!.post(CROWD_CHANNEL, message.body)
      send({ type: 'posted', index: message.index, status: result.status })
      return
    }
    case 'stop': {
      await stopAll([...nodes.values()])
      send({ type: 'stopped' })
    }
  }
}

process.on('message', (message: ToWorker) => {
  handle(message).catch((err: unknown) => {
    send({ type: 'error', message: `${message.type}: ${(err as Error).stack ?? String(err)}` })
  })
})
// the parent is gone (done, or crashed): nothing of this run may outlive it
process.on('disconnect', () => { process.exit() })
