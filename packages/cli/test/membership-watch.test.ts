/**
 * Issue 13 in the CLI: the daemon's status (its `/status` answer and the status event of its stream, which
 * `murmur status --watch` and the chat's progress line read) follows the node's 'membership' event, not a
 * poll: a new stamp is there as soon as the node says so, with no timer running in between.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { readStatus, watchMembership } from '../src/daemon/status.js'
import type { Murmur, NodeMembershipStatus } from '@murmur/node'

// read from package.json two levels above dist/src, which the sources are not
vi.mock('../src/version.js', () => ({ VERSION: '0.0.0-test' }))

const MINTING: NodeMembershipStatus = { minter: true, members: 3, ahead: [], minting: { week: 2950 }, ring: 3, signing: false }
const MEMBER: NodeMembershipStatus = {
  minter: true,
  members: 4,
  ahead: [],
  stamp: { week: 2950, expires: 1_784_000_000 },
  ring: 4,
  signing: true
} as NodeMembershipStatus

/** The parts of a node that the status reads, with a membership the test changes and announces as the node does. */
function stubNode (): { node: Murmur, become: (status: NodeMembershipStatus) => void, listeners: () => number } {
  const target = new EventTarget()
  let membership = MINTING
  let listeners = 0
  const node = {
    peerId: { toString: () => '12D3KooWStub' },
    getMultiaddrs: () => [],
    peerCount: () => 0,
    channels: () => [],
    channelPeers: () => [],
    clockSkew: () => undefined,
    membership: () => membership,
    addEventListener: (type: string, listener: EventListener) => { listeners++; target.addEventListener(type, listener) },
    removeEventListener: (type: string, listener: EventListener) => { listeners--; target.removeEventListener(type, listener) }
  } as unknown as Murmur
  const become = (status: NodeMembershipStatus): void => {
    membership = status
    target.dispatchEvent(new CustomEvent('membership', { detail: status }))
  }
  return { node, become, listeners: () => listeners }
}

describe('the daemon watches membership', () => {
  afterEach(() => { vi.useRealTimers() })

  it('reports a new stamp on the node\'s event, with no timer (failed with the 1 s poll: nothing reported)', () => {
    vi.useFakeTimers()
    const { node, become } = stubNode()
    const reported: Array<ReturnType<typeof readStatus>['membership']> = []
    const unwatch = watchMembership(node, () => { reported.push(readStatus(node, Date.now()).membership) })
    // no timer of the watcher's own: a poll would have scheduled one
    expect(vi.getTimerCount()).toBe(0)
    become(MEMBER)
    expect(reported).toHaveLength(1)
    expect(reported[0]).toMatchObject({ stamp: { week: 2950 }, members: 4, minting: null, signing: true })
    unwatch()
  })

  it('stops on unwatch: no listener left, later changes not reported', () => {
    const { node, become, listeners } = stubNode()
    let calls = 0
    const unwatch = watchMembership(node, () => { calls++ })
    expect(listeners()).toBe(1)
    unwatch()
    expect(listeners()).toBe(0)
    become(MEMBER)
    expect(calls).toBe(0)
  })
})
