/**
 * The member's own state: its member key (a ristretto255 key used for nothing but rings, never the author
 * identity nor the network identity), the stamp being minted and the nonce to resume from, and the stamps
 * it holds. Kept in a {@link MemberStorage}: a restart keeps the key and the stamps and resumes minting
 * where it stopped.
 */
import { logger } from '@libp2p/logger'
import { authorPublicKey, equalBytes, generateAuthorKey, stampWindow } from '@murmur/protocol'
import { MembershipError } from './errors.js'
import type { MemberStorage } from './storage.js'
import type { Logger } from '@libp2p/interface'
import type { AuthorKey, Stamp } from '@murmur/protocol'

/** Where an unfinished mint stands: the week it is for and the first nonce not yet tried. */
export interface MintPosition {
  week: number
  nextNonce: number
}

/** Options of {@link openMemberState}. */
export interface MemberStateInit {
  /** Where the records live (createFileMemberStorage in Node, createLevelMemberStorage in a browser). */
  storage: MemberStorage
  /** Unix seconds; stamps whose window has closed are dropped on open. @default Math.floor(Date.now() / 1000) */
  now?: number
  /** Where it logs (a node passes a scope of its components' logger). @default logger('murmur:membership:state') */
  log?: Logger
}

/** The member key, the mint in progress and the stamps held; every change is on storage once it resolves. */
export interface MemberState {
  /** The member key pair (its secret signs rings; never logged, never sent). */
  readonly key: AuthorKey
  /** The stamps held, ascending by week. */
  stamps: () => Stamp[]
  /** The stamp held for `week`, if any. */
  stampFor: (week: number) => Stamp | undefined
  /** The unfinished mint, if any. */
  minting: () => MintPosition | undefined
  /** The nonce a mint of `week` starts from: where an earlier run stopped for that week, else 0. */
  startNonce: (week: number) => number
  /** Records how far a mint got (the nonces below `nextNonce` were tried). */
  saveProgress: (position: MintPosition) => Promise<void>
  /** Records a finished stamp (ending its mint), and drops stamps whose window closed before `now`. */
  addStamp: (stamp: Stamp, now?: number) => Promise<void>
  /**
   * Whether the stamp for `week` is known to be out there: it came back from another node, so announcing it
   * again would only tell its first hop who owns it (every honest relay drops a stamp the network holds).
   */
  isOut: (week: number) => boolean
  /** Records that the stamp held for `week` came back from another node (kept across restarts). */
  markOut: (week: number) => Promise<void>
}

interface StampsRecord {
  minting?: MintPosition
  stamps: Array<{ week: number, nonce: number, out?: true }>
}

const RECORD_VERSION = 1

const isUint32 = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) < 2 ** 32

/** Parses the stamps record; undefined when it is not one (it is then started afresh, costing only work). */
function decodeStampsRecord (bytes: Uint8Array): StampsRecord | undefined {
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    return undefined
  }
  const record = value as { v?: unknown, minting?: { week?: unknown, nextNonce?: unknown }, stamps?: Array<{ week?: unknown, nonce?: unknown, out?: unknown }> }
  if (typeof record !== 'object' || record === null || record.v !== RECORD_VERSION || !Array.isArray(record.stamps)) return undefined
  if (!record.stamps.every((s) => typeof s === 'object' && s !== null && isUint32(s.week) && isUint32(s.nonce))) return undefined
  const minting = record.minting
  if (minting !== undefined && (typeof minting !== 'object' || minting === null || !isUint32(minting.week) || !isUint32(minting.nextNonce))) return undefined
  return {
    minting: minting === undefined ? undefined : { week: minting.week as number, nextNonce: minting.nextNonce as number },
    // a record written before the flag existed reads as "not known out": announced once more, as it was
    stamps: record.stamps.map((s) => ({ week: s.week as number, nonce: s.nonce as number, ...(s.out === true ? { out: true as const } : {}) }))
  }
}

function encodeStampsRecord (record: StampsRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: RECORD_VERSION, minting: record.minting, stamps: record.stamps }))
}

async function loadKey (storage: MemberStorage, log: Logger): Promise<AuthorKey> {
  const stored = await storage.get('member-key')
  if (stored === undefined) {
    const key = generateAuthorKey()
    await storage.put('member-key', key.secretKey)
    log('created a member key')
    return key
  }
  try {
    return { secretKey: stored, publicKey: authorPublicKey(stored) }
  } catch (err) {
    throw new MembershipError('ERR_MEMBER_KEY_CORRUPT', `the stored member key is not a 32-byte canonical non-zero scalar (${stored.byteLength} bytes); move it away to start with a new member key`, { cause: err })
  }
}

/**
 * Opens the member state in `storage`: loads the member key (creating it on first use) and the stamps
 * record. A corrupt stamps record is started afresh (it only costs minting again); a corrupt key throws
 * MembershipError ERR_MEMBER_KEY_CORRUPT rather than replacing a key the user may want back.
 *
 * @example
 * ```ts
 * const state = await openMemberState({ storage: await createFileMemberStorage({ dir }) })
 * const stamp = state.stampFor(weekOf(now))
 * ```
 */
export async function openMemberState (init: MemberStateInit): Promise<MemberState> {
  const { storage } = init
  const log = init.log ?? logger('murmur:membership:state')
  const key = await loadKey(storage, log)
  const stored = await storage.get('member-stamps')
  let record: StampsRecord = { stamps: [] }
  if (stored !== undefined) {
    const decoded = decodeStampsRecord(stored)
    if (decoded === undefined) log.error('the stored stamps record is unreadable; minting starts afresh')
    else record = decoded
  }
  const live = (from: StampsRecord, now: number): StampsRecord['stamps'] => from.stamps.filter((s) => now < stampWindow(s.week).notAfter)
  record.stamps = live(record, init.now ?? Math.floor(Date.now() / 1000))

  const toStamp = (s: { week: number, nonce: number }): Stamp => ({ memberKey: key.publicKey, week: s.week, nonce: s.nonce })
  // one change at a time, each computed from the record as the previous one left it: two callers never
  // overwrite each other's change
  let writes: Promise<void> = Promise.resolve()
  const save = async (change: (current: StampsRecord) => StampsRecord): Promise<void> => {
    const write = writes.then(async () => {
      const next = change(record)
      await storage.put('member-stamps', encodeStampsRecord(next))
      record = next
    })
    writes = write.catch(() => {})
    await write
  }

  return {
    key,
    stamps: () => record.stamps.map(toStamp),
    stampFor: (week) => {
      const found = record.stamps.find((s) => s.week === week)
      return found === undefined ? undefined : toStamp(found)
    },
    minting: () => record.minting === undefined ? undefined : { ...record.minting },
    startNonce: (week) => record.minting?.week === week ? record.minting.nextNonce : 0,
    saveProgress: async (position) => {
      await save((current) => ({ ...current, minting: { week: position.week, nextNonce: position.nextNonce } }))
    },
    addStamp: async (stamp, now = Math.floor(Date.now() / 1000)) => {
      if (!equalBytes(stamp.memberKey, key.publicKey)) throw new RangeError('expected a stamp of this member key')
      await save((current) => ({
        minting: current.minting?.week === stamp.week ? undefined : current.minting,
        stamps: [...live(current, now).filter((s) => s.week !== stamp.week), { week: stamp.week, nonce: stamp.nonce }].sort((a, b) => a.week - b.week)
      }))
    },
    isOut: (week) => record.stamps.some((s) => s.week === week && s.out === true),
    markOut: async (week) => {
      if (!record.stamps.some((s) => s.week === week && s.out !== true)) return
      await save((current) => ({ ...current, stamps: current.stamps.map((s) => s.week === week ? { ...s, out: true as const } : s) }))
    }
  }
}
