/**
 * Eighth adversarial read of issue 12, A-M2: a stem post's later hops — the stem peer a copy that came
 * back goes to (a loop hop), and the peer its stem is handed to, marked to publish it (a hand-off) — were
 * drawn uniformly over every stem peer by PeerId, inbound sybils included. Five sybil PeerIds behind one
 * address that dialed the node, beside three honest peers it dialed at three addresses, took 0.72 of
 * the loop hops and 0.58 of the hand-offs, where their host's share is one group of four, 0.25. These
 * hops are drawn as the successors are: peers this node dialed before peers that dialed it, one address
 * group at a time (StemRoutes.draw).
 */
import { describe, expect, it } from 'vitest'
import { StemRouter } from '../src/stem/index.js'
import { ENVELOPE, EPOCH, FakeClock, TOPIC, handoffs, seededRandom, setup } from './stem-fixtures.js'

const HONEST = 3
const SYBILS = 5
/** Posts walked through a bounce and a second return each. */
const POSTS = 400
/** The sybils' share by host: one address group of four. */
const FAIR = 1 / (HONEST + 1)

describe('stem loop hops and hand-offs', () => {
  it('give five inbound sybil PeerIds of one address no more than their group\'s share', () => {
    const { router, clock, sent, events } = setup({ fluffProbability: 0 })
    for (let i = 0; i < HONEST; i++) router.addPeer(`honest-${i}`, true, `ip4/198.51.100.${i + 1}`)
    for (let i = 0; i < SYBILS; i++) router.addPeer(`sybil-${i}`, false, 'ip4/203.0.113.66')
    const isSybil = (peer: string): boolean => peer.startsWith('sybil-')
    let loopHops = 0
    let sybilLoopHops = 0
    const handed: string[] = []
    for (let i = 0; i < POSTS; i++) {
      clock.advance(EPOCH)
      const id = `post-${i}`
      // relayed from one of the sybils (each sends its share), or this node's own
      if (i % 2 === 0) router.relay(`sybil-${i % SYBILS}`, TOPIC, ENVELOPE, id)
      else void router.originate(TOPIC, ENVELOPE, id)
      const first = sent.filter((s) => s.id === id).at(-1)!.peer
      // the successor bounces it: a loop hop
      router.relay(first, TOPIC, ENVELOPE, id)
      const hop = sent.filter((s) => s.id === id).at(-1)!.peer
      expect(hop).not.toBe(first)
      loopHops++
      if (isSybil(hop)) sybilLoopHops++
      // and it comes back once more: its stem ends, handed to another peer to publish (later hand-offs,
      // when the embargo fires before it is seen in gossip, are left out: the clock jumps an epoch a post)
      const before = events.length
      router.relay(hop, TOPIC, ENVELOPE, id)
      handed.push(...handoffs(events.slice(before)))
    }
    expect(handed.length).toBe(POSTS)
    const loopShare = sybilLoopHops / loopHops
    const handShare = handed.filter(isSybil).length / handed.length
    // drawn per PeerId they took 0.65 of the loop hops and 0.60 of the hand-offs here
    expect(loopShare, 'sybils\' share of loop hops').toBeLessThanOrEqual(FAIR)
    expect(handShare, 'sybils\' share of hand-offs').toBeLessThanOrEqual(FAIR)
  })

  it('go to peers that dialed this node when no dialed peer is left to try, one address group at a time', () => {
    // one successor, the one dialed peer: a loop hop is left with the inbound peers
    const { router, clock, sent } = setup({ fluffProbability: 0, successors: 1 })
    router.addPeer('honest-0', true, 'ip4/198.51.100.1')
    router.addPeer('sender', false, 'ip4/198.51.100.8')
    router.addPeer('lone', false, 'ip4/198.51.100.9')
    for (let i = 0; i < SYBILS; i++) router.addPeer(`sybil-${i}`, false, 'ip4/203.0.113.66')
    let lone = 0
    for (let i = 0; i < POSTS; i++) {
      clock.advance(EPOCH)
      const id = `post-${i}`
      router.relay('sender', TOPIC, ENVELOPE, id)
      expect(sent.at(-1)).toEqual({ peer: 'honest-0', id })
      router.relay('honest-0', TOPIC, ENVELOPE, id)
      if (sent.at(-1)!.peer === 'lone') lone++
    }
    // two groups left, the lone peer's and the sybils': half the loop hops each (a sixth per PeerId)
    expect(lone / POSTS).toBeGreaterThan(0.4)
  })

  it('ask the node which peers it chose: a peer whose chosen connection closed, another still open, is drawn as one that dialed us', () => {
    // eighth read, a Low: the routes kept a "dialed" flag of their own, set when the peer was reported and
    // kept for good, while the node's ChosenPeers (gossip scoring, sync) had stopped counting it
    const chosen = new Set(['honest-0', 'honest-1', 'was-chosen'])
    const clock = new FakeClock()
    const sent: Array<{ peer: string, id: string }> = []
    const router = new StemRouter({
      clock,
      random: seededRandom(3),
      dialed: (peer) => chosen.has(peer),
      send: (peer, _topic, _envelope, id) => { sent.push({ peer, id }) },
      fluff: async () => ({ status: 'sent', recipients: 1 })
    }, { fluffProbability: 0 })
    for (const [i, peer] of ['honest-0', 'honest-1', 'was-chosen'].entries()) router.addPeer(peer, true, `ip4/198.51.100.${i + 1}`)
    for (let i = 0; i < SYBILS; i++) router.addPeer(`inbound-${i}`, false, `ip4/203.0.113.${i + 1}`)
    // its chosen connection closed; the one it opened to us stays, so the stem is told nothing
    chosen.delete('was-chosen')
    let taken = 0
    for (let i = 0; i < POSTS; i++) {
      clock.advance(EPOCH)
      const id = `post-${i}`
      router.relay('inbound-0', TOPIC, ENVELOPE, id)
      const first = sent.at(-1)!.peer
      router.relay(first, TOPIC, ENVELOPE, id)
      const hop = sent.at(-1)!.peer
      if (router.currentSuccessors.includes('was-chosen') || first === 'was-chosen' || hop === 'was-chosen') taken++
    }
    // two peers still chosen: the successors and every loop hop are theirs
    expect(taken).toBe(0)
    router.stop()
  })
})
