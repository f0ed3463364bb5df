/**
 * `murmur post`, `murmur reply` and `murmur vote`: build a post in the daemon, showing the
 * proof-of-work progress; Ctrl-C cancels the mining.
 */
import { Command, Option } from 'commander'
import { LIFETIME_NAMES, LIFETIME_REASON, LifetimeError, parseLifetime } from '@murmur/protocol'
import { CircleClient } from '../circle-client.js'
import { CircleNotReadyError } from '../circle-errors.js'
import { circleNameOf } from '../circle-name.js'
import { cannotPostLine, circleSignedLine, warningLines } from '../circle-text.js'
import { commandArguments, textArgumentHelp } from '../argument-input.js'
import { CancelledError } from '../errors.js'
import { lifetimeHelp } from '../lifetime.js'
import { ringOf, signedLine } from '../membership.js'
import { parsePostRef, postIdHelp } from '../post-id.js'
import { voteRuleHelp } from '../vote-rule.js'
import { CHANNEL_ARGUMENT, clientOf, outputOf, parseBody, parseChannel, parseVote, withCommonOptions } from './options.js'
import type { CommonOptions } from './options.js'
import type { PostingResult, PostResult } from '../api-types.js'
import type { ControlClient, PostingOptions } from '../client.js'
import type { Output } from '../output.js'

interface PostingCommandOptions extends CommonOptions {
  /** `--for`: the post's lifetime in seconds (parseLifetime). */
  for?: number
  /** `--file`: the text, read from this file. */
  file?: string
}

/**
 * The `post` command.
 *
 * @example
 * ```ts
 * program.addCommand(postCommand())
 * ```
 */
export function postCommand (): Command {
  return withLifetime(withCommonOptions(new Command('post')))
    .description('post to a channel (`lobby` means #lobby) or one of your circles (circle:NAME)')
    .argument('<channel>', CHANNEL_ARGUMENT)
    .argument('[text]', textArgumentHelp('what to say (at most 2048 bytes)'))
    .option('--file <path>', 'read the text from this file')
    .action(async (channelArg: string, textArg: string | undefined, options: PostingCommandOptions) => {
      const [channel = '', text = ''] = await commandArguments(['channel', 'text'], [channelArg, textArg], options)
      const request = { channel: parseChannel(channel), body: parseBody(text), ttl: options.for }
      const client = await clientOf(options)
      const out = outputOf(options)
      const circle = circleNameOf(request.channel)
      if (circle !== undefined) await readyToPost(client, out, circle)
      report(out, await mine(out, async (posting) => client.post(request, posting)), `posted to ${request.channel}`)
    })
}

/**
 * The `reply` command.
 *
 * @example
 * ```ts
 * program.addCommand(replyCommand())
 * ```
 */
export function replyCommand (): Command {
  return withLifetime(withCommonOptions(new Command('reply')))
    .description('reply to a post or reply, under your pseudonym in its thread')
    .argument('<post-id>', `${postIdHelp('the post or reply')}; - reads it from stdin, then the text (a line each): other users of this machine can see a command's arguments`)
    .argument('[text]', textArgumentHelp('what to say (at most 2048 bytes)'))
    .option('--file <path>', 'read the text from this file')
    .action(async (postIdArg: string, textArg: string | undefined, options: PostingCommandOptions) => {
      const [postId = '', text = ''] = await commandArguments(['post-id', 'text'], [postIdArg, textArg], options)
      const ref = parsePostRef(postId)
      const body = parseBody(text)
      const client = await clientOf(options)
      const request = { parent: await client.resolvePostId(ref), body, ttl: options.for }
      const out = outputOf(options)
      report(out, await mine(out, async (posting) => client.reply(request, posting)), 'replied')
    })
}

/**
 * The `vote` command.
 *
 * @example
 * ```ts
 * program.addCommand(voteCommand())
 * ```
 */
export function voteCommand (): Command {
  return withRetiredTtl(withCommonOptions(new Command('vote')))
    .description('vote on a post or reply, as one of the channel\'s members (needs this node\'s member stamp: exit code 5 and when to vote again until it is minted). One vote per post: a second one, or an opposite one, is refused with exit code 6 (a vote can be neither repeated nor changed)')
    .argument('<post-id>', `${postIdHelp('the post or reply')}; - reads it from stdin, then the direction (a line each): other users of this machine can see a command's arguments`)
    .argument('[direction]', 'up or down; left out (when stdin is not a terminal), read from stdin')
    .addHelpText('after', `\n${voteRuleHelp()}`)
    .action(async (postIdArg: string, directionArg: string | undefined, options: PostingCommandOptions) => {
      const [postId = '', direction = ''] = await commandArguments(['post-id', 'direction'], [postIdArg, directionArg])
      const ref = parsePostRef(postId)
      const vote = parseVote(direction)
      const client = await clientOf(options)
      const request = { post: await client.resolvePostId(ref), vote }
      const out = outputOf(options)
      report(out, await mine(out, async (posting) => client.vote(request, posting)), request.vote > 0 ? 'upvoted' : 'downvoted')
    })
}

/** `--for 1h|1d|1w`: the lifetime of a post or reply, one of three (lifetime.ts says why). */
function withLifetime (command: Command): Command {
  return withRetiredTtl(command.option('--for <lifetime>', lifetimeHelp(), parseLifetime))
}

/**
 * The `--ttl <seconds>` of earlier releases, hidden: any lifetime in seconds would link an author's
 * posts, so it is refused, saying what replaced it (a vote lives a day, as in every UI).
 */
function withRetiredTtl (command: Command): Command {
  return command.addOption(new Option('--ttl <seconds>').hideHelp().argParser(() => {
    throw new LifetimeError(`--ttl is gone: a post or reply takes --for ${LIFETIME_NAMES.join('|')}, a vote lives a day (${LIFETIME_REASON})`)
  }))
}

/** Runs a posting call with mining progress on stderr; Ctrl-C aborts it (and the daemon's mining). */
async function mine (out: Output, call: (options: PostingOptions) => Promise<PostResult>): Promise<PostResult> {
  const controller = new AbortController()
  const onSigint = (): void => { controller.abort() }
  process.once('SIGINT', onSigint)
  try {
    return await call({
      signal: controller.signal,
      onProgress: ({ attempts, bits }) => {
        out.progress(`mining proof of work (${bits} bits): ${attempts.toLocaleString('en-US')} hashes… Ctrl-C cancels`)
      }
    })
  } catch (err) {
    if (controller.signal.aborted) {
      throw new CancelledError('cancelled: nothing was posted')
    }
    throw err
  } finally {
    process.off('SIGINT', onSigint)
    out.clearProgress()
  }
}

/**
 * Refuses, before anything is mined, a post in a circle that cannot take one now (saying why), and notes
 * what else its member should know (the circle's warnings).
 */
async function readyToPost (client: ControlClient, out: Output, name: string): Promise<void> {
  const summary = await new CircleClient(client).get(name)
  const refusal = cannotPostLine(summary)
  if (refusal !== undefined) throw new CircleNotReadyError(`not posted: ${refusal}`)
  for (const line of warningLines(summary)) out.note(line)
}

function report (out: Output, result: PostingResult, done: string): void {
  // the daemon names the circle of a circle's post, reply or vote (a reply or vote names only its post)
  const { circle } = result
  out.result(result, () => `${result.status === 'sent'
    ? `${done}: ${result.id} (sent to ${result.recipients} ${result.recipients === 1 ? 'peer' : 'peers'})`
    : `${done}: ${result.id} (queued: ${result.reason === 'no-connections' ? 'no peer connected' : 'no peer in the channel'} yet; the daemon sends it when one comes)`}\n${circle === undefined ? signedLine(ringOf(result)) : circleSignedLine(ringOf(result), circle)}`)
}
