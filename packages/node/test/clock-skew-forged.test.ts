/**
 * Issue 12, 12b, after review: valid posts with a forged `created` must not make a node with a right
 * clock believe it is off. Backdated posts are valid everywhere (they have not expired), so forty of them
 * made every node of a line refuse to post, for good, with the median of the last 64 posts.
 */
import { buildEnvelope, channelTopic } from '@murmur/protocol'
import type { ValidationResult } from '@murmur/protocol'
import { describe, expect, it } from 'vitest'
import { TEST_POW_BITS, addressOf, cleanedAfterEach, startNode, waitFor } from './harness.js'
import type { Cleanup } from './harness.js'
import { CLOCK_SKEW_MEMORY, ClockSkewEstimate, ClockWatch } from '../src/clock-skew.js'
import type { ClockSkewDetail, Murmur, PostView } from '../src/index.js'

const CHANNEL = '#forged-clocks'
const TOPIC = channelTopic(CHANNEL)

/** Every `clock-skew` event of a node, from now on. */
function skewEvents (node: Murmur): ClockSkewDetail[] {
  const events: ClockSkewDetail[] = []
  node.addEventListener('clock-skew', (evt) => { events.push(evt.detail) })
  return events
}

/** Resolves once `node` has stored `count` posts whose body starts with `prefix`. */
async function stored (node: Murmur, prefix: string, count: number): Promise<void> {
  let seen = 0
  await new Promise<void>((resolve, reject) => {
    const listener = (evt: CustomEvent<PostView>): void => {
      if (!evt.detail.body.startsWith(prefix) || ++seen < count) return
      clearTimeout(timer)
      node.removeEventListener('post', listener)
      resolve()
    }
    const timer = setTimeout(() => {
      node.removeEventListener('post', listener)
      reject(new Error(`only ${seen} of ${count} "${prefix}" posts within 60 s`))
    }, 60_000)
    node.addEventListener('post', listener)
  })
}

/**
 * Two honest posters, a victim behind them and an attacker in front, in a line: attacker - first - second
 * - victim. Each honest node has seen the other's posts, and all three know their offset.
 */
async function line (running: Cleanup['running']): Promise<{ honest: Murmur[], attacker: Murmur }> {
  const first = await startNode({ channels: [CHANNEL], stem: false })
  running.push(first)
  const second = await startNode({ channels: [CHANNEL], stem: false, bootstrap: [addressOf(first)] })
  running.push(second)
  const victim = await startNode({ channels: [CHANNEL], stem: false, bootstrap: [addressOf(second)] })
  running.push(victim)
  // an ordinary node that publishes hand-built envelopes straight into gossipsub
  const attacker = await startNode({ channels: [CHANNEL], stem: false, bootstrap: [addressOf(first)] })
  running.push(attacker)
  const honest = [first, second, victim]
  await waitFor(() => [...honest, attacker].every((n) => n.libp2p.services.pubsub.getSubscribers(TOPIC).length > 0), 'every node to see the channel')
  // a post that reaches a node by history sync first is no sample: post until every node has five
  for (let round = 0; !honest.every((node) => node.clockSkew() !== undefined); round++) {
    if (round === 20) throw new Error('no estimate on every honest node after 20 rounds of posts')
    const seen = Promise.all([stored(first, `second ${round}.`, 1), stored(second, `first ${round}.`, 1), stored(victim, `first ${round}.`, 1), stored(victim, `second ${round}.`, 1)])
    await first.post(CHANNEL, `first ${round}.`)
    await second.post(CHANNEL, `second ${round}.`)
    await seen
  }
  for (const node of honest) expect(Math.abs(node.clockSkew()!)).toBeLessThanOrEqual(120)
  return { honest, attacker }
}

/** Publishes one-time posts with the given `created` from the attacker, as fast as it can. */
async function forge (attacker: Murmur, prefix: string, count: number, created: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const envelope = await buildEnvelope({ channel: CHANNEL, body: `${prefix} ${i}`, created, powBits: TEST_POW_BITS })
    await attacker.libp2p.services.pubsub.publish(TOPIC, envelope.bytes)
  }
}

describe('clock skew: forged post times', () => {
  const { running } = cleanedAfterEach()

  it('forty valid posts backdated by ten minutes: the nodes with right clocks still post and are told of no skew', async () => {
    const { honest, attacker } = await line(running)
    const told = honest.flatMap(skewEvents)
    const arrived = Promise.all(honest.map(async (node) => { await stored(node, 'old', 40) }))
    await forge(attacker, 'old', 40, Math.floor((Date.now() / 1000 - 600) / 60) * 60)
    await arrived

    for (const node of honest) {
      expect(Math.abs(node.clockSkew()!)).toBeLessThanOrEqual(120)
      await expect(node.post(CHANNEL, 'still posting')).resolves.toMatchObject({ status: 'sent' })
    }
    expect(told).toEqual([])
  }, 120_000)

  it('a burst of valid posts dated ahead (two minutes, and ten refused as too early): the nodes still post and are told of no skew', async () => {
    const { honest, attacker } = await line(running)
    const told = honest.flatMap(skewEvents)
    const now = Date.now() / 1000
    // refused as too early and verified as of their own time, at most ten at once: what tells a node behind that it is
    await forge(attacker, 'far', 10, Math.floor((now + 600) / 60) * 60)
    const arrived = Promise.all(honest.map(async (node) => { await stored(node, 'soon', 20) }))
    await forge(attacker, 'soon', 20, Math.floor((now + 120) / 60) * 60)
    await arrived

    for (const node of honest) {
      expect(Math.abs(node.clockSkew()!)).toBeLessThanOrEqual(120)
      await expect(node.post(CHANNEL, 'still posting')).resolves.toMatchObject({ status: 'sent' })
    }
    expect(told).toEqual([])
  }, 120_000)
})

describe('clock skew estimate: forged post times', () => {
  const start = 1_800_000_000
  const honest = (t: number, jitter: number): number => Math.floor((t - jitter) / 60) * 60

  it('no number of backdated or forward-dated posts moves a node that has seen one honest post', () => {
    const estimate = new ClockSkewEstimate()
    for (let i = 0; i < 5; i++) estimate.add(honest(start + i, 13 * i), start + i, i)
    for (let i = 0; i < 1_000; i++) {
      const t = 10 + i
      estimate.add(Math.floor((start + t - 600) / 60) * 60, start + t, t) // ten minutes old: valid everywhere
      estimate.add(Math.floor((start + t + 120) / 60) * 60, start + t, t) // two minutes ahead: valid
      estimate.add(start + t + 86_400, start + t, t) // a day ahead: too early, verified as of its own time
      const detail = estimate.detail(start + t, t)!
      expect(detail.skewed).toBe(false)
      expect(Math.abs(detail.offset)).toBeLessThanOrEqual(60)
    }
  })

  it('a lone poster that has heard only forged posts is fooled while they come, unknown (free to post) ten minutes after they stop, and one honest post ends it for as long as it is remembered (an hour)', () => {
    const backdated = (t: number): number => Math.floor((start + t - 600) / 60) * 60
    const estimate = new ClockSkewEstimate()
    for (let t = 0; t < 300; t += 30) estimate.add(backdated(t), start + t, t)
    expect(estimate.detail(start + 300, 300)).toMatchObject({ skewed: true })
    expect(estimate.detail(start + 870, 870)).toMatchObject({ skewed: true })
    expect(estimate.detail(start + 871, 871)).toBeUndefined()
    estimate.add(backdated(900), start + 900, 900)
    expect(estimate.detail(start + 900, 900)).toMatchObject({ skewed: true })
    estimate.add(honest(start + 906, 40), start + 906, 906)
    for (let t = 907; t < 906 + CLOCK_SKEW_MEMORY - 600; t++) {
      estimate.add(backdated(t), start + t, t)
      expect(estimate.detail(start + t, t)).toMatchObject({ skewed: false })
    }
    // forgotten within the hour: a lone poster that hears nothing but forged posts for an hour is fooled again
    const t = 906 + CLOCK_SKEW_MEMORY
    estimate.add(backdated(t), start + t, t)
    expect(estimate.detail(start + t, t)).toMatchObject({ skewed: true })
  })

  it('the lone poster is refused while forged posts come, may post again once they stop, and hears "back within" only from an honest post', () => {
    let ms = 1_800_000_000_000
    const changes: ClockSkewDetail[] = []
    const watch = new ClockWatch({ now: () => ms, monotonic: () => ms, validateAt: () => ({ ok: false, code: 'ERR_MALFORMED', reason: 'unused' }), onChange: (detail) => { changes.push(detail) } })
    const valid = (created: number): ValidationResult => ({ ok: true, post: { created: BigInt(created) } }) as unknown as ValidationResult
    const envelope = new Uint8Array(0)
    for (let i = 0; i < 5; i++) {
      watch.observe(TOPIC, envelope, valid(Math.floor((ms / 1000 - 600) / 60) * 60))
      ms += 1_000
    }
    expect(watch.current()).toMatchObject({ skewed: true })
    expect(changes).toMatchObject([{ skewed: true }])
    ms += 601_000
    expect(watch.current()).toBeUndefined()
    expect(changes).toHaveLength(1)
    watch.observe(TOPIC, envelope, valid(honest(ms / 1000, 30)))
    expect(watch.current()).toMatchObject({ skewed: false })
    expect(changes).toMatchObject([{ skewed: true }, { skewed: false }])
  })
})
