/**
 * Runs one chaos scenario at its quick or full size and writes its figures and raw outcome as JSON to
 * `--out <file>`; the runner (index.ts) starts each in a process of its own.
 * `node --experimental-transform-types bench/chaos/scenario.ts <crash|api-abuse|fuzz|churn|partition|flood|sybil> [--full] --out <file>`
 */
import { writeFileSync } from 'node:fs'
import { median } from '../lib/results.ts'
import { runApiAbuse } from './api-abuse.ts'
import { runChurn } from './churn.ts'
import { runCrash } from './crash.ts'
import { runFlood } from './flood.ts'
import { runPartition } from './partition.ts'
import { runSybil } from './sybil.ts'
import { runFuzz } from './fuzz.ts'
import { runWireFuzz } from './wire-fuzz.ts'
import type { ApiAbuseInit, ApiAbuseOutcome } from './api-abuse.ts'
import type { Figure } from '../lib/results.ts'

/** What a scenario hands the runner. */
export interface ScenarioResult { figures: Figure[], raw: unknown }

/** Every scenario by name: its quick and full run. */
export const SCENARIOS: Record<string, (full: boolean) => Promise<ScenarioResult>> = {
  crash: async (full) => {
    const init = full ? { posts: 1_000, killPoints: 8, startupKills: 2 } : { posts: 200, killPoints: 3, startupKills: 1 }
    const outcome = await runCrash(init)
    const size = `${outcome.acked} posts, ${outcome.kills} SIGKILLs (${init.killPoints} at random acks and one on the last), ${outcome.startupKills} more during startups`
    return {
      figures: [
        { figure: 'crash_acked_lost', value: outcome.lost.length, unit: 'posts', target: '0', note: size },
        { figure: 'crash_acked_joins_lost', value: outcome.lostJoins.length, unit: 'channels', target: '0', note: `${outcome.kills} joins through the API, each acknowledged a flood before a kill` },
        { figure: 'crash_store_opened', value: outcome.restarts / outcome.kills, unit: 'share of restarts', target: '1.0' },
        { figure: 'crash_acked_in_store', value: outcome.inStore / Math.max(1, outcome.acked), unit: 'share', note: 'acked posts back from the peer and in the post store at the end (the rest in own-pending records): how much went the whole write path' },
        { figure: 'crash_restart_s', value: median(outcome.restartSeconds), unit: 's', note: 'spawn to ready line after a SIGKILL, median' }
      ],
      raw: { init, outcome }
    }
  },
  'api-abuse': async (full) => {
    const mixed: ApiAbuseInit = full
      ? { slowLoris: 200, bigBodies: 8, malformed: 16, badTokens: 16, parallel: 0, durationMs: 60_000 }
      : { slowLoris: 50, bigBodies: 4, malformed: 8, badTokens: 8, parallel: 0, durationMs: 10_000 }
    const crowd: ApiAbuseInit = { ...mixed, parallel: full ? 1_000 : 200 }
    const without = await runApiAbuse(mixed)
    const withCrowd = await runApiAbuse(crowd)
    const runs = [without, withCrowd]
    const served = (o: ApiAbuseOutcome): number => o.normal.ok / Math.max(1, o.normal.sent)
    const fivexx = runs.flatMap((o) => Object.values(o.answers).flatMap((byResult) => Object.entries(byResult))).filter(([result]) => /^5\d\d$/.test(result)).reduce((n, [, c]) => n + c, 0)
    return {
      figures: [
        { figure: 'api_abuse_ok', value: runs.every((o) => o.violations.length === 0) ? 1 : 0, unit: 'bool', target: '1', note: runs.flatMap((o) => o.violations).slice(0, 3).join('; ') || 'every abuse answered as it should' },
        { figure: 'api_abuse_normal_served', value: served(withCrowd), unit: 'share', target: '1.0', note: `the user's murmur status (ControlClient: proof, then /v1/status, a refused GET tried again up to 8 times within 6.4 s) every 100 ms while ${crowd.parallel} connections (3 in 4 without the token) keep coming; ${withCrowd.normal.ok} of ${withCrowd.normal.sent}` },
        { figure: 'api_abuse_normal_posts_served', value: withCrowd.posts.ok / Math.max(1, withCrowd.posts.sent), unit: 'share', target: '1.0', note: `the user's posts (every 10th ask; a POST tried again only when the daemon cannot have read it) during the crowd: ${withCrowd.posts.ok} of ${withCrowd.posts.sent}, ${withCrowd.posts.held} in the daemon's feed` },
        { figure: 'api_abuse_normal_served_no_crowd', value: served(without), unit: 'share', target: '1.0', note: `slow-loris x${mixed.slowLoris}, 10 MB bodies x${mixed.bigBodies}, malformed JSON x${mixed.malformed}, bad tokens x${mixed.badTokens * 2}` },
        // a latency only where some normal request was answered (none answered: the served share says it)
        ...(withCrowd.during.count === 0 ? [] : [{ figure: 'api_abuse_normal_p99_ms', value: withCrowd.during.p99, unit: 'ms', baseline: withCrowd.calm.p99, note: 'answered normal requests during the crowd; baseline: calm' }]),
        ...(without.during.count === 0 ? [] : [{ figure: 'api_abuse_normal_p99_ms_no_crowd', value: without.during.p99, unit: 'ms', baseline: without.calm.p99 }]),
        { figure: 'api_abuse_rss_growth_mb', value: Math.max(...runs.map((o) => o.rss.peak - o.rss.before)), unit: 'MiB', note: 'daemon RSS peak minus before, worst run' },
        { figure: 'api_abuse_slowloris_held_s', value: Math.max(...runs.map((o) => o.slowLoris.maxHeldSeconds)), unit: 's', note: 'longest a slow-loris connection stayed open (headers timeout 5 s)' },
        { figure: 'api_abuse_5xx', value: fivexx, unit: 'answers', target: '0' }
      ],
      raw: { mixed: { init: mixed, outcome: without }, crowd: { init: crowd, outcome: withCrowd } }
    }
  },
  churn: async (full) => {
    const init = full ? { nodes: 50, killShare: 0.3, postsDuring: 50, postsAfter: 50, waitMs: 120_000 } : { nodes: 12, killShare: 0.3, postsDuring: 12, postsAfter: 12, waitMs: 90_000 }
    const outcome = await runChurn(init)
    const size = `${init.nodes} nodes on loopback TCP in one process, ${outcome.killed.length} stopped mid-flood (libp2p stop), ${init.postsAfter} posts after`
    return {
      figures: [
        { figure: 'churn_delivery_kill30_n50', value: outcome.deliveryAfterKill, unit: 'share', target: '1.0', note: `${size}${full ? '' : ' (quick size)'}; every survivor within ${init.waitMs / 1000} s` },
        { figure: 'churn_rejoin_catchup_s', value: outcome.rejoinCatchupSeconds ?? Number.NaN, unit: 's', target: '<= 60', note: `the stopped nodes restarted on their data dirs until each held all ${outcome.posted} posts; missing at the end: ${outcome.rejoinMissing.join(', ')}` }
      ],
      raw: { init, outcome }
    }
  },
  partition: async (full) => {
    const init = full ? { nodes: 50, splitMs: 120_000, postsPerHalf: 25, waitMs: 180_000 } : { nodes: 12, splitMs: 10_000, postsPerHalf: 6, waitMs: 120_000 }
    const outcome = await runPartition(init)
    return {
      figures: [
        { figure: 'partition_lost_posts', value: outcome.lost, unit: 'posts', target: '0', note: `${init.nodes} nodes split ${init.nodes / 2}/${init.nodes / 2} for ${init.splitMs / 1000} s, ${outcome.posted} posts; ${outcome.leakedBeforeHeal} crossed before the heal` },
        { figure: 'partition_heal_s', value: outcome.healSeconds ?? Number.NaN, unit: 's', target: '<= 90', note: 'heal (gate open, 2 dials across per half) to the union everywhere: history sync (every 60 s by default) carries it, gossip does not resend' }
      ],
      raw: { init, outcome }
    }
  },
  flood: async (full) => {
    const init = full ? { honest: 20, honestPosts: 40, floodPerSecond: 1_000, waitMs: 120_000 } : { honest: 8, honestPosts: 12, floodPerSecond: 200, waitMs: 90_000 }
    const outcome = await runFlood(init)
    const rate = (n: number): string => `${Math.round(n / Math.max(outcome.floodSeconds, 0.001))}/s`
    return {
      figures: [
        { figure: 'flood_honest_delivery', value: outcome.flood.delivery, unit: 'share', target: '>= 0.99', note: `${outcome.honest} honest nodes, ${init.honestPosts} posts, while one peer floods valid posts (${rate(outcome.floodedValid)}, mined in a process of their own) and one invalid (${rate(outcome.floodedInvalid)}); calm: ${outcome.calm.delivery}` },
        { figure: 'flood_honest_p99_ms', value: outcome.flood.latency.p99, unit: 'ms', baseline: outcome.calm.latency.p99, target: '<= 2x baseline (calm)', note: `post() called to stored at another honest node, undelivered pairs counted as having waited the whole phase; the stem embargo is most of it; the honest nodes' process's event loop busy ${outcome.flood.eventLoopBusy.toFixed(2)} of the flood (calm ${outcome.calm.eventLoopBusy.toFixed(2)}): near 1, short of CPU` },
        { figure: 'memory_flood_mb_per_node', value: outcome.rssPerNodeMb, unit: 'MiB', note: `resident memory of the honest nodes' process at the end of the flood over its ${outcome.honest} nodes (the verification pool shared; the flooders apart)` }
      ],
      raw: { init, outcome }
    }
  },
  sybil: async (full) => {
    const init = full ? { honest: 20, ratio: 4, posts: 40, waitMs: 60_000, sync: false as const } : { honest: 8, ratio: 4, posts: 12, waitMs: 60_000, sync: false as const }
    const outcome = await runSybil(init)
    return {
      figures: [
        { figure: 'sybil_honest_delivery_4to1', value: outcome.delivery, unit: 'share', target: '>= 0.99', note: `${outcome.honest} honest nodes (2 bootstrap peers each), ${outcome.sybils} stock-gossipsub sybils dialing 4 honest nodes each and forwarding nothing (${Math.round(outcome.sybilMeshShare * 100)} % of honest mesh slots when posting began); gossip only (history sync off), within ${init.waitMs / 1000} s${outcome.seconds === undefined ? '' : `, all in ${outcome.seconds.toFixed(1)} s`}` }
      ],
      raw: { init, outcome }
    }
  },
  fuzz: async (full) => {
    const init = full ? { perEntry: 100_000, apiInputs: 100_000 } : { perEntry: 10_000, apiInputs: 2_000 }
    const outcome = await runFuzz(init)
    const wireInit = { framesPerProtocol: full ? 100_000 : 2_000 }
    const wire = await runWireFuzz(wireInit)
    const inProcess = outcome.entries.filter((e) => e.name !== 'http-api')
    const api = outcome.entries.find((e) => e.name === 'http-api')
    return {
      figures: [
        { figure: 'fuzz_inputs_per_entry', value: Math.min(...outcome.entries.map((e) => e.inputs)), unit: 'inputs', target: '>= 100000 (--full)', note: outcome.entries.map((e) => `${e.name} ${e.inputs}`).join(', ') },
        { figure: 'fuzz_crashes', value: outcome.entries.reduce((n, e) => n + e.crashes, 0), unit: 'inputs', target: '0', note: outcome.entries.filter((e) => e.crashes > 0).map((e) => `${e.name}: ${e.crashes} (${e.examples[0]?.error.split('\n')[0] ?? ''})`).join('; ') || 'none' },
        { figure: 'fuzz_unhandled_rejections', value: outcome.unhandledRejections, unit: 'rejections', target: '0' },
        { figure: 'fuzz_heap_growth_mb', value: Math.max(...inProcess.map((e) => e.heapGrowthMb)), unit: 'MiB', note: `worst in-process entry, heap after a full GC${outcome.gcExposed ? '' : ' (gc not exposed: without GC)'}` },
        { figure: 'fuzz_api_rss_growth_mb', value: api?.heapGrowthMb ?? Number.NaN, unit: 'MiB', note: `daemon RSS after ${api?.inputs ?? 0} fuzzed API requests minus before` },
        { figure: 'fuzz_wire_frames_per_protocol', value: wireInit.framesPerProtocol, unit: 'frames', note: `stock libp2p peers, one address group each, on ${Object.keys(wire.protocols).join(', ')}` },
        { figure: 'fuzz_wire_daemon_ok', value: wire.alive && wire.apiAnswered && wire.honestConnected ? 1 : 0, unit: 'bool', target: '1', note: `alive ${String(wire.alive)}, API answered ${String(wire.apiAnswered)}, a fresh peer connected ${String(wire.honestConnected)}${wire.honestError === undefined ? '' : ` (${wire.honestError})`}` },
        { figure: 'fuzz_wire_rss_growth_mb', value: wire.rss.after - wire.rss.before, unit: 'MiB', note: 'daemon RSS after the wire fuzz minus before' }
      ],
      raw: { init, outcome, wire: { init: wireInit, outcome: wire } }
    }
  }
}

if (import.meta.main) {
  const [name] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'))
  const outAt = process.argv.indexOf('--out')
  const scenario = SCENARIOS[name ?? '']
  if (scenario === undefined || outAt < 0) {
    console.error(`usage: scenario.ts <${Object.keys(SCENARIOS).join('|')}> [--full] --out <file>`)
    process.exit(2)
  }
  const result = await scenario(process.argv.includes('--full'))
  writeFileSync(process.argv[outAt + 1] ?? '', JSON.stringify(result, (_, value: unknown) => typeof value === 'bigint' ? value.toString() : value))
  process.exit(0)
}
