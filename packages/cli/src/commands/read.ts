/**
 * `murmur feed`, `murmur thread` and `murmur watch`: read what the daemon holds and receives.
 */
import { Command, Option } from 'commander'
import { FEED_SORTS, TOP_CANDIDATES, shownFeed } from '@murmur/node/feed-order'
import { postFilter } from '@murmur/node/filters'
import { CircleClient } from '../circle-client.js'
import { circleNameOf } from '../circle-name.js'
import { warningLines } from '../circle-text.js'
import { FEED_LIMIT } from '../constants.js'
import { DaemonNotRunningError, UsageError } from '../errors.js'
import { readFilters } from '../filter-file.js'
import { murmurCommand } from '../hint.js'
import { formatPost, formatPosts } from '../output.js'
import { resolveDataDir } from '../paths.js'
import { shortId } from '../text.js'
import { parsePostRef, postIdHelp } from '../post-id.js'
import { voteRuleHelp } from '../vote-rule.js'
import { CHANNEL_ARGUMENT, clientOf, outputOf, parseChannel, parsePositiveInt, withCommonOptions } from './options.js'
import type { CommonOptions } from './options.js'
import type { ControlClient } from '../client.js'
import type { Output } from '../output.js'
import type { FeedSort, PostView } from '@murmur/node'

/** What the marks on each post mean, and the vote rule (after the options of feed, thread and watch). */
const MARKS_HELP = `
Each post is marked "member" (ring-signed by a stamped member; in a circle, by
one of the circle's members, none of them can tell which) or "unverified"
(one-time-signed by a node without a member stamp: its votes count for nothing).
--json carries it as "member": true or false.

${voteRuleHelp()}

Your mutes and filters (murmur filter --help) hide posts here; a note says how many.`

/** The orders of `feed --sort`, with their formulas. */
const SORT_HELP = `
Orders (--sort):
  hot  (max(0, score) + 1) / (age in hours + 2) ^ 1.5, highest first
  new  newest first
  top  score, highest first, over the posts this node holds (each lives a day
       by default, a week at most; the newest ${TOP_CANDIDATES} of the channel)
Ties go to the newer post.`

interface FeedOptions extends CommonOptions {
  sort: FeedSort
  limit: number
}

/**
 * The `feed` command.
 *
 * @example
 * ```ts
 * program.addCommand(feedCommand())
 * ```
 */
export function feedCommand (): Command {
  return withCommonOptions(new Command('feed'))
    .description('print the posts of a channel or of one of your circles (circle:NAME)')
    .argument('<channel>', CHANNEL_ARGUMENT)
    .addOption(new Option('--sort <order>', 'new: newest first; hot: by score and age; top: by score').choices([...FEED_SORTS]).default('new'))
    .option('--limit <n>', 'at most this many posts', parsePositiveInt, FEED_LIMIT)
    .addHelpText('after', `${MARKS_HELP}\n${SORT_HELP}`)
    .action(async (channelArg: string, options: FeedOptions) => {
      const channel = parseChannel(channelArg)
      const client = await clientOf(options)
      const out = outputOf(options)
      const circle = circleNameOf(channel)
      // a circle is held, not joined: what to know before posting in it comes before its posts
      if (circle !== undefined) await noteCircle(client, out, circle)
      const filters = await readFilters(resolveDataDir(options.dataDir))
      const [{ posts, hidden }, status] = await Promise.all([shownFeed(async (o) => await client.feed(channel, o), { sort: options.sort, limit: options.limit, filters }), client.status()])
      noteHidden(out, hidden)
      const joined = circle !== undefined || status.channels.some((c) => c.channel === channel)
      if (!joined) {
        // its posts only come in while joined: an empty feed here says nothing about the channel
        out.note(`this daemon has not joined ${channel}, so it receives none of its posts: \`${murmurCommand(['join', channel.replace(/^#/, '')], resolveDataDir(options.dataDir))}\` first`)
      }
      out.result({ channel, sort: options.sort, joined, posts }, () => formatPosts(posts, joined ? `no posts in ${channel} yet` : `no posts of ${channel} here`, out.columns))
    })
}

/**
 * The `thread` command.
 *
 * @example
 * ```ts
 * program.addCommand(threadCommand())
 * ```
 */
export function threadCommand (): Command {
  return withCommonOptions(new Command('thread'))
    .description('print a thread: the post, then its replies in order')
    .argument('<post-id>', postIdHelp('the thread\'s post'))
    .addHelpText('after', MARKS_HELP)
    .action(async (postId: string, options: CommonOptions) => {
      const ref = parsePostRef(postId)
      const client = await clientOf(options)
      const root = await client.resolvePostId(ref)
      const filter = postFilter(await readFilters(resolveDataDir(options.dataDir)))
      const read = await client.thread(root)
      const posts = read.filter((post) => filter(post) === undefined)
      const out = outputOf(options)
      noteHidden(out, read.length - posts.length)
      out.result({ root, posts }, () => formatPosts(posts, read.length > 0 ? 'every post of this thread is hidden by your filters' : 'empty thread', out.columns))
    })
}

/**
 * The `watch` command.
 *
 * @example
 * ```ts
 * program.addCommand(watchCommand())
 * ```
 */
export function watchCommand (): Command {
  return withCommonOptions(new Command('watch'))
    .description('print the posts, replies and votes of a channel or circle as they arrive, until Ctrl-C (--json: one object per line)')
    .argument('[channel]', `${CHANNEL_ARGUMENT} (with --mine: every channel when left out)`)
    .option('--mine', 'only replies and votes on your own posts and replies (those made through this daemon since it started)')
    .addHelpText('after', MARKS_HELP)
    .action(async (channelArg: string | undefined, options: WatchOptions) => {
      if (channelArg === undefined && options.mine !== true) throw new UsageError('name the channel to watch, or watch replies to your posts in every channel with --mine')
      const channel = channelArg === undefined ? undefined : parseChannel(channelArg)
      const client = await clientOf(options)
      const out = outputOf(options)
      const circle = channel === undefined ? undefined : circleNameOf(channel)
      if (circle !== undefined) {
        await noteCircle(client, out, circle)
      } else if (channel !== undefined) {
        await client.join(channel)
      }
      const filter = postFilter(await readFilters(resolveDataDir(options.dataDir)))
      const mine = options.mine === true ? new OwnPosts(client) : undefined
      const controller = new AbortController()
      const onSignal = (): void => { controller.abort() }
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      try {
        let announced = false
        for await (const event of client.events({ channel, signal: controller.signal })) {
          if (event.type === 'status' && !announced) {
            announced = true
            await mine?.refresh()
            const what = mine === undefined ? '' : `replies and votes on your posts in ${channel ?? 'every channel'}`
            out.note(`watching ${what === '' ? channel ?? '' : what} (Ctrl-C stops)`)
          } else if (event.type === 'post' && filter(event.post) === undefined) {
            if (mine !== undefined && !await mine.answers(event.post)) continue
            const on = mine === undefined ? '' : `${event.post.kind === 'VOTE' ? 'vote' : 'reply'} on your post ${shortId(event.post.parent ?? '')}\n`
            out.item(event.post, () => `${on}${formatPost(event.post, undefined, out.columns)}\n`)
          }
        }
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
      if (!controller.signal.aborted) {
        throw new DaemonNotRunningError('the murmur daemon stopped')
      }
    })
}

interface WatchOptions extends CommonOptions {
  mine?: boolean
}

/** The daemon's own posts and replies (GET /v1/mine), asked again when a post answers one not known yet. */
class OwnPosts {
  private ids = new Set<string>()

  constructor (private readonly client: ControlClient) {}

  async refresh (): Promise<void> {
    this.ids = new Set(await this.client.mine())
  }

  /** Whether `post` replies to or votes on an own post (or reply), and is not one of ours itself. */
  async answers (post: PostView): Promise<boolean> {
    if (post.parent === undefined || this.ids.has(post.id)) return false
    if (!this.ids.has(post.parent)) await this.refresh()
    return this.ids.has(post.parent) && !this.ids.has(post.id)
  }
}

/** Says how many posts the reader's filters hid, if any. */
function noteHidden (out: Output, hidden: number): void {
  if (hidden > 0) out.note(`${hidden} ${hidden === 1 ? 'post' : 'posts'} hidden by your filters (murmur filter list)`)
}

/** What to know of a circle before posting in it, as notes (UnknownCircleError when this node holds none of the name). */
async function noteCircle (client: ControlClient, out: Output, name: string): Promise<void> {
  const summary = await new CircleClient(client).get(name)
  for (const line of warningLines(summary)) out.note(line)
}
