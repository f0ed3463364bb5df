/**
 * The places of frames waiting for the frame intake's turn (docs/PROTOCOL.md §6.3), shared fairly by
 * sender group: one group holds at most `share` of the places the others leave (`fairShare`), so sybil
 * PeerIds of one address cannot take every place, and when the places are full a frame of the group
 * holding the most gives way to a newcomer of a smaller group. A frame refused or given way is Ignored
 * (history sync brings it later); nobody is charged.
 */
import { fairShare } from '../relay-share.js'
import { CIRCLE_INTAKE_SHARE, CIRCLE_INTAKE_WAITING } from './constants.js'

/** Options of {@link intakePlaces}. */
export interface IntakePlacesInit {
  /** Frames that may wait at once. @default CIRCLE_INTAKE_WAITING */
  capacity?: number
  /** The part of the places the other groups leave that one group may hold. @default CIRCLE_INTAKE_SHARE */
  share?: number
}

/** A frame's place, held until its turn comes. */
export interface IntakePlace {
  /** True once the place was given to a newcomer of a smaller group: the frame is Ignored at its turn. */
  readonly dropped: boolean
  /** Its turn came: the place is free (nothing once dropped). */
  release(): void
}

/** The places of one kind of path (gossip, or sync and stem). */
export interface IntakePlaces {
  /** A place for a frame of sender group `group`, or undefined when its group holds its share or the places are full. */
  take(group: string): IntakePlace | undefined
  /** Frames waiting now. */
  readonly size: number
}

interface Place extends IntakePlace {
  dropped: boolean
}

/**
 * Places for frames waiting for the intake's turn, shared by sender group.
 *
 * @example
 * ```ts
 * const places = intakePlaces()
 * const place = places.take(from)
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
    take: (group) => {
      const mine = byGroup.get(group)?.length ?? 0
      // when full, only a group that would still hold more than this one gives way
      const most = size >= capacity ? largest() : undefined
      const gives = most !== undefined && most[1].length > mine + 1
      if (size >= capacity && !gives) return undefined
      if (mine >= fairShare(capacity, size - mine - (gives ? 1 : 0), share)) return undefined
      if (gives) {
        // its newest frame: the one that waited least
        const given = most[1].at(-1)!
        given.dropped = true
        remove(most[0], given)
      }
      const place: Place = {
        dropped: false,
        release: () => { remove(group, place) }
      }
      const held = byGroup.get(group) ?? []
      held.push(place)
      byGroup.set(group, held)
      size++
      return place
    }
  }
}
