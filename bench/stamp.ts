// Issue 13: what a member stamp costs. One Argon2id evaluation at the real parameters (64 MiB, one pass,
// libsodium's WASM as the node and the browser run it), the expected minting time (evaluation × 2^bits:
// minting is a lottery), real mints at a reduced difficulty to show the lottery matches its expectation,
// verification, and the attacker's price per identity with the fastest native Argon2id this machine has (an
// N-API package, loaded only here). `npm exec -- node bench/stamp.ts [--quick] [--no-write]`; under 3 minutes.
// The native packages are looked up from this project, or from MURMUR_NATIVE_ARGON2_DIR (a folder whose
// node_modules holds @node-rs/argon2, argon2 or sodium-native).
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { STAMP_BITS, STAMP_MEMLIMIT, STAMP_OPSLIMIT, generateAuthorKey, mintStamp, ready, stampHash, verifyStamp, weekOf } from '@murmur/protocol'
import type { Stamp } from '@murmur/protocol'
import { median, medianFigure, writeResults } from './lib/results.ts'
import type { Figure } from './lib/results.ts'
import type Sodium from 'libsodium-wrappers-sumo'
import type { BrowserType } from 'playwright-core'

// libsodium's WASM before the first key or hash (@murmur/protocol awaits nothing at import)
await ready()

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, 'no-write': { type: 'boolean', default: false } } })
const QUICK = values.quick
const EVALUATIONS = QUICK ? 5 : 15
const LOTTERY_BITS = 4
const LOTTERY_MINTS = QUICK ? 4 : 32
const NOW = Math.floor(Date.now() / 1000)
const WEEK = weekOf(NOW)
const EXPECTED = 2 ** STAMP_BITS

/**
 * CPU milliseconds (user + system of this process, worker threads included) of each call of `fn`, `count`
 * times after one warm-up call, and the wall-clock milliseconds beside them. CPU time is the core-time a call
 * costs whatever else the machine runs; on an idle machine the two agree.
 */
async function timeEach (count: number, fn: (i: number) => unknown): Promise<{ cpu: number[], wall: number[] }> {
  await fn(-1)
  const cpu: number[] = []
  const wall: number[] = []
  for (let i = 0; i < count; i++) {
    const usage = process.cpuUsage()
    const start = performance.now()
    await fn(i)
    wall.push(performance.now() - start)
    const { user, system } = process.cpuUsage(usage)
    cpu.push((user + system) / 1000)
  }
  return { cpu, wall }
}

const wallNote = (times: { wall: number[] }): string => `wall-clock median ${median(times.wall).toFixed(1)} ms`

const key = generateAuthorKey()
const stampOf = (nonce: number): Stamp => ({ memberKey: key.publicKey, week: WEEK, nonce: nonce + 1_000_000 })

// 1. one evaluation as nodes and browsers run it (libsodium WASM)
const evalMs = await timeEach(EVALUATIONS, (i) => stampHash(stampOf(i)))
const evalMedian = median(evalMs.cpu)

// 2. verification: a genuine stamp (mined at the reduced difficulty, verified at it: the same one evaluation)
const lotteryKey = generateAuthorKey()
const mintAttempts: number[] = []
const mintSeconds: number[] = []
const mintCpuSeconds: number[] = []
let genuine: Stamp | undefined
for (let i = 0; i < LOTTERY_MINTS; i++) {
  let attempts = 0
  const start = performance.now()
  const usage = process.cpuUsage()
  const stamp = await mintStamp({ memberKey: lotteryKey.publicKey, week: WEEK - i, bits: LOTTERY_BITS, onProgress: (p) => { attempts = p.attempts } })
  mintSeconds.push((performance.now() - start) / 1000)
  const { user, system } = process.cpuUsage(usage)
  mintCpuSeconds.push((user + system) / 1e6)
  mintAttempts.push(attempts)
  if (stamp.week === WEEK) genuine = stamp
}
const verifyMs = await timeEach(EVALUATIONS, () => {
  if (!verifyStamp(genuine!, { now: NOW, bits: LOTTERY_BITS }).ok) throw new Error('a minted stamp does not verify')
})
const meanAttempts = mintAttempts.reduce((a, b) => a + b, 0) / mintAttempts.length
// real mints scaled to the real difficulty: seconds per evaluation × evaluations, rescaled by 2^(bits − reduced)
const scaledMintS = mintCpuSeconds.map((s) => s * 2 ** (STAMP_BITS - LOTTERY_BITS))

// 3. the attacker: the fastest native Argon2id available (single thread, same parameters)
type Native = { name: string, hash: (password: Buffer, salt: Buffer) => Promise<unknown> | unknown }
function nativeImplementations (): Native[] {
  const requires = [createRequire(import.meta.url)]
  const dir = process.env.MURMUR_NATIVE_ARGON2_DIR
  if (dir !== undefined) requires.push(createRequire(join(dir, 'package.json')))
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- optional packages without installed types
  const load = (name: string): any => {
    for (const req of requires) {
      try {
        return req(name)
      } catch {
        // not installed there: try the next place
      }
    }
    return undefined
  }
  const found: Native[] = []
  const nodeRs = load('@node-rs/argon2')
  if (nodeRs !== undefined) {
    found.push({ name: '@node-rs/argon2', hash: (password, salt) => nodeRs.hashRawSync(password, { algorithm: 2, timeCost: STAMP_OPSLIMIT, memoryCost: STAMP_MEMLIMIT / 1024, parallelism: 1, outputLen: 32, salt }) })
  }
  const argon2 = load('argon2')
  if (argon2 !== undefined) {
    found.push({ name: 'argon2', hash: async (password, salt) => argon2.hash(password, { raw: true, type: argon2.argon2id, timeCost: STAMP_OPSLIMIT, memoryCost: STAMP_MEMLIMIT / 1024, parallelism: 1, hashLength: 32, salt }) })
  }
  const sodiumNative = load('sodium-native')
  if (sodiumNative !== undefined) {
    const out = Buffer.alloc(32)
    found.push({ name: 'sodium-native', hash: (password, salt) => sodiumNative.crypto_pwhash(out, password, salt, STAMP_OPSLIMIT, STAMP_MEMLIMIT, sodiumNative.crypto_pwhash_ALG_ARGON2ID13) })
  }
  return found
}

// 4. a browser tab: the same libsodium WASM in Debian's Chromium (headless), when it is there. Wall-clock
// only (a page has no CPU clock), so the browser figure is the node's CPU time × the browser/node wall ratio,
// both measured here in alternation.
async function browserEvalMs (): Promise<{ browser: number[], node: number[] } | undefined> {
  let chromium: BrowserType
  try {
    ({ chromium } = await import('playwright-core'))
  } catch {
    return undefined
  }
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'], timeout: 30_000 }).catch(() => undefined)
  if (browser === undefined) return undefined
  try {
    const page = await browser.newPage()
    const require = createRequire(import.meta.url)
    await page.addScriptTag({ path: require.resolve('libsodium-sumo') })
    await page.addScriptTag({ path: require.resolve('libsodium-wrappers-sumo') })
    const evaluate = async (i: number): Promise<number> => page.evaluate(async ({ i, memlimit, opslimit }) => {
      const sodium = (globalThis as unknown as { sodium: typeof Sodium }).sodium
      await sodium.ready
      const start = performance.now()
      sodium.crypto_pwhash(32, new Uint8Array([i & 0xff, i >> 8]), new Uint8Array(16), opslimit, memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13)
      return performance.now() - start
    }, { i, memlimit: STAMP_MEMLIMIT, opslimit: STAMP_OPSLIMIT })
    await evaluate(0)
    const browserMs: number[] = []
    const nodeMs: number[] = []
    for (let i = 1; i <= EVALUATIONS; i++) {
      browserMs.push(await evaluate(i))
      nodeMs.push((await timeEach(1, () => stampHash(stampOf(i + 500)))).wall[0]!)
    }
    return { browser: browserMs, node: nodeMs }
  } finally {
    await browser.close()
  }
}
const tab = await browserEvalMs().catch((err: unknown) => { console.log(`browser figure not measured: ${String(err)}`) })

const natives: Array<{ name: string, ms: number[], wall: number[] }> = []
for (const native of nativeImplementations()) {
  const salt = Buffer.alloc(16, 7)
  const times = await timeEach(EVALUATIONS, async (i) => native.hash(Buffer.from(`murmur/v2/stamp ${i}`), salt))
  natives.push({ name: native.name, ms: times.cpu, wall: times.wall })
}
natives.sort((a, b) => median(a.ms) - median(b.ms))
const fastest = natives[0]

const figures: Figure[] = [
  medianFigure({ figure: 'stamp_eval_ms_node', unit: 'cpu-ms', note: `one Argon2id evaluation, ${STAMP_MEMLIMIT / 2 ** 20} MiB, ${STAMP_OPSLIMIT} pass, libsodium WASM (what nodes and browsers run); ${wallNote(evalMs)}` }, evalMs.cpu),
  { figure: 'stamp_expected_evaluations', value: EXPECTED, unit: 'evaluations', note: `2^${STAMP_BITS}` },
  { figure: 'stamp_mint_s_node', value: evalMedian * EXPECTED / 1000, unit: 'core-s', target: '≈ 60', note: 'expected: stamp_eval_ms_node × 2^bits; a single mint is a lottery (exponential: median 0.69×, 5 % of mints take 3× or more)' },
  medianFigure({ figure: 'stamp_mint_s_node_lottery_scaled', unit: 'core-s', note: `${LOTTERY_MINTS} real mints at ${LOTTERY_BITS} bits, CPU seconds × 2^${STAMP_BITS - LOTTERY_BITS} (mean ${(scaledMintS.reduce((a, b) => a + b, 0) / scaledMintS.length).toFixed(1)}): the median of an exponential is 0.69 × its mean` }, scaledMintS),
  { figure: 'stamp_lottery_mean_attempts_ratio', value: meanAttempts / 2 ** LOTTERY_BITS, unit: 'ratio', target: '≈ 1', note: `mean evaluations of ${LOTTERY_MINTS} mints at ${LOTTERY_BITS} bits ÷ 2^${LOTTERY_BITS}: ${mintAttempts.join(', ')}` },
  medianFigure({ figure: 'stamp_verify_ms', unit: 'cpu-ms', note: `verifyStamp of a genuine stamp: one evaluation; ${wallNote(verifyMs)}` }, verifyMs.cpu)
]
if (tab !== undefined) {
  const ratio = median(tab.browser) / median(tab.node)
  figures.push(
    medianFigure({ figure: 'stamp_eval_ms_browser', unit: 'ms', note: `headless Chromium tab, wall clock, alternating with node (node wall median ${median(tab.node).toFixed(1)} ms)` }, tab.browser),
    { figure: 'stamp_mint_s_browser', value: evalMedian * ratio * EXPECTED / 1000, unit: 'core-s', target: '≈ 180', note: `expected: stamp_eval_ms_node × browser/node wall ratio ${ratio.toFixed(2)} × 2^${STAMP_BITS}; mint in a Worker (hidden tabs throttle timers)` }
  )
} else {
  console.log('no Chromium (/usr/bin/chromium with playwright-core): stamp_mint_s_browser not measured')
}
if (fastest !== undefined) {
  const nativeMedian = median(fastest.ms)
  figures.push(
    medianFigure({ figure: 'stamp_eval_ms_native', unit: 'cpu-ms', note: `fastest native Argon2id here: ${fastest.name}; all (CPU ms): ${natives.map((n) => `${n.name} ${median(n.ms).toFixed(1)}`).join(', ')}; ${wallNote(fastest)}` }, fastest.ms),
    { figure: 'stamp_mint_core_s_native', value: nativeMedian * EXPECTED / 1000, unit: 'core-s', note: 'what one stamped identity-week costs an attacker at native speed (expected)' },
    { figure: 'stamp_native_speedup', value: evalMedian / nativeMedian, unit: 'ratio', note: 'WASM evaluation ÷ native evaluation' }
  )
} else {
  console.log('no native Argon2id package found (@node-rs/argon2, argon2, sodium-native): stamp_eval_ms_native not measured; set MURMUR_NATIVE_ARGON2_DIR')
}
console.log(`load average while measuring: ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`)
writeResults('stamp', figures)
