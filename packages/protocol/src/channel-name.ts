/**
 * A channel name as a person or an app types it, read the same way by every Murmur UI and by the node:
 * one rule, so that `murmur post lobby …`, the chat's `/join Lobby`, the page and `node.join('lobby')`
 * all mean one channel, `#lobby`.
 */
import { validateChannel } from './channel.js'
import { displayLine } from './display.js'
import { ProtocolError } from './errors.js'

/** Characters of what was typed that an error message quotes: enough to recognise it, never a screenful. */
const QUOTED_CHARACTERS = 40

/**
 * The channel a typed name means: NFKC-normalised (full-width and composed look-alikes fold into the
 * name they look like), trimmed; a bare name (no `#`, no `:`) is a `#name`; a `#name` is lower-cased
 * (names differ by case on the wire, so `#Lobby` would be a second channel that looks like `#lobby`;
 * `İ` folds to `i`);
 * `geo:` and `circle:` names are taken as they are. Then checked by {@link validateChannel}. Throws
 * a ProtocolError `ERR_BAD_CHANNEL` that quotes what was typed once (cut to 40 characters) and says
 * what is wrong; a name with a space in it is refused, never cut at the space.
 *
 * @example
 * ```ts
 * channelName('lobby')       // '#lobby'
 * channelName('#ＬＯＢＢＹ')    // '#lobby'
 * channelName('geo:u4pruyd') // 'geo:u4pruyd'
 * channelName('Random Stuff') // throws ERR_BAD_CHANNEL: a channel name is one word (try "#random-stuff")
 * ```
 */
export function channelName (typed: string): string {
  if (typeof typed !== 'string') {
    throw new ProtocolError('ERR_BAD_CHANNEL', 'channel name must be a string')
  }
  const folded = typed.normalize('NFKC').trim()
  const named = folded.startsWith('#') || folded.includes(':') ? folded : `#${folded}`
  // İ (U+0130) lower-cases to i and a combining dot, which names may not hold: it folds to i, as I does
  const channel = named.startsWith('#') ? named.toLowerCase().replace(/i\u0307/gu, 'i') : named
  // quoted as typed, with what no UI shows escaped
  const shown = displayLine(JSON.stringify(cut(typed)))
  if (/\s/u.test(channel)) {
    throw new ProtocolError('ERR_BAD_CHANNEL', `bad channel name ${shown}: a channel name is one word (try ${JSON.stringify(cut(channel.replace(/\s+/gu, '-')))})`)
  }
  try {
    validateChannel(channel)
  } catch (err) {
    // validateChannel's message names the channel as normalised: its reason alone, after what was typed
    const reason = (err as Error).message.replace(/^bad channel name "(?:[^"\\]|\\.)*": /u, '')
    throw new ProtocolError('ERR_BAD_CHANNEL', `bad channel name ${shown}: ${reason} (use #name, name, or geo:<geohash>)`)
  }
  return channel
}

/** At most QUOTED_CHARACTERS characters of `text`, an ellipsis after a cut. */
function cut (text: string): string {
  const chars = [...text]
  return chars.length <= QUOTED_CHARACTERS ? text : `${chars.slice(0, QUOTED_CHARACTERS - 1).join('')}…`
}
