/**
 * Draws the feed and the peer list. Text from the network only ever goes through textContent, after
 * @murmur/protocol's display rule (no bidi controls, separators or invisible characters; blank-line
 * runs collapsed), and a pseudonym is shown by its 48-bit name, the avatar (shape and colour) beside it being decoration.
 * Every post is marked "member" or "unverified" in words (not by colour alone), a circle's post "a member
 * wrote this".
 */
import { cutGraphemes, displayText, timeLeft } from '@murmur/protocol'
import { avatarIcon, avatarOf } from './avatar.js'
import { transportOf } from './transport.js'
import type { Connection, TransportKind } from './transport.js'
import type { CirclePostView, PostView } from '@murmur/node'

/** What a post's buttons do. `mute` (optional: a page without filters shows no mute buttons). */
export interface PostActions {
  reply(post: PostView): void
  vote(post: PostView, vote: 1 | -1): void
  /** Mutes the post's author in its thread (`author`), or its whole thread (`thread`). */
  mute?(post: PostView, what: 'author' | 'thread'): void
  /** Posts again this member's own circle post that was lost in a fork (shown "not delivered"). */
  repost?(post: PostView): void
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

function button (className: string, text: string, label: string, onclick: () => void): HTMLButtonElement {
  const el = element('button', className, text)
  el.type = 'button'
  el.setAttribute('aria-label', label)
  el.title = label
  el.onclick = onclick
  return el
}

function age (created: number, now: number): string {
  const seconds = Math.max(0, now - created)
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`
  return `${Math.floor(seconds / 86_400)}d`
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

/** Whether a post is this member's own circle post made on a generation that lost a fork: no member reads it. */
function isForked (post: PostView): boolean {
  return (post as Partial<CirclePostView>).state === 'forked'
}

/** What a forked post shows instead of votes and replies: that it was not delivered, and a way to post it again. */
function forkedActions (post: PostView, actions: PostActions): HTMLElement[] {
  const mark = element('span', 'mark forked', 'not delivered')
  mark.title = 'the circle changed while this was sent (its owner rotated it twice at once): no member read it'
  const repost = actions.repost
  return repost === undefined ? [mark] : [mark, button('repost', 'post again', 'post this again in the circle', () => { repost(post) })]
}

function postItem (post: PostView, actions: PostActions, replies: PostView[], now: number): HTMLLIElement {
  const item = element('li', 'post')
  item.dataset.id = post.id
  const avatar = avatarOf(post.pseudonym)
  item.style.setProperty('--nym', avatar.colour)
  const meta = element('div', 'meta')
  const left = element('span', 'left', timeLeft(post.expires, now))
  left.title = `deleted by every node at ${new Date(post.expires * 1000).toLocaleString()}`
  meta.append(
    avatarIcon(avatar),
    element('span', 'nym', avatar.name),
    ...(post.op && post.kind === 'REPLY' ? [element('span', 'op', 'OP')] : []),
    memberMark(post),
    element('span', 'age', age(post.created, now)),
    left
  )
  const text = displayText(post.body)
  const actionsRow = element('div', 'actions')
  const score = element('span', 'score', `${post.score >= 0 ? '+' : ''}${post.score}`)
  score.setAttribute('aria-label', `score ${post.score}`)
  if (isForked(post)) {
    actionsRow.append(...forkedActions(post, actions))
  } else {
    actionsRow.append(
      button('up', '▲', 'vote up', () => { actions.vote(post, 1) }),
      score,
      button('down', '▼', 'vote down', () => { actions.vote(post, -1) }),
      button('reply', 'reply', 'reply', () => { actions.reply(post) })
    )
  }
  const mute = actions.mute
  if (mute !== undefined) {
    if (post.kind === 'REPLY' && post.pseudonym !== undefined) {
      actionsRow.append(button('mute-author', 'mute author', `mute ${avatar.name} in this thread`, () => { mute(post, 'author') }))
    }
    if (post.kind === 'POST') actionsRow.append(button('mute-thread', 'mute thread', 'mute this thread', () => { mute(post, 'thread') }))
  }
  // the buttons stay in .meta (a row that wraps on a phone): the first line of a post says what can be done with it
  meta.append(actionsRow)
  item.append(meta, text === '' ? element('p', 'body empty', '(no visible text)') : element('p', 'body', text))
  if (replies.length > 0) {
    const list = element('ol', 'replies')
    for (const r of replies) list.append(postItem(r, actions, [], now))
    item.append(list)
  }
  return item
}

/** Replaces the feed with `posts`, each with the replies of its thread; `now` (unix seconds) for ages and time left. */
export function renderFeed (list: HTMLElement, posts: Array<{ post: PostView, replies: PostView[] }>, actions: PostActions, now = Math.floor(Date.now() / 1000)): void {
  list.replaceChildren(...posts.map(({ post, replies }) => postItem(post, actions, replies, now)))
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
