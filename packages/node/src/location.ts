/**
 * Location channels of a node: joining the `geo:<cell>` channels that cover a place (coordinates and a
 * radius), and peeking at a far place's channel: reading it (subscribed and synced like any channel)
 * without posting, replying or voting there. Coordinates are turned into cell names here and dropped:
 * they are never kept, logged or sent; only the cell names are, as channel names.
 */
import { LOCATION_LEVELS, locationCell, locationChannel, locationCover, pointChannel, LocationError, type LocationCover, type LocationLevel } from '@murmur/protocol'
import { typedChannel } from './input.js'
import type { StoreDatabase } from './store/index.js'

/** The database sublevel that keeps the location state (cell names only) from one run to the next. */
export const PLACES_SUBLEVEL = 'places'

/** The level a place given by coordinates is peeked at: a city cell (~39 × 20 km at the equator). */
export const PEEK_LEVEL: LocationLevel = 4

/**
 * Thrown when a post, reply or vote would go to a channel this node only peeks at. The message names no
 * UI's command (the node is a library: a page, the CLI and embedders each say how to join in their
 * own words, from `channel`).
 */
export class PeekOnlyError extends Error {
  static override readonly name = 'PeekOnlyError'
  override readonly name = 'PeekOnlyError'
  readonly code = 'ERR_PEEK_ONLY'

  /** @param channel - the channel only peeked at */
  constructor (readonly channel: string, options?: ErrorOptions) {
    super(`${channel} is only peeked at: join it to post, reply or vote there`, options)
  }
}

/** What the location channels need of the node: its channels and its posts. */
export interface PlacesComponents {
  /** Joins a channel (idempotent). */
  join(channel: string): Promise<void>
  /** Leaves a channel (idempotent). */
  leave(channel: string): Promise<void>
  /** The channels joined now. */
  channels(): string[]
  /** A post held here, with its channel. */
  get(id: string): Promise<{ channel: string } | undefined>
  /** Where the state is kept after every change (nowhere: it lasts one run). */
  keep?: PlacesKeep
}

/** Keeps the location state of a node between runs. */
export interface PlacesKeep {
  load(): Promise<PlacesState | undefined>
  save(state: PlacesState): Promise<void>
}

/**
 * Keeps the location state in a sublevel of the node's database, next to its posts.
 *
 * @example
 * ```ts
 * const places = createPlaces({ ...components, keep: placesKeep(db) })
 * await places.restore()
 * ```
 */
export function placesKeep (db: StoreDatabase): PlacesKeep {
  const records = db.sublevel<string, string>(PLACES_SUBLEVEL, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  return {
    load: async () => {
      const text = await records.get(STATE_KEY)
      return text === undefined ? undefined : parseState(text)
    },
    save: async (state) => { await records.put(STATE_KEY, JSON.stringify(state)) }
  }
}

const STATE_KEY = 'state'

/** A kept state, or undefined for one damaged or of another shape: channels that are location channels only. */
function parseState (text: string): PlacesState | undefined {
  try {
    const value = JSON.parse(text) as Partial<PlacesState>
    const cells = (list: unknown): string[] => Array.isArray(list) ? list.filter((c): c is string => typeof c === 'string' && locationCell(c) !== undefined) : []
    const near = value.near
    const nearChannels = near === undefined ? [] : cells(near.channels)
    return {
      ...(near !== undefined && nearChannels.length > 0 && typeof near.home === 'string' && locationCell(near.home) !== undefined && (LOCATION_LEVELS as readonly unknown[]).includes(near.level)
        ? { near: { level: near.level as LocationLevel, channels: nearChannels, home: near.home } }
        : {}),
      peeked: cells(value.peeked)
    }
  } catch {
    return undefined
  }
}

/** Options of {@link createPlaces}. */
export interface PlacesInit {
  /**
   * The finest level a place is joined at when no level is asked for: what mesh peers see of a
   * subscription is a cell at least this coarse.
   *
   * @default DEFAULT_FINEST_LEVEL (5, a town cell)
   */
  finestLevel?: LocationLevel
}

/** A place to join: a point, a radius in metres, and the level of its cells if not the finest that fits. */
export interface NearPlace {
  lat: number
  lon: number
  radiusMeters: number
  level?: LocationLevel
}

/** A far place to peek at: a location channel or geohash (`geo:u4pru`, `u4pru`), or a point and a level. */
export type PeekPlace = string | { lat: number, lon: number, level?: LocationLevel }

/** What this node holds of location channels (cell names only). */
export interface PlacesState {
  /** The cover joined from coordinates, if any: its level, its channels, its home channel. */
  near?: LocationCover
  /** The channels peeked at, sorted. */
  peeked: string[]
}

/** A node's location channels: join near a place, peek at far ones, refuse posting where it only peeks. */
export interface Places {
  /**
   * Joins the channels covering a place and leaves those of the place joined before (not the ones
   * joined by name). A peeked channel of the cover becomes a joined one.
   *
   * @example
   * ```ts
   * const { home, channels } = await places.joinNear({ lat: 57.649, lon: 10.407, radiusMeters: 5000 })
   * await node.post(home, 'anyone at the harbour?')
   * ```
   */
  joinNear(place: NearPlace): Promise<LocationCover>
  /**
   * Peeks at a far place: joins its channel to read it, and refuses posts, replies and votes there
   * until it is left. A channel already joined stays as it is. Returns the channel.
   *
   * @example
   * ```ts
   * const channel = await places.peek('geo:dr5r') // New York, read only
   * const posts = await node.feed(channel)
   * ```
   */
  peek(place: PeekPlace): Promise<string>
  /** Leaves a location channel: a peeked one, or one of the cover (which shrinks). Other channels are left as they are. */
  leave(channel: string): Promise<void>
  /** Forgets a channel the node left by other means (`node.leave`): joined again later, it is an ordinary channel. */
  forget(channel: string): Promise<void>
  /** Leaves every channel of the cover joined from coordinates. */
  leaveNear(): Promise<void>
  /** What is joined and peeked now. */
  state(): PlacesState
  /** Takes back a state kept from a run before (by default the one `keep` holds): joins its channels, peeked ones as peeked. */
  restore(state?: PlacesState): Promise<void>
  /** Whether a channel is only peeked at. */
  isPeeked(channel: string): boolean
  /** Throws PeekOnlyError if a post to `channel` would go to a channel only peeked at. */
  assertPostable(channel: string): void
  /** Throws PeekOnlyError if a reply or vote to post `id` would go to a channel only peeked at (an unknown post passes: the node refuses it). */
  assertAnswerable(id: string): Promise<void>
}

/**
 * The location channels of a node.
 *
 * @example
 * ```ts
 * const places = createPlaces({ join: (c) => node.join(c), leave: (c) => node.leave(c), channels: () => node.channels(), get: (id) => node.get(id) })
 * await places.peek({ lat: 40.71, lon: -74.0 })
 * places.assertPostable('geo:dr5r') // throws PeekOnlyError (ERR_PEEK_ONLY)
 * ```
 */
export function createPlaces (components: PlacesComponents, init: PlacesInit = {}): Places {
  return new NodePlaces(components, init)
}

class NodePlaces implements Places {
  private readonly components: PlacesComponents
  private readonly finestLevel: LocationLevel | undefined
  private near: LocationCover | undefined
  /** The channels of the cover this node joined itself (not those it held already). */
  private readonly nearJoined = new Set<string>()
  private readonly peeked = new Set<string>()

  constructor (components: PlacesComponents, init: PlacesInit) {
    this.components = components
    this.finestLevel = init.finestLevel
  }

  async joinNear (place: NearPlace): Promise<LocationCover> {
    const cover = locationCover({ lat: place.lat, lon: place.lon, radiusMeters: place.radiusMeters }, { level: place.level, finestLevel: this.finestLevel })
    const joined = new Set(this.components.channels())
    const next = new Set(cover.channels)
    for (const channel of [...this.nearJoined]) {
      if (next.has(channel)) continue
      this.nearJoined.delete(channel)
      if (!this.peeked.has(channel)) await this.components.leave(channel)
    }
    for (const channel of cover.channels) {
      // a channel joined by name stays joined by name; a peeked one now belongs to the cover
      if (!joined.has(channel) || this.peeked.delete(channel)) this.nearJoined.add(channel)
      await this.components.join(channel)
    }
    this.near = cover
    await this.save()
    return cover
  }

  async peek (place: PeekPlace): Promise<string> {
    const channel = peekChannel(place)
    if (this.components.channels().includes(channel) && !this.peeked.has(channel)) return channel
    this.peeked.add(channel)
    await this.components.join(channel)
    await this.save()
    return channel
  }

  async leave (typed: string): Promise<void> {
    const channel = typedChannel(typed)
    if (!this.peeked.has(channel) && !this.nearJoined.has(channel)) return
    await this.components.leave(channel)
    await this.forget(channel)
  }

  async forget (channel: string): Promise<void> {
    const peeked = this.peeked.delete(channel)
    const near = this.nearJoined.delete(channel)
    if (near && this.near !== undefined) {
      const channels = this.near.channels.filter((c) => c !== channel)
      this.near = channels.length === 0 ? undefined : { ...this.near, channels }
    }
    if (peeked || near) await this.save()
  }

  async leaveNear (): Promise<void> {
    for (const channel of [...this.nearJoined]) await this.leave(channel)
    this.near = undefined
    await this.save()
  }

  state (): PlacesState {
    this.forgetLeft()
    return { ...(this.near === undefined ? {} : { near: { ...this.near, channels: [...this.near.channels] } }), peeked: [...this.peeked].sort() }
  }

  async restore (kept?: PlacesState): Promise<void> {
    const state = kept ?? await this.components.keep?.load()
    if (state === undefined) return
    if (state.near !== undefined) {
      for (const channel of state.near.channels) {
        this.nearJoined.add(channel)
        await this.components.join(channel)
      }
      this.near = state.near
    }
    for (const channel of state.peeked) {
      if (this.nearJoined.has(channel)) continue
      this.peeked.add(channel)
      await this.components.join(channel)
    }
  }

  isPeeked (channel: string): boolean {
    this.forgetLeft()
    return this.peeked.has(channel)
  }

  assertPostable (channel: string): void {
    if (this.isPeeked(channel)) {
      throw new PeekOnlyError(channel)
    }
  }

  async assertAnswerable (id: string): Promise<void> {
    if (this.peeked.size === 0) return
    const post = await this.components.get(id)
    if (post !== undefined) this.assertPostable(post.channel)
  }

  /** Keeps the state, if the node keeps it. */
  private async save (): Promise<void> {
    await this.components.keep?.save(this.state())
  }

  /** Drops the marks of channels left by other means (`node.leave`): joined again by name, they are postable. */
  private forgetLeft (): void {
    if (this.peeked.size === 0 && this.nearJoined.size === 0) return
    const joined = new Set(this.components.channels())
    for (const channel of this.peeked) if (!joined.has(channel)) this.peeked.delete(channel)
    for (const channel of this.nearJoined) if (!joined.has(channel)) this.nearJoined.delete(channel)
    if (this.near !== undefined && this.near.channels.some((c) => !joined.has(c))) {
      const channels = this.near.channels.filter((c) => joined.has(c))
      this.near = channels.length === 0 ? undefined : { ...this.near, channels }
    }
  }
}

/** The channel of a place to peek at; a LocationError `ERR_NOT_A_PLACE` for anything else. */
function peekChannel (place: PeekPlace): string {
  if (typeof place === 'string') {
    const trimmed = place.trim()
    const cell = locationCell(trimmed.toLowerCase()) ?? (trimmed.includes(':') ? undefined : trimmed)
    if (cell === undefined) throw new LocationError('ERR_NOT_A_PLACE', `expected a location channel (geo:<geohash>) or a geohash, got ${JSON.stringify(trimmed.slice(0, 40))}`)
    return locationChannel(cell)
  }
  if (place === null || typeof place !== 'object') throw new LocationError('ERR_NOT_A_PLACE', 'expected a location channel, a geohash or { lat, lon }')
  return pointChannel(place.lat, place.lon, place.level ?? PEEK_LEVEL)
}
