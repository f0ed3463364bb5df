/**
 * The membership panel: while the tab mints its member stamp, a progress bar with the expected time
 * left; then until when the tab is a member; and always how many members the directory holds (and
 * among how many of them the tab's votes hide, said to be few while the directory is small) and a
 * button that turns minting in this tab on or off (the tab's CPU is the user's to give).
 */
import { MIN_MEMBER_RING } from '@murmur/protocol'
import type { Murmur, NodeMembershipStatus } from '@murmur/node'

/** The panel's elements (index.html `#membership`). */
export interface MembershipPanel {
  text: HTMLElement
  bar: HTMLProgressElement
  toggle: HTMLButtonElement
}

/**
 * Share of a mint's expected work done: evaluations so far over the 2^bits expected, at most 1 (a
 * mint is a lottery: it may end sooner or go on longer).
 *
 * @example
 * ```ts
 * mintFraction({ nextNonce: 512, expectedEvaluations: 1024 }) // 0.5
 * ```
 */
export function mintFraction (progress: { nextNonce: number, expectedEvaluations: number }): number {
  return Math.min(1, progress.nextNonce / Math.max(1, progress.expectedEvaluations))
}

/**
 * "about 3 min", "about 40 s": an expected duration in words.
 *
 * @example
 * ```ts
 * aboutSeconds(150) // 'about 3 min'
 * ```
 */
export function aboutSeconds (seconds: number): string {
  if (seconds < 90) return `about ${Math.max(1, Math.round(seconds))} s`
  if (seconds < 90 * 60) return `about ${Math.round(seconds / 60)} min`
  return `about ${Math.round(seconds / 3600)} h`
}

/**
 * Draws the panel from the node's membership (undefined: membership off, the panel hidden). It says only
 * what stays true until the node's next 'membership' event (times of day, not a countdown), so it is
 * redrawn on that event alone ({@link followMembership}).
 *
 * @example
 * ```ts
 * renderMembership(panel, node.membership())
 * ```
 */
export function renderMembership (panel: MembershipPanel, status: NodeMembershipStatus | undefined): void {
  const section = panel.text.parentElement
  if (section !== null) section.hidden = status === undefined
  if (status === undefined) return
  const members = `${status.members} ${status.members === 1 ? 'member' : 'members'} in the directory`
  const progress = status.minting?.progress
  panel.bar.hidden = status.minting === undefined
  panel.toggle.textContent = status.minter ? 'stop minting in this tab' : 'mint in this tab'
  panel.toggle.dataset.mint = String(status.minter)
  let state: string
  if (!status.minter) {
    state = 'not minting a member stamp: your votes count toward nothing and your posts show as unverified'
  } else if (status.minting !== undefined) {
    const done = progress === undefined ? 0 : mintFraction(progress)
    panel.bar.value = done
    const eta = progress === undefined ? 'starting' : `${Math.round(100 * done)}% of the expected work, ${aboutSeconds(progress.etaSeconds)} left (a lottery: sooner or later)`
    state = `${status.stamp === undefined ? 'becoming a member' : 'minting next week\'s stamp'}: ${eta}; it runs in the background once a week`
  } else if (status.stamp !== undefined) {
    state = `member until ${new Date(status.stamp.expires * 1000).toLocaleString()}`
  } else {
    state = status.nextMintAt === undefined ? 'not a member yet' : `not a member: minting starts at ${new Date(status.nextMintAt * 1000).toLocaleString()}`
  }
  panel.text.dataset.state = status.minting !== undefined ? 'minting' : status.stamp !== undefined ? 'member' : 'none'
  const ring = 'ring' in status && typeof status.ring === 'number' ? status.ring : undefined
  const hiding = !status.minter || ring === undefined
    ? []
    : [ring < 2 ? 'no other member known yet: votes wait for one' : `your votes hide among ${ring}${ring < MIN_MEMBER_RING ? ` (${MIN_MEMBER_RING} once the directory holds that many)` : ''}`]
  panel.text.textContent = [state, members, ...hiding].join(' · ')
}

/**
 * Keeps the panel in step with the node: `draw` runs now and on each of the node's 'membership' events
 * (a mint's progress at most once a second, any other change at once), with no timer of its own. Returns
 * a function that stops following.
 *
 * @example
 * ```ts
 * const stop = followMembership(node, (status) => { renderMembership(panel, status) })
 * ```
 */
export function followMembership (node: Pick<Murmur, 'membership' | 'addEventListener' | 'removeEventListener'>, draw: (status: NodeMembershipStatus | undefined) => void): () => void {
  const changed = (evt: CustomEvent<NodeMembershipStatus>): void => { draw(evt.detail) }
  node.addEventListener('membership', changed)
  draw(node.membership())
  return () => { node.removeEventListener('membership', changed) }
}
