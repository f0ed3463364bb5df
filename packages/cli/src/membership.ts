/**
 * Membership as the CLI shows it (`murmur status`, its JSON and the control API, the chat's progress
 * line), from the node's own report (`Murmur.membership()`).
 */
import { MIN_MEMBER_RING } from '@murmur/protocol'
import type { MembershipStatusResponse, MintingStatus, PostResult } from './api-types.js'
import type { NodeMembershipStatus } from '@murmur/node'

/**
 * The membership part of the status from the node's (`Murmur.membership()`; undefined: membership off).
 *
 * @example
 * ```ts
 * membershipStatus(node.membership()) // { minter: true, members: 12, stamp: null, minting: { progress: 0.37, etaSeconds: 41, … }, … }
 * ```
 */
export function membershipStatus (status: NodeMembershipStatus | undefined): MembershipStatusResponse | null {
  if (status === undefined) return null
  const { minting } = status
  const progress = minting?.progress
  return {
    minter: status.minter,
    members: status.members,
    stamp: status.stamp ?? null,
    ahead: status.ahead ?? [],
    minting: minting === undefined
      ? null
      : {
          week: minting.week,
          evaluations: progress?.nextNonce ?? 0,
          expected: progress?.expectedEvaluations ?? null,
          progress: progress === undefined ? 0 : Math.min(1, progress.nextNonce / Math.max(1, progress.expectedEvaluations)),
          etaSeconds: progress === undefined ? null : Math.round(progress.etaSeconds)
        },
    nextMintAt: status.nextMintAt ?? null,
    ring: ringSize(status),
    signing: 'signing' in status && typeof status.signing === 'boolean' ? status.signing : null
  }
}

/** NodeMembershipStatus.ring (members a vote or post hides among now), or null from a node that does not report it. */
function ringSize (status: NodeMembershipStatus): number | null {
  return 'ring' in status && typeof status.ring === 'number' ? status.ring : null
}

/**
 * Among how many members this node's votes and posts hide now, for people: MIN_MEMBER_RING, fewer (said
 * so) while the directory holds fewer, none while it holds no other member.
 *
 * @example
 * ```ts
 * ringLine(3) // 'your votes and posts hide among 3 members (16 once the directory holds that many)'
 * ```
 */
export function ringLine (ring: number): string {
  if (ring < 2) return 'no other member known yet: votes wait until the directory holds one'
  const among = `your votes and posts hide among ${ring} members`
  return ring < MIN_MEMBER_RING ? `${among} (${MIN_MEMBER_RING} once the directory holds that many)` : among
}

/**
 * One line for people about a running mint: share of the expected work, evaluations, time left.
 *
 * @example
 * ```ts
 * mintingLine(minting) // "37% of the expected work (380 of 1,024 evaluations), about 1 min left"
 * ```
 */
export function mintingLine (minting: MintingStatus): string {
  if (minting.expected === null || minting.etaSeconds === null) return 'starting'
  const count = (n: number): string => n.toLocaleString('en-US')
  return `${Math.round(100 * minting.progress)}% of the expected work (${count(minting.evaluations)} of ${count(minting.expected)} evaluations), ${aboutSeconds(minting.etaSeconds)} left`
}

/**
 * An expected duration in words.
 *
 * @example
 * ```ts
 * aboutSeconds(150) // "about 3 min"
 * ```
 */
export function aboutSeconds (seconds: number): string {
  if (seconds < 90) return `about ${Math.max(1, Math.round(seconds))} s`
  if (seconds < 90 * 60) return `about ${Math.round(seconds / 60)} min`
  return `about ${Math.round(seconds / 3600)} h`
}

/**
 * The chat's progress line while a stamp is minted: a bar of the expected work, the share and the time left.
 *
 * @example
 * ```ts
 * mintingProgressLine(minting) // "minting stamp ▕████░░░░░░▏ 37% · about 1 min left · then your votes count"
 * ```
 */
export function mintingProgressLine (minting: MintingStatus, cells = 10): string {
  const full = Math.round(minting.progress * cells)
  const bar = `▕${'█'.repeat(full)}${'░'.repeat(cells - full)}▏`
  const left = minting.etaSeconds === null ? 'starting' : `${Math.round(100 * minting.progress)}% · ${aboutSeconds(minting.etaSeconds)} left`
  return `minting stamp ${bar} ${left} · then your votes count`
}

/** Members in the ring that signed a post (PostResult.ring); undefined: one-time-signed. */
export function ringOf (result: PostResult): number | undefined {
  return 'ring' in result && typeof result.ring === 'number' ? result.ring : undefined
}

/**
 * How a post was signed, for people: among how many members (saying so when the ring is smaller than
 * MIN_MEMBER_RING, which happens only while the directory is), or one-time-signed, shown unverified.
 *
 * @example
 * ```ts
 * signedLine(16) // 'ring-signed among 16 members: nobody can tell which of them you are'
 * ```
 */
export function signedLine (ring: number | undefined): string {
  if (ring === undefined) {
    return 'unverified: signed without a member stamp (this node has none yet), so every view marks it so'
  }
  const among = `ring-signed among ${ring} members: nobody can tell which of them you are`
  return ring < MIN_MEMBER_RING ? `${among} (a small ring, ${MIN_MEMBER_RING} once the directory holds that many)` : among
}
