/**
 * `murmur peek`: read a far place's feed without posting there.
 */
import { Command } from 'commander'
import { PlacesClient } from '../places-client.js'
import { isTypedPoint, parseLevel, parsePoint, placeChannel } from '../place-input.js'
import { clientOf, outputOf, withCommonOptions } from './options.js'
import type { CommonOptions } from './options.js'

/** Options of `murmur peek`. */
interface PeekOptions extends CommonOptions {
  level?: string
  leave?: boolean
}

/**
 * The `peek` command.
 *
 * @example
 * ```ts
 * program.addCommand(peekCommand())
 * ```
 */
export function peekCommand (): Command {
  return withCommonOptions(new Command('peek'))
    .description('read a far place\'s feed without posting there: its channel is joined read only (post, reply and vote are refused) until you leave it')
    .argument('[place]', 'a location channel or geohash (geo:dr5r, dr5r), or LAT,LON; none lists what you peek at')
    .option('--level <n>', 'cell level for LAT,LON: 2 region, 4 city, 5 town, 6 neighbourhood', '4')
    .option('--leave', 'stop peeking at the place')
    .addHelpText('after', `
Peeking subscribes to the place's channel: your mesh peers see that this node reads it (not where
you are). Read it with: murmur feed <channel>. Coordinates never leave this computer: only the
cell's name does.`)
    .action(async (placeArg: string | undefined, options: PeekOptions) => {
      const places = new PlacesClient(await clientOf(options))
      const output = outputOf(options)
      if (placeArg === undefined) {
        const state = await places.state()
        output.result(state, () => state.peeked.length === 0 ? 'peeking at no place' : `peeking at ${state.peeked.join(', ')}`)
        return
      }
      const level = parseLevel(options.level ?? '4')
      if (options.leave === true) {
        const state = await places.leave({ channel: placeChannel(placeArg, level) })
        output.result(state, () => `no longer peeking${state.peeked.length === 0 ? '' : ` (still at ${state.peeked.join(', ')})`}`)
        return
      }
      const answer = await places.peek(isTypedPoint(placeArg) ? { ...parsePoint(placeArg), level } : { place: placeChannel(placeArg, level) })
      output.result(answer, () => `peeking at ${answer.channel} (read only): murmur feed ${answer.channel}`)
    })
}
