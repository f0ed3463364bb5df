/**
 * Replies and votes on the user's own posts and replies: a badge with their count since the user last
 * looked, and the list behind it. Which posts are the user's is known from what this tab made (the ids
 * the node gave it), kept in the tab's memory only, as the daemon keeps them: a list of one's own post
 * ids on the device would tie its owner to those posts should the device be taken. A reload forgets it.
 * Nothing is asked of the network.
 */
import { preview } from './view.js'
import type { PostView } from '@murmur/node'

/** Most own ids a tab remembers (the oldest forgotten past it), as the daemon's MAX_OWN_POSTS. */
export const MAX_OWN_IDS = 10_000
/** Most notifications listed behind the badge (the newest). */
export const MAX_NOTES = 50

/** One reply or vote on an own post. */
export interface OwnNote {
  /** The reply or vote. */
  post: PostView
  /** Whether the user has seen it (opened the list since it came). */
  seen: boolean
}

/**
 * Tells replies and votes on the user's own posts apart from the rest. Own sends that are under way
 * hold the verdict on what arrives meanwhile: the node announces an own reply before `reply()` resolves
 * with its id, and the user's reply to their own post is no notification.
 *
 * @example
 * ```ts
 * const own = new OwnAnswers()
 * const result = await own.sending(async () => await node.post('#lobby', 'hi'))
 * node.addEventListener('post', (evt) => { own.arrived(evt.detail) })
 * ```
 */
export class OwnAnswers {
  private readonly mine = new Set<string>()
  private readonly notes: OwnNote[] = []
  private readonly held: PostView[] = []
  private inFlight = 0
  /** Called when the count or the list changes. */
  onchange: () => void = () => {}

  /** Runs an own send and remembers the id it gives. */
  async sending<T extends { id: string }> (send: () => Promise<T>): Promise<T> {
    this.inFlight++
    try {
      const result = await send()
      this.remember(result.id)
      return result
    } finally {
      this.inFlight--
      if (this.inFlight === 0) for (const post of this.held.splice(0)) this.judge(post)
    }
  }

  /** Remembers an own post's id. */
  remember (id: string): void {
    this.mine.add(id)
    for (const old of this.mine) {
      if (this.mine.size <= MAX_OWN_IDS) break
      this.mine.delete(old)
    }
  }

  /** A post arrived (from the network, or made here): a note when it answers an own post. */
  arrived (post: PostView): void {
    if (post.kind === 'POST' || post.parent === undefined || !this.mine.has(post.parent)) return
    if (this.inFlight > 0) this.held.push(post)
    else this.judge(post)
  }

  /** Replies and votes on own posts not seen yet. */
  unseen (): number {
    return this.notes.filter((n) => !n.seen).length
  }

  /** The notes, newest first; marks them seen. */
  look (): OwnNote[] {
    const notes = this.notes.map((n) => ({ ...n }))
    for (const n of this.notes) n.seen = true
    this.onchange()
    return notes.reverse()
  }

  private judge (post: PostView): void {
    if (this.mine.has(post.id) || this.notes.some((n) => n.post.id === post.id)) return
    this.notes.push({ post, seen: false })
    if (this.notes.length > MAX_NOTES) this.notes.shift()
    this.onchange()
  }
}

/** What a note says: `a reply to your post: "…"`, `an upvote on your post`. */
export function noteText (post: PostView): string {
  if (post.kind === 'VOTE') return `${post.vote > 0 ? 'an upvote' : 'a downvote'} on your post`
  return `a reply to your post: "${preview(post.body, 80)}"`
}

/**
 * Wires the badge (`#notes-button`, its count `#notes-count`) and the list behind it (`#notes`): the
 * count is of replies and votes not seen yet; opening the list shows them, newest first, and clears it.
 *
 * @example
 * ```ts
 * const notes = notesPanel(own)
 * notes.draw()
 * ```
 */
export function notesPanel (own: OwnAnswers): { draw(): void } {
  const byId = (id: string): HTMLElement => {
    const el = document.getElementById(id)
    if (el === null) throw new Error(`#${id} is missing from the page`)
    return el
  }
  const button = byId('notes-button')
  const count = byId('notes-count')
  const panel = byId('notes')
  const list = byId('notes-list')
  const draw = (): void => {
    const unseen = own.unseen()
    count.textContent = String(unseen)
    count.hidden = unseen === 0
    button.setAttribute('aria-label', `replies and votes on your posts: ${unseen === 0 ? 'none' : unseen} new`)
    button.dataset.unseen = String(unseen)
  }
  const fill = (): void => {
    const notes = own.look()
    list.replaceChildren(...(notes.length === 0 ? [item('nothing yet', false)] : notes.map((n) => item(noteText(n.post), !n.seen, n.post.parent))))
  }
  own.onchange = () => {
    draw()
    // an open list shows what comes while it is open
    if (!panel.hidden && own.unseen() > 0) fill()
  }
  button.onclick = () => {
    panel.hidden = !panel.hidden
    button.setAttribute('aria-expanded', String(!panel.hidden))
    if (!panel.hidden) fill()
  }
  return { draw }
}

function item (text: string, fresh: boolean, parent?: string): HTMLLIElement {
  const li = document.createElement('li')
  li.textContent = text
  if (fresh) li.className = 'fresh'
  if (parent !== undefined) li.dataset.parent = parent
  return li
}
