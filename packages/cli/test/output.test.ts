import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PSEUDONYM_NAME_BITS } from '@murmur/protocol'
import { formatPost, terminalJson } from '../src/output.js'
import { Timeline, nymOf } from '../src/chat/timeline.js'
import { postView } from './post-view.js'
import type { PostView } from '@murmur/node'

// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u
const HOSTILE = 'a\u202eb\u2028c\u2029d\u200be\ufefff\u001b[2Jg\u009bh\u2066i\u3164' + '\n'.repeat(30) + 'end'

const view = (extra: Partial<PostView> = {}): PostView => postView({ body: HOSTILE, ...extra })

describe('what the CLI prints', () => {
  it('prints JSON that parses to the same value with nothing a terminal acts on or hides', () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom(...HOSTILE), fc.integer({ min: 0, max: 0x10ffff }).map((code) => String.fromCodePoint(code))), maxLength: 40 })
    const value = fc.dictionary(text, fc.oneof(text, fc.integer(), fc.array(text, { maxLength: 3 })), { maxKeys: 4 })
    fc.assert(fc.property(value, fc.constantFrom(undefined, 2), (v, indent) => {
      const json = terminalJson(v, indent)
      expect(json).not.toMatch(/[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u)
      expect(JSON.parse(json)).toEqual(v)
    }), { numRuns: 500 })
  })

  it('shows a post and a notice in the chat, and a post in feed and thread, with nothing hidden and one blank line at most', () => {
    const timeline = new Timeline()
    timeline.addPost(view())
    timeline.notice(`error from the daemon: ${HOSTILE}`, 'error')
    const screen = timeline.render(80).map((line) => line.map((segment) => segment.text).join(''))
    expect(screen.join('\n')).not.toMatch(HIDDEN)
    expect(screen.slice(1, 6)).toEqual(['    ab', '    c', '    def[2Jghi', '    ', '    end'])
    // a notice is one line: what it hides is shown escaped
    const notice = screen.slice(6).join('').replace(/ /g, '')
    expect(notice).toBe(`errorfromthedaemon:a\\u{202e}b\\u{2028}c\\u{2029}d\\u{200b}e\\u{feff}f\\u{1b}[2Jg\\u{9b}h\\u{2066}i\\u{3164}${'\\n'.repeat(30)}end`)
    const printed = formatPost(view(), 1_700_000_000)
    expect(printed).not.toMatch(HIDDEN)
    expect(printed.split('\n').slice(2)).toEqual(['    ab', '    c', '    def[2Jghi', '    ', '    end'])
  })

  it(`names a pseudonym with ${PSEUDONYM_NAME_BITS} bits of a hash of its key, the same in the chat and in feed and thread`, () => {
    const { name, color } = nymOf(view().pseudonym)
    expect(name).toBe('kukot-dikar-hipat')
    expect(color).toBe(93)
    expect(formatPost(view(), 1_700_000_000, 140).split('\n')[0]).toBe(`${'ab'.repeat(32)}  +0  0 replies  just now  1d left  kukot-dikar-hipat  unverified`)
    expect(formatPost(view(), 1_700_000_000, 80).split('\n').slice(0, 2)).toEqual(['ab'.repeat(32), '  +0  0 replies  just now  1d left  kukot-dikar-hipat  unverified'])
    expect(nymOf(undefined)).toEqual({ name: 'anonymous', color: undefined })
  })
})
