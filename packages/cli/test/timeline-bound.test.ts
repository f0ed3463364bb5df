import { describe, expect, it } from 'vitest'
import { MAX_TIMELINE_ENTRIES, Timeline } from '../src/chat/timeline.js'
import { postView } from './post-view.js'
import type { PostView } from '@murmur/node'

const post = (n: number): PostView => postView({
  id: n.toString(16).padStart(64, '0'),
  body: `post ${n} ${'word '.repeat(40)}`,
  created: 1_700_000_000 + n,
  expires: 1_700_086_400 + n,
  root: n.toString(16).padStart(64, '0')
})

describe('chat timeline bound (RV9 M3)', () => {
  it(`keeps the newest ${MAX_TIMELINE_ENTRIES} entries, so a resize re-wraps a bounded number of posts`, () => {
    const timeline = new Timeline()
    const total = MAX_TIMELINE_ENTRIES + 500
    for (let n = 1; n <= total; n++) timeline.addPost(post(n))
    timeline.notice('hello')
    expect(timeline.length).toBe(MAX_TIMELINE_ENTRIES)
    const rows = timeline.render(80)
    // each post: a header and its wrapped body; the oldest 501 are gone, the newest and the notice are shown
    expect(rows.length).toBeLessThanOrEqual(MAX_TIMELINE_ENTRIES * 4)
    const text = rows.map((row) => row.map((s) => s.text).join('')).join('\n')
    expect(text).toContain(`post ${total} `)
    expect(text).not.toContain('post 501 ')
    expect(text).toContain('post 502 ')
    expect(text).toContain('hello')
    // numbers stay valid: the number of a dropped post still names its id, for /thread
    expect(timeline.resolve('1')).toBe(post(1).id)
    expect(timeline.get(post(1).id)).toBeUndefined()
    expect(timeline.get(post(total).id)).toBeDefined()
    // a dropped post that arrives again is shown again, at the bottom, with its old number
    timeline.addPost(post(1))
    const again = timeline.render(80)
    expect(again.at(-4)?.[0]?.text).toBe('[1] ')
  })

  it('keeps a post shown twice (a thread listing) until its last entry goes', () => {
    const timeline = new Timeline()
    timeline.addPost(post(1))
    for (let n = 2; n < MAX_TIMELINE_ENTRIES; n++) timeline.addPost(post(n))
    timeline.addPost(post(1), true)
    timeline.addPost(post(MAX_TIMELINE_ENTRIES + 1)) // drops the first entry of post 1, not its second
    expect(timeline.get(post(1).id)).toBeDefined()
  })
})
