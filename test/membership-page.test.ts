/**
 * Issue 13 on the browser page: the membership panel follows the node's 'membership' event, with no timer
 * of its own (it polled membership() every second before), and says only what stays true until the next
 * event (a time of day for the next mint, not a countdown that would go stale between events).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { followMembership, renderMembership } from '../examples/browser/src/membership.ts'
import type { MembershipPanel } from '../examples/browser/src/membership.ts'
import type { Murmur, NodeMembershipStatus } from '@murmur/node'

const MINTING = { minter: true, members: 3, ahead: [], minting: { week: 2950 }, ring: 3, signing: false } as NodeMembershipStatus
const MEMBER = { minter: true, members: 17, ahead: [], stamp: { week: 2950, expires: 1_784_000_000 }, ring: 16, signing: true } as NodeMembershipStatus

/** A node that announces membership changes as the real one does: 'membership' with what membership() says. */
function stubNode (): { node: Pick<Murmur, 'membership' | 'addEventListener' | 'removeEventListener'>, become: (status: NodeMembershipStatus) => void } {
  const target = new EventTarget()
  let membership = MINTING
  const node = {
    membership: () => membership,
    addEventListener: target.addEventListener.bind(target),
    removeEventListener: target.removeEventListener.bind(target)
  } as unknown as Pick<Murmur, 'membership' | 'addEventListener' | 'removeEventListener'>
  return {
    node,
    become: (status) => {
      membership = status
      target.dispatchEvent(new CustomEvent('membership', { detail: status }))
    }
  }
}

/** The panel's elements, as far as renderMembership uses them. */
function panel (): MembershipPanel {
  const section = { hidden: false }
  return {
    text: { textContent: '', parentElement: section, dataset: {} },
    bar: { hidden: true, value: 0 },
    toggle: { textContent: '', dataset: {} }
  } as unknown as MembershipPanel
}

describe('the page\'s membership panel', () => {
  afterEach(() => { vi.useRealTimers() })

  it('is drawn at once and on each membership event, with no timer', () => {
    vi.useFakeTimers()
    const { node, become } = stubNode()
    const shown = panel()
    const stop = followMembership(node, (status) => { renderMembership(shown, status) })
    expect(vi.getTimerCount()).toBe(0)
    expect(shown.text.dataset.state).toBe('minting')
    become(MEMBER)
    expect(shown.text.dataset.state).toBe('member')
    expect(shown.text.textContent).toMatch(/^member until .+ · 17 members in the directory · your votes hide among 16$/)
    stop()
    become(MINTING)
    expect(shown.text.dataset.state).toBe('member')
  })

  it('names the time the next mint starts, which stays true between events', () => {
    const at = 1_784_000_000
    const shown = panel()
    renderMembership(shown, { minter: true, members: 2, ahead: [], nextMintAt: at, ring: 2, signing: false } as NodeMembershipStatus)
    expect(shown.text.textContent).toContain(`not a member: minting starts at ${new Date(at * 1000).toLocaleString()}`)
  })
})
