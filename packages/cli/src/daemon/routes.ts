/**
 * The routes of the control API: each maps one request onto one call of the Murmur node.
 */
import { isFeedSort, sortedFeed } from '@murmur/node/feed-order'
import { checkLifetime } from '@murmur/protocol'
import { MAX_PREFIX_MATCHES } from '../constants.js'
import { BadRequestError, NotFoundError } from '../errors.js'
import { CIRCLE_ROUTES, circleOfChannel, circleOfPost, circlePostIdsWithPrefix, circleThread, joinedCircle } from './circle-routes.js'
import { LOCATION_ROUTES } from './location-routes.js'
import { OWN_ROUTES, rememberOwn } from './own-routes.js'
import { readPeers, readStatus } from './status.js'
import type { MiningProgress, PostingResult } from '../api-types.js'
import type { FeedRead, Murmur, PostOptions } from '@murmur/node'
import type { PostKind } from '@murmur/protocol'

/** What a route handler gets. */
export interface RouteContext {
  node: Murmur
  startedAt: number
  /** Path parameter (the id of `/v1/threads/:id` and `/v1/posts/:id`). */
  param: string
  query: URLSearchParams
  /** The JSON body of a POST request (`{}` for other methods). */
  body: Record<string, unknown>
  /** Tells event-stream clients that the status changed (after join and leave). */
  statusChanged(): void
  /** The joined channels changed (join, leave): kept for the next start. */
  channelsChanged(): Promise<void>
}

/** A route answering with a JSON value. */
export type JsonRoute = (ctx: RouteContext) => Promise<unknown>

/**
 * A route that builds a post: it mines proof of work, so it is cancellable and reports progress
 * (streamed to clients that accept `text/event-stream`).
 */
export type PostingRoute = (ctx: RouteContext, options: { signal: AbortSignal, onProgress(p: MiningProgress): void }) => Promise<PostingResult>

/**
 * Every JSON route by `METHOD /path` (paths without the `/v1` prefix; `:id` is the parameter). Where a
 * route takes a channel, `circle:NAME` names one of this node's circles (circle-routes.ts).
 */
export const JSON_ROUTES: Record<string, JsonRoute> = {
  ...CIRCLE_ROUTES,
  ...OWN_ROUTES,
  ...LOCATION_ROUTES,
  'GET /status': async (ctx) => readStatus(ctx.node, ctx.startedAt),
  'GET /peers': async (ctx) => ({ peers: readPeers(ctx.node) }),
  'POST /join': async (ctx) => {
    const channel = stringField(ctx.body, 'channel')
    const circle = circleOfChannel(ctx.node, channel)
    if (circle !== undefined) return joinedCircle(ctx, circle)
    await ctx.node.join(channel)
    ctx.statusChanged()
    await ctx.channelsChanged()
    return { channel, channels: ctx.node.channels() }
  },
  'POST /leave': async (ctx) => {
    const channel = stringField(ctx.body, 'channel')
    if (circleOfChannel(ctx.node, channel) !== undefined) {
      // a channel left is joined again at will; a circle left is gone (its keys are forgotten)
      throw new BadRequestError('a circle is left with POST /v1/circles/leave (it forgets the circle\'s keys: joining again takes a new invite)')
    }
    await ctx.node.leave(channel)
    ctx.statusChanged()
    await ctx.channelsChanged()
    return { channel, channels: ctx.node.channels() }
  },
  'GET /feed': async (ctx) => {
    const channel = ctx.query.get('channel')
    if (channel === null) {
      throw new BadRequestError('query parameter "channel" is required')
    }
    const sort = ctx.query.get('sort') ?? 'new'
    if (!isFeedSort(sort)) {
      throw new BadRequestError('query parameter "sort" must be "new", "hot" or "top"')
    }
    const limitParam = ctx.query.get('limit')
    const limit = limitParam === null ? undefined : positiveInt(limitParam, 'limit')
    const circle = circleOfChannel(ctx.node, channel)
    const read: FeedRead = async (options) => circle === undefined ? await ctx.node.feed(channel, options) : await ctx.node.circles.feed(circle, options)
    const posts = await sortedFeed(read, sort, limit)
    return { channel, sort, posts }
  },
  'GET /ids': async (ctx) => {
    const prefix = ctx.query.get('prefix')
    if (prefix === null || !/^[0-9a-f]{4,64}$/.test(prefix)) {
      throw new BadRequestError('query parameter "prefix" must be 4 to 64 lower-case hex characters')
    }
    const ids = new Set([...await ctx.node.postIdsWithPrefix(prefix, { limit: MAX_PREFIX_MATCHES }), ...await circlePostIdsWithPrefix(ctx.node, prefix)])
    return { prefix, ids: [...ids].slice(0, MAX_PREFIX_MATCHES) }
  },
  'GET /threads/:id': async (ctx) => {
    // a circle's thread first: its posts carry their circle's name
    const inCircle = await circleThread(ctx.node, ctx.param)
    const posts = inCircle.length > 0 ? inCircle : await ctx.node.thread(ctx.param)
    if (posts.length === 0) {
      throw new NotFoundError(`no thread ${ctx.param} in the local store (never received, or expired)`, 'ERR_UNKNOWN_POST')
    }
    return { root: ctx.param, posts }
  },
  'GET /posts/:id': async (ctx) => {
    const post = await ctx.node.get(ctx.param)
    if (post === undefined) {
      throw new NotFoundError(`post ${ctx.param} is not in the local store (never received, or expired)`, 'ERR_UNKNOWN_POST')
    }
    // a circle's post carries its circle's name, as in its feed
    const circle = await circleOfPost(ctx.node, ctx.param)
    return circle === undefined ? post : { ...post, circle }
  }
}

/** Every posting route by `METHOD /path`; a circle's post, reply or vote goes to `node.circles`. */
export const POSTING_ROUTES: Record<string, PostingRoute> = {
  'POST /posts': async ({ node, body }, options) => {
    const channel = stringField(body, 'channel')
    const circle = circleOfChannel(node, channel)
    const text = stringField(body, 'body')
    return rememberOwn(node, circle === undefined
      ? await node.post(channel, text, postOptions(body, options))
      : { ...await node.circles.post(circle, text, postOptions(body, options)), circle })
  },
  'POST /replies': async ({ node, body }, options) => {
    const parent = stringField(body, 'parent')
    const text = stringField(body, 'body')
    const circle = await circleOfPost(node, parent, body.circle)
    return rememberOwn(node, circle === undefined
      ? await node.reply(parent, text, postOptions(body, options))
      : { ...await node.circles.reply(circle, parent, text, postOptions(body, options)), circle })
  },
  'POST /votes': async ({ node, body }, options) => {
    const vote = body.vote
    if (vote !== 1 && vote !== -1) {
      throw new BadRequestError('field "vote" must be 1 or -1')
    }
    const post = stringField(body, 'post')
    const circle = await circleOfPost(node, post, body.circle)
    return circle === undefined
      ? node.vote(post, vote, postOptions(body, options, 'VOTE'))
      : { ...await node.circles.vote(circle, post, vote, postOptions(body, options, 'VOTE')), circle }
  }
}

function stringField (body: Record<string, unknown>, field: string): string {
  const value = body[field]
  if (typeof value !== 'string') {
    throw new BadRequestError(`field "${field}" must be a string`)
  }
  return value
}

function postOptions (body: Record<string, unknown>, options: Pick<PostOptions, 'signal' | 'onProgress'>, kind: PostKind = 'POST'): PostOptions {
  // one of the lifetimes of its kind or none (the node's rule, checked here for circles too): a lifetime of the author's own would link their posts
  return { ...options, ttl: checkLifetime(body.ttl, kind) }
}

function positiveInt (value: string, name: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new BadRequestError(`query parameter "${name}" must be a positive integer`)
  }
  return n
}
