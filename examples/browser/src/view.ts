/**
 * Draws the feed and the peer list. Text from the network only ever goes through textContent, after
 * @murmur/protocol's display rule (no bidi controls, separators or invisible characters; blank-line
 * runs collapsed), and a pseudonym is shown by its 48-bit name, the colour beside it being decoration.
 * Every post is marked "member" or "unverified" in words (not by colour alone), a circle's post "a member
 * wrote this".
 */
import { authorName, cutGraphemes, displayText, fromHex, pseudonymHue } from '@murmur/protocol'
import { transportOf } from './transport.js'
import type { Connection, TransportKind } from './transport.js'
import type { PostView } from '@murmur/node'

/** What a post's buttons do. */
export interface PostActions {
  reply(post: PostView): void
  vote(post: PostView, vote: 1 | -1): void
}

/** How a pseudonym (a hex public key) is shown: its name, and a colour to decorate it with. */
export function pseudonymLabel (pseudonym: string | undefined): { name: string, colour: string } {
  const key = pseudonym === undefined || !/^[0-9a-f]{64}$/i.test(pseudonym) ? undefined : fromHex(pseudonym)
  return key === undefined
    ? { name: 'anonymous', colour: '#999' }
    : { name: authorName(pseudonym), colour: `hsl(${pseudonymHue(key)} 60% 40%)` }
}

/** A post's text on one short line, for "replying to …": cut after `length` graphemes, never inside one (an emoji sequence, a letter and its marks). */
export function preview (body: string, length = 40): string {
  return cutGraphemes(displayText(body).replace(/\n+/g, ' '), length)
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

/**
 * The mark every post carries: "member" (ring-signed by stamped members) or "unverified" (one-time-signed);
 * a circle's post, ring-signed over the circle's members, "a member wrote this".
 */
function memberMark (post: PostView): HTMLSpanElement {
  if ('circle' in post && post.member) {
    const mark = element('span', 'mark member circle', 'a member wrote this')
    mark.title = 'ring-signed over this circle\'s members: one of them wrote it, and nobody can tell which'
    return mark
  }
  const mark = element('span', post.member ? 'mark member' : 'mark unverified', post.member ? 'member' : 'unverified')
  mark.title = post.member
    ? 'ring-signed by a member: a tab or node holding this week\'s member stamp'
    : 'signed without a member stamp: its votes count for nothing'
  return mark
}

function postItem (post: PostView, actions: PostActions, replies: PostView[]): HTMLLIElement {
  const item = element('li', 'post')
  item.dataset.id = post.id
  const { name, colour } = pseudonymLabel(post.pseudonym)
  item.style.setProperty('--nym', colour)
  const meta = element('div', 'meta')
  meta.append(
    element('span', 'nym', name),
    ...(post.op && post.kind === 'REPLY' ? [element('span', 'op', 'OP')] : []),
    memberMark(post),
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
  const text = displayText(post.body)
  item.append(meta, text === '' ? element('p', 'body empty', '(no visible text)') : element('p', 'body', text))
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
