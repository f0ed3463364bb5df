/**
 * The location calls of the control API (docs/API.md, "Places") over a daemon's ControlClient: join
 * the cells near a place, peek at a far one, leave, list.
 */
import type { ControlClient } from './client.js'
import type { PlacesStateResponse } from './daemon/location-routes.js'
import type { LocationCover, LocationLevel } from '@murmur/protocol'

/** What joining near a place answers: the cover, and every channel joined now. */
export interface NearResponse extends LocationCover {
  joined: string[]
}

/** What peeking answers: the channel peeked at, and the places now. */
export interface PeekResponse extends PlacesStateResponse {
  channel: string
}

/** The location channels of the daemon a ControlClient talks to. */
export class PlacesClient {
  private readonly client: ControlClient

  /**
   * The location calls of `client`.
   *
   * @example
   * ```ts
   * const places = new PlacesClient(await ControlClient.connect(dataDir))
   * const { home } = await places.near({ lat: 57.649, lon: 10.407, radius: 5000 })
   * ```
   */
  constructor (client: ControlClient) {
    this.client = client
  }

  /** What is joined near a place and peeked at. */
  async state (): Promise<PlacesStateResponse> {
    return this.client.request('GET', '/places')
  }

  /** Joins the cells covering a circle (radius in metres), leaving those of the place joined before. */
  async near (place: { lat: number, lon: number, radius: number, level?: LocationLevel }): Promise<NearResponse> {
    return this.client.request('POST', '/places/near', place)
  }

  /** Peeks at a far place: a cell, or coordinates and a level. */
  async peek (place: { place: string } | { lat: number, lon: number, level?: LocationLevel }): Promise<PeekResponse> {
    return this.client.request('POST', '/places/peek', place)
  }

  /** Leaves a peeked or nearby channel, or (`near: true`) every nearby one. */
  async leave (what: { channel: string } | { near: true }): Promise<PlacesStateResponse> {
    return this.client.request('POST', '/places/leave', what)
  }
}
