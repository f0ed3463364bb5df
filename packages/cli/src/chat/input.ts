/**
 * What a line typed in the chat means: a post, or a slash command.
 */

/** A parsed chat line. `target` is a post number shown in the chat, or a post id (or id prefix). */
export type ChatInput =
  | { type: 'post', text: string }
  | { type: 'join', channel: string }
  | { type: 'circle', name: string }
  | { type: 'list' }
  | { type: 'leave' }
  | { type: 'reply', target: string, text: string }
  | { type: 'vote', target: string, direction: string }
  | { type: 'thread', target: string }
  | { type: 'repost', target: string }
  | { type: 'feed' }
  | { type: 'sort', order: string }
  | { type: 'mute', target: string, what: 'author' | 'thread' }
  | { type: 'lifetime', lifetime: string }
  | { type: 'help' }
  | { type: 'quit' }
  | { type: 'empty' }
  | { type: 'invalid', message: string }

/** The help the chat prints for `/help`: with the vote rule under it, it fills an 80 × 24 terminal (the footer says that Enter posts). */
export const HELP: readonly string[] = [
  '/join <channel>        switch to a channel (lobby = #lobby), or circle:NAME',
  '/circle <name>, /list  switch to a circle of yours; list channels and circles',
  '/reply <n> <text>      reply to post [n] (or a post id)',
  '/vote <n> up|down      vote on post [n] (only members\' votes count: see below)',
  '/thread <n>, /leave    thread of post [n]; back to the previous channel',
  '/repost <n>            post again your circle post [n] marked NOT DELIVERED',
  '/feed, /sort hot|new|top  recent posts again; their order',
  '/mute <n>|thread <n>   mute [n]\'s author in its thread, or the thread',
  '/for 1h|1d|1w          your next posts last an hour, a day (default) or a week',
  '/help; /quit or Ctrl-D; PgUp/PgDn scroll; Ctrl-C cancels mining, else quits'
]

/**
 * Parses one typed line.
 *
 * @example
 * ```ts
 * parseChatInput('/reply 3 nice one') // { type: 'reply', target: '3', text: 'nice one' }
 * ```
 */
export function parseChatInput (line: string): ChatInput {
  const text = line.trim()
  if (text === '') {
    return { type: 'empty' }
  }
  if (!text.startsWith('/') || text.startsWith('//')) {
    // "//" escapes a post that starts with a slash
    return { type: 'post', text: text.startsWith('//') ? text.slice(1) : text }
  }
  const [command = '', ...rest] = text.slice(1).split(/\s+/)
  const args = rest
  switch (command.toLowerCase()) {
    case 'join':
    case 'j':
      // the whole rest: "/join Random Stuff" is refused as a name with a space, not joined as #random
      return args[0] === undefined ? usage('/join <channel>') : { type: 'join', channel: text.replace(/^\/\S+\s+/, '') }
    case 'circle':
    case 'c':
      // the whole rest: a circle's local name may hold spaces
      return args[0] === undefined ? usage('/circle <name>') : { type: 'circle', name: text.replace(/^\/\S+\s+/, '') }
    case 'list':
    case 'circles':
    case 'channels':
      return { type: 'list' }
    case 'leave':
      return { type: 'leave' }
    case 'reply':
    case 'r': {
      const target = args[0]
      const body = text.replace(/^\/\S+\s+\S+\s*/, '')
      return target === undefined || args.length < 2 ? usage('/reply <n> <text>') : { type: 'reply', target, text: body }
    }
    case 'vote':
    case 'v':
      return args[0] === undefined || args[1] === undefined ? usage('/vote <n> up|down') : { type: 'vote', target: args[0], direction: args[1] }
    case 'thread':
    case 't':
      return args[0] === undefined ? usage('/thread <n>') : { type: 'thread', target: args[0] }
    case 'repost':
      return args[0] === undefined ? usage('/repost <n>') : { type: 'repost', target: args[0] }
    case 'feed':
      return { type: 'feed' }
    case 'sort':
      return args[0] === undefined ? usage('/sort hot|new|top') : { type: 'sort', order: args[0] }
    case 'mute':
      if (args[0]?.toLowerCase() === 'thread') return args[1] === undefined ? usage('/mute thread <n>') : { type: 'mute', target: args[1], what: 'thread' }
      return args[0] === undefined ? usage('/mute <n> or /mute thread <n>') : { type: 'mute', target: args[0], what: 'author' }
    case 'for':
    case 'ttl':
      return args[0] === undefined ? usage('/for 1h|1d|1w') : { type: 'lifetime', lifetime: args[0] }
    case 'help':
    case 'h':
    case '?':
      return { type: 'help' }
    case 'quit':
    case 'q':
    case 'exit':
      return { type: 'quit' }
    default:
      return { type: 'invalid', message: `unknown command /${command}; /help lists the commands` }
  }
}

function usage (text: string): ChatInput {
  return { type: 'invalid', message: `usage: ${text}` }
}
