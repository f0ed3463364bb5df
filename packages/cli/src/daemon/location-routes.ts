/**
 * The location routes of the control API (docs/API.md, "Places"): join the cells near a place, peek at
 * a far one, leave them, read what is joined. Coordinates come in a request and go no further than
 * the node's cover computation: only cell names are answered, kept or sent.
 */
import { BadRequestError } from '../errors.js'
import type { JsonRoute, RouteContext } from './routes.js'
import type { PlacesState } from '@murmur/node'
import type { LocationLevel } from '@murmur/protocol'

/** What is joined and peeked (cell names only), as the node's places report it. */
export type PlacesStateResponse = PlacesState

/** Every location route by `METHOD /path` (without the `/v1` prefix). */
export const LOCATION_ROUTES: Record<string, JsonRoute> = {
  'GET /places': async (ctx) => ctx.node.places.state(),
  'POST /places/near': async (ctx) => {
    const cover = await ctx.node.places.joinNear({
      lat: numberField(ctx.body, 'lat'),
      lon: numberField(ctx.body, 'lon'),
      radiusMeters: numberField(ctx.body, 'radius'),
      ...levelField(ctx.body)
    })
    await changed(ctx)
    return { ...cover, joined: ctx.node.channels() }
  },
  'POST /places/peek': async (ctx) => {
    const places = ctx.node.places
    const channel = typeof ctx.body.place === 'string'
      ? await places.peek(ctx.body.place)
      : await places.peek({ lat: numberField(ctx.body, 'lat'), lon: numberField(ctx.body, 'lon'), ...levelField(ctx.body) })
    await changed(ctx)
    return { channel, ...places.state() }
  },
  'POST /places/leave': async (ctx) => {
    const places = ctx.node.places
    if (ctx.body.near === true) await places.leaveNear()
    else if (typeof ctx.body.channel === 'string') await places.leave(ctx.body.channel)
    else throw new BadRequestError('body field "channel" (a location channel) or "near": true is required')
    await changed(ctx)
    return places.state()
  }
}

/** Tells event-stream clients, and keeps the joined channels for the next start. */
async function changed (ctx: RouteContext): Promise<void> {
  ctx.statusChanged()
  await ctx.channelsChanged()
}

/** A finite number field of the body. */
function numberField (body: Record<string, unknown>, name: string): number {
  const value = body[name]
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new BadRequestError(`body field "${name}" must be a number`)
  return value
}

/** The optional `level` field of the body (the node checks it is one of 2, 4, 5, 6). */
function levelField (body: Record<string, unknown>): { level?: LocationLevel } {
  if (body.level === undefined) return {}
  if (typeof body.level !== 'number') throw new BadRequestError('body field "level" must be a number (2, 4, 5 or 6)')
  return { level: body.level as LocationLevel }
}
