// One process of the crowd benchmark (bench/crowd.ts): runs the Murmur nodes the parent assigns to it,
// all on 127.0.0.1, and answers the parent over the IPC channel (see crowd-messages.ts). A real crowd
// has one event loop per machine; a few of these, each with its own loop, stand in for that.
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { channelTopic, messageId, ready, toHex } from '@murmur/protocol'
import { addressOf, startNode, stopAll } from '../../packages/node/dist/test/harness.js'
import { CROWD_CHANNEL, LOADED_LOOP_LIBP2P } from './crowd-messages.ts'
import type { Murmur } from '@murmur/node'
import type { ToParent, ToWorker } from './crowd-messages.ts'

// libsodium's WASM before the first key or hash (@murmur/protocol awaits nothing at import)
await ready()

const nodes = new Map<number, Murmur>()
const topic = channelTopic(CROWD_CHANNEL)
const lag = monitorEventLoopDelay({ resolution: 20 })
lag.enable()
let cpu = process.cpuUsage()
let cpuSince = performance.now()
let opened = 0
let closed = 0

/** CROWD_PROFILE=dir: this process's main thread is CPU-profiled phase by phase into dir (see bench/lib/crowd-profile.ts). */
const profileDir = process.env.CROWD_PROFILE
const profiler = profileDir === undefined ? undefined : new Session()
if (profiler !== undefined) {
  profiler.connect()
  await profiler.post('Profiler.enable')
  await profiler.post('Profiler.start')
}

/** Ends the profile of the phase now over, writes it, and starts the next one's. */
async function profilePhase (phase: string): Promise<string | undefined> {
  if (profiler === undefined || profileDir === undefined) return undefined
  const { profile } = await profiler.post('Profiler.stop')
  const file = join(profileDir, `${phase}-${process.pid}.cpuprofile`)
  await writeFile(file, JSON.stringify(profile))
  await profiler.post('Profiler.start')
  return file
}

function send (message: ToParent): void {
  process.send!(message)
}

/** The stem of a node as the trace reads it: internals of MurmurNode and StemTransport, for this diagnosis only. */
interface TracedStem {
  router: {
    components: { onEvent?(event: { type: string, id?: string, to?: string, reason?: string, own?: boolean }): void, fluff(topic: string, envelope: Uint8Array, expires?: number): Promise<{ status: string, recipients?: number }> }
    relay(from: string, topic: string, envelope: Uint8Array, id: string): void
    sendFailed(peer: string): void
    seen(id: string): void
  }
}

/** CROWD_TRACE=1: reports what this node's stem does with each post (sent on, fluffed and how that went, received, write failures). */
function traceStem (index: number, node: Murmur): void {
  const stem = (node as unknown as { stem?: TracedStem }).stem
  if (stem === undefined) return
  const router = stem.router
  const trace = (id: string, what: string): void => { send({ type: 'trace', index, id, at: performance.timeOrigin + performance.now(), what }) }
  const onEvent = router.components.onEvent
  router.components.onEvent = (event) => {
    onEvent?.(event)
    if (event.type === 'forward') trace(event.id!, `${event.own === true ? 'own ' : ''}sent on to ${event.to}`)
    if (event.type === 'fluff') trace(event.id!, `${event.own === true ? 'own ' : ''}fluffed (${event.reason})`)
  }
  const fluff = router.components.fluff
  router.components.fluff = async (topic, envelope, expires) => {
    const result = await fluff(topic, envelope, expires)
    trace(toHex(messageId(topic, envelope)), `fluff ${result.status}${result.recipients === undefined ? '' : ` to ${result.recipients}`}`)
    return result
  }
  const relay = router.relay.bind(router)
  router.relay = (from, topic, envelope, id) => { trace(id, `stem copy from ${from}`); relay(from, topic, envelope, id) }
  const seen = router.seen.bind(router)
  router.seen = (id) => { trace(id, 'seen in gossip'); seen(id) }
  const sendFailed = router.sendFailed.bind(router)
  router.sendFailed = (peer) => { trace('-', `stem write to ${peer} failed`); sendFailed(peer) }
}

/** The discovery dialer of a node as the alone report reads it: internals of MurmurNode and DiscoveryDialer, for this diagnosis only. */
interface TracedDiscovery {
  components: { dial(peer: unknown, signal: AbortSignal, exact?: boolean): Promise<unknown> }
  bootstrap: Map<string, { dialing?: boolean, up?: boolean, timer?: unknown, delay: number }>
}

/** Per node: its discovery dialer's dials (bootstrap ones apart) and how the last few ended. */
const dials = new Map<number, { bootstrap: number, drawn: number, last: string[] }>()

/** How an error reads in the alone report: its name and the start of its message, PeerIds and addresses cut out. */
const errorText = (err: unknown): string => {
  const e = err as { name?: string, message?: string }
  return `${e.name ?? 'Error'} (${String(e.message).replace(/12D3\w+|\/ip[46]\/\S*/g, '…').slice(0, 80)})`
}

/**
 * Counts a node's discovery dials and keeps how the last few ended, with the libp2p error under each
 * failure (dialDrawn turns one into "nothing reached"): in the n = 200 runs of session 7, the nodes
 * left alone had dialed their bootstrap peers every 30 s, and only this said why each dial failed.
 */
function traceDials (index: number, node: Murmur): void {
  const discovery = (node as unknown as { discovery?: TracedDiscovery }).discovery
  if (discovery === undefined) return
  const record = { bootstrap: 0, drawn: 0, last: [] as string[] }
  dials.set(index, record)
  const keep = (what: string, since: number): void => {
    record.last.push(`${what} ${((performance.now() - since) / 1000).toFixed(1)} s`)
    if (record.last.length > 6) record.last.shift()
  }
  const libp2pDial = node.libp2p.dial.bind(node.libp2p)
  node.libp2p.dial = (async (target: Parameters<typeof libp2pDial>[0], options?: Parameters<typeof libp2pDial>[1]) => {
    const at = performance.now()
    try {
      return await libp2pDial(target, options)
    } catch (err) {
      keep(`libp2p ${errorText(err)}`, at)
      throw err
    }
  }) as typeof node.libp2p.dial
  const dial = discovery.components.dial.bind(discovery.components)
  discovery.components.dial = async (peer, signal, exact) => {
    const kind = exact === true ? 'boot' : 'drawn'
    record[exact === true ? 'bootstrap' : 'drawn']++
    const at = performance.now()
    try {
      const reached = await dial(peer, signal, exact)
      keep(`${kind} ${reached === undefined ? 'nothing' : 'reached'}`, at)
      return reached
    } catch (err) {
      keep(`${kind} ${errorText(err)}`, at)
      throw err
    }
  }
}

/** What the discovery dialer of an alone node did: its dials, how the last ended, the state of its bootstrap entries. */
function aloneDials (index: number, node: Murmur): string {
  const record = dials.get(index)
  const discovery = (node as unknown as { discovery?: TracedDiscovery }).discovery
  const boots = [...discovery?.bootstrap.values() ?? []].map((b) => `${b.dialing === true ? 'dialing' : b.up === true ? 'up' : b.timer !== undefined ? 'waiting' : 'idle'}/${b.delay / 1000}s`)
  return `; dials ${record?.bootstrap ?? 0} boot ${record?.drawn ?? 0} drawn [${record?.last.join(', ') ?? ''}] bootstrap ${boots.join(' ')}`
}

async function handle (message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'start': {
      const node = await startNode({
        channels: [CROWD_CHANNEL],
        bootstrap: message.bootstrap,
        // CROWD_PING=ms: libp2p's connection monitor pings that often instead of Murmur's default (to measure what pings cost)
        libp2p: process.env.CROWD_PING === undefined
          ? LOADED_LOOP_LIBP2P
          : { ...LOADED_LOOP_LIBP2P, connectionMonitor: { ...LOADED_LOOP_LIBP2P.connectionMonitor, pingInterval: Number(process.env.CROWD_PING) } },
        ...(message.stem ? {} : { stem: false })
      })
      nodes.set(message.index, node)
      node.libp2p.addEventListener('connection:open', () => { opened++ })
      node.libp2p.addEventListener('connection:close', () => { closed++ })
      node.addEventListener('post', (evt) => {
        send({ type: 'delivered', index: message.index, body: evt.detail.body, at: performance.timeOrigin + performance.now() })
      })
      if (process.env.CROWD_TRACE === '1') traceStem(message.index, node)
      traceDials(message.index, node)
      send({ type: 'started', index: message.index, address: addressOf(node), peerId: node.peerId.toString() })
      return
    }
    case 'status': {
      const list = [...nodes.values()]
      send({
        type: 'status',
        nodes: list.length,
        inChannel: list.filter((node) => node.libp2p.services.pubsub.getSubscribers(topic).length >= 1).length,
        connections: list.map((node) => node.libp2p.getConnections().length),
        peers: list.map((node) => node.libp2p.getPeers().length),
        // how the extra connections to one peer were made: directions and remote address of each
        duplicates: list.flatMap((node) => node.libp2p.getPeers().map((peer) => node.libp2p.getConnections(peer)).filter((c) => c.length > 1)
          .map((c) => c.map((conn) => `${conn.direction} ${conn.remoteAddr.toString().replace(/\/p2p\/.*/, '')}`).join(' + '))).slice(0, 5),
        outbound: list.map((node) => node.libp2p.getConnections().filter((c) => c.direction === 'outbound').length),
        channelPeers: list.map((node) => node.libp2p.services.pubsub.getSubscribers(topic).length),
        lagP50: lag.percentile(50) / 1e6,
        lagP99: lag.percentile(99) / 1e6,
        lagMax: lag.max / 1e6,
        opened,
        closed,
        alone: [...nodes].filter(([, node]) => node.libp2p.services.pubsub.getSubscribers(topic).length === 0).map(([index, node]) => {
          const connections = node.libp2p.getConnections()
          const pubsub = node.libp2p.services.pubsub
          // gossipsub's own map of open outbound streams (not in its interface type): a peer without one never hears our subscription
          const outboundStreams = (pubsub as unknown as { streamsOutbound?: Map<string, unknown> }).streamsOutbound?.size
          return `#${index}: ${connections.length} connections (${connections.filter((c) => c.direction === 'outbound').length} outbound), ` +
            `${pubsub.getPeers().length} gossipsub peers, ${outboundStreams ?? '?'} outbound gossip streams, ` +
            `streams ${connections.flatMap((c) => c.streams.map((st) => st.protocol ?? '?')).join(',')}` + aloneDials(index, node)
        }),
        streams: (() => {
          const counts: Record<string, number> = {}
          for (const node of list) {
            for (const connection of node.libp2p.getConnections()) {
              for (const stream of connection.streams) counts[stream.protocol ?? '?'] = (counts[stream.protocol ?? '?'] ?? 0) + 1
            }
          }
          return counts
        })(),
        cpuTotal: (() => {
          const used = process.cpuUsage()
          return (used.user + used.system) / 1e3
        })(),
        cpuShare: (() => {
          const used = process.cpuUsage(cpu)
          const share = (used.user + used.system) / 1e3 / (performance.now() - cpuSince)
          cpu = process.cpuUsage()
          cpuSince = performance.now()
          return share
        })()
      })
      lag.reset()
      opened = 0
      closed = 0
      return
    }
    case 'post': {
      const node = nodes.get(message.index)!
      const channelPeers = node.libp2p.services.pubsub.getSubscribers(topic).length
      const result = await node.post(CROWD_CHANNEL, message.body)
      send({ type: 'posted', index: message.index, status: result.status, channelPeers, id: result.id })
      return
    }
    case 'profile': {
      const file = await profilePhase(message.phase)
      send({ type: 'profiled', ...(file === undefined ? {} : { file }) })
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
