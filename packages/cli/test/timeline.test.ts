import { describe, expect, it } from 'vitest'
import { Timeline } from '../src/chat/timeline.js'
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
})
