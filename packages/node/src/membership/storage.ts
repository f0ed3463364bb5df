/**
 * Where the membership layer keeps its state: a few named byte records, each replaced atomically. Node
 * keeps them as private files (storage-file.ts); a browser in an abstract-level database (IndexedDB).
 */
import { MembershipError } from './errors.js'
import type { AbstractLevel } from 'abstract-level'

/** The records the membership layer keeps: the member secret key, and the minting state with its stamps. */
export type MemberRecord = 'member-key' | 'member-stamps'

/** Names of every {@link MemberRecord}, for storages that check what they are asked. */
export const MEMBER_RECORDS: readonly MemberRecord[] = Object.freeze(['member-key', 'member-stamps'])

/** Sublevel of a database holding the membership records (browser, or any abstract-level database). */
export const MEMBER_SUBLEVEL = 'membership'

/**
 * Named byte records. A `put` is atomic and durable once it resolves: after a crash at any moment a `get`
 * returns the old bytes or the new ones, never a mix or a truncation.
 */
export interface MemberStorage {
  /** The record's bytes, or undefined when it was never written. */
  get: (name: MemberRecord) => Promise<Uint8Array | undefined>
  /** Replaces the record, atomically and durably. */
  put: (name: MemberRecord, bytes: Uint8Array) => Promise<void>
}

/** Throws unless `name` is one of the membership records (a storage never writes anything else). */
export function checkRecordName (name: string): asserts name is MemberRecord {
  if (!(MEMBER_RECORDS as readonly string[]).includes(name)) {
    throw new MembershipError('ERR_MEMBER_STORAGE_NAME', `expected a membership record (${MEMBER_RECORDS.join(', ')}), got ${JSON.stringify(name)}`)
  }
}

/** A database the level storage can open its sublevel in (the node's store database fits). */
export type MemberDatabase = AbstractLevel<string | Uint8Array, Uint8Array, Uint8Array>

/**
 * Membership records in a sublevel of an abstract-level database: IndexedDB in a browser (browser-level),
 * or memory in tests. A level `put` is atomic per key, which is all a record needs.
 *
 * @example
 * ```ts
 * const storage = createLevelMemberStorage(await openDatabase('murmur'))
 * const state = await openMemberState({ storage })
 * ```
 */
export function createLevelMemberStorage (db: MemberDatabase): MemberStorage {
  const records = db.sublevel<string, Uint8Array>(MEMBER_SUBLEVEL, { keyEncoding: 'utf8', valueEncoding: 'view' })
  return {
    get: async (name) => {
      checkRecordName(name)
      return records.get(name)
    },
    put: async (name, bytes) => {
      checkRecordName(name)
      await records.put(name, bytes)
    }
  }
}
