/**
 * The browser page's own feed rendering (examples/browser/src/view.ts and its style sheet) on a page
 * of its own, without a node: test/browser-display.test.ts hands it posts through `window.feedTest`.
 */
import { ready } from '@murmur/protocol'
import { preview, renderFeed } from '../../examples/browser/src/view.ts'
import type { PostView } from '@murmur/node'

/** What the test calls in the page. */
export interface FeedTest {
  /** Renders one post a body, ids `p0`, `p1`, … */
  show(bodies: string[]): void
  /** Renders this member's own circle post `p0` lost in a fork and a shared one `p1`; "post again" records into `reposted`. */
  showForked(): void
  reposted: string[]
  preview: typeof preview
}

declare global {
  interface Window { feedTest?: FeedTest }
}

function post (body: string, i: number): PostView {
  return {
    id: `p${i}`, channel: '#lobby', kind: 'POST', body, vote: 0, created: Math.floor(Date.now() / 1000), expires: 0,
    score: 0, replies: 0, pseudonym: '0b7100b7'.padEnd(64, '0'), op: true, member: false, root: `p${i}`
  } as unknown as PostView
}

// names are hashed (pseudonymName): libsodium first; the test waits for feedTest
await ready()
window.feedTest = {
  show (bodies) {
    const feed = document.getElementById('feed')
    if (feed === null) throw new Error('no #feed')
    renderFeed(feed, bodies.map((body, i) => ({ post: post(body, i), replies: [] })), { reply () {}, vote () {} })
  },
  showForked () {
    const feed = document.getElementById('feed')
    if (feed === null) throw new Error('no #feed')
    const inCircle = (p: PostView, state: 'shared' | 'forked'): PostView => ({ ...p, channel: 'circle:friends', circle: 'friends', state, member: true }) as unknown as PostView
    const posts = [inCircle(post('lost in a fork', 0), 'forked'), inCircle(post('read by the members', 1), 'shared')]
    renderFeed(feed, posts.map((p) => ({ post: p, replies: [] })), { reply () {}, vote () {}, repost (p) { window.feedTest?.reposted.push(p.id) } })
  },
  reposted: [],
  preview
}
