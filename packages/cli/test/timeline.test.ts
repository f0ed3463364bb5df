import { describe, expect, it } from 'vitest'
import { Timeline } from '../src/chat/timeline.js'
import { shortId } from '../src/text.js'
import type { StyledLine } from '../src/chat/screen.js'
import type { PostView } from '@murmur/node'

const post = (n: number, extra: Partial<PostView> = {}): PostView => ({
  id: n.toString(16).padStart(64, '0'),
  channel: '#lobby',
  kind: 'POST',
  body: `post ${n}`,
  vote: 0,
  created: 1_700_000_000 + n,
  expires: 1_700_086_400 + n,
  score: 0,
  replies: 0,
  pseudonym: 'ab'.repeat(32),
  op: true,
  root: n.toString(16).padStart(64, '0'),
  ...extra
} as PostView)

describe('chat timeline', () => {
  it('shows a post once as it arrives, numbered in order', () => {
    const timeline = new Timeline()
    timeline.addPost(post(1))
    timeline.addPost(post(2))
    timeline.addPost(post(1, { score: 3 }))
    expect(timeline.length).toBe(2)
    expect(timeline.resolve('2')).toBe(post(2).id)
  })

  it('lists a whole thread on request, even the posts already on screen', () => {
    const timeline = new Timeline()
    const root = post(1)
    const reply = post(2, { kind: 'REPLY', parent: root.id, root: root.id, op: false })
    timeline.addPost(root)
    timeline.addPost(reply)
    timeline.notice('── thread ──')
    for (const p of [root, reply]) timeline.addPost(p, true)
    expect(timeline.length).toBe(5)
  })

  it('renders from its caches exactly what a timeline rendering for the first time does', () => {
    const long = 'a body long enough to wrap more than once at narrow widths '.repeat(4)
    const body = (n: number): string => `${long}${n}`
    const parent = post(100, { body: long })
    const steps: Array<(timeline: Timeline) => void> = [
      (t) => { for (let n = 1; n <= 5; n++) t.addPost(post(n, { body: body(n) })) },
      (t) => { t.addPost(post(6, { kind: 'REPLY', parent: parent.id, root: parent.id, op: false })) },
      // new counters of a post already shown (its body, part of its id, stays the same)
      (t) => { t.notice('a notice\twith a tab'); t.addPost(post(1, { body: body(1), score: 2, replies: 1 })) },
      // the reply's parent gets a number: its head changes from a short id to [7]
      (t) => { t.remember(parent); t.addPost(post(7, { body: 'line one\nline two' })) },
      (t) => { t.clear(); t.addPost(post(2, { body: body(2) })); t.addPost(parent, true) }
    ]
    const cached = new Timeline()
    const fresh = (count: number, width: number): StyledLine[] => {
      const timeline = new Timeline()
      for (const step of steps.slice(0, count)) step(timeline)
      return timeline.render(width)
    }
    const replyHeads = steps.map((step, i) => {
      step(cached)
      for (const width of [80, 80, 30, 120, 80]) {
        expect(cached.render(width)).toEqual(fresh(i + 1, width))
      }
      return cached.render(80).flat().find((segment) => segment.text.startsWith('↳'))?.text
    })
    expect(replyHeads[1]).toBe(`↳${shortId(parent.id)} `)
    expect(replyHeads[3]).toBe('↳[7] ')
    // a caller changing what it got does not change the next render
    cached.render(80).push([{ text: 'extra' }])
    expect(cached.render(80)).toEqual(fresh(steps.length, 80))
  })
})
