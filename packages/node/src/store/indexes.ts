import { STORE_SUBLEVEL } from './constants.js'
import type { StoreDatabase } from './database.js'
import type { AbstractBatchOperation, AbstractSublevel } from 'abstract-level'

/** One of the store's `'view'`-encoded sublevels. */
export type Index = AbstractSublevel<StoreDatabase, string | Uint8Array, Uint8Array, Uint8Array>

/** A write against one of the indexes, committed with the others in one `db.batch`. */
export type IndexOperation = AbstractBatchOperation<StoreDatabase, Uint8Array, Uint8Array>

/** The store's indexes; see `keys.ts` for their key layouts. */
export interface Indexes {
  /** id → encoded post */
  posts: Index
  /** channel | created | id → u64 expires, every kind (history sync) */
  channel: Index
  /** channel | created | id → u64 expires, POSTs only (feeds) */
  feed: Index
  /** root | created | id → u64 expires, REPLYs only (threads) */
  thread: Index
  /** id → tally of the votes and replies naming it */
  tallies: Index
  /** scope | tag → id of the post that carried it | u64 until (kept past the post, see TAG_RETENTION) */
  tags: Index
  /** until | scope | tag → empty (tag sweeps) */
  tagExpiry: Index
  /** parent | id → empty: VOTEs stored before their parent, checked when it arrives */
  waiting: Index
  /**
   * channel | arrival class | u64 second | id → empty, or [1] once another address group delivered the
   * post too (shared): who competes with whom when a channel is over quota
   */
  arrival: Index
  /** id → u64 arrival class | u64 second of a stored post */
  arrivals: Index
  /** channel (| arrival class) → u64 posts | u64 bytes held */
  usage: Index
  /** id → its channel index key: a post evicted by the quota, still counted as held until it expires */
  evicted: Index
  /** channel | created | id → empty: the evicted posts of a channel, oldest first, so their number stays bounded */
  tombs: Index
  /** expires | id → empty (sweeps; a shadowed post's entry too) */
  expiry: Index
  /** scope | tag | id → empty: every retained envelope (counted or shadowed) carrying the tag */
  claims: Index
  /** id → the link tags of a retained ring-signed post, all of them (the record keeps the primary only) */
  links: Index
  /** id → u64 arrival class | u64 second | encoded post: a retained envelope that lost its tag conflict */
  shadow: Index
}

/** Open the store's sublevels of `db`. */
export function openIndexes (db: StoreDatabase): Indexes {
  const open = (name: string): Index =>
    db.sublevel<Uint8Array, Uint8Array>([STORE_SUBLEVEL, name], { keyEncoding: 'view', valueEncoding: 'view' })
  return {
    posts: open('posts'),
    channel: open('channel'),
    feed: open('feed'),
    thread: open('thread'),
    tallies: open('tallies'),
    tags: open('tags'),
    tagExpiry: open('tag-expiry'),
    waiting: open('waiting'),
    arrival: open('arrival'),
    arrivals: open('arrivals'),
    usage: open('usage'),
    evicted: open('evicted'),
    tombs: open('tombs'),
    expiry: open('expiry'),
    claims: open('claims'),
    links: open('links'),
    shadow: open('shadow')
  }
}
