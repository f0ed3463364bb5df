/**
 * The places of frames waiting for the frame intake's turn (docs/PROTOCOL.md §6.3), shared fairly by
 * sender group: one group holds at most `share` of the places the others leave (`fairShare`), so sybil
 * PeerIds of one address cannot take every place, and when the places are full a frame of the group
 * holding the most gives way to a newcomer of a smaller group. Within a group the places are shared per
 * PeerId, by standing: a group at its share (one NAT, one relay, a browser's unaddressed inbound peers)
 * makes a place of its lowest-standing peer give way to a better-standing newcomer (a peer this node
 * dialed before one it did not; a peer that stalled lately last), or, among equals, of the peer holding
 * the most (seventeenth read of issue 12, High 3). A frame refused or given way is Ignored, nobody
 * charged, and its sender told (`FrameSender.refused`: history sync with it brings the frame).
 */
import { fairShare } from '../relay-share.js'
import { CIRCLE_INTAKE_SHARE, CIRCLE_INTAKE_WAITING } from './constants.js'
import type { InitiatorPlace } from '../sync/initiator-slots.js'

/** Options of {@link intakePlaces}. */
export interface IntakePlacesInit {
  /** Frames that may wait at once. @default CIRCLE_INTAKE_WAITING */
  capacity?: number
  /** The part of the places the other groups leave that one group may hold. @default CIRCLE_INTAKE_SHARE */
  share?: number
}

/**
 * Who sent a frame, for its place within its group: `peer` a PeerId string, `rank` its standing on history
 * sync's scale (`InitiatorPlace.rank`: stalled lately 0, dialed by this node 2, else 1), read only when its
 * group is at its share.
 */
export type IntakeSender = Pick<InitiatorPlace, 'peer' | 'rank'>

/** The peer a frame came from, as the frame intake takes it. */
export interface FrameSender extends IntakeSender {
  /** A frame of its was Ignored for want of a place: history sync with it brings the frame. @default nothing */
  refused?(): void
}

/** A frame's place, held until its turn comes. */
export interface IntakePlace {
  /** True once the place was given to a newcomer of a smaller group or a better-standing peer: the frame is Ignored at its turn. */
  readonly dropped: boolean
  /** Its turn came: the place is free (nothing once dropped). */
  release(): void
}

/** The places of one kind of path (gossip, or sync and stem). */
export interface IntakePlaces {
  /**
   * A place for a frame of sender group `group` from `sender` (@default the group itself, rank 1), or
   * undefined when its group holds its share (or the places are full) and no place of it gives way.
   */
  take(group: string, sender?: IntakeSender): IntakePlace | undefined
  /** Frames waiting now. */
  readonly size: number
}

interface Place extends IntakePlace {
  dropped: boolean
  readonly sender: IntakeSender
}

/**
 * Of the places `held` by a group at its share, the one that gives way to a newcomer from `sender`: the
 * newest of the peer of the lowest standing (of those, holding the most), when that standing is below the
 * newcomer's, or equal while that peer would still hold more than the newcomer.
 */
function yielding (held: Place[], sender: IntakeSender): Place | undefined {
  const byPeer = new Map<string, Place[]>()
  for (const place of held) {
    const places = byPeer.get(place.sender.peer) ?? []
    places.push(place)
    byPeer.set(place.sender.peer, places)
  }
  const mine = byPeer.get(sender.peer)?.length ?? 0
  byPeer.delete(sender.peer)
  let worst: { rank: number, places: Place[] } | undefined
  for (const places of byPeer.values()) {
    const rank = places[0]!.sender.rank()
    if (worst === undefined || rank < worst.rank || (rank === worst.rank && places.length > worst.places.length)) worst = { rank, places }
  }
  if (worst === undefined) return undefined
  const rank = sender.rank()
  return worst.rank < rank || (worst.rank === rank && worst.places.length > mine + 1) ? worst.places.at(-1) : undefined
}

/**
 * Places for frames waiting for the intake's turn, shared by sender group, and within a group by peer.
 *
 * @example
 * ```ts
 * const places = intakePlaces()
 * const place = places.take(group, { peer: peer.toString(), rank: () => 2 })
 * if (place === undefined) return 'ignore'
 * return await serially(async () => { place.release(); return place.dropped ? 'ignore' : await take(frame) })
 * ```
 */
export function intakePlaces (init: IntakePlacesInit = {}): IntakePlaces {
  const capacity = init.capacity ?? CIRCLE_INTAKE_WAITING
  const share = init.share ?? CIRCLE_INTAKE_SHARE
  /** group → its places, oldest first */
  const byGroup = new Map<string, Place[]>()
  let size = 0

  const remove = (group: string, place: Place): void => {
    const held = byGroup.get(group)
    const at = held?.indexOf(place) ?? -1
    if (held === undefined || at < 0) return
    held.splice(at, 1)
    size--
    if (held.length === 0) byGroup.delete(group)
  }
  const give = (group: string, place: Place): void => {
    place.dropped = true
    remove(group, place)
  }

  /** The group holding the most places. */
  const largest = (): [string, Place[]] | undefined => {
    let most: [string, Place[]] | undefined
    for (const entry of byGroup) {
      if (most === undefined || entry[1].length > most[1].length) most = entry
    }
    return most
  }

  return {
    get size () { return size },
    take: (group, sender = { peer: group, rank: () => 1 }) => {
      const held = byGroup.get(group) ?? []
      const mine = held.length
      // when full, only a group that would still hold more than this one gives way
      const most = size >= capacity ? largest() : undefined
      const gives = most !== undefined && most[1].length > mine + 1
      if ((size >= capacity && !gives) || mine >= fairShare(capacity, size - mine - (gives ? 1 : 0), share)) {
        // at its share: a place of the group's own gives way, or none
        const given = yielding(held, sender)
        if (given === undefined) return undefined
        give(group, given)
      } else if (gives) {
        // its newest frame: the one that waited least
        give(most[0], most[1].at(-1)!)
      }
      const place: Place = {
        dropped: false,
        sender,
        release: () => { remove(group, place) }
      }
      held.push(place)
      byGroup.set(group, held)
      size++
      return place
    }
  }
}
