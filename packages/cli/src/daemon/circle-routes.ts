/**
 * The circle routes of the control API (docs/API.md, "Circles"): create, invite, join, leave, remove,
 * repost (an own post lost in a fork, posted again), members and list under `/v1/circles…`, and the circle side of the routes that take a channel, where
 * `circle:NAME` names one of this node's circles (circle-name.ts). Each maps one request onto
 * `node.circles`.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { CircleError } from '@murmur/node'
import { MAX_CIRCLE_MEMBERS, decodeInvite, isCircleChannel } from '@murmur/protocol'
import { MAX_PREFIX_MATCHES, PREFIX_SCAN_POSTS } from '../constants.js'
import { circleNameOf, circleTarget } from '../circle-name.js'
import { damagedLine } from '../circle-text.js'
import { BadRequestError, NotFoundError } from '../errors.js'
import { idsWithPrefix } from '../post-id.js'
import { rememberOwn } from './own-routes.js'
import type { JsonRoute, RouteContext } from './routes.js'
import type {
  CircleInviteResponse, CircleMembersResponse, CircleResponse, CirclesResponse, JoinCircleResponse
} from '../api-types.js'
import type { CircleSummary, Murmur, PostResult, PostView } from '@murmur/node'

/** Time a bootstrap hint of an invite gets to connect when the user asked to dial it, in ms. */
const HINT_DIAL_TIMEOUT = 10_000

/** Every circle route by `METHOD /path` (paths without the `/v1` prefix). */
export const CIRCLE_ROUTES: Record<string, JsonRoute> = {
  'GET /circles': async ({ node }): Promise<CirclesResponse> => ({ circles: node.circles.list() }),
  'POST /circles': async ({ node, body }): Promise<CircleResponse> => {
    const minRing = optionalInt(body, 'minRing')
    return { circle: await node.circles.create(stringField(body, 'name'), minRing === undefined ? {} : { minRing }) }
  },
  'POST /circles/invite': async ({ node, body }): Promise<CircleInviteResponse> => {
    const circle = readable(node, stringField(body, 'circle'))
    const expiresIn = optionalInt(body, 'expiresIn')
    const hints = optionalStrings(body, 'hints')
    const result = await node.circles.invite(circle, { ...(expiresIn === undefined ? {} : { expiresIn }), hints })
    return { circle, invite: result.invite, expires: result.expires, hints }
  },
  'POST /circles/join': async (ctx): Promise<JoinCircleResponse> => {
    const { node, body } = ctx
    const invite = stringField(body, 'invite')
    // checked before anything changes: a damaged invite is refused with its ERR_INVITE_* code
    const { hints } = decodeInvite(invite)
    const dialHints = body.dialHints === true
    if (dialHints && hints.length > 0 && node.peerCount() === 0) {
      throw new BadRequestError('not joined: this node has no peer of its own yet, so the invite\'s hints would be its only peers (whoever made the invite would see all its traffic); connect to the network first (--bootstrap), then join with its hints')
    }
    const name = optionalString(body, 'name')
    const memberName = optionalString(body, 'memberName')
    const circle = await node.circles.join(invite, { ...(name === undefined ? {} : { name }), ...(memberName === undefined ? {} : { memberName }) })
    ctx.statusChanged()
    const dialed = dialHints ? await dialAll(node, hints) : []
    return { circle, hints, dialed }
  },
  'POST /circles/leave': async (ctx): Promise<CirclesResponse & { circle: string }> => {
    // a circle this node cannot read too: leaving is what mends it
    const circle = held(ctx.node, stringField(ctx.body, 'circle')).name
    await ctx.node.circles.leave(circle)
    ctx.statusChanged()
    return { circle, circles: ctx.node.circles.list() }
  },
  'POST /circles/remove': async ({ node, body }): Promise<CircleResponse> => {
    const circle = readable(node, stringField(body, 'circle'))
    return { circle: await node.circles.remove(circle, removedMembers(body)) }
  },
  'POST /circles/repost': async ({ node, body }): Promise<PostResult & { circle: string }> => {
    const circle = readable(node, stringField(body, 'circle'))
    return rememberOwn(node, { ...await node.circles.repost(circle, stringField(body, 'id')), circle })
  },
  'GET /circles/members': async ({ node, query }): Promise<CircleMembersResponse> => {
    const circle = readable(node, query.get('circle') ?? missingQuery('circle'))
    return { circle, members: await node.circles.members(circle) }
  }
}

/**
 * The circle `circle:NAME` names, when a channel field or parameter names one; undefined for a public
 * channel. NotFoundError ERR_CIRCLE_UNKNOWN when this node holds no circle of that name, CircleError
 * ERR_CIRCLE_DAMAGED when it cannot read it.
 *
 * @example
 * ```ts
 * const circle = circleOfChannel(ctx.node, channel)
 * if (circle !== undefined) return node.circles.post(circle, body)
 * ```
 */
export function circleOfChannel (node: Murmur, channel: string): string | undefined {
  const name = circleNameOf(channel)
  return name === undefined ? undefined : readable(node, name)
}

/**
 * The local name of the circle a post, reply or vote of this node's store belongs to; undefined for a
 * post of a public channel or one this node does not hold. `named`: the circle the request names, when
 * it does (checked to be held and readable).
 *
 * @example
 * ```ts
 * const circle = await circleOfPost(node, parentId, body.circle)
 * ```
 */
export async function circleOfPost (node: Murmur, id: string, named?: unknown): Promise<string | undefined> {
  if (named !== undefined) {
    if (typeof named !== 'string') throw new BadRequestError('field "circle" must be a string')
    return readable(node, named)
  }
  const circles = readableCircles(node)
  // a node in no circle: every post it holds is a channel's
  if (circles.length === 0) return undefined
  const view = await node.get(id)
  if (view === undefined || !isCircleChannel(view.channel)) return undefined
  // the node's view of a stored post does not name its circle: the circle whose thread holds it does
  for (const circle of circles) {
    const thread = await node.circles.thread(circle.name, view.root ?? id).catch(() => [])
    if (thread.some((post) => post.id === id)) return circle.name
  }
  return undefined
}

/**
 * A circle's thread by its root id, from whichever of this node's circles holds it (empty when none does).
 *
 * @example
 * ```ts
 * const posts = await circleThread(node, rootId)
 * ```
 */
export async function circleThread (node: Murmur, rootId: string): Promise<PostView[]> {
  for (const circle of readableCircles(node)) {
    const thread = await node.circles.thread(circle.name, rootId).catch(() => [])
    if (thread.length > 0) return thread
  }
  return []
}

/**
 * Ids of this node's circle posts and replies that start with `prefix`: the newest PREFIX_SCAN_POSTS of
 * each circle and their replies, as the daemon looks through its joined channels.
 *
 * @example
 * ```ts
 * await circlePostIdsWithPrefix(node, '9a9e') // ['9a9e01…']
 * ```
 */
export async function circlePostIdsWithPrefix (node: Murmur, prefix: string, limit = MAX_PREFIX_MATCHES): Promise<string[]> {
  const found = new Set<string>()
  for (const circle of readableCircles(node)) {
    const posts = await node.circles.feed(circle.name, { limit: PREFIX_SCAN_POSTS })
    for (const id of idsWithPrefix(prefix, posts.map((post) => post.id))) found.add(id)
    for (const post of posts) {
      if (found.size >= limit) return [...found].slice(0, limit)
      if (post.replies === 0) continue
      const replies = await node.circles.thread(circle.name, post.id)
      for (const id of idsWithPrefix(prefix, replies.map((reply) => reply.id))) found.add(id)
    }
  }
  return [...found].slice(0, limit)
}

/**
 * The answer of `POST /v1/join` for `circle:NAME`: a circle is joined with an invite, so joining one this
 * node holds changes nothing (watch and the chat join what they show).
 *
 * @example
 * ```ts
 * if (circle !== undefined) return joinedCircle(ctx, circle)
 * ```
 */
export function joinedCircle (ctx: RouteContext, circle: string): { channel: string, channels: string[] } {
  return { channel: circleTarget(circle), channels: ctx.node.channels() }
}

/** The circle of a local name this node holds (NotFoundError ERR_CIRCLE_UNKNOWN otherwise, as the node says it). */
function held (node: Murmur, name: string): CircleSummary {
  const circle = node.circles.list().find((c) => c.name === name)
  if (circle === undefined) {
    throw new NotFoundError(`no circle ${JSON.stringify(name)} on this node (GET /v1/circles lists them)`, 'ERR_CIRCLE_UNKNOWN')
  }
  return circle
}

/**
 * The local name of a circle this node holds and can read: NotFoundError ERR_CIRCLE_UNKNOWN as {@link held},
 * CircleError ERR_CIRCLE_DAMAGED (saying what to do) for one whose record it cannot read, which nothing
 * but leaving mends.
 */
function readable (node: Murmur, name: string): string {
  const circle = held(node, name)
  if (circle.damaged === true) throw new CircleError('ERR_CIRCLE_DAMAGED', damagedLine(circle))
  return circle.name
}

/** The circles this node holds and can read: one it cannot read holds no post or thread it could name. */
function readableCircles (node: Murmur): CircleSummary[] {
  return node.circles.list().filter((circle) => circle.damaged !== true)
}

/**
 * The members `POST /v1/circles/remove` names: `members`, a list of 1..MAX_CIRCLE_MEMBERS keys or key
 * prefixes removed in one rotation, or `member`, one of them (the older form).
 */
function removedMembers (body: Record<string, unknown>): string | string[] {
  if (body.members === undefined) return stringField(body, 'member')
  if (body.member !== undefined) throw new BadRequestError('give "member" or "members", not both')
  const members = optionalStrings(body, 'members')
  if (members.length === 0 || members.length > MAX_CIRCLE_MEMBERS) {
    throw new BadRequestError(`field "members" must list 1 to ${MAX_CIRCLE_MEMBERS} members`)
  }
  return members
}

/** Dials each hint (with the node's own peers still there), answering with those that connected. */
async function dialAll (node: Murmur, hints: string[]): Promise<string[]> {
  const dialed = await Promise.all(hints.map(async (hint) => {
    try {
      await node.libp2p.dial(multiaddr(hint), { signal: AbortSignal.timeout(HINT_DIAL_TIMEOUT) })
      return hint
    } catch {
      return undefined
    }
  }))
  return dialed.filter((hint) => hint !== undefined)
}

function stringField (body: Record<string, unknown>, field: string): string {
  const value = body[field]
  if (typeof value !== 'string') throw new BadRequestError(`field "${field}" must be a string`)
  return value
}

function optionalString (body: Record<string, unknown>, field: string): string | undefined {
  return body[field] === undefined ? undefined : stringField(body, field)
}

function optionalInt (body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new BadRequestError(`field "${field}" must be a positive integer`)
  return value
}

function optionalStrings (body: Record<string, unknown>, field: string): string[] {
  const value = body[field]
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new BadRequestError(`field "${field}" must be an array of strings`)
  return value as string[]
}

function missingQuery (name: string): never {
  throw new BadRequestError(`query parameter "${name}" is required`)
}
