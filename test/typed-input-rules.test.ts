/**
 * The library and the CLI read what is typed by one rule (issue 16 item 8): a channel name (`lobby` is
 * `#lobby`, `Lobby` too), an empty post, an author's name. The rule is @murmur/protocol's channelName,
 * isBlankText and authorName; each side is checked against it here.
 */
import { describe, expect, it } from 'vitest'
import { parseBody, parseChannel } from '../packages/cli/src/commands/options.ts'
import { nameOf } from '../packages/cli/src/text.ts'
import { cleanedAfterEach, startNode } from '../packages/node/test/harness.ts'
import { channelName } from '../packages/protocol/src/channel-name.ts'
import { authorName, isBlankText } from '../packages/protocol/src/display.ts'

/** Names as people type them: bare, #, case, full-width, composed, spaced, look-alike, bad. */
const TYPED = ['lobby', '#lobby', 'Lobby', '#LOBBY', 'ＬＯＢＢＹ', ' lobby ', 'cafe\u0301', 'İstanbul', 'geo:u4pruy', 'Random Stuff', '#a/b', 'evil\u202etxt', 'x'.repeat(500), '', '#']
/** Bodies: blank ones (nothing would show) and ones that show something. */
const BODIES = ['', ' ', '\n\t\n', '\u200b', ' \u202e ', '\ufeff', 'hi', ' . ', '👩\u200d💻']

/** What `fn` returns, or the message of what it throws. */
function outcome (fn: () => unknown): unknown {
  try {
    return fn()
  } catch (err) {
    return { refused: (err as Error).message }
  }
}

describe('the CLI reads what is typed by the protocol\'s rule', () => {
  it('names authors as authorName does', () => {
    for (const key of ['0b7100b7'.padEnd(64, '0'), 'ff'.repeat(32), undefined, 'not a key']) expect(nameOf(key)).toBe(authorName(key))
  })

  it('reads channel names as channelName does (İstanbul, spaces around, the quoted input)', () => {
    for (const typed of TYPED) expect(outcome(() => parseChannel(typed)), JSON.stringify(typed)).toEqual(outcome(() => channelName(typed)))
  })

  it('refuses exactly the bodies isBlankText calls blank', () => {
    for (const body of BODIES) expect(outcome(() => parseBody(body)) instanceof Object, JSON.stringify(body)).toBe(isBlankText(body))
  })
})

describe('the library reads what is typed by the protocol\'s rule', () => {
  const cleanup = cleanedAfterEach()

  it('joins, posts to and reads `lobby` and `Lobby` as #lobby', async () => {
    const node = await startNode({ mdns: false, channels: [] })
    cleanup.running.push(node)
    await node.join('Lobby')
    expect(node.channels()).toEqual(['#lobby'])
    const sent = await node.post('lobby', 'hello')
    expect((await node.feed('#lobby')).map((post) => post.id)).toContain(sent.id)
  }, 60_000)

  it('refuses a blank post or reply, as the CLI does', async () => {
    const node = await startNode({ mdns: false, channels: ['#lobby'] })
    cleanup.running.push(node)
    for (const body of BODIES.filter(isBlankText)) {
      await expect(node.post('#lobby', body), JSON.stringify(body)).rejects.toMatchObject({ name: 'PostValidationError', code: 'ERR_BAD_FIELD' })
      // refused before the parent is looked up: no post is needed to name
      await expect(node.reply('00'.repeat(32), body), JSON.stringify(body)).rejects.toMatchObject({ name: 'PostValidationError', code: 'ERR_BAD_FIELD' })
    }
  }, 60_000)
})
