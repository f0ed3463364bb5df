import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { channelName } from '../src/channel-name.js'
import { validateChannel } from '../src/channel.js'
import { authorName, isBlankText, pseudonymName } from '../src/display.js'
import { fromHex } from '../src/bytes.js'

/** The ProtocolError `fn` throws, or undefined. */
function refusal (fn: () => unknown): { code?: string, message: string } | undefined {
  try {
    fn()
  } catch (err) {
    return err as { code?: string, message: string }
  }
  return undefined
}

describe('channelName: a channel name as typed, one rule for every UI and the node', () => {
  it('reads a bare name as a #name and folds case, full-width and composed forms into one channel', () => {
    for (const typed of ['lobby', '#lobby', 'Lobby', '#LOBBY', 'ＬＯＢＢＹ', '＃ｌｏｂｂｙ', '  lobby ']) expect(channelName(typed), typed).toBe('#lobby')
    expect(channelName('cafe\u0301')).toBe('#caf\u00e9')
    // capital I with a dot lower-cases to i and a combining dot, which a name may not hold: folded to i
    expect(channelName('İstanbul')).toBe('#istanbul')
    expect(channelName('geo:u4pruy')).toBe('geo:u4pruy')
    expect(channelName('circle:00112233445566778899aabbccddeeff')).toBe('circle:00112233445566778899aabbccddeeff')
  })

  it('refuses a name with a space instead of cutting it at the space', () => {
    expect(refusal(() => channelName('Random Stuff'))).toMatchObject({ code: 'ERR_BAD_CHANNEL', message: 'bad channel name "Random Stuff": a channel name is one word (try "#random-stuff")' })
  })

  it('says the problem once, quoting what was typed cut to 40 characters and shown safely', () => {
    const slash = refusal(() => channelName('#a/b'))
    expect(slash?.message).toBe('bad channel name "#a/b": U+002F is a space, \'/\', \'#\', or a character drawn as nothing or blank (use #name, name, or geo:<geohash>)')
    expect(refusal(() => channelName('x'.repeat(500)))?.message).toMatch(/^bad channel name "x{39}…": channel name is 501 bytes, at most 64 allowed/)
    // a bidi control typed is quoted escaped, never raw
    expect(refusal(() => channelName('evil\u202etxt'))?.message).toMatch(/^bad channel name "evil\\u\{202e\}txt": /)
    expect(refusal(() => channelName(''))?.code).toBe('ERR_BAD_CHANNEL')
  })

  it('gives names that validate, and gives them back unchanged (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (typed) => {
      let channel: string
      try {
        channel = channelName(typed)
      } catch (err) {
        expect((err as { code?: string }).code).toBe('ERR_BAD_CHANNEL')
        return
      }
      expect(() => { validateChannel(channel) }).not.toThrow()
      expect(channelName(channel)).toBe(channel)
    }), { numRuns: 500 })
  })
})

describe('isBlankText: a body that shows nothing', () => {
  it('is empty, or only spaces, line breaks and what the display rule removes', () => {
    for (const blank of ['', ' ', '\n\n\t', '\u200b', ' \u202e\u2066 ', '\u3000\u00a0', '\ufeff\u2028']) expect(isBlankText(blank), JSON.stringify(blank)).toBe(true)
    for (const shown of ['hi', ' . ', '\u0301', '👩\u200d💻', '\u2800x']) expect(isBlankText(shown), JSON.stringify(shown)).toBe(false)
  })
})

describe('authorName: one naming scheme for authors', () => {
  it('is the pseudonym\'s name, in either case of hex, else anonymous', () => {
    const key = '0b7100b7'.padEnd(64, '0')
    expect(authorName(key)).toBe(pseudonymName(fromHex(key)))
    expect(authorName(key.toUpperCase())).toBe(pseudonymName(fromHex(key)))
    for (const none of [undefined, '', 'zz'.repeat(32), key.slice(2)]) expect(authorName(none)).toBe('anonymous')
  })
})
