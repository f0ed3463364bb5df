// A crowd behind one address (issue 12, Critical): N real nodes on 127.0.0.1 (TCP over loopback), each
// bootstrapping from three others and meeting the rest through the DHT topic rendezvous, everything else
// as shipped (stem, history sync, scoring, discovery bounds). Posts from random authors; for each, the
// time until every node has it, and the share of (node, post) pairs delivered within the window.
// The nodes run in CROWD_PROCS worker processes (bench/lib/crowd-worker.ts; node i in process i mod P),
// all behind the one address: a real crowd has one event loop per machine, not one for 200 nodes.
// `npm exec -- node bench/crowd.ts [--quick]`: 200 nodes in 8 processes, or 30 in 2 with --quick
// (CROWD_NODES and CROWD_PROCS override; CROWD_PROCS=1 is the one-process run; CROWD_STEM=0 turns the
// stem off, to tell the stem's share of the delay from the gossip's; CROWD_IDLE=s prints status for s
// seconds before posting, to read what idle nodes cost in CPU; CROWD_FORMATION=s waits that long at most
// for every node to have a channel peer (600 s); CROWD_STREAMS=1 prints open streams by
// protocol; CROWD_PROFILE=dir writes CPU profiles per phase, read by bench/lib/crowd-profile.ts;
// CROWD_TRACE=1 prints, after each post, what every stem did with it: sent on, received, fluffed).
// Every status read lists the first 20 nodes with no channel peer: their connections, their discovery
// dials and how the last few ended (the libp2p error under a failure), their bootstrap entries' state.
import { fork } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { cpus } from 'node:os'
import { median, writeResults } from './lib/results.ts'
import { seededRandom } from './lib/random.ts'
import type { Figure } from './lib/results.ts'
import type { ChildProcess } from 'node:child_process'
import type { ToParent, ToWorker } from './lib/crowd-messages.ts'

const quick = process.argv.includes('--quick')
const SIZE = Number(process.env.CROWD_NODES ?? (quick ? 30 : 200))
const PROCS = Math.min(SIZE, Number(process.env.CROWD_PROCS ?? (quick ? 2 : 8)))
const STEM = process.env.CROWD_STEM !== '0'
const POSTS = quick ? 3 : 10
const BOOTSTRAP_PEERS = 3
/** How long every node may take to have a peer in the channel (CROWD_FORMATION=s overrides). */
const FORMATION = Number(process.env.CROWD_FORMATION ?? 600) * 1000
/** How long one post may take to reach everyone before it counts as undelivered where it is missing. */
const WINDOW = 120_000

type Status = Extract<ToParent, { type: 'status' }>

/** One worker process and the replies it owes. */
class Worker {
  readonly child: ChildProcess
  private waiting: Array<{ type: ToParent['type'], resolve: (message: ToParent) => void }> = []
  onDelivered: (message: Extract<ToParent, { type: 'delivered' }>) => void = () => {}

  constructor () {
    this.child = fork(new URL('./lib/crowd-worker.ts', import.meta.url), { execArgv: process.execArgv })
    this.child.on('message', (message: ToParent) => {
      if (message.type === 'delivered') return this.onDelivered(message)
      if (message.type === 'trace') return void traces.push(message)
      if (message.type === 'error') throw new Error(`crowd worker: ${message.message}`)
      const index = this.waiting.findIndex((w) => w.type === message.type)
      this.waiting.splice(index, 1)[0]?.resolve(message)
    })
  }

  /** Sends a request and resolves with the first reply of type `reply` (workers answer in order). */
  async ask<T extends ToParent['type']> (message: ToWorker, reply: T): Promise<Extract<ToParent, { type: T }>> {
    const answer = new Promise<ToParent>((resolve) => { this.waiting.push({ type: reply, resolve }) })
    this.child.send(message)
    return await answer as Extract<ToParent, { type: T }>
  }
}

const random = seededRandom(200)
const workers = Array.from({ length: PROCS }, () => new Worker())
const workerOf = (index: number): Worker => workers[index % PROCS]!
const addresses: string[] = []
/** PeerId → node index, to name peers in traces. */
const indexOf = new Map<string, number>()
/** CROWD_TRACE=1: what the stems did with the posts (see crowd-worker.ts traceStem). */
const traces: Array<Extract<ToParent, { type: 'trace' }>> = []
/** CROWD_PROFILE=dir: every worker writes a CPU profile per phase there (bench/lib/crowd-profile.ts reads them). */
const PROFILE = process.env.CROWD_PROFILE
if (PROFILE !== undefined) mkdirSync(PROFILE, { recursive: true })

/** Ends a profiled phase in every worker (no-op without CROWD_PROFILE). */
async function profilePhase (phase: string): Promise<void> {
  if (PROFILE === undefined) return
  const files = await Promise.all(workers.map(async (w) => w.ask({ type: 'profile', phase }, 'profiled')))
  console.log(`profiles of ${phase}: ${files.map((f) => f.file).join(' ')}`)
}

/** Prints what every stem did with post `id` (hex) within `window` ms of `start`, and stem write failures meanwhile at the nodes it passed. */
function printTrace (id: string, start: number, window: number): void {
  const name = (text: string): string => text.replace(/12D3\w+/g, (peer) => `#${indexOf.get(peer) ?? '?'}`)
  const mine = traces.filter((t) => t.id === id)
  const nodes = new Set(mine.map((t) => t.index))
  const seen = mine.filter((t) => t.what === 'seen in gossip').length
  const lines = traces.filter((t) => t.at >= start && t.at <= start + window && ((t.id === id && t.what !== 'seen in gossip') || (t.id === '-' && nodes.has(t.index))))
  console.log(`  stem trace (${seen} nodes saw it in gossip):\n` + lines.map((t) => `    +${((t.at - start) / 1000).toFixed(1)} s #${t.index} ${name(t.what)}`).join('\n'))
}

/** What the host did during one phase of the run: CPU per node, event-loop delay, churn. */
interface PhaseLoad {
  name: string
  seconds: number
  /** CPU of every process ÷ nodes ÷ wall time, in ms per node per second. */
  cpuPerNode: number
  /** Cores busy on average (all processes). */
  cores: number
  /** Worst event-loop delay p99 and max over the phase's status reads and processes, in ms. */
  lagP99: number
  lagMax: number
  /** Connections opened per node per second. */
  openedPerNode: number
}

/** Accumulates the status reads of the phase under way (see {@link PhaseLoad}). */
class PhaseMeter {
  private cpuAt = 0
  private since = performance.now()
  private lagP99 = 0
  private lagMax = 0
  private opened = 0
  readonly done: PhaseLoad[] = []
  private name: string

  constructor (name: string) {
    this.name = name
  }

  /** Counts one status read into the phase. */
  read (all: Status[]): void {
    this.lagP99 = Math.max(this.lagP99, ...all.map((s) => s.lagP99))
    this.lagMax = Math.max(this.lagMax, ...all.map((s) => s.lagMax))
    this.opened += all.reduce((sum, s) => sum + s.opened, 0)
  }

  /** Ends the phase at a status read (its CPU total is the phase's end) and starts `next`. */
  end (all: Status[], next: string): PhaseLoad {
    this.read(all)
    const cpu = all.reduce((sum, s) => sum + s.cpuTotal, 0)
    const seconds = (performance.now() - this.since) / 1000
    const load: PhaseLoad = {
      name: this.name,
      seconds,
      cpuPerNode: (cpu - this.cpuAt) / SIZE / seconds,
      cores: (cpu - this.cpuAt) / 1000 / seconds,
      lagP99: this.lagP99,
      lagMax: this.lagMax,
      openedPerNode: this.opened / SIZE / seconds
    }
    this.done.push(load)
    console.log(`phase ${load.name}: ${seconds.toFixed(0)} s, CPU ${load.cpuPerNode.toFixed(1)} ms per node per second ` +
      `(${load.cores.toFixed(2)} of ${cpus().length} cores), event-loop delay p99 ${load.lagP99.toFixed(0)} ms, max ${load.lagMax.toFixed(0)} ms, ` +
      `${load.openedPerNode.toFixed(2)} connections opened per node per second`)
    Object.assign(this, { name: next, cpuAt: cpu, since: performance.now(), lagP99: 0, lagMax: 0, opened: 0 })
    return load
  }
}

/** Status of every worker, summed up, printed, and counted into the phase under way. */
async function status (label: string): Promise<Status[]> {
  const all = await Promise.all(workers.map(async (w) => w.ask({ type: 'status' }, 'status')))
  const inChannel = all.reduce((sum, s) => sum + s.inChannel, 0)
  const connections = all.flatMap((s) => s.connections)
  const outbound = all.flatMap((s) => s.outbound)
  const channelPeers = all.flatMap((s) => s.channelPeers)
  const streams: Record<string, number> = {}
  for (const s of all) for (const [protocol, count] of Object.entries(s.streams)) streams[protocol] = (streams[protocol] ?? 0) + count
  const cores = all.reduce((sum, s) => sum + s.cpuShare, 0)
  const duplicates = all.reduce((sum, s) => sum + s.connections.reduce((a, b) => a + b, 0) - s.peers.reduce((a, b) => a + b, 0), 0)
  console.log(`${label}: ${inChannel}/${connections.length} nodes with a channel peer; connections median ${median(connections)} max ${Math.max(...connections)} ` +
    `(${duplicates} beyond one per peer) ` +
    `(outbound ${median(outbound)}), opened ${all.reduce((sum, s) => sum + s.opened, 0)} closed ${all.reduce((sum, s) => sum + s.closed, 0)} since the last read; ` +
    `channel peers median ${median(channelPeers)} min ${Math.min(...channelPeers)}; ` +
    `CPU ${(cores * 1000 / connections.length).toFixed(1)} ms per node per second (${cores.toFixed(2)} cores); ` +
    `event-loop delay p50/p99/max per process ${all.map((s) => `${s.lagP50.toFixed(0)}/${s.lagP99.toFixed(0)}/${s.lagMax.toFixed(0)}`).join(' ')} ms`)
  const pairs = all.flatMap((s) => s.duplicates)
  if (pairs.length > 0 && process.env.CROWD_STREAMS === '1') console.log(`  duplicate connections, e.g.: ${pairs.slice(0, 4).join('; ')}`)
  const alone = all.flatMap((s) => s.alone)
  if (alone.length > 0) console.log(`  alone (${alone.length}${alone.length > 20 ? ', the first 20' : ''}): ${alone.slice(0, 20).join('; ')}`)
  if (process.env.CROWD_STREAMS === '1') {
    console.log(`  open streams: ${Object.entries(streams).sort((a, b) => b[1] - a[1]).map(([p, c]) => `${p} ${c}`).join(', ')}`)
  }
  meter.read(all)
  return all
}

const meter = new PhaseMeter('start')
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(0)} s`
const started = performance.now()
try {
  // node 0 first, alone; then batches of one node per process, each node bootstrapping from three nodes
  // started before its batch (a first batch of PROCS nodes had none: 8 nodes with no way in, one of
  // which nobody happened to dial stayed alone for good)
  for (let batch = 0; batch < SIZE; batch += batch === 0 ? 1 : PROCS) {
    const known = addresses.length
    await Promise.all(Array.from({ length: batch === 0 ? 1 : Math.min(PROCS, SIZE - batch) }, async (_, k) => {
      const index = batch + k
      const bootstrap = new Set<string>()
      while (known > 0 && bootstrap.size < Math.min(known, BOOTSTRAP_PEERS)) {
        bootstrap.add(addresses[Math.floor(random() * known)]!)
      }
      const reply = await workerOf(index).ask({ type: 'start', index, bootstrap: [...bootstrap], stem: STEM }, 'started')
      addresses[index] = reply.address
      indexOf.set(reply.peerId, index)
    }))
    if (addresses.length % (10 * PROCS) === 1) console.log(`${elapsed()}: ${addresses.length}/${SIZE} nodes started`)
  }
  await profilePhase('start')
  console.log(`${SIZE} nodes started in ${PROCS} processes after ${((performance.now() - started) / 1000).toFixed(1)} s`)
  meter.end(await status(elapsed()), 'forming')
  // every node with a channel peer, or the formation wait is over: the posts go out either way, and a
  // node left alone counts as undelivered (the figure says what happened, the note why)
  let formed: number | undefined
  let inChannel = 0
  let last: Status[]
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 5_000))
    last = await status(elapsed())
    inChannel = last.reduce((sum, s) => sum + s.inChannel, 0)
    if (inChannel === SIZE) formed = performance.now() - started
    if (formed !== undefined || performance.now() - started > FORMATION) break
  }
  console.log(formed === undefined
    ? `${inChannel}/${SIZE} nodes had a channel peer after the ${FORMATION / 1000} s formation wait; posting anyway`
    : `${SIZE} nodes on 127.0.0.1 in the channel after ${(formed / 1000).toFixed(1)} s`)
  const forming = meter.end(last, 'idle')
  await profilePhase('forming')
  // CROWD_IDLE=s: status every 5 s for that long before posting, to read what idle nodes cost in CPU
  let idle: PhaseLoad | undefined
  const idleSeconds = Number(process.env.CROWD_IDLE ?? 0)
  for (let left = idleSeconds * 1000; left > 0; left -= 5_000) {
    await new Promise((resolve) => setTimeout(resolve, 5_000))
    last = await status('idle')
  }
  if (idleSeconds > 0) {
    idle = meter.end(last, 'posting')
    await profilePhase('idle')
  } else {
    Object.assign(meter, { name: 'posting' })
  }

  const fullTimes: number[] = []
  // the first other node to get a post: how long the stem held it before it was published
  const firstTimes: number[] = []
  /** (post, node other than its author) pairs delivered within the window. */
  let delivered = 0
  const unreached: string[] = []
  for (let p = 0; p < POSTS; p++) {
    const body = `crowd bench ${p}`
    const author = Math.floor(random() * SIZE)
    const have = new Set<number>([author])
    let first: number | undefined
    let lastAt = 0
    let everyone = (): void => {}
    const all = new Promise<'all'>((resolve) => { everyone = () => { resolve('all') } })
    const start = performance.timeOrigin + performance.now()
    for (const worker of workers) {
      worker.onDelivered = (message) => {
        if (message.body !== body || have.has(message.index)) return
        have.add(message.index)
        first ??= message.at - start
        lastAt = Math.max(lastAt, message.at - start)
        if (have.size === SIZE) everyone()
      }
    }
    const posted = await workerOf(author).ask({ type: 'post', index: author, body }, 'posted')
    let timer: ReturnType<typeof setTimeout> | undefined
    const outcome = await Promise.race([all, new Promise<'window'>((resolve) => { timer = setTimeout(() => { resolve('window') }, WINDOW) })])
    clearTimeout(timer)
    if (outcome === 'all') fullTimes.push(lastAt)
    delivered += have.size - 1
    if (have.size === 1) unreached.push(`post ${p} (${posted.status}, author with ${posted.channelPeers} channel peers)`)
    console.log(`post ${p} (${posted.status}; author ${author} had ${posted.channelPeers} channel peers): first node after ${first?.toFixed(0) ?? '-'} ms, ` +
      `${have.size - 1}/${SIZE - 1} other nodes${outcome === 'all' ? ` in ${lastAt.toFixed(0)} ms` : ` within ${WINDOW / 1000} s`}`)
    if (first !== undefined) firstTimes.push(first)
    if (process.env.CROWD_TRACE === '1') printTrace(posted.id, start, WINDOW)
  }
  const posting = meter.end(await status('after the posts'), 'done')
  await profilePhase('posting')
  const ratio = delivered / ((SIZE - 1) * POSTS)
  // the host, in numbers: a saturated host or a lagging loop says the figure measures the machine too
  const saturated = [forming, posting].some((phase) => phase.cores > 0.9 * cpus().length || phase.lagP99 > 1_000)
  const host = `forming: ${forming.cpuPerNode.toFixed(0)} ms CPU per node per second = ${forming.cores.toFixed(2)} of ${cpus().length} cores, ` +
    `event-loop delay p99 ${(forming.lagP99 / 1000).toFixed(1)} s; posting: ${posting.cpuPerNode.toFixed(0)} ms per node per second = ${posting.cores.toFixed(2)} cores, ` +
    `p99 ${(posting.lagP99 / 1000).toFixed(1)} s${saturated ? '; the host was saturated: the figure measures the machine as much as Murmur' : ''}`
  const note = `${PROCS} process${PROCS === 1 ? '' : 'es'} on one host, all nodes on 127.0.0.1; ` +
    (formed === undefined ? `${inChannel}/${SIZE} nodes had a channel peer after ${FORMATION / 1000} s` : `all ${SIZE} had a channel peer after ${(formed / 1000).toFixed(0)} s`) +
    `; ${host}` + (unreached.length > 0 ? `; reached no other node: ${unreached.join(', ')}` : '')
  const figures: Figure[] = [{ figure: `delivery_ratio_one_ip_n${SIZE}`, value: ratio, unit: 'ratio', target: '1.0', note }]
  // times to full delivery only when every post got there (a missing post has no time)
  if (fullTimes.length === POSTS) {
    figures.push(
      { figure: `full_delivery_median_ms_one_ip_n${SIZE}`, value: median(fullTimes), unit: 'ms' },
      { figure: `full_delivery_max_ms_one_ip_n${SIZE}`, value: Math.max(...fullTimes), unit: 'ms' }
    )
  }
  if (firstTimes.length > 0) figures.push({ figure: `first_delivery_median_ms_one_ip_n${SIZE}`, value: median(firstTimes), unit: 'ms' })
  if (formed !== undefined) figures.push({ figure: `network_formed_s_one_ip_n${SIZE}`, value: formed / 1000, unit: 's', note })
  figures.push(
    { figure: `nodes_with_channel_peer_one_ip_n${SIZE}`, value: inChannel, unit: 'nodes', note: `when the posting began (${(FORMATION / 1000).toFixed(0)} s wait at most)` },
    { figure: `cpu_ms_per_node_s_forming_one_ip_n${SIZE}`, value: forming.cpuPerNode, unit: 'ms/s', note: `${forming.cores.toFixed(2)} of ${cpus().length} cores over ${forming.seconds.toFixed(0)} s` },
    ...(idle === undefined ? [] : [{ figure: `cpu_ms_per_node_s_idle_one_ip_n${SIZE}`, value: idle.cpuPerNode, unit: 'ms/s', note: `${idle.cores.toFixed(2)} cores over ${idle.seconds.toFixed(0)} s` }]),
    { figure: `cpu_ms_per_node_s_posting_one_ip_n${SIZE}`, value: posting.cpuPerNode, unit: 'ms/s', note: `${posting.cores.toFixed(2)} of ${cpus().length} cores over ${posting.seconds.toFixed(0)} s` },
    { figure: `event_loop_delay_p99_ms_forming_one_ip_n${SIZE}`, value: forming.lagP99, unit: 'ms', note: `worst process; max ${forming.lagMax.toFixed(0)} ms` },
    { figure: `event_loop_delay_p99_ms_posting_one_ip_n${SIZE}`, value: posting.lagP99, unit: 'ms', note: `worst process; max ${posting.lagMax.toFixed(0)} ms` }
  )
  writeResults('crowd', figures, { phases: meter.done })
} finally {
  await Promise.allSettled(workers.map(async (w) => w.child.connected ? w.ask({ type: 'stop' }, 'stopped') : undefined))
  for (const w of workers) w.child.kill()
}
