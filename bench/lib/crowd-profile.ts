// Where a crowd node's CPU goes: reads the .cpuprofile files that `CROWD_PROFILE=dir npm exec -- node
// bench/crowd.ts` writes (one per worker process and phase) and prints the main thread's CPU time by
// subsystem, by package, and the heaviest functions.
// `npm exec -- node bench/lib/crowd-profile.ts <file.cpuprofile>...` (several files of one phase add up).
import { readFileSync } from 'node:fs'

interface CallFrame { functionName: string, url: string, lineNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame, children?: number[] }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

/**
 * Subsystems, each recognised by a frame on the sample's stack (the first rule that matches any frame,
 * in this order, takes the sample): what a node was doing when the CPU was spent.
 */
const SUBSYSTEMS: Array<[string, RegExp]> = [
  ['murmur: rendezvous + provider lookup', /node\/dist\/src\/(rendezvous|provider-lookup)\.js/],
  ['murmur: discovery dialer', /node\/dist\/src\/discovery\.js/],
  ['murmur: history sync', /node\/dist\/src\/sync\//],
  ['murmur: stem', /node\/dist\/src\/stem\//],
  ['murmur: membership', /node\/dist\/src\/(membership\/|node-membership)/],
  ['murmur: intake / store / verify pool', /node\/dist\/src\/(intake|store\/|verify\/|own-posts|outbound|local-reads|in-stem)/],
  ['murmur: corroboration / senders / clock', /node\/dist\/src\/(corroboration|sender-groups|clock-skew)/],
  ['murmur: inbound share / gater', /node\/dist\/src\/(inbound-share|libp2p)\.js/],
  ['kad-dht: routing table / refresh', /kad-dht\/dist\/src\/(routing-table|k-bucket)/],
  ['kad-dht: queries', /kad-dht\/dist\/src\/(query|peer-routing|content-routing|query-self)/],
  ['kad-dht: rpc handlers / providers', /kad-dht\/dist\/src\/(rpc|providers|reprovider)/],
  ['kad-dht: other', /kad-dht/],
  ['gossipsub: heartbeat', /gossipsub\/dist\/src\/.*(heartbeat|score)/i],
  ['gossipsub', /gossipsub/],
  ['identify', /@libp2p\/identify/],
  ['ping / connection monitor', /@libp2p\/ping|connection-monitor/],
  ['noise (handshake + encryption)', /libp2p-noise|@noble\/(ciphers|curves)|@chainsafe\/as-chacha20poly1305|@chainsafe\/as-sha256/],
  ['yamux', /libp2p-yamux/],
  ['multistream-select', /multistream-select/],
  ['libp2p: dialer / connection manager', /libp2p\/dist\/src\/connection-manager/],
  ['libp2p: upgrader / connection', /libp2p\/dist\/src\/(upgrader|connection)/],
  ['peer-store', /peer-store|datastore|it-|interface-datastore/],
  ['libp2p other', /@libp2p|libp2p\/dist/],
  ['tcp / net', /@libp2p\/tcp|node:net|node:internal\/(net|stream_base)/],
  ['GC', /^$/]
]

/** The npm package (or node internal area) of a script URL. */
function packageOf (url: string): string {
  if (url === '') return '(native / vm)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  const own = /packages\/(\w+)\/dist/.exec(url)
  if (own !== null) return `@murmur/${own[1]}`
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/')
  return url
}

const files = process.argv.slice(2)
if (files.length === 0) {
  console.error('usage: crowd-profile.ts <file.cpuprofile>...')
  process.exit(2)
}

const bySubsystem = new Map<string, number>()
const byPackage = new Map<string, number>()
const byFunction = new Map<string, number>()
let total = 0
let wall = 0
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  wall += (profile.endTime - profile.startTime) / 1e3
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  // the subsystem of each node, decided once (its stack is the chain of parents)
  const subsystemOf = new Map<number, string>()
  const classify = (id: number): string => {
    const known = subsystemOf.get(id)
    if (known !== undefined) return known
    const urls: string[] = []
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) urls.push(nodes.get(at)!.callFrame.url)
    const leaf = nodes.get(id)!.callFrame
    let name = leaf.functionName === '(garbage collector)' ? 'GC' : leaf.functionName === '(idle)' || leaf.functionName === '(program)' ? leaf.functionName : undefined
    name ??= SUBSYSTEMS.find(([, pattern]) => pattern.source !== '^$' && urls.some((url) => pattern.test(url)))?.[0] ?? 'other'
    subsystemOf.set(id, name)
    return name
  }
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1e3
    const node = nodes.get(id)!
    const subsystem = classify(id)
    if (subsystem === '(idle)') continue
    total += dt
    bySubsystem.set(subsystem, (bySubsystem.get(subsystem) ?? 0) + dt)
    const pkg = packageOf(node.callFrame.url)
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt)
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${pkg}:${node.callFrame.lineNumber + 1}`
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt)
  }
}

const table = (title: string, map: Map<string, number>, rows: number): void => {
  console.log(`\n${title}`)
  for (const [name, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
    console.log(`${(ms / 1000).toFixed(1).padStart(8)} s ${(100 * ms / total).toFixed(1).padStart(5)} %  ${name}`)
  }
}
console.log(`${files.length} profile(s): ${(wall / 1000).toFixed(0)} s of wall time, ${(total / 1000).toFixed(1)} s busy on the main thread (${(100 * total / wall).toFixed(0)} %)`)
table('by subsystem (the first rule matching a frame of the stack)', bySubsystem, 30)
table('by package (self time)', byPackage, 25)
table('heaviest functions (self time)', byFunction, 30)
