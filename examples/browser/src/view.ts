/**
 * Draws the feed and the peer list. Text from the network only ever goes through textContent.
 */
import { transportOf } from './transport.js'
import type { Connection, TransportKind } from './transport.js'
import type { PostView } from '@murmur/node'

/** What a post's buttons do. */
export interface PostActions {
  reply(post: PostView): void
  vote(post: PostView, vote: 1 | -1): void
}

/** A stable colour per pseudonym: the hue comes from the key's first bytes. */
export function pseudonymColour (pseudonym: string | undefined): string {
  if (pseudonym === undefined) return '#999'
  const hue = Number.parseInt(pseudonym.slice(0, 6), 16) % 360
  return `hsl(${hue} 60% 40%)`
}

function element<K extends keyof HTMLElementTagNameMap> (tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  if (className !== undefined) el.className = className
  if (text !== undefined) el.textContent = text
  return el
}

function age (created: number): string {
  const seconds = Math.max(0, Math.floor(Date.now() / 1000) - created)
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`
  return `${Math.floor(seconds / 3600)}h`
}

function postItem (post: PostView, actions: PostActions, replies: PostView[]): HTMLLIElement {
  const item = element('li', 'post')
  item.dataset.id = post.id
  item.style.setProperty('--nym', pseudonymColour(post.pseudonym))
  const meta = element('div', 'meta')
  meta.append(
    element('span', 'nym', `${post.pseudonym?.slice(0, 8) ?? 'anonymous'}${post.op && post.kind === 'REPLY' ? ' (OP)' : ''}`),
    element('span', 'age', age(post.created)),
    element('span', 'score', `${post.score >= 0 ? '+' : ''}${post.score}`)
  )
  const up = element('button', 'up', '▲')
  up.type = 'button'
  up.title = 'vote up'
  up.onclick = () => { actions.vote(post, 1) }
  const down = element('button', 'down', '▼')
  down.type = 'button'
  down.title = 'vote down'
  down.onclick = () => { actions.vote(post, -1) }
  const reply = element('button', 'reply', 'reply')
  reply.type = 'button'
  reply.onclick = () => { actions.reply(post) }
  meta.append(up, down, reply)
  item.append(meta, element('p', 'body', post.body))
  if (replies.length > 0) {
    const list = element('ol', 'replies')
    for (const r of replies) list.append(postItem(r, actions, []))
    item.append(list)
  }
  return item
}

/** Replaces the feed with `posts`, each with the replies of its thread. */
export function renderFeed (list: HTMLElement, posts: Array<{ post: PostView, replies: PostView[] }>, actions: PostActions): void {
  list.replaceChildren(...posts.map(({ post, replies }) => postItem(post, actions, replies)))
}

/** Replaces the peer list: one row per connection, with its transport. */
export function renderPeers (list: HTMLElement, connections: Connection[], relayPeer: string | undefined): void {
  list.replaceChildren(...connections.map((connection) => {
    const kind: TransportKind = transportOf(connection)
    const row = element('li')
    row.dataset.peer = connection.remotePeer.toString()
    row.dataset.transport = kind
    row.title = connection.remoteAddr.toString()
    const peer = connection.remotePeer.toString()
    row.append(
      element('span', 'peer', `${peer.slice(-8)}${peer === relayPeer ? ' (relay)' : ''}`),
      element('span', `transport ${kind}`, kind === 'webrtc' ? 'WebRTC' : kind)
    )
    return row
  }))
}
