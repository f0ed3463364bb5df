/**
 * S10C 2: a member's own circle post made on a generation that lost a fork (docs/PROTOCOL.md §6.7) is
 * shown NOT DELIVERED by feed, thread and watch and by the chat, with the command that posts it again;
 * a circle post the members read carries no such mark.
 */
import { describe, expect, it } from 'vitest'
import { parseChatInput } from '../src/chat/input.js'
import { Timeline } from '../src/chat/timeline.js'
import { formatPost } from '../src/output.js'
import { columns } from '../src/text.js'
import { postView } from './post-view.js'
import type { CirclePostView } from '../src/api-types.js'

const NOW = 1_700_000_000
const ID = 'ab'.repeat(32)
const inCircle = (state: CirclePostView['state']): CirclePostView => ({ ...postView({ id: ID, body: 'see you at eight', member: true, pseudonym: undefined }), circle: 'friends', state })
const REPOST = `murmur circle repost friends ${ID}`

describe('an own circle post lost in a fork', () => {
  it('feed, thread and watch mark it NOT DELIVERED and say how to post it again; a shared one is unmarked', () => {
    const forked = formatPost(inCircle('forked'), NOW, 200).split('\n')
    expect(forked[0]).toBe(`${ID}  +0  0 replies  just now  1d left  anonymous  member  NOT DELIVERED`)
    expect(forked.at(-1)).toBe(`  not delivered: the circle changed its key while this was sent; post it again: ${REPOST}`)
    const shared = formatPost(inCircle('shared'), NOW, 200)
    expect(shared).not.toMatch(/not delivered/i)
  })

  it('the chat marks it in red, with its /repost command, within the width', () => {
    const timeline = new Timeline()
    timeline.addPost(inCircle('forked'))
    const rows = timeline.render(80).map((line) => line.map((segment) => segment.text).join(''))
    expect(rows[0]).toMatch(/^\[1\] .* member NOT DELIVERED /)
    expect(rows.slice(1).join(' ').replace(/\s+/g, ' ')).toContain('post it again: /repost 1')
    expect(parseChatInput('/repost 1')).toEqual({ type: 'repost', target: '1' })
    for (const row of rows) expect(columns(row)).toBeLessThanOrEqual(80)
  })
})
