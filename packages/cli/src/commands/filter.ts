/**
 * `murmur filter list|word|thread|author|score|remove|clear`: the reader's mutes and filters, kept in the
 * data dir (filter-file.ts) and applied by feed, thread, watch and the chat. Local only: nothing is sent.
 */
import { Command } from 'commander'
import { filterWords } from '@murmur/node/filters'
import { UsageError } from '../errors.js'
import { readFilters, updateFilters } from '../filter-file.js'
import { parsePostRef, pickPostId, postIdHelp } from '../post-id.js'
import { resolveDataDir } from '../paths.js'
import { nameOf, shortId } from '../text.js'
import { clientOf, outputOf, withCommonOptions } from './options.js'
import type { CommonOptions } from './options.js'
import type { LocalFilters, MutedPseudonym } from '@murmur/node'

/** What the help says of words, after the subcommands. */
const FILTER_HELP = `
Mutes and filters are yours alone: kept in the data dir (filters.json, mode 0600),
never sent, applied by feed, thread, watch and chat. Hidden posts still reach and
are relayed by this node; only what you see changes.

Words match whole words, through upper case, full-width letters, zero-width
characters and accents ("spoiler" hides "SPOILER", "ｓｐｏｉｌｅｒ", "spöiler").
Not caught: look-alike letters of other scripts, letters spaced or dotted apart,
digits for letters, a word inside a longer one.`

/**
 * The `filter` command and its subcommands.
 *
 * @example
 * ```ts
 * program.addCommand(filterCommand())
 * ```
 */
export function filterCommand (): Command {
  const filter = new Command('filter')
    .description('mute threads and authors, hide words and low scores: local only, never sent')
    .addHelpText('after', FILTER_HELP)
  for (const command of [listCommand(), wordCommand(), threadCommand(), authorCommand(), scoreCommand(), removeCommand(), clearCommand()]) {
    filter.addCommand(command.exitOverride())
  }
  return filter
}

function listCommand (): Command {
  return withCommonOptions(new Command('list'))
    .description('print your mutes and filters')
    .action(async (options: CommonOptions) => {
      const filters = await readFilters(resolveDataDir(options.dataDir))
      outputOf(options).result({ filters }, () => filterLines(filters))
    })
}

function wordCommand (): Command {
  return withCommonOptions(new Command('word'))
    .description('hide posts and replies that contain a word or phrase (whole words)')
    .argument('<text>', 'the word or phrase')
    .action(async (text: string, options: CommonOptions) => {
      if (filterWords(text).length === 0) throw new UsageError('a filter needs a word of letters or digits')
      await change(options, `hiding posts with "${text}"`, (f) => f.words.includes(text) ? f : { ...f, words: [...f.words, text] })
    })
}

function threadCommand (): Command {
  return withCommonOptions(new Command('thread'))
    .description('mute a whole thread: its post, its replies, votes on it')
    .argument('<post-id>', postIdHelp('a post or reply of the thread'))
    .action(async (ref: string, options: CommonOptions) => {
      const post = await postOf(ref, options)
      const root = post.root ?? post.id
      await change(options, `muted the thread ${shortId(root)}`, (f) => f.threads.includes(root) ? f : { ...f, threads: [...f.threads, root] })
    })
}

function authorCommand (): Command {
  return withCommonOptions(new Command('author'))
    .description('mute the author of a post within its thread (names are per thread: elsewhere it is someone else to you)')
    .argument('<post-id>', postIdHelp('a post or reply of the author'))
    .action(async (ref: string, options: CommonOptions) => {
      const post = await postOf(ref, options)
      if (post.pseudonym === undefined || post.root === undefined) throw new UsageError('a vote has no author to mute: name a post or reply')
      const muted: MutedPseudonym = { thread: post.root, pseudonym: post.pseudonym }
      await change(options, `muted ${nameOf(post.pseudonym)} in the thread ${shortId(post.root)}`, (f) => f.pseudonyms.some((m) => sameMute(m, muted)) ? f : { ...f, pseudonyms: [...f.pseudonyms, muted] })
    })
}

function scoreCommand (): Command {
  return withCommonOptions(new Command('score'))
    .description('hide posts and replies scored below a number (e.g. -3)')
    .argument('<n>', 'the lowest score shown', parseScore)
    .action(async (minScore: number, options: CommonOptions) => {
      await change(options, `hiding posts scored below ${minScore}`, (f) => ({ ...f, minScore }))
    })
}

function removeCommand (): Command {
  return withCommonOptions(new Command('remove'))
    .description('remove a filter: word <text>, thread <id>, author <thread-id> <name or pseudonym>, or score')
    .argument('<kind>', 'word, thread, author or score')
    .argument('[value...]', 'what `murmur filter list` shows of it')
    .action(async (kind: string, value: string[], options: CommonOptions) => {
      const [first, second] = value
      if (kind === 'score') {
        await change(options, 'no longer hiding posts by score', (f) => ({ threads: f.threads, pseudonyms: f.pseudonyms, words: f.words }))
      } else if (kind === 'word' && first !== undefined) {
        const text = value.join(' ')
        await change(options, `no longer hiding "${text}"`, (f) => ({ ...f, words: without(f.words, (w) => w === text, `no word filter "${text}"`) }))
      } else if (kind === 'thread' && first !== undefined) {
        await change(options, 'thread unmuted', (f) => ({ ...f, threads: f.threads.filter((t) => t !== listed(f.threads, first)) }))
      } else if (kind === 'author' && first !== undefined && second !== undefined) {
        await change(options, 'author unmuted', (f) => {
          const thread = listed(f.pseudonyms.map((m) => m.thread), first)
          const target = (m: MutedPseudonym): boolean => m.thread === thread && (nameOf(m.pseudonym) === second || m.pseudonym.startsWith(second.toLowerCase()))
          return { ...f, pseudonyms: without(f.pseudonyms, target, `no muted author ${second} in the thread ${shortId(thread)}`) }
        })
      } else {
        throw new UsageError('name what to remove: word <text>, thread <id>, author <thread-id> <name>, or score (see `murmur filter list`)')
      }
    })
}

function clearCommand (): Command {
  return withCommonOptions(new Command('clear'))
    .description('remove every mute and filter')
    .action(async (options: CommonOptions) => {
      await change(options, 'every mute and filter removed', () => ({ threads: [], pseudonyms: [], words: [] }))
    })
}

/** Applies a change to the data dir's filters and prints the result (`done` in text, the filters in --json). */
async function change (options: CommonOptions, done: string, edit: (filters: LocalFilters) => LocalFilters): Promise<void> {
  const filters = await updateFilters(resolveDataDir(options.dataDir), edit)
  outputOf(options).result({ filters }, () => done)
}

/** The post a typed id names, read from the daemon (its thread and author are what a mute needs). */
async function postOf (ref: string, options: CommonOptions): Promise<{ id: string, root?: string, pseudonym?: string }> {
  const client = await clientOf(options)
  const post = await client.get(await client.resolvePostId(parsePostRef(ref)))
  if (post.kind === 'VOTE') throw new UsageError('that is a vote: name a post or reply')
  return post
}

/** The one listed id a typed id or prefix names (UsageError or AmbiguousIdError otherwise). */
function listed (ids: string[], ref: string): string {
  return pickPostId(parsePostRef(ref), [...new Set(ids)].filter((id) => id.startsWith(ref.toLowerCase())), 'among your mutes')
}

/** `items` without those `match` picks; UsageError `missing` when it picks none. */
function without<T> (items: T[], match: (item: T) => boolean, missing: string): T[] {
  const kept = items.filter((item) => !match(item))
  if (kept.length === items.length) throw new UsageError(`${missing} (see \`murmur filter list\`)`)
  return kept
}

function sameMute (a: MutedPseudonym, b: MutedPseudonym): boolean {
  return a.thread === b.thread && a.pseudonym === b.pseudonym
}

function parseScore (value: string): number {
  const n = Number(value)
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`expected a whole number as the score, got ${JSON.stringify(value)}`)
  return n
}

/** The filters as text, one per line. */
function filterLines (f: LocalFilters): string {
  const lines = [
    ...f.words.map((w) => `word    ${JSON.stringify(w)}`),
    ...f.threads.map((t) => `thread  ${t}`),
    ...f.pseudonyms.map((m) => `author  ${nameOf(m.pseudonym)} (${m.pseudonym.slice(0, 8)}) in the thread ${m.thread}`),
    ...(f.minScore === undefined ? [] : [`score   hiding posts below ${f.minScore}`])
  ]
  return lines.length === 0 ? 'no mutes or filters' : lines.join('\n')
}
