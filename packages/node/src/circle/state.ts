/**
 * What a node keeps of each circle it is a member of: the secret of every generation it held, its member
 * keys, and the verified roster records of each generation (one JSON record per circle, by local name).
 * These are secrets: in Node.js with a data directory they live in private files (mode 0600, directory
 * 0700, see `openCircleStorage` in platform/node.ts), never in the node's database; a browser, or a node
 * without a data directory, keeps them in a sublevel of its database (IndexedDB, or memory).
 */
import { fromHex, toHex } from '@murmur/protocol'
import { CIRCLE_STATE_SUBLEVEL } from './constants.js'
import type { PrivateRecordStorage } from '../membership/storage-file.js'
import type { StoreDatabase } from '../store/index.js'
import type { MemberKeys, RosterMember } from '@murmur/protocol'
import type { AbstractSublevel } from 'abstract-level'

/** One generation of a circle as this member holds it. */
export interface HeldGeneration {
  generation: number
  secret: Uint8Array
  /** Verified JOIN bodies, each with the unix second this member first saw it. */
  joins: Array<{ body: Uint8Array, seenAt: number }>
  /** Verified INVITE bodies. */
  invites: Uint8Array[]
  /** Verified LEAVE bodies. */
  leaves: Uint8Array[]
  /** The ROTATE body followed out of this generation (the one `pickRotation` keeps). */
  rotation?: Uint8Array
  /**
   * Unix seconds (this node's clock) when this node followed `rotation`: the generation is dropped
   * CIRCLE_FRAME_TTL after (docs/PROTOCOL.md §6.7). A record written without it is given its rotation's
   * `created` (now, when that is later).
   */
  supersededAt?: number
  /** A rotation out of this generation that wins but is over the follow rate: followed once the rate allows (`HeldCircle.release`). */
  waiting?: Uint8Array
  /**
   * Unix second (this node's clock) the frame that carried `waiting` came to this node: once followed, the
   * frames kept since then (less ROTATION_SCAN_WINDOW) are tried with its generation's keys, however long it
   * waited. A record written without it looks back a day (the follow rate's span).
   */
  waitingArrived?: number
  /**
   * Unix second the frames kept are tried from with this generation's keys, set when the rotation to it is
   * taken and cleared once that scan is done (`FrameIntake.rotated`): a node stopped mid-scan tries them
   * again when it starts (`FrameIntake.resume`).
   */
  scanFrom?: number
  /**
   * Set on the oldest generation held once the ones before it were dropped: the members its rotation
   * carried over from them, fixed (nothing of a dropped generation is read any more).
   */
  carried?: RosterMember[]
  /** This member's own JOIN body in this generation, and when its frame was last published (unix seconds). */
  ownJoin?: { body: Uint8Array, announcedAt: number }
}

/**
 * A generation this member followed and then dropped because another rotation of the same generation won
 * (docs/PROTOCOL.md §6.7): its secret is kept only so that the member's own posts made on it can be shown
 * as not delivered, and posted again.
 */
export interface ForkedGeneration {
  generation: number
  secret: Uint8Array
  /** Unix seconds when it was dropped (kept CIRCLE_FRAME_TTL after: its posts have expired by then). */
  droppedAt: number
}

/** A circle as this node keeps it. */
export interface CircleState {
  /** The local name (the record's key). */
  name: string
  /** The owner's ring key. */
  owner: Uint8Array
  minRing: number
  /** This node's keys in the circle. */
  member: MemberKeys
  /** Every generation held, ascending; the last is the current one. */
  generations: HeldGeneration[]
  /** Set when a rotation left this member out: it reads what it held and nothing after. */
  removed?: boolean
  /** Generations dropped for a rotation that won over the one followed, newest last. */
  forked?: ForkedGeneration[]
  /** Unix seconds (this node's clock) of the rotations followed in the last day, fork switches included, ascending. */
  follows?: number[]
}

/** Where circle states are kept. */
export interface CircleStateStore {
  /** Every circle kept. */
  all(): Promise<CircleState[]>
  /** Writes a circle's state (replacing the record of its name). */
  put(state: CircleState): Promise<void>
  /** Forgets a circle (its keys included). */
  delete(name: string): Promise<void>
}

type Json = Record<string, unknown>

const hex = (bytes: Uint8Array): string => toHex(bytes)
const bytes = (value: unknown): Uint8Array => fromHex(String(value))

/** A circle state as JSON text (bytes as hex). */
export function encodeCircleState (state: CircleState): string {
  return JSON.stringify({
    name: state.name,
    owner: hex(state.owner),
    minRing: state.minRing,
    member: {
      ring: { publicKey: hex(state.member.ring.publicKey), secretKey: hex(state.member.ring.secretKey) },
      box: { publicKey: hex(state.member.box.publicKey), secretKey: hex(state.member.box.secretKey) }
    },
    removed: state.removed === true,
    generations: state.generations.map((g) => ({
      generation: g.generation,
      secret: hex(g.secret),
      joins: g.joins.map((j) => ({ body: hex(j.body), seenAt: j.seenAt })),
      invites: g.invites.map(hex),
      leaves: g.leaves.map(hex),
      ...(g.rotation === undefined ? {} : { rotation: hex(g.rotation) }),
      ...(g.supersededAt === undefined ? {} : { supersededAt: g.supersededAt }),
      ...(g.waiting === undefined ? {} : { waiting: hex(g.waiting) }),
      ...(g.waitingArrived === undefined ? {} : { waitingArrived: g.waitingArrived }),
      ...(g.scanFrom === undefined ? {} : { scanFrom: g.scanFrom }),
      ...(g.carried === undefined ? {} : { carried: g.carried.map(encodeMember) }),
      ...(g.ownJoin === undefined ? {} : { ownJoin: { body: hex(g.ownJoin.body), announcedAt: g.ownJoin.announcedAt } })
    })),
    ...(state.forked === undefined ? {} : { forked: state.forked.map((f) => ({ generation: f.generation, secret: hex(f.secret), droppedAt: f.droppedAt })) }),
    ...(state.follows === undefined ? {} : { follows: state.follows })
  })
}

/** Reads {@link encodeCircleState}'s text; throws on a record that does not decode. */
export function decodeCircleState (text: string): CircleState {
  const j = JSON.parse(text) as Json
  const member = j.member as { ring: Json, box: Json }
  const generations = (j.generations as Json[]).map((g): HeldGeneration => {
    const held: HeldGeneration = {
      generation: Number(g.generation),
      secret: bytes(g.secret),
      joins: (g.joins as Json[]).map((x) => ({ body: bytes(x.body), seenAt: Number(x.seenAt) })),
      invites: (g.invites as string[]).map(bytes),
      leaves: (g.leaves as string[]).map(bytes)
    }
    if (g.rotation !== undefined) held.rotation = bytes(g.rotation)
    if (g.supersededAt !== undefined) held.supersededAt = Number(g.supersededAt)
    if (g.waiting !== undefined) held.waiting = bytes(g.waiting)
    if (g.waitingArrived !== undefined) held.waitingArrived = Number(g.waitingArrived)
    if (g.scanFrom !== undefined) held.scanFrom = Number(g.scanFrom)
    if (Array.isArray(g.carried)) held.carried = (g.carried as Json[]).map(decodeMember)
    const own = g.ownJoin as Json | undefined
    if (own !== undefined) held.ownJoin = { body: bytes(own.body), announcedAt: Number(own.announcedAt) }
    return held
  })
  if (generations.length === 0) throw new RangeError('a circle record without a generation')
  return {
    name: String(j.name),
    owner: bytes(j.owner),
    minRing: Number(j.minRing),
    member: {
      ring: { publicKey: bytes(member.ring.publicKey), secretKey: bytes(member.ring.secretKey) },
      box: { publicKey: bytes(member.box.publicKey), secretKey: bytes(member.box.secretKey) }
    },
    generations,
    ...(j.removed === true ? { removed: true } : {}),
    ...(Array.isArray(j.forked) ? { forked: (j.forked as Json[]).map((f) => ({ generation: Number(f.generation), secret: bytes(f.secret), droppedAt: Number(f.droppedAt) })) } : {}),
    ...(Array.isArray(j.follows) ? { follows: (j.follows as unknown[]).map(Number) } : {})
  }
}

function encodeMember (member: RosterMember): Json {
  return { ringKey: hex(member.ringKey), boxKey: hex(member.boxKey), name: member.name, joinedAt: member.joinedAt, inviter: member.inviter }
}

function decodeMember (member: Json): RosterMember {
  return { ringKey: bytes(member.ringKey), boxKey: bytes(member.boxKey), name: String(member.name), joinedAt: Number(member.joinedAt), inviter: String(member.inviter) }
}

/**
 * The circle states in a sublevel of the node's database. A record that does not decode is skipped (and
 * reported through `onDamaged`), never a reason not to start.
 *
 * @example
 * ```ts
 * const states = createCircleStateStore(db)
 * for (const state of await states.all()) hold(state)
 * ```
 */
export function createCircleStateStore (db: StoreDatabase, onDamaged: (name: string, err: unknown) => void = () => {}): CircleStateStore {
  const records = stateSublevel(db)
  return {
    all: async () => {
      const states: CircleState[] = []
      for await (const [name, text] of records.iterator()) {
        try {
          states.push(decodeCircleState(text))
        } catch (err) {
          onDamaged(name, err)
        }
      }
      return states
    },
    put: async (state) => { await records.put(state.name, encodeCircleState(state)) },
    delete: async (name) => { await records.del(name) }
  }
}

function stateSublevel (db: StoreDatabase): AbstractSublevel<StoreDatabase, string | Uint8Array, string, string> {
  return db.sublevel<string, string>(CIRCLE_STATE_SUBLEVEL, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
}

/** The file name of a circle's record: its local name's UTF-8 bytes in hex (any name, never a path). */
export function circleRecordName (name: string): string {
  return `${toHex(new TextEncoder().encode(name))}.json`
}

/** Options of {@link openPrivateCircleStateStore}. */
export interface PrivateCircleStateStoreInit {
  /** The private files the records are kept in (e.g. `<dataDir>/circles`, 0700/0600). */
  records: PrivateRecordStorage
  /** The node's database: circles an earlier version kept in it are moved to `records`, then erased there. */
  db: StoreDatabase
  /** A record that does not decode (skipped). @default nothing */
  onDamaged?(name: string, err: unknown): void
}

/**
 * The circle states as private files, one per circle. Circles kept in the node's database by an earlier
 * version are moved into the files when it opens, deleted from the database and, where the database can
 * (LevelDB), compacted out of its files, so that no secret stays readable there.
 *
 * @example
 * ```ts
 * const records = await createPrivateRecordStorage({ dir: join(dataDir, 'circles') })
 * const states = await openPrivateCircleStateStore({ records, db })
 * ```
 */
export async function openPrivateCircleStateStore (init: PrivateCircleStateStoreInit): Promise<CircleStateStore> {
  const { records, db } = init
  const onDamaged = init.onDamaged ?? (() => {})
  const legacy = stateSublevel(db)
  const moved: string[] = []
  for await (const [name, text] of legacy.iterator()) {
    // a file written by this version is newer than the database's copy of the same circle
    if (await records.get(circleRecordName(name)) === undefined) await records.put(circleRecordName(name), new TextEncoder().encode(text))
    moved.push(name)
  }
  if (moved.length > 0) {
    await legacy.batch(moved.map((key) => ({ type: 'del' as const, key })))
    await compactSublevel(db)
  }
  return {
    all: async () => {
      const states: CircleState[] = []
      for (const file of await records.names()) {
        try {
          const bytes = await records.get(file)
          if (bytes !== undefined) states.push(decodeCircleState(new TextDecoder().decode(bytes)))
        } catch (err) {
          onDamaged(file, err)
        }
      }
      return states
    },
    put: async (state) => { await records.put(circleRecordName(state.name), new TextEncoder().encode(encodeCircleState(state))) },
    delete: async (name) => { await records.delete(circleRecordName(name)) }
  }
}

/** Rewrites the database's tables over the circles' sublevel, so deleted records leave its files (LevelDB only). */
async function compactSublevel (db: StoreDatabase): Promise<void> {
  const compactible = db as unknown as { compactRange?: (start: Uint8Array, end: Uint8Array) => Promise<void> }
  if (typeof compactible.compactRange !== 'function') return
  const encoder = new TextEncoder()
  // a sublevel's keys are `!name!key` in its parent: every one sorts before `!name"`
  await compactible.compactRange(encoder.encode(`!${CIRCLE_STATE_SUBLEVEL}!`), encoder.encode(`!${CIRCLE_STATE_SUBLEVEL}"`))
}
