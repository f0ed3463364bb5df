/**
 * The places panel: "posts near me" joins the location channels (`geo:<cell>`) covering the user's
 * position, asked of the browser's Geolocation API, and works without it: a place typed as coordinates
 * (`57.649,10.407`) or as a cell (`geo:u4pru`, `u4pru`). A far place can be peeked at: read, never posted
 * in (the node refuses, PeekOnlyError, and the page says why before anything is typed). Coordinates are
 * turned into cell names by the node (`node.places`) at once and dropped: never kept, logged or sent;
 * only the cell names leave the page, as channel names.
 */
import { LocationError, displayLine, locationCell, locationChannel } from '@murmur/protocol'
import type { Murmur } from '@murmur/node'

/** The radii "posts near me" offers, in metres; the first is the default. */
export const NEAR_RADII: readonly number[] = [5000, 1000, 20_000]

/** A place as typed: a point, or a location channel. */
export type TypedPlace = { lat: number, lon: number } | { channel: string }

const NUMBER = '[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)'
const POINT = new RegExp(`^\\s*(${NUMBER})\\s*,\\s*(${NUMBER})\\s*$`, 'u')

/**
 * A place typed by the user: `LAT,LON` in decimal degrees, or a cell (`geo:u4pru`, `u4pru`). Throws
 * LocationError (ERR_NOT_A_PLACE) for anything else; coordinates out of range are refused by the node
 * (ERR_BAD_COORDINATES).
 *
 * @example
 * ```ts
 * typedPlace('57.649, 10.407') // { lat: 57.649, lon: 10.407 }
 * typedPlace('U4PRU')          // { channel: 'geo:u4pru' }
 * ```
 */
export function typedPlace (text: string): TypedPlace {
  const point = POINT.exec(text)
  if (point !== null) return { lat: Number(point[1]), lon: Number(point[2]) }
  const typed = text.trim().toLowerCase()
  const cell = locationCell(typed) ?? (typed.includes(':') ? undefined : locationCell(`geo:${typed}`))
  if (cell === undefined) {
    throw new LocationError('ERR_NOT_A_PLACE', `not a place: write coordinates as LAT,LON (e.g. 57.649,10.407) or a cell (e.g. geo:u4pru), got ${JSON.stringify(displayLine(text).slice(0, 40))}`)
  }
  return { channel: locationChannel(cell) }
}

/** The panel's elements (index.html `#places`). */
export interface PlacesPanelElements {
  nearMe: HTMLButtonElement
  radius: HTMLSelectElement
  form: HTMLFormElement
  input: HTMLInputElement
  peek: HTMLButtonElement
  /** One line: what was joined or peeked, or why not. */
  status: HTMLElement
}

/** What the panel needs from the page. */
export interface PlacesPanelInit {
  node: Pick<Murmur, 'places' | 'join'>
  /** The browser's geolocation, if it has one (tests and browsers without it pass undefined). */
  geolocation: Geolocation | undefined
  /** Shows a channel's feed. */
  select(channel: string): void
}

/**
 * Wires the places panel to the node.
 *
 * @example
 * ```ts
 * placesPanel(placesPanelElements(), { node, geolocation: navigator.geolocation, select: show })
 * ```
 */
export function placesPanel (el: PlacesPanelElements, init: PlacesPanelInit): void {
  const { node } = init
  el.radius.replaceChildren(...NEAR_RADII.map((meters) => {
    const option = document.createElement('option')
    option.value = String(meters)
    option.textContent = meters >= 1000 ? `${meters / 1000} km` : `${meters} m`
    return option
  }))
  const say = (text: string): void => { el.status.textContent = text }
  const fail = (what: string, err: unknown): void => {
    const { message, code } = err as Error & { code?: unknown }
    say(`${what}: ${displayLine(message)}${typeof code === 'string' ? ` (${code})` : ''}`)
  }
  const joinNear = async (lat: number, lon: number, where: string): Promise<void> => {
    const cover = await node.places.joinNear({ lat, lon, radiusMeters: Number(el.radius.value) })
    say(`joined ${cover.channels.length} cells ${where} (${cover.level} characters each); showing ${cover.home}`)
    init.select(cover.home)
  }

  el.nearMe.onclick = () => {
    const geolocation = init.geolocation
    const typeInstead = 'type a place below instead (coordinates or a cell): only cell names leave this page'
    if (geolocation === undefined) {
      say(`this browser gives no location: ${typeInstead}`)
      return
    }
    say('asking the browser for your position…')
    geolocation.getCurrentPosition((position) => {
      // the coordinates end here: the node keeps and sends only the cells' names
      joinNear(position.coords.latitude, position.coords.longitude, 'near you').catch((err: unknown) => { fail('not joined', err) })
    }, (err) => {
      say(`${err.code === err.PERMISSION_DENIED ? 'no permission to read your location' : 'your location is unknown'}: ${typeInstead}`)
    }, { enableHighAccuracy: false, maximumAge: 600_000, timeout: 30_000 })
  }

  const typed = (): TypedPlace | undefined => {
    try {
      return typedPlace(el.input.value)
    } catch (err) {
      fail('not a place', err)
      return undefined
    }
  }
  el.form.onsubmit = (evt) => {
    evt.preventDefault()
    const place = typed()
    if (place === undefined) return
    const joined = 'channel' in place
      ? node.join(place.channel).then(() => { say(`joined ${place.channel}`); init.select(place.channel) })
      : joinNear(place.lat, place.lon, 'around that point')
    joined.then(() => { el.input.value = '' }, (err: unknown) => { fail('not joined', err) })
  }
  el.peek.onclick = () => {
    const place = typed()
    if (place === undefined) return
    node.places.peek('channel' in place ? place.channel : place).then((channel) => {
      el.input.value = ''
      say(node.places.isPeeked(channel) ? `peeking at ${channel}: read only` : `${channel} is joined already`)
      init.select(channel)
    }, (err: unknown) => { fail('not peeked', err) })
  }
}

/**
 * The panel's elements in the page (index.html `#places`); throws when one is missing.
 *
 * @example
 * ```ts
 * placesPanel(placesPanelElements(), init)
 * ```
 */
export function placesPanelElements (): PlacesPanelElements {
  const byId = <T extends HTMLElement>(id: string): T => {
    const el = document.getElementById(id)
    if (el === null) throw new Error(`#${id} is missing from the page`)
    return el as T
  }
  return {
    nearMe: byId('near-me'),
    radius: byId('near-radius'),
    form: byId('place-form'),
    input: byId('place-input'),
    peek: byId('peek-place'),
    status: byId('place-status')
  }
}

/** What the composer says in a channel only peeked at (undefined in any other). */
export function peekNotice (node: Pick<Murmur, 'places'>, channel: string): string | undefined {
  return node.places.isPeeked(channel) ? `${channel} is only peeked at: you read it, and cannot post, reply or vote there (join it from the places panel to post)` : undefined
}
