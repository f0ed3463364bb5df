// A crowd behind one address (issue 12, Critical): N real nodes on 127.0.0.1 (TCP over loopback), each
// bootstrapping from three others and meeting the rest through the DHT topic rendezvous, everything else
// as shipped (stem, history sync, scoring, discovery bounds). Posts from random authors; for each, the
// time until every node has it, and the share of (node, post) pairs delivered within the window.
// The nodes run in CROWD_PROCS worker processes (bench/lib/crowd-worker.ts; node i in process i mod P),
// all behind the one address: a real crowd has one event loop per machine, not one for 200 nodes.
// `npm exec -- node bench/crowd.ts [--quick]`: 200 nodes in 8 processes, or 30 in 2 with --quick
// (CROWD_NODES and CROWD_PROCS override; CROWD_PROCS=1 is the one-process run; CROWD_STEM=0 turns the
// stem off, to tell the stem's share of the delay from the gossip's; CROWD_IDLE=s prints status for s
// seconds before posting, to read what idle nodes cost in CPU).
import { fork } from 'node:child_process'
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
/** How long every node may take to have a peer in the channel. */
const FORMATION = 600_000
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

/** Status of every worker, summed up and printed. */
async function status (label: string): Promise<Status[]> {
  const all = await Promise.all(workers.map(async (w) => w.ask({ type: 'status' }, 'status')))
  const inChannel = all.reduce((sum, s) => sum + s.inChannel, 0)
  const connections = all.flatMap((s) => s.connections)
  const outbound = all.flatMap((s) => s.outbound)
  const channelPeers = all.flatMap((s) => s.channelPeers)
  console.log(`${label}: ${inChannel}/${connections.length} nodes with a channel peer; connections median ${median(connections)} ` +
    `(outbound ${median(outbound)}), channel peers median ${median(channelPeers)} min ${Math.min(...channelPeers)}; ` +
    `CPU ${(all.reduce((sum, s) => sum + s.cpuShare, 0) * 1000 / connections.length).toFixed(1)} ms per node per second (all processes ${all.reduce((sum, s) => sum + s.cpuShare, 0).toFixed(2)} cores); ` +
    `event-loop delay p50/p99/max per process ${all.map((s) => `${s.lagP50.toFixed(0)}/${s.lagP99.toFixed(0)}/${s.lagMax.toFixed(0)}`).join(' ')} ms`)
  return all
}

const started = performance.now()
try {
  // started in batches of one node per process; each bootstraps from three nodes of earlier batches
  for (let batch = 0; batch < SIZE; batch += PROCS) {
    const known = addresses.length
    await Promise.all(Array.from({ length: Math.min(PROCS, SIZE - batch) }, async (_, k) => {
      const index = batch + k
      const bootstrap = new Set<string>()
      while (known > 0 && bootstrap.size < Math.min(known, BOOTSTRAP_PEERS)) {
        bootstrap.add(addresses[Math.floor(random() * known)]!)
      }
      const reply = await workerOf(index).ask({ type: 'start', index, bootstrap: [...bootstrap], stem: STEM }, 'started')
      addresses[index] = reply.address
    }))
  }
  console.log(`${SIZE} nodes started in ${PROCS} processes after ${((performance.now() - started) / 1000).toFixed(1)} s`)
  // every node with a channel peer, or the formation wait is over: the posts go out either way, and a
  // node left alone counts as undelivered (the figure says what happened, the note why)
  let formed: number | undefined
  let inChannel = 0
  for (;;) {
    const all = await status(`${((performance.now() - started) / 1000).toFixed(0)} s`)
    inChannel = all.reduce((sum, s) => sum + s.inChannel, 0)
    if (inChannel === SIZE) formed = performance.now() - started
    if (formed !== undefined || performance.now() - started > FORMATION) break
    await new Promise((resolve) => setTimeout(resolve, 5_000))
  }
  console.log(formed === undefined
    ? `${inChannel}/${SIZE} nodes had a channel peer after the ${FORMATION / 1000} s formation wait; posting anyway`
    : `${SIZE} nodes on 127.0.0.1 in the channel after ${(formed / 1000).toFixed(1)} s`)
  // CROWD_IDLE=s: status every 5 s for that long before posting, to read what idle nodes cost in CPU
  for (let idle = Number(process.env.CROWD_IDLE ?? 0) * 1000; idle > 0; idle -= 5_000) {
    await new Promise((resolve) => setTimeout(resolve, 5_000))
    await status('idle')
  }

  const fullTimes: number[] = []
  // the first other node to get a post: how long the stem held it before it was published
  const firstTimes: number[] = []
  let delivered = 0
  for (let p = 0; p < POSTS; p++) {
    const body = `crowd bench ${p}`
    const author = Math.floor(random() * SIZE)
    const have = new Set<number>([author])
    let first: number | undefined
    let last = 0
    let everyone = (): void => {}
    const all = new Promise<'all'>((resolve) => { everyone = () => { resolve('all') } })
    const start = performance.timeOrigin + performance.now()
    for (const worker of workers) {
      worker.onDelivered = (message) => {
        if (message.body !== body || have.has(message.index)) return
        have.add(message.index)
        first ??= message.at - start
        last = Math.max(last, message.at - start)
        if (have.size === SIZE) everyone()
      }
    }
    const posted = await workerOf(author).ask({ type: 'post', index: author, body }, 'posted')
    let timer: ReturnType<typeof setTimeout> | undefined
    const outcome = await Promise.race([all, new Promise<'window'>((resolve) => { timer = setTimeout(() => { resolve('window') }, WINDOW) })])
    clearTimeout(timer)
    if (outcome === 'all') fullTimes.push(last)
    delivered += have.size
    console.log(`post ${p} (${posted.status}): first node after ${first?.toFixed(0) ?? '-'} ms, ${have.size}/${SIZE} nodes${outcome === 'all' ? ` in ${last.toFixed(0)} ms` : ` within ${WINDOW / 1000} s`}`)
    if (first !== undefined) firstTimes.push(first)
  }
  await status('after the posts')
  const ratio = delivered / (SIZE * POSTS)
  const note = `${PROCS} process${PROCS === 1 ? '' : 'es'} on one host, all nodes on 127.0.0.1` +
    (formed === undefined ? `; ${inChannel}/${SIZE} nodes had a channel peer after ${FORMATION / 1000} s` : '')
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
  writeResults('crowd', figures)
} finally {
  await Promise.allSettled(workers.map(async (w) => w.child.connected ? w.ask({ type: 'stop' }, 'stopped') : undefined))
  for (const w of workers) w.child.kill()
}
