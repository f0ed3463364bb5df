/**
 * The feed as the page draws it: the channel's or circle's threads in the reader's order and filters
 * (reading.ts), drawn by view.ts, and drawn again by time alone: at the next expiry among the posts shown
 * (it leaves the view) and at least once a minute (the time left on every post). Draws that overlap
 * collapse into one more draw of the latest.
 */
import { displayLine } from '@murmur/protocol'
import { circleOf } from './circles.js'
import { nextExpiry } from './reading.js'
import { renderFeed } from './view.js'
import type { PageReading } from './reading.js'
import type { PostActions } from './view.js'
import type { Murmur } from '@murmur/node'

/** Threads the feed shows. */
export const FEED_SIZE = 50
/** The longest the feed goes without a redraw, in seconds (the time left shown in minutes). */
const REDRAW_EVERY = 60

/** What the feed needs. */
export interface FeedViewInit {
  node: Pick<Murmur, 'feed' | 'thread' | 'circles'>
  reading: PageReading
  /** The `<ol>` the threads go in. */
  list: HTMLElement
  actions: PostActions
  /** What the feed shows: a channel, or `circle:NAME`. */
  shown(): string
  /** Says why a draw failed (a circle left meanwhile, the node stopping). */
  problem(text: string): void
}

/**
 * The page's feed.
 *
 * @example
 * ```ts
 * const feed = feedView({ node, reading, list, actions, shown: () => channel, problem })
 * await feed.draw()
 * ```
 */
export function feedView (init: FeedViewInit): { draw(): Promise<void> } {
  const { node, reading } = init
  let drawing = false
  let again = false
  let timer: ReturnType<typeof setTimeout> | undefined
  const draw = async (): Promise<void> => {
    if (drawing) { again = true; return }
    drawing = true
    try {
      do {
        again = false
        const target = init.shown()
        const circle = circleOf(target)
        const now = Math.floor(Date.now() / 1000)
        const threads = await reading.threads(
          async (o) => circle === undefined ? await node.feed(target, o) : await node.circles.feed(circle, o),
          async (root) => circle === undefined ? await node.thread(root.id) : await node.circles.thread(circle, root.id),
          FEED_SIZE,
          now
        )
        renderFeed(init.list, threads, init.actions, now)
        clearTimeout(timer)
        const wait = Math.min(REDRAW_EVERY, Math.max(1, (nextExpiry(threads) ?? Infinity) - now))
        timer = setTimeout(() => { void draw() }, wait * 1000)
      } while (again)
    } catch (err) {
      init.problem(displayLine((err as Error).message))
    } finally {
      drawing = false
    }
  }
  return { draw }
}
